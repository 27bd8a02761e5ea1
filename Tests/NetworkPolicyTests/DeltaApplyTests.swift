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
import Testing

@testable import NetworkPolicy

/// Incremental apply: after each policy change, the kernel fed only the delta must hold exactly
/// what a whole replacement loads. Oracle: the kernel's own JSON listing of both, normalised
/// (handles, counter values and set element order do not matter; rule order does).
@Suite("Incremental apply", .serialized, .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft"), "needs root and nft"))
struct DeltaApplyTests {
    /// Two scratch namespaces: one receives deltas, the other whole rulesets.
    final class Namespaces {
        let incremental = "hw-delta-\(UInt32.random(in: 0...UInt32.max))"
        let whole = "hw-whole-\(UInt32.random(in: 0...UInt32.max))"
        init() {
            _ = HostCommand.run(["/usr/sbin/ip", "netns", "add", incremental])
            _ = HostCommand.run(["/usr/sbin/ip", "netns", "add", whole])
        }
        deinit {
            _ = HostCommand.run(["/usr/sbin/ip", "netns", "del", incremental])
            _ = HostCommand.run(["/usr/sbin/ip", "netns", "del", whole])
        }
    }

    /// The namespace's Hyperward tables as a sorted list of canonical JSON lines.
    static func normalized(_ applier: NftApplier) throws -> [String] {
        let json = try applier.nft(["-j", "list", "ruleset"], input: nil)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let items = try #require(root["nftables"] as? [[String: Any]])
        var lines: [String] = []
        var ruleIndex: [String: Int] = [:]
        func canonical(_ value: Any) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
        }
        for item in items {
            for (kind, value) in item where kind != "metainfo" {
                guard var object = value as? [String: Any] else { continue }
                guard (object["table"] as? String ?? object["name"] as? String)?.hasPrefix("hyperward") == true else { continue }
                object["handle"] = nil
                if kind == "counter" { object["packets"] = nil; object["bytes"] = nil }
                if let elements = object["elem"] as? [Any] {
                    object["elem"] = try elements.map { try canonical($0) }.sorted()
                }
                var line = "\(kind) " + (try canonical(object))
                if kind == "rule" {
                    let chain = "\(object["family"] ?? "") \(object["table"] ?? "") \(object["chain"] ?? "")"
                    let index = ruleIndex[chain, default: 0]
                    ruleIndex[chain] = index + 1
                    line = "rule \(chain) #\(index) " + (try canonical(object))
                }
                lines.append(line)
            }
        }
        return lines.sorted()
    }

    static func vm(_ index: Int, groups: [String], addresses: Int = 1) throws -> VMBinding {
        let mac = try MACAddress(parsing: String(format: "52:54:00:10:%02x:%02x", index >> 8, index & 0xff))
        let v4 = try (0..<addresses).map { try IPNetwork(address: "10.\(20 + index / 250).\(index % 250).\($0 + 1)") }
        return VMBinding(groups: groups, interfaces: [VMInterface(device: "dv\(index)", mac: mac, ipv4: v4, ipv6: [try IPNetwork(address: "fd00::\(index):1")])])
    }

    static func group(_ seed: Int, remote: String? = nil) throws -> SecurityGroup {
        var ingress = [
            Rule(proto: .tcp, ports: [(80 + seed)...(80 + seed)]),
            Rule(proto: .udp, ports: [1000...(1000 + seed)], networks: [try IPNetwork(parsing: "10.\(seed % 200).0.0/16")]),
            Rule(proto: .icmp),
        ]
        if let remote { ingress.append(Rule(proto: .tcp, ports: [22...22], group: remote)) }
        let egress: [Rule]? = seed % 2 == 0 ? [Rule(proto: .tcp, ports: [443...443]), Rule(proto: .udp, ports: [53...53])] : nil
        return SecurityGroup(ingress: ingress, egress: egress)
    }

    @Test("after every kind of change, delta and whole replacement leave the same kernel state")
    func deltaMatchesWholeReplacement() throws {
        let ns = Namespaces()
        let incremental = PolicyEnforcer(applier: NftApplier(namespace: ns.incremental), flusher: nil)
        let whole = NftApplier(namespace: ns.whole)

        var policy = NetworkPolicy()
        policy.groups["admin"] = try Self.group(1)
        policy.groups["web"] = try Self.group(2, remote: "admin")
        policy.groups["db"] = try Self.group(3, remote: "web")
        for i in 0..<12 { policy.vms["vm\(i)"] = try Self.vm(i, groups: [["admin", "web", "db"][i % 3]]) }

        var steps: [(String, (inout NetworkPolicy) throws -> Void)] = []
        steps.append(("a VM joins", { p in p.vms["vm100"] = try Self.vm(100, groups: ["web"]) }))
        steps.append(("a VM leaves", { p in p.vms["vm4"] = nil }))
        steps.append(("a VM gets another address", { p in p.vms["vm5"] = try Self.vm(5, groups: ["db"], addresses: 2) }))
        steps.append(("membership changes (remote group sets follow)", { p in p.vms["vm0"]?.groups = ["web"] }))
        steps.append(("a group's rule changes", { p in p.groups["db"] = try Self.group(9, remote: "web") }))
        steps.append(("a group gains egress rules", { p in p.groups["admin"] = try Self.group(4) }))
        steps.append(("a VM named first in order joins (numbers stay stable)", { p in p.vms["aaa"] = try Self.vm(200, groups: ["admin"]) }))
        steps.append(("nothing changes", { _ in }))
        steps.append(("several VMs leave and join at once", { p in
            p.vms["vm1"] = nil; p.vms["vm2"] = nil
            p.vms["vm300"] = try Self.vm(300, groups: ["db", "web"])
        }))

        let first = try incremental.enforce(policy)
        #expect(first.mode == .full)
        for (what, change) in steps {
            try change(&policy)
            let outcome = try incremental.enforce(policy)
            if what == "nothing changes" {
                #expect(outcome.mode == .unchanged, "\(what)")
            } else {
                #expect(outcome.mode == .delta, "\(what): \(outcome.reason ?? "")")
                #expect(outcome.commands < outcome.ruleset.text.split(separator: "\n").count / 2, "\(what): a delta is small")
            }
            try whole.apply(outcome.ruleset.text)
            let a = try Self.normalized(NftApplier(namespace: ns.incremental))
            let b = try Self.normalized(whole)
            #expect(a == b, "\(what): \(Set(a).symmetricDifference(b).sorted().prefix(6))")
        }
    }

    @Test("which VMs count as changed: the member, and the VMs whose rules name its group")
    func changedVMsFollowRemoteGroups() throws {
        var policy = NetworkPolicy()
        policy.groups["admin"] = try Self.group(1)
        policy.groups["web"] = try Self.group(2, remote: "admin")
        policy.groups["db"] = try Self.group(3)
        policy.vms["bastion"] = try Self.vm(1, groups: ["admin"])
        policy.vms["web1"] = try Self.vm(2, groups: ["web"])
        policy.vms["db1"] = try Self.vm(3, groups: ["db"])
        let old = try RulesetCompiler.compile(policy)
        policy.vms["bastion2"] = try Self.vm(4, groups: ["admin"])
        let new = try RulesetCompiler.compile(policy, previous: old)
        #expect(RulesetCompiler.changedVMs(from: old, to: new) == ["bastion2", "web1"])
        #expect(new.vmIDs["bastion"] == old.vmIDs["bastion"] && new.vmIDs["web1"] == old.vmIDs["web1"])
        #expect(new.vmIDs["bastion2"] == 4)
    }

    @Test("a refused delta falls back to a whole replacement")
    func refusedDeltaFallsBack() throws {
        let ns = Namespaces()
        let applier = NftApplier(namespace: ns.incremental)
        let enforcer = PolicyEnforcer(applier: applier, flusher: nil)
        var policy = NetworkPolicy()
        policy.groups["web"] = try Self.group(2)
        for i in 0..<3 { policy.vms["vm\(i)"] = try Self.vm(i, groups: ["web"]) }
        _ = try enforcer.enforce(policy)
        // Someone deletes an element the delta will try to delete: the kernel refuses the batch.
        _ = try applier.nft(["delete", "element", "bridge", "hyperward", "port_mark", "{ \"dv2\" }"], input: nil)
        policy.vms["vm2"] = nil
        let outcome = try enforcer.enforce(policy)
        #expect(outcome.mode == .full)
        #expect(outcome.reason?.contains("refused") == true)
        // Tables deleted behind Hyperward's back: the next check (nothing changed) notices them
        // missing, and a change is refused by the kernel; either way the whole ruleset returns.
        _ = try applier.nft(["delete", "table", "inet", "hyperward"], input: nil)
        let repaired = try enforcer.enforce(policy)
        #expect(repaired.mode == .full)
        #expect(repaired.reason?.contains("missing") == true)
        #expect(try applier.nft(["list", "tables"], input: nil).contains("table inet hyperward"))
        _ = try applier.nft(["delete", "table", "bridge", "hyperward"], input: nil)
        policy.vms["vm7"] = try Self.vm(7, groups: ["web"])
        let changed = try enforcer.enforce(policy)
        #expect(changed.mode == .full)
        #expect(try applier.nft(["list", "tables"], input: nil).contains("table bridge hyperward"))
    }
}
