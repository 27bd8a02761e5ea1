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
import Testing

@testable import VMMonitor

/// A host of simulated VMs whose cumulative counters advance by chosen rates: the engine sees
/// exactly what libvirt's statistics would show.
struct SimulatedHost {
    struct VM {
        var sample: DomainSample
        var cpu = 0.05, txPackets = 10.0, memoryMiB = 300.0
    }
    var vms: [String: VM] = [:]
    var time = 1000.0
    var unitIsMicroseconds = false

    mutating func add(_ name: String, cpu: Double = 0.05) {
        var sample = DomainSample(name: name, uuid: "uuid-\(name)", time: time)
        sample.cpuTime = 10_000_000_000
        sample.vcpuCount = 1
        sample.vcpus = [.init(index: 0, time: unitIsMicroseconds ? 9_000_000 : 9_000_000_000, delay: 1_000_000)]
        sample.residentKiB = 300 * 1024
        sample.interfaces = [.init(index: 0, name: "vnet-\(name)", rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0)]
        vms[name] = VM(sample: sample, cpu: cpu)
    }

    /// Advances every VM by `seconds`, with deterministic jitter, and returns their samples.
    mutating func step(_ seconds: Double = 10, jitter: Double = 0.1) -> [DomainSample] {
        time += seconds
        var out: [DomainSample] = []
        for name in vms.keys.sorted() {
            var vm = vms[name]!
            let wobble = 1 + jitter * sin(time * 0.37 + Double(name.count))
            let cpuNs = UInt64(vm.cpu * wobble * seconds * 1e9)
            vm.sample.time = time
            vm.sample.cpuTime! += cpuNs
            let vcpuTicks = unitIsMicroseconds ? cpuNs * 9 / 10 / 1000 : cpuNs * 9 / 10
            vm.sample.vcpus[0].time! += vcpuTicks
            vm.sample.vcpus[0].delay! += UInt64(0.01 * seconds * 1e9)
            vm.sample.residentKiB = UInt64(vm.memoryMiB * 1024 * wobble)
            let packets = UInt64(vm.txPackets * wobble * seconds)
            vm.sample.interfaces[0].txPackets! += packets
            vm.sample.interfaces[0].txBytes! += packets * 100
            vms[name] = vm
            out.append(vm.sample)
        }
        return out
    }
}

@Suite("Monitor engine")
struct MonitorEngineTests {
    @Test func ratesComeFromCounterDeltas() throws {
        var a = DomainSample(name: "web", uuid: "u", time: 100)
        a.cpuTime = 5_000_000_000
        a.vcpus = [.init(index: 0, time: 4_000_000_000, delay: 0), .init(index: 1, time: 4_000_000_000, delay: 0)]
        a.interfaces = [.init(index: 0, name: "vnet0", rxBytes: 1000, rxPackets: 10, txBytes: 2000, txPackets: 20)]
        a.blocks = [.init(index: 0, name: "vda", readBytes: 0, writeBytes: 0, readRequests: 0, writeRequests: 0)]
        var b = a
        b.time = 110
        b.cpuTime = 20_000_000_000            // 15 s of CPU in 10 s: 1.5 cores
        b.vcpus = [.init(index: 0, time: 11_000_000_000, delay: 500_000_000), .init(index: 1, time: 10_000_000_000, delay: 1_500_000_000)]
        b.interfaces[0] = .init(index: 0, name: "vnet0", rxBytes: 11_000, rxPackets: 110, txBytes: 2000, txPackets: 20)
        b.blocks[0] = .init(index: 0, name: "vda", readBytes: 4096 * 10, writeBytes: 0, readRequests: 10, writeRequests: 20)
        b.residentKiB = 1024
        let r = try #require(VMRates.between(a, b))
        #expect(r.values[.cpu] == 1.5)
        #expect(r.vcpuTimeUnit == .nanoseconds)
        #expect(abs(r.values[.vcpuBusy]! - 0.65) < 1e-9)     // (0.7 + 0.6) / 2
        #expect(abs(r.values[.vcpuDelay]! - 0.10) < 1e-9)    // (0.05 + 0.15) / 2
        #expect(r.values[.netRxBytes] == 1000 && r.values[.netRxPackets] == 10 && r.values[.netTxPackets] == 0)
        #expect(r.values[.diskReadBytes] == 4096 && r.values[.diskIOPS] == 3)
        #expect(r.values[.memory] == 1_048_576.0)
        #expect(r.interfaces == ["vnet0"])
    }

