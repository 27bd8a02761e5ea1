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

import FixtureSupport
import Foundation
import HyperwardHost
import Testing

/// `hyperward sense` on the corpus's real captures: every ground truth of its `pcaps/README.md`,
/// checked on the JSON an operator would read.
@Suite("hyperward sense on real captures")
struct SenseCLITests {
    /// The JSON lines of `sense --pcap NAME --format json` (alerts, prevention notes, stats last).
    static func sense(_ name: String, _ extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws
        -> (lines: [[String: Any]], result: CLI.Result)
    {
        let file = try Fixtures.file(name, in: "pcaps", sourceLocation: sourceLocation).path
        let result = try CLI.run(["sense", "--pcap", file, "--format", "json"] + extra)
        let lines = try result.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
        return (lines, result)
    }

    static func alerts(_ lines: [[String: Any]], _ detector: String? = nil) -> [[String: Any]] {
        lines.filter { $0["type"] as? String == "alert" && (detector == nil || $0["detector"] as? String == detector) }
    }

    @Test(.needsFixtures("pcaps"))
    func theVerticalScanIsOneIncidentNamingTheScanner() throws {
        let (lines, result) = try Self.sense("portscan_nmap_syn_top1000.pcapng")
        #expect(result.status == 0)
        let scans = Self.alerts(lines, "port-scan")
        #expect(Set(scans.compactMap { $0["incident"] as? String }).count == 1)
        #expect(scans.first?["src"] as? String == "172.16.0.8")
        #expect(scans.first?["dst"] as? String == "64.13.134.52")
        #expect(Self.alerts(lines).count == scans.count, "nothing else alerts")
        // The last update carries the whole tally of the README: 1000 ports, open 22/53/80,
        // closed 25/70/113/31337.
        let final = try #require(scans.last?["evidence"] as? [String: Any])
        #expect(final["distinct_ports"] as? Int == 1000)
        #expect(final["open_ports"] as? [Int] == [22, 53, 80])
        #expect(final["closed_ports"] as? [Int] == [25, 70, 113, 31337])
        #expect(final["probes"] as? Int == 1994)
        let stats = try #require(lines.last)
        #expect(stats["type"] as? String == "stats")
        #expect(stats["packets"] as? Int == 2011)
    }

    @Test(.needsFixtures("pcaps"))
    func theARPHostDiscoveryIsOneAddressSweep() throws {
        let (lines, _) = try Self.sense("sweep_nmap_arp_hostdiscovery.pcap")
        let sweeps = Self.alerts(lines, "address-sweep")
        #expect(sweeps.count == 1)
        #expect(sweeps.first?["src"] as? String == "192.168.1.71")
        #expect((sweeps.first?["evidence"] as? [String: Any])?["mac"] as? String == "c4:2c:03:3b:6c:aa")
    }

    @Test(.needsFixtures("pcaps"))
    func theSingleSourceSYNFloodNamesSourceAndVictim() throws {
        let (lines, _) = try Self.sense("synflood_single_source_200.pcap")
        let floods = Self.alerts(lines, "syn-flood")
        #expect(floods.count >= 1)
        #expect(floods.first?["src"] as? String == "192.0.2.10")
        #expect(floods.first?["dst"] as? String == "198.51.100.5")
        #expect(floods.first?["dst_port"] as? Int == 443)
    }

    @Test(.needsFixtures("pcaps"))
    func theFTPLoginIsReportedWithThePasswordRedactedUnlessAsked() throws {
        let (lines, result) = try Self.sense("ftp_login_ok_bob_password.pcap")
        let logins = Self.alerts(lines, "cleartext-credentials")
        #expect(logins.count == 1)
        #expect(logins.first?["user"] as? String == "bob")
        #expect(logins.first?["outcome"] as? String == "success")
        #expect(logins.first?["protocol"] as? String == "ftp")
        #expect(!result.stdout.contains("\"password\":\"password\""))
        let (shown, _) = try Self.sense("ftp_login_ok_bob_password.pcap", ["--show-secrets"])
        #expect((Self.alerts(shown, "cleartext-credentials").first?["evidence"] as? [String: Any])?["password"] as? String == "password")
        #expect(try Self.sense("ftp_login_ok_bob_password.pcap", ["--fail-on", "high"]).result.status == 1)
    }

    @Test(.needsFixtures("pcaps"))
    func theHTTPBasicLoginSplitsUserAndPassword() throws {
        let (lines, _) = try Self.sense("http_basic_auth_test_1234.pcap", ["--show-secrets"])
        let login = try #require(Self.alerts(lines, "cleartext-credentials").first)
        #expect(login["user"] as? String == "test")
        #expect((login["evidence"] as? [String: Any])?["password"] as? String == "1234")
        #expect(login["outcome"] as? String == "success")
    }

    @Test(.needsFixtures("pcaps"), arguments: ["benign_arp_ping.pcap", "benign_ipv6_nd_ping.pcapng"])
    func benignCapturesRaiseNothing(_ name: String) throws {
        let (lines, result) = try Self.sense(name)
        #expect(result.status == 0)
        #expect(Self.alerts(lines).isEmpty, "\(lines)")
    }

    @Test(.needsFixtures("pcaps"))
    func malformedARPIsCountedAndReportedNotACrash() throws {
        let (lines, result) = try Self.sense("arp_malformed_hln255.pcap")
        #expect(result.status == 0)
        let stats = try #require(lines.last)
        #expect(stats["decode_errors"] as? Int == 6)
        #expect(!Self.alerts(lines, "malformed").isEmpty)
    }

    @Test func badInputIsAClearErrorWithADistinctExitCode() throws {
        let scratch = Scratch()
        let garbage = scratch.write("garbage.pcap", "this is not a capture\n")
        let refused = try CLI.run(["sense", "--pcap", garbage])
        #expect(refused.status == 66)
        #expect(refused.stderr.contains("not a pcap or pcapng"), "\(refused.stderr)")
        #expect(try CLI.run(["sense", "--pcap", scratch.path + "/missing.pcap"]).status == 66)
        #expect(try CLI.run(["sense"]).status == 64)
        #expect(try CLI.run(["sense", "--pcap", garbage, "--interface", "lo"]).status == 64)
    }

    /// A capture cut short: what was read is reported, and the error says where.
    @Test(.needsFixtures("pcaps"))
    func aCaptureCutShortReportsWhatWasReadAndWhere() throws {
        let scratch = Scratch()
        let whole = try Data(contentsOf: try Fixtures.file("synflood_single_source_200.pcap", in: "pcaps"))
        let cut = scratch.path + "/cut.pcap"
        try whole.prefix(whole.count - 30).write(to: URL(fileURLWithPath: cut))
        let truncated = try CLI.run(["sense", "--pcap", cut, "--format", "json"])
        #expect(truncated.status == 70)
        #expect(truncated.stdout.contains("\"type\":\"stats\""))
        #expect(truncated.stdout.contains("syn-flood"))
        #expect(truncated.stderr.contains("offset"), "\(truncated.stderr)")
    }

    /// `--prevent` in a scratch namespace: the spoofable flood source is not blocked; its victim
    /// is rate limited through the IPS table instead.
    @Test(.enabled(if: getuid() == 0, "needs root"), .needsFixtures("pcaps"))
    func preventRateLimitsTheVictimOfASpoofableFlood() throws {
        let ns = "hw-prev-\(UInt32.random(in: 0...UInt32.max))"
        #expect(try CLI.shell("ip netns add \(ns)").status == 0)
        defer { _ = try? CLI.shell("ip netns del \(ns)") }
        let (lines, result) = try Self.sense("synflood_single_source_200.pcap", ["--prevent", "--netns", ns, "--ttl", "5m"])
        #expect(result.status == 0, "\(result.stderr)")
        let actions = lines.filter { $0["type"] as? String == "prevention" }
        #expect(actions.first?["action"] as? String == "rate-limit", "\(lines)")
        let protected = try CLI.shell("ip netns exec \(ns) nft list set inet hyperward_ips protect_v4").stdout
        #expect(protected.contains("198.51.100.5"))
        let blocked = try CLI.shell("ip netns exec \(ns) nft list set inet hyperward_ips block_v4").stdout
        #expect(!blocked.contains("192.0.2.10"), "a source that never completed a handshake may be forged")

        // The fixture's ground truth ("in prevent mode, the source blocked") holds once the source
        // is known not to be forgeable: a VM port behind anti-spoofing, named by the inventory.
        let scratch = Scratch()
        let inventory = scratch.write("inventory.yaml", """
            groups:
              tenants: {}
            vms:
              attacker:
                groups: [tenants]
                interfaces:
                  - { device: vnet9, mac: "02:00:00:00:00:01", ipv4: [192.0.2.10] }
            """)
        let (vouched, _) = try Self.sense("synflood_single_source_200.pcap", ["--prevent", "--netns", ns, "--inventory", inventory])
        #expect(vouched.contains { $0["type"] as? String == "prevention" && $0["action"] as? String == "block" }, "\(vouched)")
        #expect(try CLI.shell("ip netns exec \(ns) nft list set inet hyperward_ips block_v4").stdout.contains("192.0.2.10"))
        // Never an allowlisted address.
        _ = try CLI.shell("ip netns exec \(ns) nft flush set inet hyperward_ips block_v4")
        let (allowed, _) = try Self.sense("synflood_single_source_200.pcap", ["--prevent", "--netns", ns, "--inventory", inventory, "--allow", "192.0.2.0/24"])
        #expect(!allowed.contains { $0["type"] as? String == "prevention" && $0["action"] as? String == "block" })
        #expect(try !CLI.shell("ip netns exec \(ns) nft list set inet hyperward_ips block_v4").stdout.contains("192.0.2.10"))
    }

    /// The agent captures on a configured interface and records alerts as events: an nmap scan
    /// across a veth pair becomes `alert.port-scan` events; SIGTERM stops the capture cleanly.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/nmap"), "needs root and nmap"),
          .timeLimit(.minutes(2)))
    func theAgentRecordsAlertsAsEvents() async throws {
        let tag = UInt16.random(in: 0...9999)
        let ns = "hw-sns-\(tag)", port = "hwsns\(tag)"
        #expect(try CLI.shell("ip netns add \(ns) && ip link add \(port) type veth peer name eth0 netns \(ns) && ip addr add 10.123.0.1/24 dev \(port) && ip link set \(port) up && ip -n \(ns) addr add 10.123.0.2/24 dev eth0 && ip -n \(ns) link set eth0 up").status == 0)
        defer { _ = try? CLI.shell("ip netns del \(ns); ip link del \(port)") }
        let scratch = Scratch()
        let config = scratch.write("hyperward.yaml", "sense:\n  interfaces: [\(port)]\n")
        let log = scratch.path + "/agent.log"
        let agent = try HostChild([CLI.binary, "agent", "--config", config, "--state-dir", scratch.path + "/state", "--interval", "3600"],
                                  stdout: HostChild.nullDevice, stderr: URL(fileURLWithPath: log))
        defer { if agent.isRunning { agent.signal(SIGTERM); agent.wait() } }
        #expect(try await AgentNetworkSyncTests.poll(seconds: 20) { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("capturing") })
        _ = try CLI.shell("ip netns exec \(ns) nmap -n -Pn -sS -p 1-200 --max-retries 0 10.123.0.1")
        #expect(try await AgentNetworkSyncTests.poll(seconds: 20) {
            try CLI.run(["events", "--state-dir", scratch.path + "/state", "--kind", "alert.port-scan", "--format", "json"]).stdout.contains("10.123.0.2")
        }, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        agent.signal(SIGTERM)
        agent.wait()
        #expect(agent.status == 0)
        #expect(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("sense service stopped"))
    }
}
