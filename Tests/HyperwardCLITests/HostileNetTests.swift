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
import HyperwardHost
import Testing

/// `hyperward net` under misuse: every mistake is a clear message and a documented exit code,
/// never a crash and never a silent acceptance.
@Suite("hyperward net under misuse", .serialized)
struct HostileNetTests {
    static let example = CLI.packageRoot.appendingPathComponent("examples/policy.yaml").path
    static let rootAndNft = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")

    /// A scratch network namespace with a veth interface standing in for a running VM's tap.
    final class Namespace {
        let name = "hw-cli-ns-\(UInt32.random(in: 0...UInt32.max))"
        init(tap: String) throws {
            try #require(try CLI.shell("ip netns add \(name) && ip -n \(name) link add \(tap) type veth peer name \(tap)p").status == 0)
        }
        deinit { _ = try? CLI.shell("ip netns del \(name)") }
    }

    /// A row: arguments, the exit code, a fragment of stderr (or of stdout when exit 0).
    typealias Row = (arguments: [String], status: Int32, fragment: String)

    static func check(_ rows: [Row]) throws {
        for row in rows {
            let result = try CLI.run(row.arguments)
            #expect(result.status == row.status, "\(row.arguments): \(result.stderr)")
            let text = row.status == 0 ? result.stdout + result.stderr : result.stderr
            #expect(text.contains(row.fragment), "\(row.arguments): \(text)")
        }
    }

    @Test func overlappingBindingsAreAConfigurationErrorNamingBothPlaces() throws {
        let scratch = Scratch()
        let policy = scratch.write("dup.yaml", """
            vms:
              web1:
                interfaces: [{ device: vnet3, mac: "52:54:00:aa:00:01", ipv4: [192.168.122.11] }]
              web2:
                interfaces: [{ device: vnet4, mac: "52:54:00:aa:00:02", ipv4: [192.168.122.11] }]
              web3:
                interfaces: [{ device: vnet5, mac: "52:54:00:aa:00:01" }]
            """)
        try Self.check([
            (["net", "compile", "--policy", policy], 78,
             "dup.yaml:5:68: address 192.168.122.11 of VM web2 (interface vnet4) is already bound to VM web1 (interface vnet3, \(policy):3:68)"),
            (["net", "apply", "--dry-run", "--policy", policy], 78, "already bound to VM web1"),
        ])
    }

    @Test func explainRefusesQuestionsItCannotAnswerHonestly() throws {
        let base = ["net", "explain", "--policy", Self.example]
        try Self.check([
            (base + ["--from", "192.168.122.12", "--to", "192.168.122.11", "--port", "22", "--from-vm", "nosuchvm"], 64, "--from-vm 'nosuchvm' is not a VM of the policy"),
            (base + ["--from", "192.168.122.12", "--to", "fd00::11", "--port", "22"], 64, "--from and --to must be of the same family"),
            (base + ["--from", "fd00::12", "--to", "192.168.122.11", "--port", "22"], 64, "--from and --to must be of the same family"),
            (base + ["--from", "192.168.122.12", "--to", "192.168.122.11", "--proto", "icmp", "--port", "22"], 64, "--port applies only to tcp and udp"),
            (base + ["--from", "fd00::12", "--to", "fd00::11", "--proto", "icmp"], 64, "--proto icmp is IPv4's ICMP; IPv6 uses icmpv6"),
            (base + ["--from", "192.168.122.12", "--to", "192.168.122.11", "--proto", "icmpv6"], 64, "--proto icmpv6 is IPv6's ICMP; IPv4 uses icmp"),
            // What still works.
            (base + ["--from", "192.168.122.12", "--to", "192.168.122.11", "--port", "22"], 0, "ACCEPT at ingress"),
            (base + ["--from", "192.168.122.12", "--to", "192.168.122.11", "--port", "22", "--from-vm", "bastion"], 0, "ACCEPT"),
            (base + ["--from", "192.168.122.12", "--to", "192.168.122.11", "--proto", "icmp"], 0, "ACCEPT"),
        ])
    }

    @Test func blockRefusesAddressesThatAreNeverASource() throws {
        try Self.check([
            (["net", "block", "0.0.0.0"], 64, "cannot block 0.0.0.0: it is the unspecified address"),
            (["net", "block", "::"], 64, "unspecified"),
            (["net", "block", "255.255.255.255"], 64, "broadcast"),
            (["net", "block", "::1"], 64, "cannot block ::1: it is a loopback address"),
            (["net", "block", "127.0.0.53"], 64, "loopback"),
            (["net", "block", "224.0.0.251"], 64, "multicast"),
            (["net", "block", "ff02::1"], 64, "multicast"),
            (["net", "unblock", "::1"], 64, "loopback"),
        ])
    }