    @Test func vcpuTimeUnitIsDetectedNotAssumed() {
        #expect(VCPUTimeUnit.detect(cpuTime: 10_000_000_000, vcpuTimes: [4_500_000_000, 4_000_000_000]) == .nanoseconds)
        #expect(VCPUTimeUnit.detect(cpuTime: 10_000_000_000, vcpuTimes: [4_500_000, 4_000_000]) == .microseconds)
        #expect(VCPUTimeUnit.detect(cpuTime: 10_000_000, vcpuTimes: [9_000_000]) == .unknown, "too little CPU to tell")
        #expect(VCPUTimeUnit.detect(cpuTime: 10_000_000_000, vcpuTimes: [90_000_000_000]) == .unknown, "fits neither unit")
        // A microsecond-reporting driver gives the same busy fraction once detected.
        var host = SimulatedHost()
        host.unitIsMicroseconds = true
        host.add("a", cpu: 0.5)
        var engine = MonitorEngine()
        _ = engine.ingest(host.step())
        let rates = engine.ingest(host.step(jitter: 0)).rates
        #expect(rates.first?.vcpuTimeUnit == .microseconds)
        #expect(abs((rates.first?.values[.vcpuBusy] ?? 0) - 0.45) < 0.001)
    }

    @Test func aCounterThatGoesBackwardsGivesNoRate() throws {
        var a = DomainSample(name: "web", uuid: "u", time: 100)
        a.cpuTime = 5_000_000_000
        var b = a
        b.time = 110
        b.cpuTime = 1_000_000_000   // restarted
        let r = try #require(VMRates.between(a, b))
        #expect(r.values[.cpu] == nil)
        b.time = 100
        #expect(VMRates.between(a, b) == nil, "no interval, no rate")
    }

    @Test func aHardLimitOpensOneIncidentThatUpdatesAndResolves() {
        var policy = MonitorPolicy()
        policy.limits[.cpu] = .init(maximum: 0.8, sustain: 3)
        policy.baselineEnabled = false
        policy.peersEnabled = false
        policy.updateEvery = 10
        var engine = MonitorEngine(policy: policy)
        var host = SimulatedHost()
        host.add("busy", cpu: 0.95)
        host.add("idle", cpu: 0.05)
        var alerts: [MonitorAlert] = []
        _ = engine.ingest(host.step(jitter: 0.02))
        for _ in 0..<25 { alerts += engine.ingest(host.step(jitter: 0.02)).alerts }
        #expect(alerts.allSatisfy { $0.vm == "busy" }, "the idle VM is never flagged")
        #expect(alerts.map(\.phase) == [.opened, .updated, .updated], "25 samples over the limit: one incident, updates every 10")
        let opened = alerts[0]
        #expect(opened.severity == .high)
        #expect(opened.threatClasses == [.maliciousVM])
        let signal = opened.signals[0]
        #expect(signal.metric == .cpu && signal.detectors == [.limit] && signal.limit == 0.8)
        #expect(abs(signal.observed - 0.95) < 0.05)
        #expect(opened.summary.contains("cpu 0.9") && opened.summary.contains("limit 0.80 cores") && opened.summary.contains("resource abuse"))
        // Back under the limit: resolved after the quiet samples, once.
        host.vms["busy"]!.cpu = 0.1
        var after: [MonitorAlert] = []
        for _ in 0..<10 { after += engine.ingest(host.step(jitter: 0.02)).alerts }
        #expect(after.map(\.phase) == [.resolved])
        #expect(after.first?.id == opened.id)
    }

