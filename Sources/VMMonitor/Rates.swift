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

/// The behaviour the monitor watches, per VM, each a rate or a level over one interval.
public enum Metric: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Host cores the whole domain used (1.0 = one core busy).
    case cpu
    /// Busy fraction of the domain's vCPUs (from `vcpu.N.time`, unit detected).
    case vcpuBusy = "vcpu_busy"
    /// Fraction of time its vCPUs waited for a host CPU (steal: a neighbour is starving it).
    case vcpuDelay = "vcpu_delay"
    /// Resident memory of its QEMU process (bytes).
    case memory
    case netRxBytes = "net_rx_bytes", netTxBytes = "net_tx_bytes"
    case netRxPackets = "net_rx_pps", netTxPackets = "net_tx_pps"
    case diskReadBytes = "disk_read_bytes", diskWriteBytes = "disk_write_bytes"
    case diskIOPS = "disk_iops"

    public static func < (a: Metric, b: Metric) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }

    public var unit: String {
        switch self {
        case .cpu: "cores"
        case .vcpuBusy, .vcpuDelay: "fraction"
        case .memory: "bytes"
        case .netRxBytes, .netTxBytes, .diskReadBytes, .diskWriteBytes: "bytes/s"
        case .netRxPackets, .netTxPackets: "packets/s"
        case .diskIOPS: "requests/s"
        }
    }

    /// The least change worth an alert: below it a deviation from the baseline or the peers is
    /// noise however many MADs it is (an idle VM's 0.01 cores becoming 0.03 is not an incident).
    public var floor: Double {
        switch self {
        case .cpu: 0.10
        case .vcpuBusy, .vcpuDelay: 0.05
        case .memory: 64 * 1_048_576
        case .netRxBytes, .netTxBytes, .diskReadBytes, .diskWriteBytes: 256 * 1024
        case .netRxPackets, .netTxPackets: 200
        case .diskIOPS: 50
        }
    }

    /// What a VM far above its normal on this metric suggests.
    public var threat: String {
        switch self {
        case .cpu, .vcpuBusy: "malicious VM: resource abuse (e.g. cryptomining) starving co-resident guests"
        case .vcpuDelay: "noisy neighbour: another guest is taking this VM's CPU time (contention, and the co-residency side channels need)"
        case .memory: "malicious VM: memory swelling (resource abuse, host memory pressure)"
        case .netTxBytes, .netTxPackets: "network threat from this VM: flood, DDoS participation or scanning"
        case .netRxBytes, .netRxPackets: "network threat against this VM: inbound flood"
        case .diskReadBytes, .diskWriteBytes, .diskIOPS: "malicious VM: disk I/O abuse (neighbours' I/O starved; possible bulk exfiltration or ransomware)"
        }
    }
}

/// The unit of `vcpu.N.time`. libvirt documents microseconds; the QEMU driver reports the
/// thread's CPU time in nanoseconds. Decided per domain from the cumulative counters: the vCPU
/// threads' time is most of the domain's `cpu.time` (nanoseconds) in the same unit, a thousandth
/// of it in microseconds.
public enum VCPUTimeUnit: String, Sendable, Codable {
    case nanoseconds, microseconds, unknown

    /// Decides from cumulative `cpu.time` (ns) and the sum of `vcpu.N.time`; `unknown` until the
    /// domain has used 50 ms of CPU (too little to tell) or when the ratio fits neither unit.
    public static func detect(cpuTime: UInt64?, vcpuTimes: [UInt64]) -> VCPUTimeUnit {
        guard let cpuTime, cpuTime >= 50_000_000, !vcpuTimes.isEmpty else { return .unknown }
        let ratio = Double(vcpuTimes.reduce(0, &+)) / Double(cpuTime)
        if ratio >= 0.05 && ratio <= 1.5 { return .nanoseconds }
        if ratio >= 0.000_05 && ratio <= 0.001_5 { return .microseconds }
        return .unknown
    }

    var nanosecondsPerTick: Double? {
        switch self {
        case .nanoseconds: 1
        case .microseconds: 1_000
        case .unknown: nil
        }
    }
}

