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

/// TCP port-scan detection, vertical and horizontal, fed one segment at a time in time order.
///
/// - **Vertical** (one source, many ports of one host): distinct destination ports probed per
///   (source, destination) in a tumbling window, the way Zeek's `policy/misc/scan.zeek` counts
///   unique ports per victim (`Scan::port_scan_threshold` 15 in `port_scan_interval` 5 min). A probe
///   is a SYN or a segment that no connection sends (no SYN, ACK or RST: nmap's FIN, NULL and Xmas
///   scans). Zeek counts only *failed* attempts; here every distinct port counts 1 and a port that
///   answered with SYN/ACK counts ``Configuration/openPortWeight``, so unanswered and reset ports
///   weigh most and a client using a handful of real services stays far below the threshold.
///   Counting per victim is what a host-distinct counter misses: nmap's top-1000 scan of one host.
/// - **Horizontal** (one source, a port on many hosts): Threshold Random Walk
///   (``ScanThresholdRandomWalk``) over each source's first contacts with hosts. A first contact
///   succeeds when the host answers SYN/ACK, fails on a reset or when no answer came within
///   ``Configuration/firstContactTimeout`` of packet time. No answer is judged from the packets'
///   timestamps (on later packets and in ``advance(to:into:)``), so files and live traffic agree.
///
/// One alert per incident (`port-scan/SRC/DST` vertical, `port-scan/SRC/*` horizontal) through an
/// ``Aggregator``; re-alerts carry the grown counts. Memory is capped per table; evictions counted.
/// A pair gets full state at its second distinct port and a source at its second distinct host
/// (the first is kept in a fixed first-sight table and replayed, answers included), so a spoofed
/// SYN flood, one SYN per forged source, costs one slot write per SYN and churns nothing.
public struct ScanDetector: Sendable {
    /// Thresholds, windows and memory caps.
    public struct Configuration: Sendable, Hashable {
        /// The vertical window in seconds: Zeek's `Scan::port_scan_interval`, 5 min.
        public var portScanWindow: Double
        /// The vertical score at which a source scans a host: Zeek's `Scan::port_scan_threshold`
        /// (15 unique failed ports), also Snort 3 `port_scan.tcp_ports.rejects` (15).
        public var portScanThreshold: Double
        /// What a port that answered SYN/ACK adds to the score (an unanswered or reset port adds 1).
        public var openPortWeight: Double
        /// The most ports remembered per (source, destination); more are counted, not deduplicated.
        public var maxPortsPerPair: Int
        /// The most (source, destination) pairs tracked. Snort 3 caps its port-scan trackers by
        /// memory (`port_scan.memcap`, 1 MiB); a count is easier to reason about.
        public var maxPairs: Int
        /// The random walk's parameters: Jung et al. 2004 by default.
        public var randomWalk: ScanThresholdRandomWalk.Parameters
        /// Seconds without an answer after which a first contact failed. Linux retransmits an
        /// unanswered SYN after 1 s (RFC 6298 §2's initial RTO) and again after 3 s.
        public var firstContactTimeout: Double
        /// How long, in seconds, a source's contacted hosts are remembered (a new contact after
        /// that is a first contact again): Zeek's `Scan::addr_scan_interval`, 5 min.
        public var contactMemory: Double
        /// The most hosts remembered per source.
        public var maxContactsPerSource: Int
        /// The most first contacts awaiting an answer per source; later ones are not tested.
        public var maxPendingPerSource: Int
        /// The most sources tracked by the random walk.
        public var maxSources: Int
        /// The most ports and hosts remembered in all pairs and sources together (about 16 bytes
        /// each), so many sources each near their own cap cannot exhaust memory; beyond it, new
        /// ports and hosts are counted, not remembered. Recounted each second. Default 1,048,576.
        public var maxTrackedItems: Int
        /// Slots remembering a pair's first port and a source's first host (about 80 bytes for
        /// both). Full state is kept only from a second port or host on, so a spoofed SYN flood,
        /// whose every source shows up once, does not churn the tables. Default 16,384.
        public var firstSightSlots: Int
        /// When incidents are re-reported and end.
        public var aggregation: AggregatorConfiguration

