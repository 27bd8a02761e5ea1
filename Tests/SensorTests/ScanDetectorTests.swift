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
import HyperwardCore
import Testing
@testable import Sensor

@Suite("ScanThresholdRandomWalk")
struct ScanThresholdRandomWalkTests {
    let parameters = ScanThresholdRandomWalk.Parameters.jung2004

    @Test("thresholds are the paper's η1 = β/α = 99 and η0 = (1−β)/(1−α) = 1/99")
    func thresholds() {
        #expect(abs(exp(parameters.upperThreshold) - 99) < 1e-9)
        #expect(abs(exp(parameters.lowerThreshold) - 1.0 / 99) < 1e-12)
        #expect(abs(exp(parameters.failureStep) - 4) < 1e-12)
        #expect(abs(exp(parameters.successStep) - 0.25) < 1e-12)
        #expect(parameters.isValid)
    }

    @Test("four failures in a row decide scanner, three do not")
    func fourFailures() {
        var walk = ScanThresholdRandomWalk()
        for _ in 0..<3 { #expect(walk.record(success: false, parameters: parameters) == .pending) }
        #expect(walk.record(success: false, parameters: parameters) == .scanner)
        #expect(abs(walk.likelihoodRatio - 256) < 1e-9)
    }

    @Test("four successes in a row decide benign and restart the walk")
    func fourSuccesses() {
        var walk = ScanThresholdRandomWalk()
        for _ in 0..<3 { #expect(walk.record(success: true, parameters: parameters) == .pending) }
        #expect(walk.record(success: true, parameters: parameters) == .benign)
        #expect(walk.logLikelihoodRatio == 0)
    }

    /// The closed form: after s successes and f failures since the last restart,
    /// Λ = (θ1/θ0)^s · ((1−θ1)/(1−θ0))^f, compared with η1 and η0 directly.
    @Test("every step agrees with the closed-form likelihood ratio", arguments: [1, 2, 3, 42, 1234])
    func closedForm(seed: UInt64) {
        var generator = SplitMix(seed: seed)
        for theta in [(0.8, 0.2, 0.01, 0.99), (0.9, 0.3, 0.05, 0.95), (0.7, 0.1, 0.001, 0.999)] {
            let p = ScanThresholdRandomWalk.Parameters(
                benignSuccessProbability: theta.0, scannerSuccessProbability: theta.1,
                falsePositiveProbability: theta.2, detectionProbability: theta.3)
            let eta1 = theta.3 / theta.2
            let eta0 = (1 - theta.3) / (1 - theta.2)
            var walk = ScanThresholdRandomWalk()
            var successes = 0.0
            var failures = 0.0
            for _ in 0..<400 {
                let success = generator.next() % 100 < 55
                if success { successes += 1 } else { failures += 1 }
                let lambda = pow(theta.1 / theta.0, successes) * pow((1 - theta.1) / (1 - theta.0), failures)
                let expected: ScanThresholdRandomWalk.Decision =
                    lambda >= eta1 * (1 - 1e-9) ? .scanner : (lambda <= eta0 * (1 + 1e-9) ? .benign : .pending)
                let decision = walk.record(success: success, parameters: p)
                #expect(decision == expected, "after \(successes) successes, \(failures) failures: Λ = \(lambda)")
                if decision != .pending {
                    successes = 0
                    failures = 0
                    walk = ScanThresholdRandomWalk()
                }
            }
        }
    }
}


@Suite("ScanDetector")
struct ScanDetectorTests {
    @Test("a vertical SYN scan of one host is one incident, re-alerted only as its count doubles")
    func verticalScan() throws {
        var bench = DetectorBench()
        for port in 1...600 {
            bench.feed(Traffic.segment(Double(port) * 0.05, "10.0.0.66", 40_000, "10.0.0.5", UInt16(port), .syn))
        }
        bench.finish()
        let alerts = bench.alerts.filter { $0.detector == .portScan }
        #expect(bench.incidents(.portScan) == ["port-scan/10.0.0.66/10.0.0.5"])
        #expect(alerts.map(\.occurrence) == Array(1...alerts.count))
        let first = try #require(alerts.first)
        #expect(Dictionary(uniqueKeysWithValues: first.evidence)["distinct_ports"] == .int(15))
        // 15 at 0.75 s, then doubling no sooner than the 10 s hold-off: 30 s → 600 ports at most.
        #expect(alerts.count >= 2 && alerts.count <= 4)
        #expect(bench.alerts.allSatisfy { $0.detector == .portScan })
    }

    @Test("FIN, NULL and Xmas probes count as probes")
    func stealthScan() {
        var bench = DetectorBench()
        let flags: [TCPFlags] = [.fin, [], [.fin, .psh, .urg]]
        for port in 1...20 {
            bench.feed(Traffic.segment(Double(port) * 0.01, "10.0.0.66", 40_000, "10.0.0.5", UInt16(port),
                                       flags[port % 3]))
        }
        #expect(bench.incidents(.portScan) == ["port-scan/10.0.0.66/10.0.0.5"])
    }

    @Test("a web client opening 30 connections to port 443 of one server is not a scan")
    func webClient() {
        var bench = DetectorBench()
        for index in 0..<30 {
            bench.feed(Traffic.handshake(Double(index) * 0.2, client: "10.0.0.20", port: UInt16(50_000 + index),
                                         server: "10.0.0.80", serverPort: 443))
        }
        bench.finish()
        #expect(bench.alerts.isEmpty)
    }

    @Test("a client of twenty open services on one host stays under the threshold")
    func manyOpenServices() {
        var bench = DetectorBench()
        for index in 0..<20 {
            bench.feed(Traffic.handshake(Double(index), client: "10.0.0.20", port: UInt16(50_000 + index),
                                         server: "10.0.0.80", serverPort: UInt16(8000 + index)))
        }
        bench.finish()
        #expect(bench.alerts.isEmpty)
    }

    @Test("a horizontal scan of one port is decided after four unanswered first contacts")
    func horizontalScan() throws {
        var scan = ScanDetector()
        var alerts: [Alert] = []
        for host in 1...4 {
            scan.observe(segment(Double(host) * 0.01, "10.0.0.66", "10.0.1.\(host)", 22, .syn), into: &alerts)
        }
        // Timeouts are judged on packet time: 2.9 s later nothing has failed yet.
        scan.observe(segment(2.9, "10.0.0.66", "10.0.1.4", 22, .syn), into: &alerts)
        #expect(alerts.isEmpty)
        scan.observe(segment(3.2, "10.0.0.99", "10.0.0.1", 80, .syn), into: &alerts)
        #expect(alerts.isEmpty, "the judging sweep runs at most once per packet second")
        scan.advance(to: Traffic.time(3.5), into: &alerts)
        let alert = try #require(alerts.first)
        #expect(alerts.count == 1)
        #expect(alert.incident == "port-scan/10.0.0.66/*")
        #expect(alert.dstPort == 22)
        let evidence = Dictionary(uniqueKeysWithValues: alert.evidence)
        #expect(evidence["failures"] == .int(4))
        #expect(evidence["first_contacts"] == .int(4))
        #expect(evidence["kind"] == .string("horizontal"))
    }

    @Test("resets decide as fast as timeouts, without waiting")
    func horizontalScanWithResets() {
        var scan = ScanDetector()
        var alerts: [Alert] = []
        for host in 1...4 {
            let t = Double(host) * 0.01
            scan.observe(segment(t, "10.0.0.66", "10.0.1.\(host)", 23, .syn), into: &alerts)
            scan.observe(TCPSegmentObservation(time: Traffic.time(t + 0.001), src: Traffic.ip("10.0.1.\(host)"),
                                               dst: Traffic.ip("10.0.0.66"), srcPort: 23, dstPort: 40_000,
                                               flags: [.rst, .ack]), into: &alerts)
        }
        #expect(alerts.map(\.incident) == ["port-scan/10.0.0.66/*"])
    }

    @Test("a client whose first contacts succeed is not a horizontal scanner")
    func benignClient() {
        var bench = DetectorBench()
        for host in 1...60 {
            bench.feed(Traffic.handshake(Double(host) * 0.5, client: "10.0.0.20", port: UInt16(50_000 + host),
                                         server: "10.0.2.\(host)", serverPort: 443))
            // and one dead host in ten
            if host % 10 == 0 {
                bench.feed(Traffic.segment(Double(host) * 0.5 + 0.1, "10.0.0.20", 60_000, "10.0.3.\(host)", 443, .syn))
            }
        }
        bench.finish()
        #expect(bench.alerts.isEmpty)
    }

    @Test("memory stays within the caps and evictions are counted")
    func caps() {
        var scan = ScanDetector(configuration: .init(maxPortsPerPair: 64, maxPairs: 128, maxPendingPerSource: 8,
                                                     maxSources: 100, maxTrackedItems: 500))
        var alerts: [Alert] = []
        // 5,000 sources, each probing two ports on each of two hosts: all get full state.
        for index in 0..<5_000 {
            let src = IPAddress(ipv4: 0x0A00_0000 | UInt32(index))
            for probe in 0..<4 {
                scan.observe(TCPSegmentObservation(time: Traffic.time(Double(index) * 0.001), src: src,
                                                   dst: IPAddress(ipv4: 0x0A01_0000 | UInt32(probe / 2)),
                                                   srcPort: 1, dstPort: UInt16(probe % 2 + 1), flags: .syn), into: &alerts)
            }
        }
        for port in 0..<1000 {
            scan.observe(segment(6 + Double(port) * 0.0001, "10.9.9.9", "10.8.8.8", UInt16(port), .syn), into: &alerts)
        }
        let stats = scan.statistics
        #expect(stats.trackedPairs <= 128)
        #expect(stats.trackedSources <= 100)
        #expect(stats.pairEvictions > 0)
        #expect(stats.sourceEvictions > 0)
        let tally = scan.portProbes(by: Traffic.ip("10.9.9.9"), on: Traffic.ip("10.8.8.8"))
        #expect(tally?.distinctPorts == 1000, "ports beyond the per-pair cap are still counted")
    }

    @Test("a spoofed SYN flood, one SYN per forged source, creates no per-source state")
    func spoofedFloodLeavesNoState() {
        var scan = ScanDetector()
        var alerts: [Alert] = []
        var random = SplitMix(seed: 11)
        for index in 0..<100_000 {
            scan.observe(TCPSegmentObservation(time: Traffic.time(Double(index) * 0.00001),
                                               src: IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next())),
                                               dst: Traffic.ip("10.0.0.80"), srcPort: 1, dstPort: 80, flags: .syn),
                         into: &alerts)
        }
        #expect(scan.statistics.trackedPairs == 0)
        #expect(scan.statistics.trackedSources == 0)
        #expect(alerts.isEmpty)
    }