    @Test func theBaselineLearnsEachVMsNormalAndFlagsAChange() {
        var policy = MonitorPolicy()
        policy.peersEnabled = false
        var engine = MonitorEngine(policy: policy)
        var host = SimulatedHost()
        host.add("steady", cpu: 0.6)   // busy but always so: its normal
        host.add("quiet", cpu: 0.05)
        var alerts: [MonitorAlert] = []
        for _ in 0..<60 { alerts += engine.ingest(host.step()).alerts }
        #expect(alerts.isEmpty, "a steadily busy VM is normal for itself: \(alerts.map(\.summary))")
        host.vms["quiet"]!.txPackets = 5000       // starts flooding
        for _ in 0..<5 { alerts += engine.ingest(host.step()).alerts }
        let opened = alerts.filter { $0.phase == .opened }
        #expect(opened.count == 1)
        #expect(opened.first?.vm == "quiet")
        let signals = opened.first?.signals.map(\.metric) ?? []
        #expect(signals.contains(.netTxPackets))
        let tx = opened.first?.signals.first { $0.metric == .netTxPackets }
        #expect(tx?.detectors == [.baseline])
        #expect((tx?.expected ?? 0) < 20 && (tx?.observed ?? 0) > 4000, "observed vs expected")
        #expect(opened.first?.threatClasses.contains(.networkThreat) == true)
        #expect(alerts.filter { $0.phase == .updated }.count <= 1, "a sustained flood is one incident, not an alert per sample")
    }

    /// A metric high by day and low by night: with the season on, a night-time burst to the
    /// daytime level is anomalous (it is inside the week's envelope, so A and B miss it); without
    /// seasonality in the data, C stays silent.
    @Test func theSeasonalComponentFlagsADaytimeLevelAtNight() {
        func run(season: Int, diurnal: Bool) -> [Int] {
            var c = StreamingDetector.Configuration()
            c.season = season
            var detector = StreamingDetector(configuration: c)
            var alerts: [Int] = []
            for i in 0..<(288 * 8) {
                let hour = (i % 288) / 12
                var value = diurnal ? (hour >= 8 && hour < 20 ? 100.0 : 10.0) : 55.0
                value += Double((i * 7919) % 13) * 0.3
                if diurnal && i >= 288 * 7 + 12 * 2 && i < 288 * 7 + 12 * 4 { value = 100 }   // 02:00–04:00 on day 8
                if detector.inspect(value).alert { alerts.append(i) }
            }
            return alerts
        }
        let burst = (288 * 7 + 24)..<(288 * 7 + 48)
        #expect(run(season: 0, diurnal: true).filter { burst.contains($0) }.isEmpty, "the week's envelope alone misses it")
        #expect(run(season: 288, diurnal: true).contains { burst.contains($0) }, "the same hour of past days does not")
        #expect(run(season: 288, diurnal: false).filter { $0 >= 288 * 3 }.isEmpty, "no seasonality in the data: C stays silent")
        let (policy, _, _) = try! MonitorPolicy.parse("interval_seconds: 10\nbaseline: { season_seconds: 86400 }\n", file: "m")
        #expect(policy.baseline.season == 8640)
    }

