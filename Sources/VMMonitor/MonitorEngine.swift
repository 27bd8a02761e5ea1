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

/// What the monitor watches for and how loudly it reports.
public struct MonitorPolicy: Sendable, Hashable {
    /// A hard ceiling on a metric: exceeded for `sustain` consecutive samples, it is an incident
    /// whatever the VM's history.
    public struct Limit: Sendable, Hashable {
        public var maximum: Double
        public var sustain: Int
        public init(maximum: Double, sustain: Int = 3) {
            self.maximum = maximum
            self.sustain = max(1, sustain)
        }
    }

    /// Seconds between samples.
    public var interval: Double = 10
    /// The VMs watched, as shell patterns on their names (`web-*`); empty: every VM.
    public var vms: [String] = []
    /// The baseline's season in seconds (0: off); `seasonSamples` is it at `interval`.
    public var seasonSeconds = 0.0
    public var limits: [Metric: Limit] = [:]
    /// The per-VM, per-metric baseline (the same detector `monitor replay` measures on NAB).
    public var baseline = StreamingDetector.Configuration()
    public var baselineEnabled = true
    /// Cross-VM outliers on one host: a VM far above its peers' median for `peerSustain` samples.
    public var peersEnabled = true
    public var peerDistance = 6.0
    public var peerMinimumVMs = 3
    public var peerSustain = 3
    /// Samples without any anomaly before an incident is resolved.
    public var quietSamples = 3
    /// An open incident reports again at most every this many samples (or when a new metric joins it
    /// or its peak doubles).
    public var updateEvery = 30

    public init() {
        // The detector's own defaults (what NAB measures), but alerts after 5 minutes of samples
        // at the default 10 s interval rather than 96 samples, and upward breakouts only.
        baseline.warmUp = 30
        baseline.upwardOnly = true
    }
}

extension MonitorPolicy {
    /// The season in samples at the current interval, at most 100,000 (0: off).
    public var seasonSamples: Int {
        guard seasonSeconds > 0, interval > 0 else { return 0 }
        return Int(min((seasonSeconds / interval).rounded(), 100_000))
    }

    /// Whether the VM named `name` is watched.
    public func watches(_ name: String) -> Bool {
        vms.isEmpty || vms.contains { fnmatch($0, name, 0) == 0 }
    }
}

/// One incident on one VM, as reported: opened, updated while it lasts, resolved once quiet.
/// Several metrics and detectors agreeing on one VM are one incident with several signals.
public struct MonitorAlert: Sendable, Hashable, Codable {
    public enum Phase: String, Sendable, Hashable, Codable { case opened, updated, resolved }

    public struct Signal: Sendable, Hashable, Codable {
        public var metric: Metric
        public var detectors: [DetectorKind]
        public var observed: Double
        public var expected: Double?
        public var limit: Double?
        public var peak: Double
        public var unit: String
        /// Wall-clock time (ISO 8601) the signal started.
        public var since: String
        public var threat: String
    }

    public var phase: Phase
    public var id: String
    public var vm: String
    public var uuid: String
    public var severity: Severity
    public var threatClasses: [ThreatClass]
    public var since: String
    public var time: String
    public var samples: Int
    public var signals: [Signal]

    /// One line for people: what, observed vs expected, since when, what it suggests.
    public var summary: String {
        let parts = signals.map { s -> String in
            var text = "\(s.metric.rawValue) \(Self.format(s.observed, s.metric))"
            if let e = s.expected { text += " (expected \(Self.format(e, s.metric))" + (s.limit.map { ", limit \(Self.format($0, s.metric))" } ?? "") + ")" } else if let l = s.limit { text += " (limit \(Self.format(l, s.metric)))" }
            return text + " [\(s.detectors.map(\.rawValue).joined(separator: "+"))]"
        }
        let threat = signals.first?.threat ?? ""
        return "\(phase.rawValue) \(vm): \(parts.joined(separator: "; ")) since \(since) — \(threat)"
    }

    static func format(_ value: Double, _ metric: Metric) -> String {
        switch metric {
        case .cpu: String(format: "%.2f cores", value)
        case .vcpuBusy, .vcpuDelay: String(format: "%.0f%%", value * 100)
        case .memory: String(format: "%.0f MiB", value / 1_048_576)
        case .netRxBytes, .netTxBytes, .diskReadBytes, .diskWriteBytes: String(format: "%.1f KiB/s", value / 1024)
        case .netRxPackets, .netTxPackets: String(format: "%.0f pkt/s", value)
        case .diskIOPS: String(format: "%.0f IOPS", value)
        }
    }
}

