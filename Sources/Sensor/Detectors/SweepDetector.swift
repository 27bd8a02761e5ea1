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

import HyperwardCore

/// Address-sweep detection: one sender asking for many distinct addresses (host discovery).
///
/// - **ARP**: who-has requests per sender MAC (the layer-2 sender, which is what a sweeper cannot
///   vary without losing its answers), counted as distinct target addresses in a tumbling window.
///   Gratuitous ARP (sender address = target) announces, it does not ask, and is ignored. The
///   window is short: a host that routes for many neighbours (a libvirt bridge address with dozens
///   of guests) re-resolves each within its neighbour-cache lifetime (Linux `base_reachable_time`,
///   30 s, randomized 15–45 s), which spreads requests out, while `nmap -sn` on a LAN asks for a
///   whole /24 in two or three seconds.
/// - **ICMP echo**: echo requests per source IP to distinct hosts, minus the hosts that replied:
///   a monitoring host pinging machines that answer is not sweeping; unanswered targets weigh.
///
/// The default threshold, 25 distinct targets, is Zeek's `Scan::addr_scan_threshold` and Snort 3's
/// `port_scan.*_sweep.nets`. One alert per incident (`address-sweep/arp/MAC`,
/// `address-sweep/icmp/SRC`), re-alerted by the ``Aggregator``; memory capped, evictions counted.
public struct SweepDetector: Sendable {
    /// Thresholds, windows and memory caps.
    public struct Configuration: Sendable, Hashable {
        /// Distinct ARP targets from one sender within ``arpWindow`` that make a sweep. Default 25.
        public var arpThreshold: Int
        /// The ARP window in seconds. Default 10 s.
        public var arpWindow: Double
        /// Distinct unanswered echo targets from one source within ``icmpWindow``. Default 25.
        public var icmpThreshold: Int
        /// The ICMP window in seconds: Zeek's `Scan::addr_scan_interval`, 5 min.
        public var icmpWindow: Double
        /// The most targets remembered per sender; more are counted, not deduplicated.
        public var maxTargetsPerSource: Int
        /// The most senders tracked (ARP and ICMP each).
        public var maxSources: Int
        /// The most targets remembered by all senders together (about 16 bytes each); beyond it,
        /// new targets are counted, not remembered. Recounted each second. Default 1,048,576.
        public var maxTrackedTargets: Int
        /// When incidents are re-reported and end.
        public var aggregation: AggregatorConfiguration

        /// A configuration; every parameter has the documented default.
        public init(arpThreshold: Int = 25, arpWindow: Double = 10, icmpThreshold: Int = 25, icmpWindow: Double = 300,
                    maxTargetsPerSource: Int = 4096, maxSources: Int = 16_384, maxTrackedTargets: Int = 1 << 20,
                    aggregation: AggregatorConfiguration = AggregatorConfiguration()) {
            self.arpThreshold = arpThreshold
            self.arpWindow = arpWindow
            self.icmpThreshold = icmpThreshold
            self.icmpWindow = icmpWindow
            self.maxTargetsPerSource = maxTargetsPerSource
            self.maxSources = maxSources
            self.maxTrackedTargets = maxTrackedTargets
            self.aggregation = aggregation
        }
    }

    /// Table sizes and what was dropped to respect the caps.
    public struct Statistics: Sendable, Hashable {
        /// ARP senders tracked now.
        public var trackedARPSenders: Int
        /// ICMP sources tracked now.
        public var trackedICMPSources: Int
        /// Senders evicted because a table was full.
        public var evictions: Int
        /// Incidents evicted from the aggregator.
        public var incidentEvictions: Int
    }

    enum IncidentKey: Hashable, Sendable {
        case arp(UInt64)
        case icmp(IPAddress)
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// Sources whose address cannot be forged (VM ports behind anti-spoofing).
    public var verifiedSources: Set<IPAddress> = []

    private var arpSenders: AggregationStateTable<UInt64, SweepSourceState>
    private var icmpSources: AggregationStateTable<IPAddress, SweepSourceState>
    private var aggregator: Aggregator<IncidentKey>
    private let arpWindowNanoseconds: Int64
    private let icmpWindowNanoseconds: Int64
    /// Targets remembered in sets (an upper bound between the per-second recounts).
    private var trackedTargets = 0
    private var lastRecount: Int64 = Int64.min

