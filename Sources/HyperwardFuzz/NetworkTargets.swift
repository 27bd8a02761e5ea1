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

import HyperwardCore
import HyperwardHost
import NetworkPolicy

/// The targets of `hyperward net`: the policy file and the libvirt XML it resolves VMs from.
extension FuzzTarget {
    /// The targets whose seeds the network policy tests replay.
    static let networkTargets: [FuzzTarget] = [.networkPolicy, .libvirtXML]

    // MARK: Network policy

    /// The policy's file name. It holds a quote, a backslash and a CR LF on purpose: rule comments
    /// carry the rule's location, so the compiler's comment sanitising is exercised on every input.
    static let policyFile = "/etc/hyperward/net \"policy\\\"\r\n.yaml"

    static func networkPolicy(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.networkPolicy
        let text = String(decoding: bytes, as: UTF8.self)
        let policy: NetworkPolicy
        do { policy = try NetworkPolicy.parse(text, file: policyFile) } catch {
            guard error.location?.file == policyFile else { throw f.fail("error without the file's location: \(error)") }
            return
        }
        guard policy.vms.count <= RulesetCompiler.maxVMs else { return }
        let ruleset: Ruleset
        do { ruleset = try RulesetCompiler.compile(policy) } catch {
            throw f.fail("a parsed policy of \(policy.vms.count) VMs does not compile: \(error)")
        }

        // Deterministic: the same text parses to the same policy and compiles to the same text,
        // also when the policy's dictionaries were filled in another order.
        guard let again = try? NetworkPolicy.parse(text, file: policyFile), again == policy else {
            throw f.fail("the same text parses to a different policy")
        }
        var reordered = NetworkPolicy()
        for (name, group) in again.groups.sorted(by: { $0.key > $1.key }) { reordered.groups[name] = group }
        for (name, vm) in again.vms.sorted(by: { $0.key > $1.key }) { reordered.vms[name] = vm }
        guard let second = try? RulesetCompiler.compile(reordered), second == ruleset else {
            throw f.fail("the same policy compiles to a different ruleset")
        }

        // Every interface device is a quoted element of `set ports`, and nothing else is.
        let devices = policy.vms.values.flatMap { $0.interfaces.map(\.device) }
        let expected = devices.map { "\"\($0)\"" }.sorted()
        guard let ports = setElements("ports", in: ruleset.text) else { throw f.fail("no `set ports` in the ruleset") }
        if ports.sorted() != expected {
            throw f.fail("set ports holds \(ports.sorted()), expected \(expected)")
        }

        // No quoted string spans a line or holds a carriage return.
        var lineNumber = 0
        for line in ruleset.text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var quoted = false
            for byte in line {
                if byte == UInt8(ascii: "\"") { quoted.toggle() } else if quoted && (byte == 0x0D || byte < 0x20 && byte != 0x09) {
                    throw f.fail("line \(lineNumber): control byte \(byte) inside a quoted string")
                }
            }
            if quoted { throw f.fail("line \(lineNumber): a quoted string runs past the end of the line") }
        }
    }

    /// The elements of the first `set NAME` of the ruleset text, as written (`[]` if it has none).
    static func setElements(_ name: String, in text: String) -> [String]? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0 == "\tset \(name) {" }) else { return nil }
        for line in lines[(start + 1)...] {
            if line == "\t}" { return [] }
            let prefix = "\t\telements = { ", suffix = " }"
            if line.hasPrefix(prefix) && line.hasSuffix(suffix) {
                let inner = line.dropFirst(prefix.count).dropLast(suffix.count)
                return inner.split(separator: ",").map { String($0).trimmingWhitespace() }
            }
        }
        return nil
    }

    // MARK: libvirt XML

    /// Text of local files an external entity could name (the first line of each, if long enough
    /// to be unmistakable): none may appear in a result unless the input itself holds it.
    static let leakCanaries: [String] = {
        let fs = RootedFileSystem()
        return ["/etc/passwd", "/etc/hostname", "/etc/os-release"].compactMap { path in
            guard let bytes = try? fs.readFile(path, limit: 4096) else { return nil }
            let first = bytes.split(separator: 0x0A).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
            return first.utf8.count >= 8 ? first : nil
        }
    }()

    static func libvirtXML(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.libvirtXML
        let text = String(decoding: bytes, as: UTF8.self)
        let interfaces = (try? DomainXML.interfaces(ofDomain: text)) ?? []
        let hosts = (try? DomainXML.dhcpHosts(ofNetwork: text)) ?? []
        let disks = (try? DomainXML.fileDisks(ofDomain: text)) ?? []
        for disk in disks where disk.target.isEmpty || disk.source.isEmpty {
            throw f.fail("a disk without its target or source (\(disk))")
        }
        for interface in interfaces where interface.mac.isEmpty {
            throw f.fail("an interface without a MAC (device \(interface.device ?? "none"))")
        }
        let values = interfaces.flatMap { [$0.mac, $0.device ?? "", $0.network ?? ""] } + hosts.flatMap { [$0.mac, $0.ip] }
            + disks.flatMap { [$0.target, $0.source, $0.format ?? ""] }
        for canary in leakCanaries where !text.contains(canary) {
            if let leaked = values.first(where: { $0.contains(canary) }) {
                throw f.fail("a result holds the text of a local file: \(leaked)")
            }
        }
    }
}
