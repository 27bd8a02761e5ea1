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
import Synchronization
import Testing

@testable import NetworkPolicy

#if canImport(Glibc)
import Glibc
#endif

private let rootAndNft = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")

/// A scratch network namespace, deleted at the end.
private final class ScratchNamespace {
    let name = "hw-hostile-\(UInt32.random(in: 0...UInt32.max))"
    init() throws {
        let added = HostCommand.run(["/usr/sbin/ip", "netns", "add", name])
        try #require(added.status == 0, "ip netns add: \(added.stderr)")
    }
    deinit { _ = HostCommand.run(["/usr/sbin/ip", "netns", "del", name]) }

    /// Creates an interface (one end of a veth pair: a stand-in for a running VM's tap).
    func addInterface(_ device: String) throws {
        let added = HostCommand.run(["/usr/sbin/ip", "-n", name, "link", "add", device, "type", "veth", "peer", "name", device + "p"])
        try #require(added.status == 0, "ip link add: \(added.stderr)")
    }
}

@Suite("Overlapping address bindings")
struct AddressBindingTests {
    static let twoVMs = """
        vms:
          a:
            interfaces:
              - { device: v1, mac: "52:54:00:00:00:01", ipv4: [10.0.0.1], ipv6: ["fd00::1"] }
          b:
            interfaces:
        %@
        """