extension Metric {
    public var threatClass: ThreatClass {
        switch self {
        case .vcpuDelay: .sideChannel
        case .netRxBytes, .netTxBytes, .netRxPackets, .netTxPackets: .networkThreat
        default: .maliciousVM
        }
    }
}

/// The live monitor's state: samples in, rates and incidents out. Pure (no I/O, no clock), so a
/// test or a benchmark drives it with recorded samples.
public struct MonitorEngine: Sendable {
    public let policy: MonitorPolicy

    struct VMState: Sendable {
        var previous: DomainSample
        var unit: VCPUTimeUnit = .unknown
        var detectors: [Metric: StreamingDetector] = [:]
        var overLimit: [Metric: Int] = [:]
        var overPeers: [Metric: Int] = [:]
        var incident: Incident?
    }

    struct Incident: Sendable {
        var id: String
        var since: String
        var samples = 0
        var quiet = 0
        var sinceReport = 0
        var signals: [Metric: MonitorAlert.Signal] = [:]
        var reportedPeaks: [Metric: Double] = [:]
    }

    var vms: [String: VMState] = [:]

    public init(policy: MonitorPolicy = MonitorPolicy()) { self.policy = policy }

    /// The VMs tracked.
    public var trackedCount: Int { vms.count }

    /// Takes one round of samples (every active domain) taken at wall-clock `now`; returns each
    /// VM's rates and the alerts this round raises, updates or resolves.
    public mutating func ingest(_ samples: [DomainSample], now: Date = Date()) -> (rates: [VMRates], alerts: [MonitorAlert]) {
        let stamp = Event.timestamp(now)
        var rates: [VMRates] = []
        rates.reserveCapacity(samples.count)
        var seen = Set<String>()
        for sample in samples where policy.watches(sample.name) {
            seen.insert(sample.uuid)
            guard var state = vms[sample.uuid] else {
                vms[sample.uuid] = VMState(previous: sample, unit: VCPUTimeUnit.detect(cpuTime: sample.cpuTime, vcpuTimes: sample.vcpus.compactMap(\.time)))
                continue
            }
            if let r = VMRates.between(state.previous, sample, unit: state.unit) {
                state.unit = r.vcpuTimeUnit
                rates.append(r)
            }
            state.previous = sample
            vms[sample.uuid] = state
        }

        // Peers: each metric's median and spread across the host this round.
        var peerStats: [Metric: (median: Double, spread: Double)] = [:]
        if policy.peersEnabled && rates.count >= policy.peerMinimumVMs {
            for metric in Metric.allCases {
                let values = rates.compactMap { $0.values[metric] }.sorted()
                guard values.count >= policy.peerMinimumVMs else { continue }
                let median = StreamingDetector.median(values)
                let mad = StreamingDetector.medianDeviation(values, from: median)
                peerStats[metric] = (median, max(1.4826 * mad, 0.01 * abs(median), 1e-9))
            }
        }

        var alerts: [MonitorAlert] = []
        for r in rates {
            guard var state = vms[r.uuid] else { continue }
            var flagged: [Metric: (detectors: [DetectorKind], expected: Double?, limit: Double?, raise: Bool)] = [:]
            for (metric, value) in r.values {
                var detectors: [DetectorKind] = [], expected: Double?, limitValue: Double?, raise = false
                if let limit = policy.limits[metric] {
                    let over = value > limit.maximum
                    state.overLimit[metric] = over ? (state.overLimit[metric] ?? 0) + 1 : 0
                    if over && state.overLimit[metric]! >= limit.sustain { detectors.append(.limit); raise = true; limitValue = limit.maximum }
                }
                if policy.baselineEnabled {
                    var detector = state.detectors[metric] ?? StreamingDetector(configuration: baselineConfiguration(metric))
                    let o = detector.inspect(value)
                    state.detectors[metric] = detector
                    // Upward only (the policy's detector counts only upward breakouts): a VM doing less
                    // than its normal (a job ending, a pause) is no threat.
                    if o.anomalous, let e = o.expected, value > e { detectors.append(.baseline); expected = e; raise = raise || o.alert }
                }
                if let peers = peerStats[metric] {
                    let distance = (value - peers.median) / peers.spread
                    let over = distance >= policy.peerDistance && value - peers.median >= metric.floor
                    state.overPeers[metric] = over ? (state.overPeers[metric] ?? 0) + 1 : 0
                    if over && state.overPeers[metric]! >= policy.peerSustain {
                        detectors.append(.peers); raise = true
                        if expected == nil { expected = peers.median }
                    }
                }
                if !detectors.isEmpty { flagged[metric] = (detectors, expected, limitValue, raise) }
            }
            if let alert = advance(&state, rates: r, flagged: flagged, stamp: stamp) { alerts.append(alert) }
            vms[r.uuid] = state
        }

        // Domains gone since the last round: their incidents end with them.
        for (uuid, state) in vms where !seen.contains(uuid) {
            if let incident = state.incident {
                alerts.append(report(incident, phase: .resolved, name: state.previous.name, uuid: uuid, stamp: stamp))
            }
            vms[uuid] = nil
        }
        return (rates, alerts)
    }