    @Test(.enabled(if: rootAndNft, "needs root and nft"))
    func unblockingAnAddressThatIsNotBlockedSaysSo() throws {
        let namespace = try Namespace(tap: "hwtap0")
        try Self.check([
            (["net", "unblock", "203.0.113.9", "--netns", namespace.name], 0, "203.0.113.9 is not blocked; nothing to do"),
            (["net", "block", "203.0.113.9", "--ttl", "10m", "--netns", namespace.name], 0, "blocked 203.0.113.9"),
            (["net", "unblock", "203.0.113.9", "--netns", namespace.name], 0, "unblocked 203.0.113.9"),
            (["net", "unblock", "203.0.113.9", "--netns", namespace.name], 0, "is not blocked"),
        ])
    }

    /// An empty policy, or one whose VMs are none of the running ones, would leave every running
    /// VM unfiltered: refused unless `--allow-empty`. Oracle: the kernel's `ports` set.
    @Test(.enabled(if: rootAndNft, "needs root and nft"))
    func applyRefusesToUnprotectEveryRunningVM() throws {
        let namespace = try Namespace(tap: "hwtap0")
        let scratch = Scratch()
        let good = scratch.write("good.yaml", "vms:\n  web:\n    interfaces: [{ device: hwtap0, mac: \"52:54:00:aa:00:01\", ipv4: [10.0.0.1] }]\n")
        let empty = scratch.write("empty.yaml", "")
        let noVMs = scratch.write("novms.yaml", "groups:\n  web: {}\nvms: {}\n")
        let typo = scratch.write("typo.yaml", "vms:\n  wbe:\n    interfaces: [{ device: hwtap9, mac: \"52:54:00:aa:00:01\", ipv4: [10.0.0.1] }]\n")
        let unknownDomain = scratch.write("unknown.yaml", "vms:\n  hw-no-such-domain-\(UInt16.random(in: 0...9999)): {}\n")
        let ns = ["--netns", namespace.name]
        func ports() throws -> String { try CLI.shell("ip netns exec \(namespace.name) nft list set bridge hyperward ports").stdout }

        try Self.check([(["net", "apply", "--policy", good] + ns, 0, "applied: 1 VMs")])
        let before = try ports()
        #expect(before.contains("\"hwtap0\""))
        try Self.check([
            (["net", "apply", "--policy", empty] + ns, 78, "names no VMs"),
            (["net", "apply", "--policy", noVMs] + ns, 78, "--allow-empty"),
            (["net", "apply", "--policy", typo] + ns, 78, "filters no running VM"),
            (["net", "apply", "--policy", unknownDomain] + ns, 78, "hwtap0"),
        ])
        #expect(try ports() == before, "the kernel still filters the running VM")
        try Self.check([(["net", "apply", "--policy", empty, "--allow-empty"] + ns, 0, "warning: ")])
        #expect(try !ports().contains("hwtap0"), "the explicit opt-out applied")
    }