        /// A configuration; every parameter has the documented default.
        public init(portScanWindow: Double = 300, portScanThreshold: Double = 15, openPortWeight: Double = 0.25,
                    maxPortsPerPair: Int = 4096, maxPairs: Int = 16_384,
                    randomWalk: ScanThresholdRandomWalk.Parameters = .jung2004, firstContactTimeout: Double = 3,
                    contactMemory: Double = 300, maxContactsPerSource: Int = 4096, maxPendingPerSource: Int = 64,
                    maxSources: Int = 16_384, maxTrackedItems: Int = 1 << 20, firstSightSlots: Int = 16_384,
                    aggregation: AggregatorConfiguration = AggregatorConfiguration()) {
            self.portScanWindow = portScanWindow
            self.portScanThreshold = portScanThreshold
            self.openPortWeight = openPortWeight
            self.maxPortsPerPair = maxPortsPerPair
            self.maxPairs = maxPairs
            self.randomWalk = randomWalk
            self.firstContactTimeout = firstContactTimeout
            self.contactMemory = contactMemory
            self.maxContactsPerSource = maxContactsPerSource
            self.maxPendingPerSource = maxPendingPerSource
            self.maxSources = maxSources
            self.maxTrackedItems = maxTrackedItems
            self.firstSightSlots = firstSightSlots
            self.aggregation = aggregation
        }
    }

    /// Table sizes and what was dropped to respect the caps.
    public struct Statistics: Sendable, Hashable {
        /// (source, destination) pairs tracked now.
        public var trackedPairs: Int
        /// Sources tracked by the random walk now.
        public var trackedSources: Int
        /// Pairs evicted because the pair table was full.
        public var pairEvictions: Int
        /// Sources evicted because the source table was full.
        public var sourceEvictions: Int
        /// Incidents evicted from the aggregator.
        public var incidentEvictions: Int
        /// First contacts not tested because a source had too many awaiting an answer.
        public var untestedContacts: Int
    }

    struct PairKey: AggregationKey {
        var src: IPAddress
        var dst: IPAddress

        func fastHash(seed: UInt64) -> UInt64 {
            mixBits(src.fastHash(seed: seed) &+ dst.fastHash(seed: seed) &* 0x9E37_79B9_7F4A_7C15)
        }
    }

    /// What the aggregator keys incidents on; `dst == nil` is the horizontal incident.
    struct IncidentKey: Hashable, Sendable {
        var src: IPAddress
        var dst: IPAddress?
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// Sources whose address cannot be forged (VM ports behind anti-spoofing); their alerts say
    /// `sourceMayBeSpoofed == false`, which lets prevention block them.
    public var verifiedSources: Set<IPAddress> = []

    private var pairs: AggregationStateTable<PairKey, ScanPairState>
    private var sources: AggregationStateTable<IPAddress, ScanSourceState>
    private var aggregator: Aggregator<IncidentKey>
    private var firstPorts: ScanFirstSightFilter<PairKey, FirstPort>
    private var firstContacts: ScanFirstSightFilter<IPAddress, FirstContact>
    private var now: Int64 = Int64.min
    private var lastTimeoutSweep: Int64 = Int64.min
    /// Ports and hosts remembered in sets (an upper bound between the per-second recounts).
    private var trackedItems = 0
    private var pendingContacts = 0
    private var untestedContacts = 0
    private let windowNanoseconds: Int64
    private let timeoutNanoseconds: Int64
    private let contactMemoryNanoseconds: Int64
    private let successStep: Double
    private let failureStep: Double

    /// A detector with the given configuration.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.pairs = AggregationStateTable(capacity: configuration.maxPairs)
        self.sources = AggregationStateTable(capacity: configuration.maxSources)
        self.aggregator = Aggregator(configuration: configuration.aggregation)
        self.firstPorts = ScanFirstSightFilter(size: configuration.firstSightSlots,
                                               empty: FirstPort(port: 0, state: 0, probes: 0, time: 0))
        self.firstContacts = ScanFirstSightFilter(
            size: configuration.firstSightSlots,
            empty: FirstContact(host: IPAddress(ipv4: 0), port: 0, outcome: 0, time: 0))
        self.windowNanoseconds = nanoseconds(configuration.portScanWindow)
        self.timeoutNanoseconds = nanoseconds(configuration.firstContactTimeout)
        self.contactMemoryNanoseconds = nanoseconds(configuration.contactMemory)
        self.successStep = configuration.randomWalk.successStep
        self.failureStep = configuration.randomWalk.failureStep
    }