    /// The second VM's interface (and pairs) against the first's: each row is what `b` declares,
    /// where the error points, and what it must say. Both VMs are named, and the other place.
    @Test(arguments: [
        ("      - { device: v2, mac: \"52:54:00:00:00:01\" }", "p.yaml:7:28", "MAC 52:54:00:00:00:01 of VM b (interface v2) is already bound to VM a (interface v1, p.yaml:4:28)"),
        ("      - { device: v2, mac: \"52:54:00:00:00:02\", ipv4: [10.0.0.1] }", "p.yaml:7:56", "address 10.0.0.1 of VM b (interface v2) is already bound to VM a (interface v1, p.yaml:4:56)"),
        ("      - { device: v2, mac: \"52:54:00:00:00:02\", ipv6: [\"fd00:0::1\"] }", "p.yaml:7:56", "address fd00::1 of VM b (interface v2) is already bound to VM a (interface v1, p.yaml:4:74)"),
        ("      - { device: v2, mac: \"52:54:00:00:00:02\", ipv6: [\"fe80::5054:ff:fe00:1\"] }", "p.yaml:7:56", "address fe80::5054:ff:fe00:1 of VM b (interface v2) is already bound to VM a (interface v1 (the link-local address of its MAC), p.yaml:4:28)"),
        ("      - { device: v2, mac: \"52:54:00:00:00:02\" }\n    allowed_pairs: [{ ip: 10.0.0.1 }]", "p.yaml:8:27", "address 10.0.0.1 of VM b (allowed_pairs) is already bound to VM a (interface v1, p.yaml:4:56)"),
        ("      - { device: v2, mac: \"52:54:00:00:00:02\" }\n    allowed_pairs: [{ mac: \"52:54:00:00:00:01\", ip: 10.9.9.9 }]", "p.yaml:8:28", "MAC 52:54:00:00:00:01 of VM b (allowed_pairs) is already bound to VM a (interface v1, p.yaml:4:28)"),
        // Without a device: a libvirt domain's interface named by MAC.
        ("      - { mac: \"52:54:00:00:00:01\" }", "p.yaml:7:16", "MAC 52:54:00:00:00:01 of VM b (interface 52:54:00:00:00:01) is already bound to VM a"),
    ])
    func overlapsAreAnErrorNamingBothPlaces(b: String, location: String, message: String) {
        let text = Self.twoVMs.replacingOccurrences(of: "%@", with: b)
        do {
            let policy = try NetworkPolicy.parse(text, file: "p.yaml")
            Issue.record("accepted: \(policy)")
        } catch {
            #expect(error.description.hasPrefix(location + ": "), "\(error.description)")
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    /// Many VMs sharing one allowed pair is fine, and one VM owning it breaks it for all.
    @Test func aSharedPairThatOneVMOwnsIsRefused() throws {
        var policy = NetworkPolicy()
        let vip = try IPNetwork(address: "10.0.0.254")
        for i in 0..<3000 {
            policy.vms["r\(i)"] = VMBinding(interfaces: [VMInterface(device: "t\(i)", mac: try MACAddress(parsing: String(format: "52:54:00:00:%02x:%02x", i / 256, i % 256)))],
                                           allowedPairs: [AddressPair(mac: nil, address: vip)])
        }
        _ = try RulesetCompiler.compile(policy)
        policy.vms["r1500"]?.interfaces[0].ipv4 = [vip]
        #expect(throws: HyperwardError.self) { _ = try RulesetCompiler.compile(policy) }
    }

    @Test func vmsMayShareAnAllowedPairLikeAVRRPAddress() throws {
        let text = """
            vms:
              r1:
                interfaces: [{ device: v1, mac: "52:54:00:00:00:01", ipv4: [10.0.0.1] }]
                allowed_pairs: [{ mac: "00:00:5e:00:01:01", ip: 10.0.0.254 }]
              r2:
                interfaces: [{ device: v2, mac: "52:54:00:00:00:02", ipv4: [10.0.0.2] }]
                allowed_pairs: [{ mac: "00:00:5e:00:01:01", ip: 10.0.0.254 }]
            """
        let policy = try NetworkPolicy.parse(text, file: "p.yaml")
        _ = try RulesetCompiler.compile(policy)
    }

    /// Bindings libvirt filled in (the parser never saw them) are checked by the compiler.
    @Test func theCompilerRefusesOverlapsLibvirtIntroduced() throws {
        let mac = try MACAddress(parsing: "52:54:00:00:00:01")
        var policy = NetworkPolicy()
        policy.vms["clone1"] = VMBinding(interfaces: [VMInterface(device: "vnet1", mac: mac, ipv4: [try IPNetwork(address: "192.168.122.5")])])
        policy.vms["clone2"] = VMBinding(interfaces: [VMInterface(device: "vnet2", mac: mac)])
        #expect {
            _ = try RulesetCompiler.compile(policy)
        } throws: { error in
            "\(error)".contains("MAC 52:54:00:00:00:01 of VM clone2 (interface vnet2) is already bound to VM clone1 (interface vnet1)")
        }
    }
}

@Suite("Hostile names in messages")
struct TerminalSafeTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("café ünïcode", "café ünïcode"),
        ("\u{1B}[31mred", "\\u{1B}[31mred"),
        ("bell\u{07}", "bell\\u{7}"),
        ("a\nb\r\nc", "a\\u{A}b\\u{D}\\u{A}c"),
        ("evil\u{202E}txt.exe", "evil\\u{202E}txt.exe"),
        ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
        ("c1\u{9B}31m", "c1\\u{9B}31m"),
        ("del\u{7F}", "del\\u{7F}"),
    ])
    func controlAndBidiCharactersAreEscaped(input: String, expected: String) {
        #expect(input.terminalSafe == expected)
    }

    @Test(arguments: [
        "groups:\n  \"web\\e[2J\\a\": {}\n",
        "groups:\n  \"web\\u202Egnp\": {}\n",
        "vms:\n  \"db\\nFAKE: all clear\": {}\n",
        "groups:\n  web:\n    \"ingress\\e]0;owned\\a\": []\n",
        "groups:\n  web:\n    ingress:\n      - { proto: \"tcp\\e[1m\" }\n",
        "vms:\n  a:\n    interfaces: [{ device: \"tap\\u202E0\", mac: \"52:54:00:00:00:01\" }]\n",
    ])
    func policyErrorsNeverCarryRawControlCharacters(text: String) {
        do {
            _ = try NetworkPolicy.parse(text, file: "p.yaml")
            Issue.record("accepted: \(text.debugDescription)")
        } catch {
            let message = error.description
            #expect(message.terminalSafe == message, "nothing left to escape: \(message.debugDescription)")
            #expect(message.contains("\\u{"), "the character is shown escaped: \(message)")
        }
    }
}

@Suite("Ruleset compiler at scale")
struct CompilerScaleTests {
    /// The allow-set placement as it was (a scan of every element per box): the reference the
    /// indexed one must match element for element, leftover for leftover.
    struct Reference {
        var buckets: [[RulesetCompiler.AllowTable.Box]] = [[], [], [], []]
        mutating func add(_ rule: Rule, group: String) -> [RulesetCompiler.AllowTable.Box] {
            let networks = rule.networks.isEmpty ? [IPNetwork.everything(.ipv4), IPNetwork.everything(.ipv6)] : rule.networks
            var leftovers: [RulesetCompiler.AllowTable.Box] = []
            for network in networks {
                for range in rule.ports.isEmpty ? [0...65535] : RulesetCompiler.coalesced(rule.ports) {
                    let box = RulesetCompiler.AllowTable.Box(network: network, proto: rule.proto, ports: range, comment: RulesetCompiler.quote(group))
                    let index = (network.family == .ipv4 ? 0 : 2) + (rule.proto == .tcp ? 0 : 1)
                    if buckets[index].contains(where: { $0.covers(box) }) { continue }
                    if buckets[index].contains(where: { box.overlaps($0) && !box.covers($0) }) { leftovers.append(box); continue }
                    buckets[index].removeAll { box.covers($0) }
                    buckets[index].append(box)
                }
            }
            return leftovers
        }
    }

