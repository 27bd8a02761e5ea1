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
import Testing
@testable import Sensor

@Suite("SynFloodDetector")
struct SynFloodDetectorTests {
    private func syn(_ t: Double, _ src: IPAddress, _ sport: UInt16, _ dst: String, _ dport: UInt16)
        -> TCPSegmentObservation {
        TCPSegmentObservation(time: Traffic.time(t), src: src, dst: Traffic.ip(dst), srcPort: sport, dstPort: dport,
                              flags: .syn)
    }

    @Test("a flood from random spoofed sources is a per-destination alert to rate-limit, naming no source")
    func spoofedFlood() throws {
        var detector = SynFloodDetector()
        var alerts: [Alert] = []
        var random = SplitMix(seed: 7)
        for index in 0..<5_000 {
            let src = IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next()))
            detector.observe(syn(Double(index) * 0.0002, src, UInt16(truncatingIfNeeded: random.next()),
                                 "10.0.0.80", 80), into: &alerts)
        }
        #expect(alerts.map(\.incident) == ["syn-flood/10.0.0.80:80"])
        let alert = try #require(alerts.first)
        #expect(alert.src == nil)
        #expect(alert.dst == "10.0.0.80")
        #expect(alert.dstPort == 80)
        #expect(alert.sourceMayBeSpoofed)
        let evidence = Dictionary(uniqueKeysWithValues: alert.evidence)
        #expect(evidence["recommended_action"] == .string("rate-limit destination"))
        #expect(evidence["half_open"] == .int(200))
        if case .int(let sources) = evidence["distinct_sources_estimate"] { #expect(sources >= 150) }
    }

    @Test("a busy server whose handshakes complete is not flooded", arguments: [500, 3_000])
    func busyServer(connectionsPerSecond: Int) {
        var bench = DetectorBench()
        for index in 0..<(connectionsPerSecond * 3) {
            let client = "10.1.\(index / 250 % 250).\(index % 250 + 1)"
            bench.feed(Traffic.handshake(Double(index) / Double(connectionsPerSecond), client: client,
                                         port: UInt16(20_000 + index % 40_000), server: "10.0.0.80", serverPort: 443))
        }
        bench.finish()
        #expect(bench.alerts.filter { $0.detector == .synFlood }.isEmpty)
    }

    @Test("completions reported by a flow table replace the detector's own tracking")
    func externalHandshakes() {
        for reports in [true, false] {
            var detector = SynFloodDetector(configuration: .init(tracksHandshakes: false))
            var alerts: [Alert] = []
            for index in 0..<3_000 {
                let t = Double(index) / 1_000
                let client = IPAddress(ipv4: 0x0A01_0000 | UInt32(index))
                detector.observe(syn(t, client, 40_000, "10.0.0.80", 443), into: &alerts)
                let ack = TCPSegmentObservation(time: Traffic.time(t + 0.0005), src: client, dst: Traffic.ip("10.0.0.80"),
                                                srcPort: 40_000, dstPort: 443, flags: .ack)
                // The detector ignores the ACK itself; only the flow table's report counts.
                detector.observe(ack, into: &alerts)
                if reports { detector.noteHandshakeCompleted(ack) }
            }
            #expect(alerts.isEmpty == reports, "completions reported: \(reports)")
        }
    }

    @Test("a client retransmitting an unanswered SYN counts it once")
    func retransmissions() {
        var detector = SynFloodDetector()
        var alerts: [Alert] = []
        for index in 0..<1_000 {
            detector.observe(syn(Double(index) * 0.001, Traffic.ip("10.0.0.20"), 45_000, "10.0.0.80", 443),
                             into: &alerts)
        }
        #expect(alerts.isEmpty)
    }

    @Test("a single flooder is named; it may be blocked once it is vouched for or completed a handshake")
    func singleSource() throws {
        for vouch in ["none", "verified", "handshake"] {
            var detector = SynFloodDetector()
            var alerts: [Alert] = []
            let src = Traffic.ip("10.0.0.66")
            if vouch == "verified" { detector.verifiedSources = [src] }
            if vouch == "handshake" {
                for step in Traffic.handshake(0, client: "10.0.0.66", port: 1_000, server: "10.0.0.80", serverPort: 443) {
                    if case .tcp(let segment) = step { detector.observe(segment, into: &alerts) }
                }
            }
            for index in 0..<300 {
                detector.observe(syn(1 + Double(index) * 0.001, src, UInt16(30_000 + index), "10.0.0.80", 443),
                                 into: &alerts)
            }
            let alert = try #require(alerts.first)
            #expect(alerts.count == 1)
            #expect(alert.incident == "syn-flood/10.0.0.66/10.0.0.80:443")
            #expect(alert.src == "10.0.0.66")
            #expect(alert.sourceMayBeSpoofed == (vouch == "none"), "vouch: \(vouch)")
        }
    }

    @Test("memory stays within the caps whatever the flood")
    func caps() {
        var detector = SynFloodDetector(configuration: .init(handshakeTableSize: 1_000, maxDestinations: 100,
                                                             maxSources: 100))
        var alerts: [Alert] = []
        var random = SplitMix(seed: 9)
        // Random sources to random destinations, two SYNs each (from two ports): every one gets counters.
        for index in 0..<20_000 {
            let src = IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next()))
            let dst = IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next()))
            for port: UInt16 in [1, 2] {
                detector.observe(TCPSegmentObservation(time: Traffic.time(Double(index) * 0.0001), src: src, dst: dst,
                                                       srcPort: port, dstPort: 80, flags: .syn), into: &alerts)
            }
        }
        let stats = detector.statistics
        #expect(stats.trackedDestinations <= 100)
        #expect(stats.trackedSources <= 100)
        #expect(stats.evictions > 0)
        #expect(stats.handshakeSlotReuses > 0)
        // And forged sources sending one SYN each get none.
        var fresh = SynFloodDetector()
        for index in 0..<20_000 {
            fresh.observe(TCPSegmentObservation(time: Traffic.time(Double(index) * 0.0001),
                                                src: IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next())),
                                                dst: Traffic.ip("10.0.0.80"), srcPort: 1, dstPort: 80, flags: .syn),
                          into: &alerts)
        }
        #expect(fresh.statistics.trackedSources == 0)
        #expect(fresh.statistics.trackedDestinations == 1)
    }
}

