//===----------------------------------------------------------------------===//
//
// This source file is part of the Hyperward open source project
//
// Copyright (c) 2026 the Hyperward project authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import HyperwardCore

/// Loads rulesets into the kernel and reads state back. The real one runs `nft`; tests use doubles
/// for edge cases and the real one inside network namespaces.
public protocol RulesetApplier: Sendable {
    /// Checks `ruleset` against the kernel without changing anything (`nft -c`).
    func check(_ ruleset: String) throws(HyperwardError)
    /// Applies `ruleset` as one transaction: all of it or nothing.
    func apply(_ ruleset: String) throws(HyperwardError)
    /// Runs `nft` with `arguments` and returns its standard output (`list table …`, element updates).
    func nft(_ arguments: [String], input: String?) throws(HyperwardError) -> String
    /// Where kernel switches (br_netfilter's sysctls) are set: `""` for the current namespace, a
    /// namespace's name, or nil for an applier that touches no kernel (test doubles).
    var namespaceForSysctl: String? { get }
    /// The network interfaces that exist where the rules apply (a VM's tap exists while it runs),
    /// or nil when that cannot be known.
    func interfaceNames() throws(HyperwardError) -> Set<String>?
}

extension RulesetApplier {
    public var namespaceForSysctl: String? { nil }
    public func interfaceNames() throws(HyperwardError) -> Set<String>? { nil }
}

extension HyperwardError.Code {
    /// nft refused a ruleset or command.
    public static let nftFailed = HyperwardError.Code("nft-failed")
    /// A named network namespace does not exist.
    public static let noNamespace = HyperwardError.Code("no-namespace")
}

/// Named network namespaces, as `ip netns` keeps them: a bind-mounted file per name in `/run/netns`.
public enum NetworkNamespace {
    /// Where `ip netns` keeps named namespaces.
    public static let directory = "/run/netns"

    /// Checks that `name` (nil: the current namespace) exists, before any child is started in it:
    /// `ip netns exec` into a missing one exits at once, and a child that exits before reading
    /// the ruleset written to it used to end the writer by SIGPIPE.
    /// - Throws: `HyperwardError` (`invalid-input` for a name `ip netns` cannot hold,
    ///   `no-namespace` for one that does not exist).
    public static func require(_ name: String?) throws(HyperwardError) {
        guard let name else { return }
        // `ip netns` names are file names in /run/netns: no '/', not '.' or '..', no NUL.
        guard !name.isEmpty, name.utf8.count <= 255, name != ".", name != "..",
              !name.contains("/"), !name.unicodeScalars.contains("\0") else {
            throw HyperwardError(.invalidInput, "'\(name.terminalSafe)' is not a network namespace name")
        }
        guard FileManager.default.fileExists(atPath: directory + "/" + name) else {
            throw HyperwardError(.noNamespace, "no network namespace \(name.terminalSafe) (ip netns list shows those that exist)")
        }
    }
}

/// The real applier: `nft`, optionally inside a network namespace (`ip netns exec NAME`).
public struct NftApplier: RulesetApplier {
    /// The network namespace to act in, or `nil` for the current one.
    public var namespace: String?
    /// The `nft` binary.
    public var nftPath: String

    /// Creates an applier.
    public init(namespace: String? = nil, nftPath: String = "/usr/sbin/nft") {
        self.namespace = namespace
        self.nftPath = nftPath
    }

    public var namespaceForSysctl: String? { namespace ?? "" }

    public func check(_ ruleset: String) throws(HyperwardError) {
        _ = try nft(["-c", "-f", "-"], input: ruleset)
    }

    public func apply(_ ruleset: String) throws(HyperwardError) {
        // `nft -f` sends the whole file as one netlink batch: the kernel validates every object of
        // the batch before it commits any, and aborts the batch on the first error, so a rejected
        // ruleset leaves the previous rules exactly as they were. A separate `nft -c` pass would
        // repeat that validation and double the apply time; `net apply --dry-run` runs it alone.
        _ = try nft(["-f", "-"], input: ruleset)
    }

    public func nft(_ arguments: [String], input: String?) throws(HyperwardError) -> String {
        try NetworkNamespace.require(namespace)
        var argv = [nftPath] + arguments
        if let namespace { argv = ["/usr/sbin/ip", "netns", "exec", namespace] + argv }
        let result = Subprocess.run(argv, input: input)
        guard result.status == 0 else {
            let message = result.stderr.split(separator: "\n").prefix(6).joined(separator: "\n")
            throw HyperwardError(.nftFailed, "nft \(arguments.joined(separator: " ")) failed (exit \(result.status)): \(message)")
        }
        return result.stdout
    }

    /// The interfaces of the namespace (`ip -o link show`); nil when `ip` fails.
    public func interfaceNames() throws(HyperwardError) -> Set<String>? {
        try NetworkNamespace.require(namespace)
        var argv = ["/usr/sbin/ip", "-o", "link", "show"]
        if let namespace { argv = ["/usr/sbin/ip", "-n", namespace, "-o", "link", "show"] }
        let result = Subprocess.run(argv, input: nil)
        guard result.status == 0 else { return nil }
        // "3: vnet0@if2: <BROADCAST,…> mtu 1500 …": the name, without a veth's "@peer".
        var names: Set<String> = []
        for line in result.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 2)
            guard fields.count >= 2, fields[1].hasSuffix(":") else { continue }
            let name = fields[1].dropLast().split(separator: "@", maxSplits: 1).first ?? ""
            if !name.isEmpty { names.insert(String(name)) }
        }
        return names
    }
}

/// A child process run to completion, with its output captured.
public enum Subprocess {
    public struct Result: Sendable { public var status: Int32; public var stdout: String; public var stderr: String }

    public static func run(_ argv: [String], input: String?) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let out = Pipe(), err = Pipe(), inp = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inp
        do { try process.run() } catch {
            return Result(status: 127, stdout: "", stderr: "cannot run \(argv[0]): \(error.localizedDescription)")
        }
        if let input {
            // Write from another thread so a large ruleset cannot deadlock against a full stdout pipe.
            let handle = inp.fileHandleForWriting
            let data = Data(input.utf8)
            Thread.detachNewThread {
                // The throwing write: a child that exits without reading its input makes the write
                // fail with EPIPE, which `write(_:)` turns into a trap. The child's exit status
                // tells what went wrong; the unwritten rest does not matter.
                try? handle.write(contentsOf: data)
                try? handle.close()
            }
        }
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    final class DataBox: @unchecked Sendable { var data = Data() }
}