    /// The index from the first element, from the fourth (built half-way through a table), and
    /// the default (most tables small enough to be scanned).
    @Test(arguments: [0, 3, 32])
    func indexedPlacementMatchesTheScan(indexFrom: Int) throws {
        let networks = ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3", "10.1.2.4", "0.0.0.0/0", "192.168.0.0/16",
                        "fd00::/8", "fd00:1::/32", "fd00:1::5", "::/0"].map { try! IPNetwork(parsing: $0) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var table = RulesetCompiler.AllowTable()
            for i in table.buckets.indices { table.buckets[i].indexFrom = indexFrom }
            var reference = Reference()
            for r in 0..<Int.random(in: 1...15, using: &generator) {
                var ports: [ClosedRange<Int>] = []
                for _ in 0..<Int.random(in: 0...6, using: &generator) {
                    let low = Int.random(in: 0...40, using: &generator) * 5
                    ports.append(low...(low + Int.random(in: 0...30, using: &generator)))
                }
                let from = (0..<Int.random(in: 0...3, using: &generator)).map { _ in networks.randomElement(using: &generator)! }
                let rule = Rule(proto: Bool.random(using: &generator) ? .tcp : .udp, ports: ports, networks: from)
                let lines = table.add(rule, direction: .ingress, verdict: "accept", group: "g\(r)")
                let expected = reference.add(rule, group: "g\(r)")
                #expect(lines.split(separator: "\n").count == expected.count)
            }
            for family in [IPNetwork.Family.ipv4, .ipv6] {
                let got = table.elements(family: family, mark: "m")
                let want = (family == .ipv4 ? reference.buckets[0] + reference.buckets[1] : reference.buckets[2] + reference.buckets[3]).map { "m . \($0.element)" }
                #expect(got == want)
            }
        }
    }

    @Test func aRuleListsAtMostOneEntryPerPort() {
        let text = "groups:\n  g:\n    ingress:\n      - { proto: tcp, ports: [" + Array(repeating: "80", count: 65536).joined(separator: ", ") + "] }\n"
        #expect {
            _ = try NetworkPolicy.parse(text, file: "p.yaml")
        } throws: { error in
            "\(error)".hasPrefix("p.yaml:4:30: ports lists 65536 entries; at most 65535")
        }
    }

    /// One rule with every port: quadratic placement took minutes here; the limit fails that.
    /// Oracle: nft's own parser and the kernel accept the result (`nft -c` in a scratch namespace).
    @Test(.timeLimit(.minutes(1)))
    func aRuleWithEveryPortCompilesAndLoads() throws {
        let ports = (1...65535).map { "\($0)" }.joined(separator: ", ")
        let text = """
            groups:
              wide:
                ingress:
                  - { proto: tcp, ports: [\(ports)], from: [10.0.0.0/8] }
                  - { proto: udp, ports: [\(ports)] }
            vms:
              a:
                groups: [wide]
                interfaces: [{ device: v1, mac: "52:54:00:00:00:01", ipv4: [10.0.0.1] }]
            """
        let policy = try NetworkPolicy.parse(text, file: "wide.yaml")
        #expect(policy.groups["wide"]?.ingress.first?.ports.count == 65535)
        let ruleset = try RulesetCompiler.compile(policy)
        // Adjacent ports are one range: nft loads 65,535 single-port elements in minutes.
        #expect(ruleset.text.contains("elements = { 0x00010000 . 10.0.0.0/8 . tcp . 1-65535 comment"))
        #expect(ruleset.text.contains("0x00010000 . ::/0 . udp . 1-65535 comment"))
        // Every other port cannot be joined: 32,768 elements, still placed in linear time.
        let odd = (0..<32768).map { "\(2 * $0 + 1)" }.joined(separator: ", ")
        let sparse = try RulesetCompiler.compile(try NetworkPolicy.parse(text.replacingOccurrences(of: ports, with: odd), file: "odd.yaml"))
        #expect(sparse.text.contains("0x00010000 . 10.0.0.0/8 . tcp . 65535 comment"))
        #expect(sparse.text.components(separatedBy: " . tcp . ").count - 1 == 32768)
        guard rootAndNft else { return }
        let namespace = try ScratchNamespace()
        try NftApplier(namespace: namespace.name).check(ruleset.text)
    }
}

