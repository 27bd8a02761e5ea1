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
import HyperwardCore
import Testing
@testable import Sensor

/// The real captures' README ground truth, with tshark as the decoder.
@Suite("Scan, sweep and flood detectors on the capture fixtures", .needsFixtures("pcaps"))
struct ScanFixtureTests {
    private func run(_ name: String) throws -> DetectorBench {
        let events = try CaptureFixtures.events(name)
        try #require(!events.isEmpty, "no observations decoded from \(name)")
        var bench = DetectorBench()
        bench.feed(events)
        bench.finish()
        return bench
    }

    @Test("nmap's top-1000 SYN scan of one host is exactly one vertical port-scan incident by 172.16.0.8")
    func verticalScanFixture() throws {
        let bench = try run("portscan_nmap_syn_top1000.pcapng")
        #expect(bench.incidents(.portScan) == ["port-scan/172.16.0.8/64.13.134.52"])
        let alerts = bench.alerts.filter { $0.detector == .portScan }
        #expect(alerts.allSatisfy { $0.src == "172.16.0.8" && $0.dst == "64.13.134.52" })
        #expect(alerts.first?.occurrence == 1)
        // Every alert's answers are a subset of the README's: open 22, 53, 80; closed 25, 70, 113, 31337.
        let open: Set<EvidenceValue> = [.int(22), .int(53), .int(80)]
        let closed: Set<EvidenceValue> = [.int(25), .int(70), .int(113), .int(31337)]
        for alert in alerts {
            let evidence = Dictionary(uniqueKeysWithValues: alert.evidence)
            if case .list(let ports) = evidence["open_ports"] { #expect(Set(ports).isSubset(of: open)) }
            if case .list(let ports) = evidence["closed_ports"] { #expect(Set(ports).isSubset(of: closed)) }
            if case .int(let n) = evidence["distinct_ports"] { #expect(n >= 15 && n <= 1000) }
        }
        // And the final tally is the README's: 1994 SYNs, 1000 distinct ports, those open and closed.
        let tally = try #require(bench.scan.portProbes(by: Traffic.ip("172.16.0.8"), on: Traffic.ip("64.13.134.52")))
        #expect(tally.probes == 1994)
        #expect(tally.distinctPorts == 1000)
        #expect(tally.openPorts == [22, 53, 80])
        #expect(tally.closedPorts == [25, 70, 113, 31337])
        #expect(bench.alerts.filter { $0.detector != .portScan }.isEmpty)
    }

    @Test("nmap's ARP host discovery is exactly one address-sweep alert naming 192.168.1.71 and its MAC")
    func arpSweepFixture() throws {
        let bench = try run("sweep_nmap_arp_hostdiscovery.pcap")
        let sweeps = bench.alerts.filter { $0.detector == .addressSweep }
        #expect(sweeps.count == 1)
        let alert = try #require(sweeps.first)
        #expect(alert.src == "192.168.1.71")
        #expect(alert.summary.contains("c4:2c:03:3b:6c:aa"))
        #expect(Dictionary(uniqueKeysWithValues: alert.evidence)["mac"] == .string("c4:2c:03:3b:6c:aa"))
        #expect(alert.incident == "address-sweep/arp/c4:2c:03:3b:6c:aa")
        #expect(bench.alerts.filter { $0.detector == .synFlood || $0.detector == .flood }.isEmpty)
    }

    @Test("200 SYNs in 0.2 s from 192.0.2.10 raise a SYN-flood alert naming it and 198.51.100.5:443")
    func synFloodFixture() throws {
        let bench = try run("synflood_single_source_200.pcap")
        let floods = bench.alerts.filter { $0.detector == .synFlood }
        #expect(floods.count == 1)
        let alert = try #require(floods.first)
        #expect(alert.src == "192.0.2.10")
        #expect(alert.dst == "198.51.100.5")
        #expect(alert.dstPort == 443)
        // Nothing vouches for the source: it never completed a handshake and is not a known VM port.
        #expect(alert.sourceMayBeSpoofed)
        // Suricata's reference rule (by source, 100 per second) fires from the 101st SYN on.
        #expect(Dictionary(uniqueKeysWithValues: alert.evidence)["syns"] == .int(101))
        #expect(bench.alerts.filter { $0.detector == .portScan || $0.detector == .flood }.isEmpty)
    }

    @Test("the same flood from a source the caller vouches for may be blocked")
    func synFloodFixtureVerifiedSource() throws {
        let events = try CaptureFixtures.events("synflood_single_source_200.pcap")
        var bench = DetectorBench()
        bench.synFlood.verifiedSources = [Traffic.ip("192.0.2.10")]
        bench.feed(events)
        let alert = try #require(bench.alerts.first { $0.detector == .synFlood })
        #expect(!alert.sourceMayBeSpoofed)
        #expect(Dictionary(uniqueKeysWithValues: alert.evidence)["recommended_action"] == .string("block source"))
    }

    @Test("normal ARP and ping between two hosts raise nothing")
    func benignFixture() throws {
        let bench = try run("benign_arp_ping.pcap")
        #expect(bench.alerts.isEmpty)
    }
}