    @Test func extremeValuesNeitherCrashNorLeaveTheScoreRange() {
        var configuration = StreamingDetector.Configuration()
        configuration.history = 50
        configuration.smoothedHistory = 20
        configuration.smoothing = 4
        configuration.warmUp = 8
        var detector = StreamingDetector(configuration: configuration)
        let extremes: [Double] = [1e308, -1e308, 3.5e38, -3.5e38, 0, 1e-300, .nan, .infinity, -.infinity, 42, Double(Float.greatestFiniteMagnitude)]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let o = detector.inspect(extremes.randomElement(using: &generator)!)
            #expect(o.score >= 0 && o.score <= 1)
        }
    }

    @Test func aDropIsNoThreatAndAResolvedIncidentCanOpenAgain() {
        var policy = MonitorPolicy()
        policy.peersEnabled = false
        var engine = MonitorEngine(policy: policy)
        var host = SimulatedHost()
        host.add("batch", cpu: 1.5)
        var alerts: [MonitorAlert] = []
        for _ in 0..<60 { alerts += engine.ingest(host.step()).alerts }
        host.vms["batch"]!.cpu = 0.01       // the job ends: far below its normal
        for _ in 0..<10 { alerts += engine.ingest(host.step()).alerts }
        #expect(alerts.isEmpty, "doing less than usual is not an incident: \(alerts.map(\.summary))")
        // A rise right after the drop (within the detector's hold-off) still opens an incident:
        // the drop did not spend the hold-off.
        var risen = engine
        var hostAfterDrop = host
        hostAfterDrop.vms["batch"]!.cpu = 3.0
        var rise: [MonitorAlert] = []
        for _ in 0..<3 { rise += risen.ingest(hostAfterDrop.step()).alerts }
        #expect(rise.map(\.phase) == [.opened], "\(rise.map(\.summary))")
        // Up, resolved, up again within the detector's hold-off: two incidents, not one.
        host.vms["batch"]!.cpu = 1.5
        for _ in 0..<30 { _ = engine.ingest(host.step()) }
        host.vms["batch"]!.txPackets = 8000
        for _ in 0..<3 { alerts += engine.ingest(host.step()).alerts }
        host.vms["batch"]!.txPackets = 10
        for _ in 0..<5 { alerts += engine.ingest(host.step()).alerts }
        host.vms["batch"]!.txPackets = 20000
        for _ in 0..<3 { alerts += engine.ingest(host.step()).alerts }
        #expect(alerts.map(\.phase) == [.opened, .resolved, .opened], "\(alerts.map(\.summary))")
    }

    @Test func aResetCounterLeavesTheMetricOutRatherThanReadZero() throws {
        var a = DomainSample(name: "web", uuid: "u", time: 100)
        a.interfaces = [.init(index: 0, name: "vnet0", rxBytes: 1000, rxPackets: 10, txBytes: 2000, txPackets: 20),
                        .init(index: 1, name: "vnet1", rxBytes: 1000, rxPackets: 10, txBytes: 2000, txPackets: 20)]
        var b = a
        b.time = 110
        b.interfaces[0].rxBytes = 5                 // reset on one device
        b.interfaces[1].rxBytes = 11_000
        let r = try #require(VMRates.between(a, b))
        #expect(r.values[.netRxBytes] == nil)
        #expect(r.values[.netTxBytes] == 0)
    }

    @Test func smallChangesOnAnIdleVMAreBelowTheFloor() {
        var policy = MonitorPolicy()
        policy.peersEnabled = false
        var engine = MonitorEngine(policy: policy)
        var host = SimulatedHost()
        host.add("idle", cpu: 0.01)
        var alerts: [MonitorAlert] = []
        for _ in 0..<40 { alerts += engine.ingest(host.step(jitter: 0.001)).alerts }
        host.vms["idle"]!.cpu = 0.05   // 40 MADs away, but 0.04 cores
        for _ in 0..<5 { alerts += engine.ingest(host.step(jitter: 0.001)).alerts }
        #expect(alerts.isEmpty)
    }

    @Test func aVMFarAboveItsPeersIsAnOutlier() {
        var policy = MonitorPolicy()
        policy.baselineEnabled = false
        var engine = MonitorEngine(policy: policy)
        var host = SimulatedHost()
        for i in 0..<5 { host.add("vm\(i)", cpu: 0.10 + 0.01 * Double(i)) }
        host.add("miner", cpu: 1.9)
        var alerts: [MonitorAlert] = []
        for _ in 0..<6 { alerts += engine.ingest(host.step()).alerts }
        #expect(alerts.map(\.vm) == ["miner"])
        let signal = alerts.first?.signals.first { $0.metric == .cpu }
        #expect(signal?.detectors == [.peers])
        #expect(signal.map { $0.expected! < 0.2 } == true, "expected: the host's median")
        // With two VMs there are no peers to speak of.
        var pair = MonitorEngine(policy: policy)
        var small = SimulatedHost()
        small.add("a", cpu: 0.05)
        small.add("b", cpu: 1.9)
        var none: [MonitorAlert] = []
        for _ in 0..<6 { none += pair.ingest(small.step()).alerts }
        #expect(none.isEmpty)
    }

    @Test func onlyTheWatchedVMsAreTracked() {
        var policy = MonitorPolicy()
        policy.vms = ["web-*"]
        policy.limits[.cpu] = .init(maximum: 0.5, sustain: 1)
        var engine = MonitorEngine(policy: policy)
        var host = SimulatedHost()
        host.add("web-1", cpu: 0.9)
        host.add("batch", cpu: 0.9)
        _ = engine.ingest(host.step())
        let (rates, alerts) = engine.ingest(host.step())
        #expect(rates.map(\.name) == ["web-1"] && alerts.map(\.vm) == ["web-1"] && engine.trackedCount == 1)
    }

    @Test func theRateLimiterAllowsAtMostNPerSlidingHour() {
        var limiter = ResponseRateLimiter(maxPerHour: 2)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let decisions = [0, 10, 20, 3599, 3600, 3605, 3611].map { limiter.allow(now: t0 + Double($0)) }
        #expect(decisions == [true, true, false, false, true, false, true])
        var none = ResponseRateLimiter(maxPerHour: 0)
        let never = none.allow(now: t0)
        #expect(!never)
    }

    @Test func aVMThatGoesAwayResolvesItsIncident() {
        var policy = MonitorPolicy()
        policy.limits[.cpu] = .init(maximum: 0.5, sustain: 1)
        var engine = MonitorEngine(policy: policy)
        var host = SimulatedHost()
        host.add("busy", cpu: 0.9)
        _ = engine.ingest(host.step())
        #expect(engine.ingest(host.step()).alerts.map(\.phase) == [.opened])
        host.vms["busy"] = nil
        let gone = engine.ingest(host.step()).alerts
        #expect(gone.map(\.phase) == [.resolved])
        #expect(engine.trackedCount == 0)
    }

    @Test func autoResponseIsOptInAllowlistedAndSkipsResolved() {
        var response = AutoResponse()
        let alert = MonitorAlert(phase: .opened, id: "x", vm: "web", uuid: "u", severity: .high, threatClasses: [.maliciousVM],
                                 since: "t", time: "t", samples: 1,
                                 signals: [.init(metric: .cpu, detectors: [.limit], observed: 1, expected: nil, limit: 0.8, peak: 1, unit: "cores", since: "t", threat: "")])
        #expect(!response.wants(alert), "default: alert only")
        response.quarantineOn = [.limit]
        #expect(response.wants(alert))
        response.allow = ["web"]
        #expect(!response.wants(alert))
        response.allow = []
        var resolved = alert
        resolved.phase = .resolved
        #expect(!response.wants(resolved))
    }
}