@Suite("FloodDetector")
struct FloodDetectorTests {
    /// `rate` packets per second to `dst` for `seconds`, starting at `start`, sizes jittered ±`jitter`.
    private func traffic(_ flood: inout FloodDetector, alerts: inout [Alert], dst: String, start: Double,
                         seconds: Double, rate: (Int) -> Int, bytes: UInt32 = 200, src: (Int) -> IPAddress) {
        for second in 0..<Int(seconds) {
            let count = rate(second)
            for index in 0..<count {
                let t = start + Double(second) + Double(index) / Double(count)
                flood.observe(PacketObservation(time: Traffic.time(t), src: src(index), dst: Traffic.ip(dst),
                                                bytes: bytes), into: &alerts)
            }
        }
    }

    @Test("a busy but stable host is not flooded, from the sensor's start on")
    func stableHost() {
        var flood = FloodDetector(configuration: .init(minPacketsPerSecond: 1_000))
        var alerts: [Alert] = []
        var random = SplitMix(seed: 3)
        traffic(&flood, alerts: &alerts, dst: "10.0.0.80", start: 0, seconds: 60,
                rate: { _ in 3_000 + Int(random.next() % 600) - 300 }, src: { IPAddress(ipv4: UInt32($0 % 50)) })
        #expect(alerts.isEmpty)
    }

    @Test("an idle host receiving a burst of 50 packets is not flooded")
    func idleBurst() {
        var flood = FloodDetector()
        var alerts: [Alert] = []
        traffic(&flood, alerts: &alerts, dst: "10.0.0.81", start: 0, seconds: 30, rate: { $0 == 20 ? 50 : 1 },
                src: { _ in Traffic.ip("10.0.0.2") })
        #expect(alerts.isEmpty)
    }

    @Test("a flood above a host's baseline is one incident with observed and expected rates")
    func flood() throws {
        var flood = FloodDetector()
        var alerts: [Alert] = []
        traffic(&flood, alerts: &alerts, dst: "10.0.0.80", start: 0, seconds: 30, rate: { _ in 3_000 },
                src: { IPAddress(ipv4: UInt32($0 % 50)) })
        #expect(alerts.isEmpty)
        traffic(&flood, alerts: &alerts, dst: "10.0.0.80", start: 30, seconds: 3, rate: { _ in 40_000 }, bytes: 60,
                src: { $0 % 4 == 0 ? IPAddress(ipv4: 1) : Traffic.ip("10.0.0.66") })
        #expect(alerts.map(\.incident) == ["flood/10.0.0.80"])
        let alert = try #require(alerts.first)
        #expect(alert.sourceMayBeSpoofed)
        let evidence = Dictionary(uniqueKeysWithValues: alert.evidence)
        #expect(evidence["recommended_action"] == .string("rate-limit destination"))
        #expect(evidence["top_source"] == .string("10.0.0.66"))
        guard case .double(let observed) = evidence["observed_packets_per_second"],
              case .double(let expected) = evidence["expected_packets_per_second"],
              case .double(let threshold) = evidence["packets_per_second_threshold"] else {
            Issue.record("rates missing from the evidence")
            return
        }
        #expect(abs(expected - 3_000) < 1)
        #expect(observed > threshold)
        #expect(threshold >= 5_000)
    }

    @Test("a large flood to a host never seen before is caught by the warm-up floor")
    func newHost() {
        var flood = FloodDetector()
        var alerts: [Alert] = []
        traffic(&flood, alerts: &alerts, dst: "10.0.0.99", start: 0, seconds: 2, rate: { _ in 120_000 },
                src: { IPAddress(ipv4: UInt32($0)) })
        #expect(alerts.map(\.incident) == ["flood/10.0.0.99"])
    }

    @Test("memory stays within the cap and evictions are counted")
    func caps() {
        var flood = FloodDetector(configuration: .init(maxDestinations: 100))
        var alerts: [Alert] = []
        for index in 0..<10_000 {
            flood.observe(PacketObservation(time: Traffic.time(Double(index) * 0.001), src: IPAddress(ipv4: 1),
                                            dst: IPAddress(ipv4: UInt32(index)), bytes: 1_500), into: &alerts)
        }
        #expect(flood.statistics.trackedDestinations <= 100)
        #expect(flood.statistics.evictions > 0)
    }

    @Test("hostile input: huge lengths, time running backwards and absurd configurations do not trap")
    func hostile() {
        var flood = FloodDetector(configuration: .init(bucket: 0, meanGain: .nan, deviationFactor: .infinity,
                                                       minPacketsPerSecond: -1, maxDestinations: 0))
        var alerts: [Alert] = []
        for (index, t) in [Int64.max, Int64.min, 0, -1, Int64.max, 5].enumerated() {
            flood.observe(PacketObservation(time: Timestamp(nanoseconds: t), src: IPAddress(ipv4: 1),
                                            dst: IPAddress(ipv4: UInt32(index % 2)), bytes: .max), into: &alerts)
        }
        #expect(flood.statistics.trackedDestinations <= 1)
    }
}
