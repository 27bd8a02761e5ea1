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

import Testing
@testable import Sensor

@Suite("SweepDetector")
struct SweepDetectorTests {
    private let sweeperMAC: UInt64 = 0x5254_0012_3456

    private func arp(_ t: Double, mac: UInt64, sender: String, target: String) -> DetectorEvent {
        .arp(ARPRequestObservation(time: Traffic.time(t), senderMAC: mac, senderIP: Traffic.ip(sender),
                                   targetIP: Traffic.ip(target)))
    }

    private func echo(_ t: Double, _ src: String, _ dst: String, request: Bool) -> DetectorEvent {
        .icmp(ICMPEchoObservation(time: Traffic.time(t), src: Traffic.ip(src), dst: Traffic.ip(dst), isRequest: request))
    }

    @Test("an ARP sweep of a /24 is one alert naming the sender's address and MAC")
    func arpSweep() throws {
        var bench = DetectorBench()
        for host in 1...254 {
            bench.feed(arp(Double(host) * 0.005, mac: sweeperMAC, sender: "192.168.122.50", target: "192.168.122.\(host)"))
        }
        let alerts = bench.alerts.filter { $0.detector == .addressSweep }
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert.src == "192.168.122.50")
        #expect(alert.incident == "address-sweep/arp/52:54:00:12:34:56")
        let evidence = Dictionary(uniqueKeysWithValues: alert.evidence)
        #expect(evidence["mac"] == .string("52:54:00:12:34:56"))
        #expect(evidence["distinct_targets"] == .int(25))
        #expect(evidence["method"] == .string("arp"))
    }

    @Test("a sweep that goes on re-alerts with counts once the hold-off has passed")
    func longSweep() {
        var bench = DetectorBench()
        // 2,000 targets at 5 per second: 400 s, several 10 s windows each well over 25.
        for index in 0..<2_000 {
            let target = IPAddress(ipv4: 0x0A00_0000 | UInt32(index))
            bench.feed(.arp(ARPRequestObservation(time: Traffic.time(Double(index) * 0.2), senderMAC: sweeperMAC,
                                                  senderIP: Traffic.ip("10.0.0.1"), targetIP: target)))
        }
        let alerts = bench.alerts.filter { $0.detector == .addressSweep }
        #expect(Set(alerts.map(\.incident)).count == 1)
        #expect(alerts.count >= 2)
        #expect(alerts.map(\.occurrence) == Array(1...alerts.count))
    }

    @Test("a host resolving a handful of neighbours, and gratuitous ARP, are not sweeps")
    func normalARP() {
        var bench = DetectorBench()
        for round in 0..<20 {
            for host in 1...12 {
                bench.feed(arp(Double(round) * 30 + Double(host) * 0.1, mac: sweeperMAC, sender: "192.168.122.1",
                               target: "192.168.122.\(host + 1)"))
            }
        }
        for index in 0..<100 {
            bench.feed(arp(Double(index), mac: 0x5254_00AA_0000 | UInt64(index % 3), sender: "192.168.122.9\(index % 3)",
                           target: "192.168.122.9\(index % 3)"))
        }
        #expect(bench.alerts.isEmpty)
    }

    @Test("an unanswered ICMP echo sweep is an alert; pinging hosts that answer is not")
    func icmpSweep() throws {
        var bench = DetectorBench()
        for host in 1...100 {
            bench.feed(echo(Double(host) * 0.01, "10.0.0.66", "10.0.5.\(host)", request: true))
        }
        // A monitoring host pinging 100 machines that all answer.
        for host in 1...100 {
            bench.feed(echo(Double(host) * 0.01, "10.0.0.7", "10.0.6.\(host)", request: true))
            bench.feed(echo(Double(host) * 0.01 + 0.0005, "10.0.6.\(host)", "10.0.0.7", request: false))
        }
        let alerts = bench.alerts.filter { $0.detector == .addressSweep }
        #expect(alerts.map(\.incident) == ["address-sweep/icmp/10.0.0.66"])
        let alert = try #require(alerts.first)
        #expect(Dictionary(uniqueKeysWithValues: alert.evidence)["method"] == .string("icmp-echo"))
    }

    @Test("a DNS server answering many clients is not a sweep (nor a scan, nor a flood)")
    func dnsServer() {
        var bench = DetectorBench()
        let server = "10.0.0.53"
        for client in 1...250 {
            let t = Double(client) * 0.02
            let address = "10.0.\(client / 200 + 1).\(client % 200 + 1)"
            bench.feed(.packet(PacketObservation(time: Traffic.time(t), src: Traffic.ip(address),
                                                 dst: Traffic.ip(server), bytes: 74)))
            bench.feed(.packet(PacketObservation(time: Traffic.time(t + 0.001), src: Traffic.ip(server),
                                                 dst: Traffic.ip(address), bytes: 120)))
            // Clients check the server is alive; it answers every one of them.
            bench.feed(echo(t + 0.002, address, server, request: true))
            bench.feed(echo(t + 0.003, server, address, request: false))
            // The server resolves a few clients it has not heard from yet.
            if client % 25 == 0 {
                bench.feed(arp(t, mac: 0x5254_0000_0053, sender: server, target: address))
            }
        }
        bench.finish()
        #expect(bench.alerts.isEmpty)
    }

    @Test("memory stays within the caps and evictions are counted")
    func caps() {
        var sweep = SweepDetector(configuration: .init(maxTargetsPerSource: 16, maxSources: 50))
        var alerts: [Alert] = []
        for index in 0..<10_000 {
            sweep.observe(ARPRequestObservation(time: Traffic.time(Double(index) * 0.0001),
                                                senderMAC: UInt64(index % 500), senderIP: IPAddress(ipv4: UInt32(index % 500)),
                                                targetIP: IPAddress(ipv4: UInt32(index))), into: &alerts)
        }
        #expect(sweep.statistics.trackedARPSenders <= 50)
        #expect(sweep.statistics.evictions > 0)
    }
}