    /// The agent has no opt-out: an emptied policy file is logged as an error on each re-apply and
    /// the kernel keeps the previous ruleset. Waits for one periodic resync (30 s).
    @Test(.enabled(if: rootAndNft, "needs root and nft"), .timeLimit(.minutes(2)))
    func theAgentKeepsThePreviousRulesetWhenThePolicyEmpties() async throws {
        let namespace = try Namespace(tap: "hwtap0")
        let scratch = Scratch()
        let policy = scratch.write("policy.yaml", "vms:\n  web:\n    interfaces: [{ device: hwtap0, mac: \"52:54:00:aa:00:01\", ipv4: [10.0.0.1] }]\n")
        let config = scratch.write("hyperward.yaml", "network:\n  netns: \(namespace.name)\n")
        let log = scratch.path + "/agent.log"
        let agent = try HostChild([CLI.binary, "agent", "--config", config, "--policy", policy, "--root", scratch.weakHost(),
                                   "--state-dir", scratch.path + "/state", "--interval", "3600"],
                                  stdout: HostChild.nullDevice, stderr: URL(fileURLWithPath: log))
        defer { agent.signal(SIGTERM); agent.wait() }
        func ports() throws -> String { try CLI.shell("ip netns exec \(namespace.name) nft list set bridge hyperward ports").stdout }
        func poll(seconds: Int, _ condition: () throws -> Bool) async throws -> Bool {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                if try condition() { return true }
                try await Task.sleep(for: .milliseconds(200))
            }
            return try condition()
        }
        #expect(try await poll(seconds: 20) { try ports().contains("\"hwtap0\"") }, "the start-up apply filters the tap")
        scratch.write("policy.yaml", "")
        let refused = try await poll(seconds: 60) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("it would leave every running VM unfiltered")
        }
        #expect(refused, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(try ports().contains("\"hwtap0\""), "the previous ruleset is kept")
        // Both are events: the start-up apply and the refusal (once, though the resync retries).
        try await Task.sleep(for: .seconds(1))
        let events = try CLI.run(["events", "--state-dir", scratch.path + "/state", "--kind", "net", "--format", "json"])
        let kinds = events.stdout.split(whereSeparator: \.isNewline).compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["kind"] as? String
        }
        #expect(kinds == ["net.applied", "net.refused"], "\(events.stdout) \(events.stderr)")
        #expect(events.stdout.contains(#""mode":"full""#) && events.stdout.contains(#""would_unprotect":true"#), "\(events.stdout)")
    }

    /// A missing namespace used to kill `net apply` by SIGPIPE (exit 141, no message) in about a
    /// quarter of runs with a large ruleset: the child `ip netns exec` exits before reading it.
    @Test func aMissingNamespaceIsAClearErrorEveryTime() throws {
        let scratch = Scratch()
        var policy = "groups:\n  web:\n    ingress: [{ proto: tcp, ports: [80, 443, \"8000-8100\"] }]\nvms:\n"
        for i in 0..<1500 {
            policy += "  vm\(i):\n    groups: [web]\n    interfaces: [{ device: tap\(i), mac: \"52:54:00:00:\(String(format: "%02x:%02x", i / 256, i % 256))\", ipv4: [10.0.\(i / 256).\(i % 256)] }]\n"
        }
        let file = scratch.write("big.yaml", policy)
        let missing = "hw-missing-\(UInt32.random(in: 0...UInt32.max))"
        for run in 0..<20 {
            let result = try CLI.run(["net", "apply", "--policy", file, "--netns", missing])
            #expect(result.status == 64, "run \(run): exit \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("no network namespace \(missing)"), "run \(run): \(result.stderr)")
        }
        try Self.check([
            (["net", "status", "--policy", file, "--netns", missing], 64, "no network namespace \(missing)"),
            (["net", "block", "203.0.113.9", "--netns", missing], 64, "no network namespace \(missing)"),
            (["net", "apply", "--dry-run", "--policy", file, "--netns", "../x"], 64, "not a network namespace name"),
        ])
    }

    /// One rule with every port compiles in linear-ish time (it took minutes).
    @Test(.timeLimit(.minutes(1)))
    func aRuleWithEveryPortCompiles() throws {
        let scratch = Scratch()
        let ports = (1...65535).map(String.init).joined(separator: ", ")
        let file = scratch.write("wide.yaml", "groups:\n  wide:\n    ingress: [{ proto: tcp, ports: [\(ports)] }]\nvms:\n  a:\n    groups: [wide]\n    interfaces: [{ device: v1, mac: \"52:54:00:00:00:01\" }]\n")
        try Self.check([(["net", "compile", "--policy", file], 0, "0x00010000 . 0.0.0.0/0 . tcp . 1-65535 comment")])
    }

    /// Names from the policy reach the terminal escaped: no raw ESC, BEL, line end or bidi override.
    @Test(arguments: [
        "groups:\n  \"web\\e[2J\\e[H\\a\": {}\n",
        "groups:\n  \"admin\\u202Enimda\": {}\n",
        "vms:\n  \"db\\nhyperward: applied: 0 VMs\": {}\n",
        "groups:\n  web:\n    \"ingress\\e]0;owned\\a\": []\n",
    ])
    func hostileNamesAreEscapedInMessages(text: String) throws {
        let scratch = Scratch()
        let file = scratch.write("hostile.yaml", text)
        let result = try CLI.run(["net", "compile", "--policy", file])
        #expect(result.status == 78)
        let raw = result.stderr.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F || $0 == "\u{202E}" }
        #expect(raw.isEmpty, "\(result.stderr.debugDescription)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one message line: \(result.stderr.debugDescription)")
        #expect(result.stderr.contains("\\u{"), "\(result.stderr)")
    }
}
