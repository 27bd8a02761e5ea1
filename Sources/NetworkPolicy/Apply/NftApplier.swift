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
import HyperwardHost

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
        let argv = NetworkNamespace.argv([nftPath] + arguments, in: namespace)
        let result = input.map { HostCommand.run(argv, input: $0) } ?? HostCommand.run(argv)
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
        let result = HostCommand.run(argv)
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