/// A kernel stand-in: Hyperward's `ports` set and the interfaces that exist.
private final class FakeKernel: RulesetApplier, Sendable {
    struct State { var ports: [String] = []; var interfaces: Set<String>? = []; var applied: [String] = [] }
    let state = Mutex(State())

    init(ports: [String], interfaces: Set<String>?) {
        state.withLock { $0.ports = ports; $0.interfaces = interfaces }
    }

    func check(_ ruleset: String) throws(HyperwardError) {}
    func apply(_ ruleset: String) throws(HyperwardError) {
        state.withLock { state in
            state.applied.append(ruleset)
            if let table = ruleset.range(of: "table bridge hyperward {\n"), let set = ruleset[table.upperBound...].range(of: "\tset ports {") {
                let body = ruleset[set.upperBound...].prefix { $0 != "}" }
                state.ports = body.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            } else {
                state.ports = []
            }
        }
    }
    func nft(_ arguments: [String], input: String?) throws(HyperwardError) -> String {
        guard arguments == ["list", "set", "bridge", Ruleset.bridgeTable, "ports"] else { return "" }
        let ports = state.withLock { $0.ports }
        if ports.isEmpty { return "table bridge hyperward {\n\tset ports {\n\t\ttype ifname\n\t}\n}\n" }
        return "table bridge hyperward {\n\tset ports {\n\t\ttype ifname\n\t\telements = { " + ports.map { "\"\($0)\"" }.joined(separator: ", ") + " }\n\t}\n}\n"
    }
    func interfaceNames() throws(HyperwardError) -> Set<String>? { state.withLock { $0.interfaces } }
}

@Suite("Refusing to unprotect every running VM")
struct ProtectionLossTests {
    static func policy(_ vms: [String: String]) throws -> NetworkPolicy {
        var policy = NetworkPolicy()
        for (index, (name, device)) in vms.sorted(by: { $0.key < $1.key }).enumerated() {
            policy.vms[name] = VMBinding(interfaces: [VMInterface(device: device, mac: try MACAddress(parsing: String(format: "52:54:00:00:00:%02x", index + 1)))])
        }
        return policy
    }

    @Test func aPolicyThatFiltersNoRunningVMIsRefusedAndNothingApplied() throws {
        let kernel = FakeKernel(ports: ["vnet1", "vnet2"], interfaces: ["lo", "vnet1", "vnet2"])
        let enforcer = PolicyEnforcer(applier: kernel, flusher: nil)
        #expect {
            _ = try enforcer.enforce(NetworkPolicy())
        } throws: { error in
            (error as? HyperwardError)?.code == .wouldUnprotect && "\(error)".contains("vnet1, vnet2")
        }
        // A policy naming only a VM whose tap does not exist (a typo, a stopped VM) is no better.
        #expect(throws: HyperwardError.self) { _ = try enforcer.enforce(try Self.policy(["ghost": "vnet9"])) }
        #expect(kernel.state.withLock { $0.applied.isEmpty }, "nothing was sent to the kernel")
        #expect(enforcer.current == nil)
    }

    @Test func theOptOutAppliesWithAWarning() throws {
        let kernel = FakeKernel(ports: ["vnet1"], interfaces: ["vnet1"])
        let outcome = try PolicyEnforcer(applier: kernel, flusher: nil).enforce(NetworkPolicy(), allowUnprotecting: true)
        #expect(outcome.warnings.contains { $0.contains("vnet1") && $0.contains("no longer filtered") }, "\(outcome.warnings)")
        #expect(kernel.state.withLock { $0.ports.isEmpty })
    }

    @Test func nothingLostMeansNoRefusal() throws {
        // The filtered ports' VMs are gone (their taps deleted): nothing running loses protection.
        let gone = FakeKernel(ports: ["vnet1"], interfaces: ["lo"])
        _ = try PolicyEnforcer(applier: gone, flusher: nil).enforce(NetworkPolicy())
        // A fresh host: nothing filtered yet.
        _ = try PolicyEnforcer(applier: FakeKernel(ports: [], interfaces: ["vnet1"]), flusher: nil).enforce(try Self.policy(["a": "vnet7"]))
        // Some running VM stays filtered: a partial change is the operator's to make.
        let some = FakeKernel(ports: ["vnet1", "vnet2"], interfaces: ["vnet1", "vnet2"])
        _ = try PolicyEnforcer(applier: some, flusher: nil).enforce(try Self.policy(["b": "vnet2"]))
        #expect(some.state.withLock { $0.ports } == ["vnet2"])
    }

    /// Oracle: the kernel. A namespace "VM" (a veth standing in for its tap) is filtered; an empty policy is refused
    /// and the kernel's set still holds the port.
    @Test(.enabled(if: rootAndNft, "needs root and nft"))
    func theRealKernelKeepsItsRulesWhenRefused() throws {
        let namespace = try ScratchNamespace()
        try namespace.addInterface("hwtap0")
        let applier = NftApplier(namespace: namespace.name)
        _ = try PolicyEnforcer(applier: applier, flusher: nil).enforce(try Self.policy(["web": "hwtap0"]))
        #expect(try applier.interfaceNames()?.contains("hwtap0") == true)
        let before = try applier.nft(["list", "set", "bridge", Ruleset.bridgeTable, "ports"], input: nil)
        #expect(before.contains("\"hwtap0\""))
        #expect(throws: HyperwardError.self) { _ = try PolicyEnforcer(applier: applier, flusher: nil).enforce(try Self.policy(["typo": "hwtap9"])) }
        #expect(try applier.nft(["list", "set", "bridge", Ruleset.bridgeTable, "ports"], input: nil) == before)
    }
}