    func baselineConfiguration(_ metric: Metric) -> StreamingDetector.Configuration {
        var c = policy.baseline
        c.minimumDeviation = max(c.minimumDeviation, metric.floor)
        return c
    }

    /// Moves one VM's incident along: open on a raising signal, update, resolve after quiet.
    func advance(_ state: inout VMState, rates r: VMRates,
                 flagged: [Metric: (detectors: [DetectorKind], expected: Double?, limit: Double?, raise: Bool)],
                 stamp: String) -> MonitorAlert? {
        guard var incident = state.incident else {
            guard flagged.values.contains(where: \.raise) else { return nil }
            var incident = Incident(id: "\(r.name)@\(stamp)", since: stamp)
            incident.samples = 1
            for (metric, f) in flagged where f.raise {
                incident.signals[metric] = signal(metric, r.values[metric]!, f, since: stamp)
            }
            incident.reportedPeaks = incident.signals.mapValues(\.peak)
            state.incident = incident
            return report(incident, phase: .opened, name: r.name, uuid: r.uuid, stamp: stamp)
        }
        incident.samples += 1
        incident.sinceReport += 1
        if flagged.isEmpty {
            incident.quiet += 1
            if incident.quiet >= policy.quietSamples {
                state.incident = nil
                // A resolved incident ends the detectors' hold-off: if it comes back, it is a new one.
                for metric in Array(state.detectors.keys) { state.detectors[metric]!.endHoldOff() }
                return report(incident, phase: .resolved, name: r.name, uuid: r.uuid, stamp: stamp)
            }
            state.incident = incident
            return nil
        }
        incident.quiet = 0
        var newMetric = false, grew = false
        for (metric, f) in flagged {
            let value = r.values[metric]!
            if var s = incident.signals[metric] {
                s.observed = value
                s.peak = max(s.peak, value)
                s.detectors = Array(Set(s.detectors).union(f.detectors)).sorted()
                s.expected = f.expected ?? s.expected
                s.limit = f.limit ?? s.limit
                incident.signals[metric] = s
                if let reported = incident.reportedPeaks[metric], s.peak >= 2 * reported, s.peak - reported >= metric.floor { grew = true }
            } else if f.raise || !f.detectors.isEmpty {
                incident.signals[metric] = signal(metric, value, f, since: stamp)
                newMetric = true
            }
        }
        guard newMetric || grew || incident.sinceReport >= policy.updateEvery else {
            state.incident = incident
            return nil
        }
        incident.sinceReport = 0
        incident.reportedPeaks = incident.signals.mapValues(\.peak)
        state.incident = incident
        return report(incident, phase: .updated, name: r.name, uuid: r.uuid, stamp: stamp)
    }

    func signal(_ metric: Metric, _ value: Double, _ f: (detectors: [DetectorKind], expected: Double?, limit: Double?, raise: Bool), since: String) -> MonitorAlert.Signal {
        MonitorAlert.Signal(metric: metric, detectors: f.detectors.sorted(), observed: value, expected: f.expected, limit: f.limit,
                            peak: value, unit: metric.unit, since: since, threat: metric.threat)
    }

    func report(_ incident: Incident, phase: MonitorAlert.Phase, name: String, uuid: String, stamp: String) -> MonitorAlert {
        let signals = incident.signals.values.sorted { $0.metric < $1.metric }
        var severity: Severity = .medium
        if signals.contains(where: { $0.detectors.contains(.limit) }) || signals.count >= 3 || signals.contains(where: { $0.detectors.count >= 2 }) {
            severity = .high
        }
        return MonitorAlert(phase: phase, id: incident.id, vm: name, uuid: uuid, severity: severity,
                            threatClasses: Array(Set(signals.map(\.metric.threatClass))).sorted(), since: incident.since,
                            time: stamp, samples: incident.samples, signals: signals)
    }
}