    /// Current table sizes and drop counts.
    public var statistics: Statistics {
        Statistics(trackedPairs: pairs.count, trackedSources: sources.count, pairEvictions: pairs.evictions,
                   sourceEvictions: sources.evictions, incidentEvictions: aggregator.evictions,
                   untestedContacts: untestedContacts)
    }

    /// What one source has probed on one host in the current window.
    public struct PortProbeSummary: Sendable, Hashable {
        /// Distinct ports probed.
        public var distinctPorts: Int
        /// Probes sent, retransmissions included.
        public var probes: Int64
        /// Ports that answered SYN/ACK, in ascending order.
        public var openPorts: [UInt16]
        /// Ports that answered with a reset, in ascending order.
        public var closedPorts: [UInt16]
    }

    /// The current window's probes by `source` on `destination`, if tracked: the final counts of an
    /// incident whose last alert was sent before its last answers arrived.
    public func portProbes(by source: IPAddress, on destination: IPAddress) -> PortProbeSummary? {
        guard let slot = pairs.find(PairKey(src: source, dst: destination)), let state = pairs.value(at: slot) else {
            return nil
        }
        return PortProbeSummary(distinctPorts: state.distinctPorts, probes: state.probes,
                                openPorts: state.ports(in: 1), closedPorts: state.ports(in: 2))
    }

    /// Takes one TCP segment; appends any alert it completes to `alerts`.
    public mutating func observe(_ segment: TCPSegmentObservation, into alerts: inout [Alert]) {
        let flags = segment.flags
        let isProbe = flags.isConnectionAttempt || flags.isStealthProbe
        // The common case, an established connection's segment, costs this one test.
        guard isProbe || flags.isSynAck || flags.isReset else { return }
        let time = segment.time.nanoseconds
        if time > now { now = time }
        if elapsed(from: lastTimeoutSweep, to: now) >= 1_000_000_000 {
            recountTrackedItems()
            judgeTimeouts(into: &alerts)
        }
        if isProbe {
            probe(segment, into: &alerts)
        } else if flags.isSynAck {
            answer(segment, open: true, into: &alerts)
        } else {
            answer(segment, open: false, into: &alerts)
        }
    }

    /// Moves packet time forward without a packet (end of a capture file, an idle link): first
    /// contacts unanswered by then fail.
    public mutating func advance(to time: Timestamp, into alerts: inout [Alert]) {
        if time.nanoseconds > now { now = time.nanoseconds }
        judgeTimeouts(into: &alerts)
        aggregator.endQuietIncidents(at: Timestamp(nanoseconds: now))
    }

    // MARK: Probes and answers