@Suite("Network namespaces and child processes")
struct NamespaceTests {
    @Test func aMissingNamespaceIsAClearErrorBeforeAnyChildRuns() {
        let name = "hw-no-such-\(UInt32.random(in: 0...UInt32.max))"
        #expect {
            try NftApplier(namespace: name).apply("table inet x {}\n")
        } throws: { error in
            "\(error)" == "no network namespace \(name) (ip netns list shows those that exist)"
        }
        #expect(throws: HyperwardError.self) { try NftApplier(namespace: "../../etc").check("") }
        #expect(throws: HyperwardError.self) { try NftApplier(namespace: "").check("") }
        #expect(ConntrackFlusher(namespace: name).flush(addresses: [try! IPNetwork(address: "10.0.0.1")]) == 0)
    }

    /// A child that exits without reading its input: writing to it must fail quietly (EPIPE), not
    /// trap. The test process ignores SIGPIPE, as the `hyperward` executable does, so only the
    /// write's own error handling is under test.
    @Test func writingToAChildThatExitedIsNotACrash() {
        signal(SIGPIPE, SIG_IGN)
        let input = String(repeating: "add element inet hyperward x { 10.0.0.1 }\n", count: 50_000)
        for _ in 0..<20 {
            let result = HostCommand.run(["/bin/true"], input: input)
            #expect(result.status == 0)
        }
    }
}

@Suite("IPS blocklist input")
struct BlocklistInputTests {
    @Test(arguments: [
        ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("127.0.0.1", "loopback"), ("127.1.2.3", "loopback"), ("::1", "loopback"),
        ("255.255.255.255", "broadcast"), ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
        ("::ffff:192.0.2.1", "IPv4-mapped"),
    ])
    func addressesThatAreNeverASourceAreRefused(address: String, reason: String) throws {
        let refusal = try #require(Blocklist.refusal(for: try IPNetwork(address: address)))
        #expect(refusal.contains(reason), "\(refusal)")
        #expect(throws: HyperwardError.self) { _ = try Blocklist(applier: FakeKernel(ports: [], interfaces: nil)).block(address, seconds: 60) }
    }

    @Test(arguments: ["203.0.113.9", "10.0.0.1", "169.254.1.1", "2001:db8::1", "fe80::1", "192.168.1.255"])
    func ordinarySourcesAreAccepted(address: String) throws {
        #expect(Blocklist.refusal(for: try IPNetwork(address: address)) == nil)
    }

    @Test(.enabled(if: rootAndNft, "needs root and nft"))
    func unblockingWhatIsNotBlockedSaysSo() throws {
        let namespace = try ScratchNamespace()
        let blocklist = Blocklist(applier: NftApplier(namespace: namespace.name))
        #expect(try blocklist.unblock("203.0.113.9") == false, "no IPS table yet")
        try blocklist.prepare()
        #expect(try blocklist.unblock("203.0.113.9") == false, "not in the set")
        _ = try blocklist.block("203.0.113.9", seconds: 60)
        #expect(try blocklist.unblock("203.0.113.9") == true)
        #expect(try blocklist.unblock("203.0.113.9") == false)
    }
}