@Suite("Monitor policy and statistics parsing")
struct MonitorParsingTests {
    @Test func policyParses() throws {
        let (policy, uri, response) = try MonitorPolicy.parse("""
            interval_seconds: 5
            uri: qemu:///session
            vms: [web-*, db]
            limits:
              cpu: 0.9
              net_tx_pps: { max: 50000, sustain: 2 }
            baseline: { history: 100, smoothing: 6, warm_up: 20, threshold: 0.2, hold_off: 10 }
            peers: { enabled: false }
            quiet_samples: 4
            response: { quarantine_on: [limit, peers], allow: [dns], max_per_hour: 1 }
            """, file: "m.yaml")
        #expect(policy.interval == 5 && uri == "qemu:///session")
        #expect(policy.watches("web-1") && policy.watches("db") && !policy.watches("db2") && !policy.watches("mail"))
        #expect(policy.limits[.cpu] == .init(maximum: 0.9, sustain: 3))
        #expect(policy.limits[.netTxPackets] == .init(maximum: 50000, sustain: 2))
        #expect(policy.baseline.history == 100 && policy.baseline.smoothing == 6 && policy.baseline.warmUp == 20 && policy.baseline.threshold == 0.2 && policy.baseline.holdOff == 10)
        #expect(!policy.peersEnabled && policy.quietSamples == 4)
        #expect(response.quarantineOn == [.limit, .peers] && response.allow == ["dns"] && response.maxPerHour == 1)
        // The same section inside the agent's configuration.
        let (inSection, _, _) = try MonitorPolicy.parse("state_directory: /x\nmonitor:\n  limits: { cpu: 2 }\n", file: "c.yaml", section: true)
        #expect(inSection.limits[.cpu]?.maximum == 2)
    }