    private mutating func probe(_ segment: TCPSegmentObservation, into alerts: inout [Alert]) {
        let time = segment.time.nanoseconds
        // Vertical: distinct ports on this host, with full state from the second port on.
        let key = PairKey(src: segment.src, dst: segment.dst)
        var pairSlot = pairs.find(key)
        if pairSlot == nil {
            let first = firstPorts.lookup(key)
            if let first, elapsed(from: first.time, to: time) <= windowNanoseconds {
                if first.port == segment.dstPort {
                    firstPorts.update(key) { $0.probes &+= 1 }
                } else {
                    firstPorts.remove(key)
                    pairSlot = admitPair(key, first: first)
                }
            } else {
                firstPorts.store(key, FirstPort(port: segment.dstPort, state: 0, probes: 1, time: time))
            }
        }
        if let pairSlot {
            trackedItems &+= 1
            let score = pairs.values[pairSlot].probe(
                port: segment.dstPort, time: time, window: windowNanoseconds,
                maxPorts: trackedItems < configuration.maxTrackedItems ? configuration.maxPortsPerPair : 0,
                openWeight: configuration.openPortWeight)
            if score >= configuration.portScanThreshold, let state = pairs.value(at: pairSlot) {
                reportVertical(key: key, state: state, time: segment.time, into: &alerts)
            }
        }

        // Horizontal: a first contact with a host starts a trial; full state from the second host on.
        var sourceSlot = sources.find(segment.src)
        if sourceSlot == nil {
            let first = firstContacts.lookup(segment.src)
            if let first, elapsed(from: first.time, to: time) <= contactMemoryNanoseconds {
                if first.host != segment.dst {
                    firstContacts.remove(segment.src)
                    sourceSlot = admitSource(segment.src, first: first, into: &alerts)
                }
            } else {
                firstContacts.store(segment.src, FirstContact(host: segment.dst, port: segment.dstPort, outcome: 0,
                                                              time: time))
            }
        }
        guard let sourceSlot else { return }
        contact(sourceSlot, host: segment.dst, port: segment.dstPort, time: time)
    }

    private mutating func contact(_ slot: Int, host: IPAddress, port: UInt16, time: Int64) {
        trackedItems &+= 1
        switch sources.values[slot].contact(host: host, port: port, time: time, configuration: configuration,
                                            memory: contactMemoryNanoseconds,
                                            mayGrow: trackedItems < configuration.maxTrackedItems) {
        case .started: pendingContacts += 1
        case .untested: untestedContacts += 1
        case .known: break
        }
    }

    /// Gives a pair full state at its second distinct port, seeded with the first.
    private mutating func admitPair(_ key: PairKey, first: FirstPort) -> Int {
        let slot = pairs.slot(for: key, now: now, idleBefore: elapsed(from: windowNanoseconds, to: now)) {
            ScanPairState(time: first.time)
        }
        _ = pairs.values[slot].probe(port: first.port, time: first.time, window: windowNanoseconds,
                                     maxPorts: configuration.maxPortsPerPair, openWeight: configuration.openPortWeight)
        pairs.values[slot].probes = Int64(first.probes)
        if first.state != 0 {
            pairs.values[slot].answer(port: first.port, open: first.state == 1, time: first.time)
        }
        return slot
    }

    /// Gives a source full state at its second distinct host, replaying the first contact.
    private mutating func admitSource(_ source: IPAddress, first: FirstContact, into alerts: inout [Alert]) -> Int {
        let slot = sources.slot(for: source, now: now, idleBefore: elapsed(from: contactMemoryNanoseconds, to: now)) {
            ScanSourceState(time: first.time)
        }
        contact(slot, host: first.host, port: first.port, time: first.time)
        if first.outcome != 0 && sources.values[slot].resolve(host: first.host, success: first.outcome == 1) {
            pendingContacts -= 1
            judge(slot: slot, success: first.outcome == 1, time: Timestamp(nanoseconds: now), into: &alerts)
        }
        return slot
    }

    private mutating func answer(_ segment: TCPSegmentObservation, open: Bool, into alerts: inout [Alert]) {
        // The answer goes from the probed host back to the prober.
        let key = PairKey(src: segment.dst, dst: segment.src)
        let state: UInt8 = open ? 1 : 2
        let port = segment.srcPort
        if let slot = pairs.find(key) {
            pairs.values[slot].answer(port: port, open: open, time: segment.time.nanoseconds)
        } else {
            firstPorts.update(key) { first in
                if first.port == port && first.state == 0 { first.state = state }
            }
        }
        guard let slot = sources.find(segment.dst) else {
            let host = segment.src
            firstContacts.update(segment.dst) { first in
                if first.host == host && first.outcome == 0 { first.outcome = state }
            }
            return
        }
        guard sources.values[slot].hasPending else { return }
        let resolved = sources.values[slot].resolve(host: segment.src, success: open)
        if resolved {
            pendingContacts -= 1
            judge(slot: slot, success: open, time: segment.time, into: &alerts)
        }
    }