    @Test("hostile input: time running backwards, port 0, IPv6 and extreme configurations do not trap")
    func hostileInput() {
        var scan = ScanDetector(configuration: .init(portScanWindow: .infinity, portScanThreshold: 2,
                                                     firstContactTimeout: -1, contactMemory: .nan,
                                                     maxContactsPerSource: 0, maxPendingPerSource: 0, maxSources: 0))
        var alerts: [Alert] = []
        let times: [Int64] = [Int64.max, 0, Int64.min, -5, Int64.max - 1, 1]
        for (index, t) in times.enumerated() {
            scan.observe(TCPSegmentObservation(time: Timestamp(nanoseconds: t), src: Traffic.ip("2001:db8::1"),
                                               dst: Traffic.ip("2001:db8::2"), srcPort: 0, dstPort: UInt16(index),
                                               flags: TCPFlags(rawValue: UInt8(index * 37 & 0xff))), into: &alerts)
        }
        scan.advance(to: Timestamp(nanoseconds: Int64.max), into: &alerts)
        scan.advance(to: Timestamp(nanoseconds: Int64.min), into: &alerts)
        #expect(scan.statistics.trackedSources <= 1)
    }

    private func segment(_ t: Double, _ src: String, _ dst: String, _ port: UInt16, _ flags: TCPFlags)
        -> TCPSegmentObservation {
        TCPSegmentObservation(time: Traffic.time(t), src: Traffic.ip(src), dst: Traffic.ip(dst), srcPort: 40_000,
                              dstPort: port, flags: flags)
    }
}