    /// A detector with the given configuration.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.arpSenders = AggregationStateTable(capacity: configuration.maxSources)
        self.icmpSources = AggregationStateTable(capacity: configuration.maxSources)
        self.aggregator = Aggregator(configuration: configuration.aggregation)
        self.arpWindowNanoseconds = nanoseconds(configuration.arpWindow)
        self.icmpWindowNanoseconds = nanoseconds(configuration.icmpWindow)
    }

    /// Current table sizes and drop counts.
    public var statistics: Statistics {
        Statistics(trackedARPSenders: arpSenders.count, trackedICMPSources: icmpSources.count,
                   evictions: arpSenders.evictions + icmpSources.evictions, incidentEvictions: aggregator.evictions)
    }

    /// Takes one ARP request (or neighbor solicitation); appends any alert it completes to `alerts`.
    public mutating func observe(_ request: ARPRequestObservation, into alerts: inout [Alert]) {
        guard !request.isGratuitous else { return }
        let time = request.time.nanoseconds
        let mac = request.senderMAC
        let senderIP = request.senderIP
        maintain(time: time)
        let slot = arpSenders.slot(for: mac, now: time, idleBefore: elapsed(from: arpWindowNanoseconds, to: time)) {
            SweepSourceState(time: time, sender: senderIP)
        }
        let score = arpSenders.values[slot].ask(
            target: request.targetIP, sender: senderIP, time: time, window: arpWindowNanoseconds,
            maxTargets: trackedTargets < configuration.maxTrackedTargets ? configuration.maxTargetsPerSource : 0)
        guard score >= configuration.arpThreshold, let state = arpSenders.value(at: slot) else { return }
        guard let report = aggregator.record(.arp(mac), count: Int64(state.distinctTargets), at: request.time) else {
            return
        }
        let macString = macText(mac)
        let sender = state.sender
        alerts.append(makeAlert(
            state: state, time: request.time, report: report, method: "arp",
            summary: "\(sender) (\(macString)) asked for \(state.distinctTargets) addresses by ARP in "
                + seconds(elapsed(from: state.windowStart, to: state.lastActivity)),
            src: sender, incident: "address-sweep/arp/\(macString)", window: configuration.arpWindow,
            extra: [("mac", .string(macString))]))
    }

    /// Takes one ICMP echo request or reply; appends any alert it completes to `alerts`.
    public mutating func observe(_ echo: ICMPEchoObservation, into alerts: inout [Alert]) {
        let time = echo.time.nanoseconds
        guard echo.isRequest else {
            // A reply from a target takes it off its asker's unanswered count.
            if let slot = icmpSources.find(echo.dst) {
                icmpSources.values[slot].answered(by: echo.src, time: time)
            }
            return
        }
        let source = echo.src
        maintain(time: time)
        let slot = icmpSources.slot(for: source, now: time, idleBefore: elapsed(from: icmpWindowNanoseconds, to: time)) {
            SweepSourceState(time: time, sender: source)
        }
        let score = icmpSources.values[slot].ask(
            target: echo.dst, sender: source, time: time, window: icmpWindowNanoseconds,
            maxTargets: trackedTargets < configuration.maxTrackedTargets ? configuration.maxTargetsPerSource : 0)
        guard score >= configuration.icmpThreshold, let state = icmpSources.value(at: slot) else { return }
        guard let report = aggregator.record(.icmp(echo.src), count: Int64(state.distinctTargets), at: echo.time) else {
            return
        }
        alerts.append(makeAlert(
            state: state, time: echo.time, report: report, method: "icmp-echo",
            summary: "\(echo.src) sent echo requests to \(state.distinctTargets) hosts "
                + "(\(state.answeredCount) answered) in " + seconds(elapsed(from: state.windowStart, to: state.lastActivity)),
            src: echo.src, incident: "address-sweep/icmp/\(echo.src)", window: configuration.icmpWindow,
            extra: [("answered_targets", .int(Int64(state.answeredCount)))]))
    }