    @Test(arguments: [
        ("limits: { cpux: 1 }", "unknown metric 'cpux'", 1),
        ("interval_seconds: 0", "interval_seconds must be a number from", 1),
        ("baseline: { windw: 3 }", "unknown setting 'baseline.windw'", 1),
        ("response: { quarantine_on: [everything] }", "unknown detector 'everything'", 1),
        ("response: { quarantine_on: [port-scan] }", "unknown detector 'port-scan'", 1),
        ("limits:\n  cpu: { sustain: 2 }", "limits.cpu needs max", 2),
        ("colour: red", "unknown setting 'colour'", 1),
        ("- a list", "must be a mapping", 1),
    ])
    func badPoliciesNameTheProblemAndItsLine(text: String, message: String, line: Int) {
        #expect {
            _ = try MonitorPolicy.parse(text, file: "m.yaml")
        } throws: { error in
            guard let e = error as? HyperwardError else { return false }
            return e.message.contains(message) && e.location?.line == line && e.code == .configuration
        }
    }

    @Test func domstatsTextParses() throws {
        let text = """
            Domain: 'web'
              state.state=1
              cpu.time=123456789000
              balloon.current=524288
              balloon.rss=301234
              vcpu.current=2
              vcpu.0.state=1
              vcpu.0.time=100000000000
              vcpu.0.delay=5000
              vcpu.1.time=20000000000
              net.count=1
              net.0.name=vnet7
              net.0.rx.bytes=1000
              net.0.rx.pkts=10
              net.0.tx.bytes=2000
              net.0.tx.pkts=20
              block.count=1
              block.0.name=vda
              block.0.rd.bytes=4096
              block.0.wr.reqs=3

            Domain: 'db'
              state.state=3
            """
        let samples = try DomainSample.parseDomstats(text, time: 1)
        #expect(samples.map(\.name) == ["web", "db"])
        let web = samples[0]
        #expect(web.state == 1 && web.cpuTime == 123_456_789_000 && web.memoryKiB == 524_288 && web.residentKiB == 301_234)
        #expect(web.vcpuCount == 2 && web.vcpus.map(\.index) == [0, 1] && web.vcpus[0].delay == 5000)
        #expect(web.interfaces == [.init(index: 0, name: "vnet7", rxBytes: 1000, rxPackets: 10, txBytes: 2000, txPackets: 20)])
        #expect(web.blocks.first?.readBytes == 4096 && web.blocks.first?.writeRequests == 3)
        #expect(samples[1].state == 3 && samples[1].cpuTime == nil)
    }

    /// `virsh domstats` of a real TCG guest (2 vCPUs, a tap, a qcow2 disk), two seconds apart.
    @Test func aRealGuestsStatisticsGiveSaneRates() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let first = try DomainSample.parseDomstats(try String(contentsOf: fixtures.appendingPathComponent("domstats-tcg-1.txt"), encoding: .utf8), time: 0)
        let second = try DomainSample.parseDomstats(try String(contentsOf: fixtures.appendingPathComponent("domstats-tcg-2.txt"), encoding: .utf8), time: 2)
        let a = try #require(first.first), b = try #require(second.first)
        #expect(a.state == 1 && a.cpuTime == 7_898_808_000 && a.vcpuCount == 2 && a.vcpus.count == 2)
        #expect(a.interfaces.first?.name == "vnet12" && a.blocks.first?.name == "vda" && a.residentKiB == 208_248)
        // QEMU's vcpu.N.time is nanoseconds (6.62 s + 0.87 s of 7.90 s), not libvirt's documented microseconds.
        #expect(VCPUTimeUnit.detect(cpuTime: a.cpuTime, vcpuTimes: a.vcpus.compactMap(\.time)) == .nanoseconds)
        let r = try #require(VMRates.between(a, b))
        // A booting TCG guest keeps about one host core busy.
        #expect(r.values[.cpu].map { $0 > 0.5 && $0 < 2.1 } == true, "\(r.values)")
        #expect(r.values[.vcpuBusy].map { $0 > 0.2 && $0 <= 1.05 } == true, "\(r.values)")
        #expect(r.values[.vcpuDelay].map { $0 >= 0 && $0 < 1 } == true)
    }

    @Test func hostileStatisticsAreBoundedErrorsNotCrashes() {
        #expect(throws: MonitorError.self) { try DomainSample.parseDomstats("Domain: 'x'\n  vcpu.99999999999999999999.time=1\n", time: 0) }
        #expect(throws: MonitorError.self) { try DomainSample.parseDomstats("Domain: 'x'\n  net.5000.rx.bytes=1\n", time: 0) }
        let many = "Domain: 'x'\n" + String(repeating: "  cpu.time=1\n", count: DomainSample.maxFields + 1)
        #expect(throws: MonitorError.self) { try DomainSample.parseDomstats(many, time: 0) }
        // Wrong types, negative and odd values are ignored, not trusted.
        let odd = try? DomainSample.parseDomstats("Domain: 'x'\n  cpu.time=-5\n  net.0.rx.bytes=lots\n  vcpu.abc.time=1\n  =\n  balloon.rss=1e400\n", time: 0)
        #expect(odd?.first?.cpuTime == nil && odd?.first?.interfaces.first?.rxBytes == nil && odd?.first?.residentKiB == nil)
        // Random bytes: never a crash.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let alphabet = Array("Domain: '\n.=0123456789vcpunetblockrxtimedelay-".utf8)
            let bytes = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            _ = try? DomainSample.parseDomstats(String(decoding: bytes, as: UTF8.self), time: 0)
        }
    }
}