/// One VM's metrics over one interval, from two consecutive samples.
public struct VMRates: Sendable, Hashable {
    public var name: String
    public var uuid: String
    public var time: Double
    public var interval: Double
    public var values: [Metric: Double]
    public var vcpuTimeUnit: VCPUTimeUnit
    /// The host side of its interfaces (what a quarantine cuts).
    public var interfaces: [String]

    /// The rates between `previous` and `current` of the same domain; nil when the interval is
    /// not positive. A counter that went backwards (the domain restarted) gives no rate for that
    /// metric rather than a huge one.
    public static func between(_ previous: DomainSample, _ current: DomainSample, unit known: VCPUTimeUnit = .unknown) -> VMRates? {
        let dt = current.time - previous.time
        guard dt > 0.05, dt.isFinite else { return nil }
        var values: [Metric: Double] = [:]
        func rate(_ a: UInt64?, _ b: UInt64?) -> Double? {
            guard let a, let b, b >= a else { return nil }
            return Double(b - a) / dt
        }
        if let r = rate(previous.cpuTime, current.cpuTime) { values[.cpu] = r / 1e9 }

        var unit = known
        if unit == .unknown {
            unit = VCPUTimeUnit.detect(cpuTime: current.cpuTime, vcpuTimes: current.vcpus.compactMap(\.time))
        }
        let before = Dictionary(previous.vcpus.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        var busy = 0.0, delay = 0.0, busyCount = 0, delayCount = 0
        for vcpu in current.vcpus {
            let old = before[vcpu.index]
            if let scale = unit.nanosecondsPerTick, let r = rate(old?.time, vcpu.time) { busy += r * scale / 1e9; busyCount += 1 }
            if let r = rate(old?.delay, vcpu.delay) { delay += r / 1e9; delayCount += 1 }
        }
        if busyCount > 0 { values[.vcpuBusy] = busy / Double(busyCount) }
        if delayCount > 0 { values[.vcpuDelay] = delay / Double(delayCount) }
        if let rss = current.residentKiB { values[.memory] = Double(rss) * 1024 }

        let oldInterfaces = Dictionary(previous.interfaces.map { ($0.name ?? "#\($0.index)", $0) }, uniquingKeysWith: { a, _ in a })
        // Summed over devices; a device whose counter went backwards leaves the metric out rather
        // than count as 0 (a fake drop).
        var sums: [Metric: Double] = [:], broken: Set<Metric> = []
        func add(_ metric: Metric, _ value: Double?) {
            if let value { sums[metric, default: 0] += value } else { broken.insert(metric) }
        }
        for interface in current.interfaces {
            guard let old = oldInterfaces[interface.name ?? "#\(interface.index)"] else { continue }
            add(.netRxBytes, rate(old.rxBytes, interface.rxBytes))
            add(.netTxBytes, rate(old.txBytes, interface.txBytes))
            add(.netRxPackets, rate(old.rxPackets, interface.rxPackets))
            add(.netTxPackets, rate(old.txPackets, interface.txPackets))
        }
        let oldBlocks = Dictionary(previous.blocks.map { ($0.name ?? "#\($0.index)", $0) }, uniquingKeysWith: { a, _ in a })
        for block in current.blocks {
            guard let old = oldBlocks[block.name ?? "#\(block.index)"] else { continue }
            add(.diskReadBytes, rate(old.readBytes, block.readBytes))
            add(.diskWriteBytes, rate(old.writeBytes, block.writeBytes))
            let reads = rate(old.readRequests, block.readRequests), writes = rate(old.writeRequests, block.writeRequests)
            add(.diskIOPS, reads.flatMap { r in writes.map { r + $0 } })
        }
        for metric in broken { sums[metric] = nil }
        values.merge(sums) { a, _ in a }
        return VMRates(name: current.name, uuid: current.uuid, time: current.time, interval: dt, values: values,
                       vcpuTimeUnit: unit, interfaces: current.interfaces.compactMap(\.name))
    }
}