    private mutating func recountTrackedItems() {
        var count = 0
        for index in pairs.values.indices { count += pairs.values[index].portStates.count }
        for index in sources.values.indices { count += sources.values[index].contacted.count }
        trackedItems = count
    }

    private mutating func judgeTimeouts(into alerts: inout [Alert]) {
        lastTimeoutSweep = now
        guard pendingContacts > 0 else { return }
        let deadline = elapsed(from: timeoutNanoseconds, to: now)
        for slot in sources.values.indices {
            guard sources.values[slot].hasPending else { continue }
            let expired = sources.values[slot].expire(before: deadline)
            guard expired > 0 else { continue }
            pendingContacts -= expired
            for _ in 0..<expired {
                judge(slot: slot, success: false, time: Timestamp(nanoseconds: now), into: &alerts)
            }
        }
    }

    private mutating func judge(slot: Int, success: Bool, time: Timestamp, into alerts: inout [Alert]) {
        let isScanner = sources.values[slot].record(success: success, parameters: configuration.randomWalk)
        if isScanner, let source = sources.keys[slot], let state = sources.value(at: slot) {
            reportHorizontal(source: source, state: state, time: time, into: &alerts)
        }
    }

    // MARK: Alerts (built only when the aggregator says so)

    private mutating func reportVertical(key: PairKey, state: ScanPairState, time: Timestamp,
                                         into alerts: inout [Alert]) {
        let incident = IncidentKey(src: key.src, dst: key.dst)
        guard let report = aggregator.record(incident, count: Int64(state.distinctPorts), at: time) else { return }
        let open = state.ports(in: 1)
        let closed = state.ports(in: 2)
        let unanswered = state.distinctPorts - Int(state.openCount) - Int(state.closedCount)
        let summary = "\(key.src) probed \(state.distinctPorts) ports on \(key.dst) "
            + "(\(state.openCount) open, \(state.closedCount) closed, \(unanswered) unanswered)"
        alerts.append(Alert(
            time: time, detector: .portScan, severity: .medium, summary: summary,
            src: key.src.description, dst: key.dst.description,
            sourceMayBeSpoofed: !verifiedSources.contains(key.src),
            incident: "port-scan/\(key.src)/\(key.dst)", occurrence: report.occurrence,
            evidence: [
                ("kind", .string("vertical")),
                ("distinct_ports", .int(Int64(state.distinctPorts))),
                ("probes", .int(state.probes)),
                ("open_ports", .list(open.prefix(32).map { .int(Int64($0)) })),
                ("open_port_count", .int(Int64(state.openCount))),
                ("closed_ports", .list(closed.prefix(32).map { .int(Int64($0)) })),
                ("closed_port_count", .int(Int64(state.closedCount))),
                ("unanswered_port_count", .int(Int64(unanswered))),
                ("sample_ports", .list(state.samplePorts(limit: 20).map { .int(Int64($0)) })),
                ("score", .double(state.score(openWeight: configuration.openPortWeight))),
                ("threshold", .double(configuration.portScanThreshold)),
                ("window_seconds", .double(configuration.portScanWindow)),
                ("first_seen", .string(Timestamp(nanoseconds: state.windowStart).description)),
                ("last_seen", .string(Timestamp(nanoseconds: state.lastActivity).description)),
                ("incident_start", .string(report.firstSeen.description)),
            ]))
    }