    /// Counts one more possibly remembered target; recounts exactly once a second of packet time.
    private mutating func maintain(time: Int64) {
        trackedTargets &+= 1
        guard elapsed(from: lastRecount, to: time) >= 1_000_000_000 else { return }
        lastRecount = time
        var count = 0
        for index in arpSenders.values.indices {
            count += arpSenders.values[index].targets.count + arpSenders.values[index].answeredTargets.count
        }
        for index in icmpSources.values.indices {
            count += icmpSources.values[index].targets.count + icmpSources.values[index].answeredTargets.count
        }
        trackedTargets = count
    }

    /// Ends quiet incidents at `time` (call when packet time moves on without packets).
    public mutating func advance(to time: Timestamp) {
        aggregator.endQuietIncidents(at: time)
    }

    private func makeAlert(state: SweepSourceState, time: Timestamp, report: Aggregator<IncidentKey>.Report,
                           method: String, summary: String, src: IPAddress, incident: String, window: Double,
                           extra: [(String, EvidenceValue)]) -> Alert {
        var evidence: [(String, EvidenceValue)] = [
            ("method", .string(method)),
            ("distinct_targets", .int(Int64(state.distinctTargets))),
            ("requests", .int(state.requests)),
            ("sample_targets", .list(state.sampleTargets.map { .string($0.description) })),
            ("window_seconds", .double(window)),
            ("first_seen", .string(Timestamp(nanoseconds: state.windowStart).description)),
            ("last_seen", .string(Timestamp(nanoseconds: state.lastActivity).description)),
            ("incident_start", .string(report.firstSeen.description)),
        ]
        evidence.append(contentsOf: extra)
        return Alert(time: time, detector: .addressSweep, severity: .medium, summary: summary,
                     src: src.description, sourceMayBeSpoofed: !verifiedSources.contains(src),
                     incident: incident, occurrence: report.occurrence, evidence: evidence)
    }

    private func seconds(_ nanoseconds: Int64) -> String {
        let tenths = max(0, nanoseconds) / 100_000_000
        return "\(tenths / 10).\(tenths % 10) s"
    }
}

/// One sender's distinct targets in the current window.
struct SweepSourceState: AggregationSlotValue {
    static let vacant = SweepSourceState(time: 0, sender: IPAddress(ipv4: 0))

    var windowStart: Int64
    var lastActivity: Int64
    /// The sender's latest protocol address (ARP senders are keyed by MAC).
    var sender: IPAddress
    /// The first target, kept inline so a sender that asks for one address allocates nothing;
    /// `targets` holds every target's tag once there are two.
    var firstTarget: IPAddress?
    var targets: Set<UInt64> = []
    var answeredTargets: Set<UInt64> = []
    var untrackedTargets = 0
    var requests: Int64 = 0
    /// The second to sixteenth targets, for the evidence.
    var moreSampleTargets: [IPAddress] = []

    init(time: Int64, sender: IPAddress) {
        windowStart = time
        lastActivity = time
        self.sender = sender
    }

    var distinctTargets: Int {
        targets.isEmpty ? (firstTarget == nil ? 0 : 1) + untrackedTargets : targets.count + untrackedTargets
    }
    var answeredCount: Int { answeredTargets.count }
    var sampleTargets: [IPAddress] {
        guard let firstTarget else { return [] }
        return [firstTarget] + moreSampleTargets
    }

    func contains(_ target: IPAddress) -> Bool {
        targets.isEmpty ? firstTarget == target : targets.contains(target.mixed)
    }

    /// Records a request; returns the number of distinct unanswered targets after it.
    mutating func ask(target: IPAddress, sender: IPAddress, time: Int64, window: Int64, maxTargets: Int) -> Int {
        if elapsed(from: windowStart, to: time) > window {
            self = SweepSourceState(time: time, sender: sender)
        }
        if time > lastActivity { lastActivity = time }
        if !sender.isUnspecified { self.sender = sender }
        requests &+= 1
        if !contains(target) {
            if let firstTarget {
                if targets.count < maxTargets {
                    if targets.isEmpty { targets.insert(firstTarget.mixed) }
                    targets.insert(target.mixed)
                } else {
                    untrackedTargets += 1
                }
                if moreSampleTargets.count < 15 { moreSampleTargets.append(target) }
            } else {
                firstTarget = target
            }
        }
        return distinctTargets - answeredTargets.count
    }

    mutating func answered(by target: IPAddress, time: Int64) {
        guard contains(target) else { return }
        answeredTargets.insert(target.mixed)
        if time > lastActivity { lastActivity = time }
    }
}
