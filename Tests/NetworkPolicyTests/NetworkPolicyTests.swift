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

enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
}

@Suite("Network policy parsing")
struct PolicyParserTests {
    @Test func acceptsTheDocumentedShape() throws {
        let text = try String(contentsOf: Paths.packageRoot.appendingPathComponent("examples/policy.yaml"), encoding: .utf8)
        let policy = try NetworkPolicy.parse(text, file: "policy.yaml")
        #expect(policy.groups.keys.sorted() == ["admin", "web"])
        let web = try #require(policy.groups["web"])
        #expect(web.ingress.count == 4)
        #expect(web.ingress[1].ports == [8000...8100])
        #expect(web.ingress[1].networks.map(\.description) == ["10.0.0.0/8"])
        #expect(web.ingress[2].group == "admin")
        #expect(web.egress?.first?.proto == .any)
        #expect(policy.groups["admin"]?.egress == nil)
        let web1 = try #require(policy.vms["web1"])
        #expect(web1.interfaces.first?.device == "vnet3")
        #expect(web1.interfaces.first?.mac.description == "52:54:00:aa:00:01")
        #expect(web1.interfaces.first?.ipv6.first?.addressText == "fd00::11")
    }

    @Test(arguments: [
        ("groups:\n  web:\n    ingress:\n      - { proto: tcp, ports: [70000] }\n", "p.yaml:4:31", "out of range"),
        ("groups:\n  web:\n    ingress:\n      - { proto: tcp, ports: [22], from_group: nobody }\n", "p.yaml:4:48", "unknown group 'nobody'"),
        ("groups:\n  web:\n    ingress:\n      - { proto: tcp, from: [10.0.0.300/8] }\n", "p.yaml:4:30", "not a valid"),
        ("groups:\n  web:\n    ingress:\n      - { proto: tcp, from: [10.1.2.3/8] }\n", "p.yaml:4:30", "host bits"),
        ("vms:\n  a:\n    interfaces:\n      - { device: vnet1, mac: \"52:54:00:zz:00:01\" }\n", "p.yaml:4:31", "six hex bytes"),
        ("vms:\n  a:\n    interfaces:\n      - { device: vnet1, mac: \"01:00:5e:00:00:01\" }\n", "p.yaml:4:31", "multicast"),
        ("vms:\n  a: {}\n  a: {}\n", "p.yaml:2:3", "duplicate"),
        ("vms:\n  a:\n    groups: [ghost]\n", "p.yaml:3:14", "unknown group 'ghost'"),
        ("groups:\n  web:\n    ingres: []\n", "p.yaml:3:5", "unknown key 'ingres'"),
        ("groups:\n  web:\n    ingress:\n      - { proto: icmp, ports: [1] }\n", "p.yaml:4:9", "only apply to tcp and udp"),
        ("groups:\n  web:\n    ingress:\n      - { proto: sctp }\n", "p.yaml:4:18", "not one of"),
        ("groups:\n  web:\n    ingress:\n      - { proto: tcp, ports: [\"90-80\"] }\n", "p.yaml:4:31", "reversed"),
        ("vms:\n  a:\n    interfaces:\n      - { device: \"this-name-is-too-long\", mac: \"52:54:00:00:00:01\" }\n", "p.yaml:4:19", "not a valid interface name"),
        ("vms:\n  a:\n    interfaces:\n      - { device: v1, mac: \"52:54:00:00:00:01\", ipv4: [\"fd00::1\"] }\n", "p.yaml:4:56", "not an IPv4"),
        ("vms:\n  a:\n    interfaces: [{ device: v1, mac: \"52:54:00:00:00:01\" }]\n  b:\n    interfaces: [{ device: v1, mac: \"52:54:00:00:00:02\" }]\n", "p.yaml:5:5", "already used"),
    ])
    func errorsPointAtFileLineColumn(text: String, location: String, reason: String) {
        do {
            _ = try NetworkPolicy.parse(text, file: "p.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.hasPrefix(location + ":"), "\(error.description)")
            #expect(error.description.contains(reason), "\(error.description)")
        }
    }

    @Test func hostileInputIsAnErrorNotACrash() {
        let inputs = ["\u{0}\u{1}\u{2}", "[[[[[[[[", "groups: !!binary AAAA", String(repeating: "- ", count: 5000), "vms: 3", "groups: [1, 2]"]
        for input in inputs {
            #expect(throws: HyperwardError.self) { try NetworkPolicy.parse(input, file: "p.yaml") }
        }
        #expect((try? NetworkPolicy.parse("", file: "p.yaml")) == NetworkPolicy())
    }
}

@Suite("Ruleset compiler")
struct RulesetCompilerTests {
    static func example() throws -> NetworkPolicy {
        let text = try String(contentsOf: Paths.packageRoot.appendingPathComponent("examples/policy.yaml"), encoding: .utf8)
        return try NetworkPolicy.parse(text, file: "policy.yaml")
    }