    private mutating func reportHorizontal(source: IPAddress, state: ScanSourceState, time: Timestamp,
                                           into alerts: inout [Alert]) {
        let incident = IncidentKey(src: source, dst: nil)
        guard let report = aggregator.record(incident, count: Int64(state.failures), at: time) else { return }
        let ports = state.failedPorts
        let summary = "\(source) is scanning hosts: \(state.failures) of \(state.firstContacts) first contacts failed"
            + (ports.count == 1 ? " (port \(ports[0]))" : "")
        let parameters = configuration.randomWalk
        alerts.append(Alert(
            time: time, detector: .portScan, severity: .medium, summary: summary,
            src: source.description, dstPort: ports.count == 1 ? ports[0] : nil,
            sourceMayBeSpoofed: !verifiedSources.contains(source),
            incident: "port-scan/\(source)/*", occurrence: report.occurrence,
            evidence: [
                ("kind", .string("horizontal")),
                ("first_contacts", .int(Int64(state.firstContacts))),
                ("failures", .int(Int64(state.failures))),
                ("successes", .int(Int64(state.successes))),
                ("likelihood_ratio", .double(state.walk.likelihoodRatio)),
                ("scanner_threshold", .double(parameters.detectionProbability / parameters.falsePositiveProbability)),
                ("sample_hosts", .list(state.failedHosts.map { .string($0.description) })),
                ("sample_ports", .list(ports.map { .int(Int64($0)) })),
                ("first_seen", .string(Timestamp(nanoseconds: state.windowStart).description)),
                ("last_seen", .string(Timestamp(nanoseconds: state.lastActivity).description)),
                ("incident_start", .string(report.firstSeen.description)),
            ]))
    }
}

/// A pair's first probed port, before it has full state.
struct FirstPort: Sendable {
    var port: UInt16
    /// 0 unanswered, 1 open, 2 closed.
    var state: UInt8
    var probes: UInt32
    var time: Int64
}

/// A source's first contact, before it has full state.
struct FirstContact: Sendable {
    var host: IPAddress
    var port: UInt16
    /// 0 awaiting an answer, 1 answered, 2 reset.
    var outcome: UInt8
    var time: Int64
}

/// Ports probed by one source on one host in the current window.
struct ScanPairState: AggregationSlotValue {
    static let vacant = ScanPairState(time: 0)

    var windowStart: Int64
    var lastActivity: Int64
    /// The only port while one has been probed (most pairs: a client and its server), so that
    /// the dictionary is allocated only for a second distinct port.
    var firstPort: UInt16 = 0
    var firstState: UInt8 = 0
    /// Port → 0 probed, 1 open (SYN/ACK), 2 closed (RST); holds every port once two were seen.
    var portStates: [UInt16: UInt8] = [:]
    var trackedPorts: Int32 = 0
    var untrackedPorts: Int32 = 0
    var openCount: Int32 = 0
    var closedCount: Int32 = 0
    var probes: Int64 = 0

    init(time: Int64) {
        windowStart = time
        lastActivity = time
    }

    var distinctPorts: Int { Int(trackedPorts) + Int(untrackedPorts) }

    func score(openWeight: Double) -> Double {
        Double(distinctPorts - Int(openCount)) + Double(openCount) * openWeight
    }

    func state(of port: UInt16) -> UInt8? {
        if portStates.isEmpty { return trackedPorts == 1 && port == firstPort ? firstState : nil }
        return portStates[port]
    }

    mutating func setState(_ value: UInt8, of port: UInt16) {
        if portStates.isEmpty && (trackedPorts == 0 || (trackedPorts == 1 && port == firstPort)) {
            firstPort = port
            firstState = value
            return
        }
        if portStates.isEmpty { portStates[firstPort] = firstState }
        portStates[port] = value
    }

    /// Records a probe; returns the score after it.
    mutating func probe(port: UInt16, time: Int64, window: Int64, maxPorts: Int, openWeight: Double) -> Double {
        if elapsed(from: windowStart, to: time) > window {
            self = ScanPairState(time: time)
        }
        if time > lastActivity { lastActivity = time }
        probes &+= 1
        if state(of: port) == nil {
            if Int(trackedPorts) < maxPorts || (trackedPorts == 0 && maxPorts >= 0) {
                setState(0, of: port)
                trackedPorts += 1
            } else {
                untrackedPorts &+= 1
            }
        }
        return score(openWeight: openWeight)
    }

    mutating func answer(port: UInt16, open: Bool, time: Int64) {
        guard state(of: port) == 0 else { return }
        if time > lastActivity { lastActivity = time }
        setState(open ? 1 : 2, of: port)
        if open { openCount += 1 } else { closedCount += 1 }
    }

    func ports(in wanted: UInt8) -> [UInt16] {
        if portStates.isEmpty { return trackedPorts == 1 && firstState == wanted ? [firstPort] : [] }
        return portStates.filter { $0.value == wanted }.keys.sorted()
    }