@Suite("Monitor alert as an event")
struct MonitorAlertEventTests {
    @Test func anIncidentBecomesAMonitorEventAboutItsVM() throws {
        let alert = try JSONDecoder().decode(MonitorAlert.self, from: Data(#"""
            {"phase":"opened","id":"web-1-1","vm":"web-1","uuid":"6f1c1a52-8d2b-4d4c-9d6e-3f0e1b2a7c11","severity":"high",
             "threatClasses":["T2","T4"],"since":"2026-01-01T00:00:00.000Z","time":"2026-01-01T00:00:30.000Z","samples":3,
             "signals":[{"metric":"cpu","detectors":["baseline","limit"],"observed":3.5,"expected":0.4,"limit":2,"peak":3.6,
                         "unit":"cores","since":"2026-01-01T00:00:00.000Z","threat":"T2 resource abuse"},
                        {"metric":"vcpu_delay","detectors":["peers"],"observed":0.5,"peak":0.5,
                         "unit":"fraction","since":"2026-01-01T00:00:10.000Z","threat":"T4 noisy neighbour"}]}
            """#.utf8))
        let event = alert.event
        #expect(event.kind == "monitor.opened" && event.engine == .monitor && event.vm == "web-1" && event.subject == "web-1")
        #expect(event.time == alert.time && event.severity == .high && event.summary == alert.summary)
        #expect(event.threat == .maliciousVM, "the first signal's class, the one the summary names")
        #expect(event.evidence.map(\.kind) == ["metric:cpu", "metric:vcpu_delay"])
        #expect(event.evidence.first?.value == "observed 3.50 cores, expected 0.40 cores, limit 2.00 cores, peak 3.60 cores [baseline+limit] since 2026-01-01T00:00:00.000Z")
        let body = try #require(event.body)
        #expect(try JSONDecoder().decode(MonitorAlert.self, from: Data(body.utf8)) == alert, "the body is the incident")
    }
}