    /// Golden file: review changes to generated nft text in diffs. Regenerate with
    /// `HYPERWARD_UPDATE_GOLDEN=1 swift test --filter RulesetCompiler`.
    @Test func matchesTheGoldenFile() throws {
        let ruleset = try RulesetCompiler.compile(try Self.example())
        let url = Paths.golden.appendingPathComponent("example-policy.nft")
        if ProcessInfo.processInfo.environment["HYPERWARD_UPDATE_GOLDEN"] == "1" {
            try Data(ruleset.text.utf8).write(to: url)
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(ruleset.text == golden)
    }

    /// Rule comments carry the policy file's name: a CR LF (one `Character`), a lone CR or a quote
    /// in it must not end or break the quoted comment (found by the `network-policy` fuzz target).
    @Test(arguments: ["net\r\npolicy.yaml", "net\rpolicy.yaml", "net\"policy\\.yaml", "net\u{2028}policy.yaml"])
    func commentsDropLineEndsAndQuotesOfTheFileName(_ file: String) throws {
        let text = try String(contentsOf: Paths.packageRoot.appendingPathComponent("examples/policy.yaml"), encoding: .utf8)
        let ruleset = try RulesetCompiler.compile(try NetworkPolicy.parse(text, file: file))
        #expect(ruleset.text.contains("comment \"web (netpolicy.yaml:"))
        #expect(!ruleset.text.unicodeScalars.contains { $0 == "\r" || $0 == "\u{2028}" })
        for line in ruleset.text.split(separator: "\n") {
            #expect(line.filter { $0 == "\"" }.count.isMultiple(of: 2), "\(line)")
        }
    }

    @Test func isDeterministic() throws {
        let policy = try Self.example()
        #expect(try RulesetCompiler.compile(policy).text == RulesetCompiler.compile(policy).text)
    }

    @Test func numbersVMsAndMapsTheirPorts() throws {
        let ruleset = try RulesetCompiler.compile(try Self.example())
        #expect(ruleset.vmIDs == ["bastion": 1, "web1": 2])
        #expect(ruleset.devices == ["vnet3": "web1", "vnet4": "bastion"])
        #expect(ruleset.text.contains("\"vnet3\" : 0x00000002"))
        #expect(ruleset.text.contains("\"vnet3\" : jump to_vm2"))
        #expect(ruleset.text.contains("\"vnet3\" . 52:54:00:aa:00:01 . 192.168.122.11"))
        // The default link-local address of the MAC is allowed as an IPv6 source and ND target.
        #expect(ruleset.text.contains("\"vnet3\" . 52:54:00:aa:00:01 . fe80::5054:ff:feaa:1"))
        #expect(ruleset.text.contains("\"vnet3\" . 0xfe80000000000000505400fffeaa0001"))
    }

    /// Per-port facts are elements of shared sets, not per-port sets (sets are the costly kernel
    /// objects): the number of named sets does not grow with the number of VMs.
    @Test func namedSetsDoNotGrowWithVMs() throws {
        func policy(_ n: Int) throws -> NetworkPolicy {
            var text = "groups:\n  g:\n    ingress: [{ proto: tcp, ports: [22] }]\nvms:\n"
            for i in 0..<n {
                text += "  vm\(i):\n    groups: [g]\n    interfaces: [{ device: t\(i), mac: \"52:54:00:00:01:\(String(format: "%02x", i))\", ipv4: [10.0.1.\(i + 1)] }]\n"
            }
            return try NetworkPolicy.parse(text, file: "p.yaml")
        }
        func sets(_ text: String) -> Int { text.components(separatedBy: "\tset ").count - 1 }
        #expect(sets(try RulesetCompiler.compile(try policy(1)).text) == sets(try RulesetCompiler.compile(try policy(50)).text))
    }

    @Test func egressOmittedMeansNoEgressChain() throws {
        let policy = try NetworkPolicy.parse("groups:\n  g: { ingress: [] }\nvms:\n  a:\n    groups: [g]\n    interfaces: [{ device: v1, mac: \"52:54:00:00:00:01\" }]\n", file: "p.yaml")
        let text = try RulesetCompiler.compile(policy).text
        #expect(!text.contains("chain out_vm1"))
        #expect(text.contains("chain in_vm1"))
    }

    @Test func linkLocalFollowsEUI64() throws {
        let mac = try MACAddress(parsing: "52:54:00:12:34:56")
        #expect(IPNetwork.linkLocal(for: mac).addressText == "fe80::5054:ff:fe12:3456")
    }

    /// Port rules become elements of interval sets, which refuse overlapping elements: covered
    /// ranges are left out and partly overlapping ones stay rules. Oracle: the kernel loads random
    /// policies full of overlaps (the whole transaction, applied in a scratch namespace).
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft"), "needs root and nft"))
    func overlappingPortRulesLoad() throws {
        let ns = "hw-ovl-\(UInt32.random(in: 0...UInt32.max))"
        #expect(HostCommand.run(["/usr/sbin/ip", "netns", "add", ns]).status == 0)
        defer { _ = HostCommand.run(["/usr/sbin/ip", "netns", "del", ns]) }
        var generator = SystemRandomNumberGenerator()
        let networks = ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3", "192.168.0.0/16", "fd00::/8", "fd00:1::/32", "fd00:1::5"]
        var policy = NetworkPolicy()
        for vm in 0..<40 {
            var rules: [Rule] = []
            for _ in 0..<Int.random(in: 1...12, using: &generator) {
                let low = Int.random(in: 0...40, using: &generator) * 5
                let ports = Bool.random(using: &generator) ? [] : [low...(low + Int.random(in: 0...30, using: &generator))]
                let from = Bool.random(using: &generator) ? [] : [try IPNetwork(parsing: networks.randomElement(using: &generator) ?? "10.0.0.0/8")]
                rules.append(Rule(proto: Bool.random(using: &generator) ? .tcp : .udp, ports: ports, networks: from))
            }
            policy.groups["g\(vm)"] = SecurityGroup(ingress: rules, egress: rules)
            policy.vms["vm\(vm)"] = VMBinding(groups: ["g\(vm)"], interfaces: [
                VMInterface(device: "ovl\(vm)", mac: try MACAddress(parsing: String(format: "52:54:00:00:01:%02x", vm)))])
        }
        let ruleset = try RulesetCompiler.compile(policy)
        try NftApplier(namespace: ns).apply(ruleset.text)
        #expect(ruleset.text.contains("@in4 accept"))
    }

    /// Oracle: the kernel's own parser accepts the generated text (`nft -c` in a scratch namespace).
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft"), "needs root and nft"))
    func nftAcceptsTheGeneratedRuleset() throws {
        let ns = "hw-nftc-\(UInt32.random(in: 0...UInt32.max))"
        #expect(HostCommand.run(["/usr/sbin/ip", "netns", "add", ns]).status == 0)
        defer { _ = HostCommand.run(["/usr/sbin/ip", "netns", "del", ns]) }
        let ruleset = try RulesetCompiler.compile(try Self.example())
        try NftApplier(namespace: ns).check(ruleset.text)
        // A broken ruleset is refused with nft's own message.
        #expect(throws: HyperwardError.self) { try NftApplier(namespace: ns).check(ruleset.text + "\ntable inet hyperward { chain x { jump nowhere } }\n") }
    }
}