    func samplePorts(limit: Int) -> [UInt16] {
        if portStates.isEmpty { return trackedPorts == 1 ? [firstPort] : [] }
        return Array(portStates.keys.sorted().prefix(limit))
    }
}

/// One source's first contacts and its random walk.
struct ScanSourceState: AggregationSlotValue {
    static let vacant = ScanSourceState(time: 0)

    struct Pending: Sendable {
        var host: IPAddress
        var port: UInt16
        var sentAt: Int64
    }

    enum ContactOutcome { case known, started, untested }

    var windowStart: Int64
    var lastActivity: Int64
    /// The first contacted host, so that a source with one peer (a client, or a spoofed address
    /// seen once) allocates no set; `contacted` holds every host once there are two.
    var firstContact: UInt64 = 0
    var contacted: Set<UInt64> = []
    /// The oldest first contact awaiting an answer, then the others in the order sent.
    var pendingHead: Pending?
    var pendingTail: [Pending] = []
    var walk = ScanThresholdRandomWalk()
    var isScanner = false
    var firstContacts = 0
    var successes = 0
    var failures = 0
    /// Up to eight failed hosts and distinct failed ports, for the evidence.
    var failedHosts: [IPAddress] = []
    var failedPorts: [UInt16] = []
    var untracked = 0

    init(time: Int64) {
        windowStart = time
        lastActivity = time
    }

    var hasPending: Bool { pendingHead != nil }
    var pendingCount: Int { (pendingHead == nil ? 0 : 1) + pendingTail.count }

    mutating func contact(host: IPAddress, port: UInt16, time: Int64,
                          configuration: ScanDetector.Configuration, memory: Int64, mayGrow: Bool) -> ContactOutcome {
        if elapsed(from: windowStart, to: time) > memory {
            // Forget old contacts, keep the walk and any verdict: a scanner stays one.
            firstContact = 0
            contacted = []
            windowStart = time
        }
        if time > lastActivity { lastActivity = time }
        let tag = host.mixed | 1
        if tag == firstContact || contacted.contains(tag) { return .known }
        if firstContact == 0 {
            firstContact = tag
        } else if contacted.count < configuration.maxContactsPerSource && mayGrow {
            if contacted.isEmpty { contacted.insert(firstContact) }
            contacted.insert(tag)
        } else {
            untracked += 1
        }
        firstContacts += 1
        guard pendingCount < configuration.maxPendingPerSource else { return .untested }
        let contact = Pending(host: host, port: port, sentAt: time)
        if pendingHead == nil { pendingHead = contact } else { pendingTail.append(contact) }
        return .started
    }

    private mutating func popHead() {
        pendingHead = pendingTail.isEmpty ? nil : pendingTail.removeFirst()
    }

    /// Settles the pending first contact with `host`, if any.
    mutating func resolve(host: IPAddress, success: Bool) -> Bool {
        let contact: Pending
        if let head = pendingHead, head.host == host {
            contact = head
            popHead()
        } else if let index = pendingTail.firstIndex(where: { $0.host == host }) {
            contact = pendingTail.remove(at: index)
        } else {
            return false
        }
        if !success { noteFailure(contact) }
        return true
    }

    /// Fails every pending contact sent before `deadline`; returns how many.
    mutating func expire(before deadline: Int64) -> Int {
        var count = 0
        while let head = pendingHead, head.sentAt <= deadline {
            popHead()
            noteFailure(head)
            count += 1
        }
        return count
    }

    private mutating func noteFailure(_ contact: Pending) {
        if failedHosts.count < 8 { failedHosts.append(contact.host) }
        if failedPorts.count < 8 && !failedPorts.contains(contact.port) { failedPorts.append(contact.port) }
    }

    /// Feeds one outcome to the walk; returns true while the source is a scanner.
    mutating func record(success: Bool, parameters: ScanThresholdRandomWalk.Parameters) -> Bool {
        if success { successes += 1 } else { failures += 1 }
        if isScanner { return !success }
        if walk.record(success: success, parameters: parameters) == .scanner { isScanner = true }
        return isScanner
    }
}
