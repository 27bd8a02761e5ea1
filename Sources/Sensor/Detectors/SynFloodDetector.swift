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

/// SYN-flood detection per destination service and per source, fed one TCP segment at a time.
///
/// A handshake is *completed* when the client's first ACK follows its SYN (the 4-tuple is
/// remembered in a fixed-size, direct-mapped table, so memory is constant whatever the flood);
/// a SYN not (yet) followed by one is *half-open*. Retransmitted SYNs of a pending handshake
/// count once.
///
/// - **Per destination** (`dst:port`), which does not key on the source and so works against
///   spoofed random sources (`hping3 --rand-source`): half-open SYNs per ``Configuration/window``
///   at or above ``Configuration/destinationThreshold``, with at most
///   ``Configuration/maxCompletionRatio`` of the SYNs completed and at least
///   ``Configuration/minDistinctSources`` sources (estimated by linear counting), so a single
///   flooder is named by the per-source rule instead. These alerts always say
///   `sourceMayBeSpoofed`, and recommend rate-limiting the destination rather than blocking sources.
/// - **Per source** toward one service: more than ``Configuration/sourceThreshold`` half-open
///   SYNs per window from one address, the rate of Suricata's reference rule
///   (`threshold: type both, track by_src, count 100, seconds 1`). Suricata counts every SYN of a
///   source; counting per source *and service* leaves fast port scans to ``ScanDetector`` and not
///   counting completed handshakes spares busy but legitimate clients. The source may be forged
///   unless the caller vouches for it (``verifiedSources``: a VM port behind anti-spoofing) or it
///   was seen completing a handshake (remembered per source in a fixed table).
///
/// Windows are tumbling, started by the first SYN, as Suricata's thresholds are. Counters exist
/// from a key's second SYN in a window on (the first is kept in a fixed first-sight table), so
/// forged sources sending one SYN each do not churn the per-source table.
public struct SynFloodDetector: Sendable {
    /// Thresholds, windows and memory caps.
    public struct Configuration: Sendable, Hashable {
        /// The counting window in seconds. Default 1 s (Suricata's `seconds 1`).
        public var window: Double
        /// Half-open SYNs per window from one source to one service above which it floods. Default 100.
        public var sourceThreshold: Int
        /// Half-open SYNs per window to one service at or above which it is flooded. Default 200:
        /// twice one source's allowance, and above the 128 half-open connections a Linux listener
        /// queues by default before it resorts to SYN cookies (`tcp_max_syn_backlog`).
        public var destinationThreshold: Int
        /// The largest share of completed handshakes still called a flood. Default 0.2.
        public var maxCompletionRatio: Double
        /// The fewest distinct sources for the per-destination rule. Default 8.
        public var minDistinctSources: Int
        /// Slots of the pending-handshake table (rounded up to a power of two; 16 bytes each).
        /// Default 16,384 (256 KiB, so it stays in cache): handshakes complete within a round trip,
        /// so few are pending at once unless under a flood. A SYN whose slot was reused before its
        /// ACK counts as half-open.
        public var handshakeTableSize: Int
        /// Seconds after which a pending handshake is forgotten. Default 30 s.
        public var handshakeTimeout: Double
        /// Whether the detector finds completed handshakes itself (one table probe per pure ACK).
        /// A caller that tracks TCP state in a flow table sets it false and reports each
        /// completion with ``noteHandshakeCompleted(_:)``, saving that probe. Default true.
        public var tracksHandshakes: Bool
        /// The most services tracked. Default 16,384.
        public var maxDestinations: Int
        /// The most (source, service) pairs tracked. Default 16,384.
        public var maxSources: Int
        /// Slots remembering the first SYN of a service and of a (source, service) pair (24 bytes
        /// each). Counters are kept only from the second SYN in a window on, so forged sources
        /// that each send one SYN do not churn the source table. Default 16,384.
        public var firstSightSlots: Int
        /// When incidents are re-reported and end.
        public var aggregation: AggregatorConfiguration

        /// A configuration; every parameter has the documented default.
        public init(window: Double = 1, sourceThreshold: Int = 100, destinationThreshold: Int = 200,
                    maxCompletionRatio: Double = 0.2, minDistinctSources: Int = 8, handshakeTableSize: Int = 16_384,
                    handshakeTimeout: Double = 30, tracksHandshakes: Bool = true, maxDestinations: Int = 16_384,
                    maxSources: Int = 16_384, firstSightSlots: Int = 16_384,
                    aggregation: AggregatorConfiguration = AggregatorConfiguration()) {
            self.window = window
            self.sourceThreshold = sourceThreshold
            self.destinationThreshold = destinationThreshold
            self.maxCompletionRatio = maxCompletionRatio
            self.minDistinctSources = minDistinctSources
            self.handshakeTableSize = handshakeTableSize
            self.handshakeTimeout = handshakeTimeout
            self.tracksHandshakes = tracksHandshakes
            self.maxDestinations = maxDestinations
            self.maxSources = maxSources
            self.firstSightSlots = firstSightSlots
            self.aggregation = aggregation
        }
    }

    /// Table sizes and what was dropped to respect the caps.
    public struct Statistics: Sendable, Hashable {
        /// Services tracked now.
        public var trackedDestinations: Int
        /// (source, service) pairs tracked now.
        public var trackedSources: Int
        /// Entries evicted because a table was full.
        public var evictions: Int
        /// Pending handshakes overwritten by another SYN before they completed.
        public var handshakeSlotReuses: Int
        /// Incidents evicted from the aggregator.
        public var incidentEvictions: Int
    }

    struct ServiceKey: AggregationKey {
        var dst: IPAddress
        var port: UInt16

        func fastHash(seed: UInt64) -> UInt64 { dst.fastHash(seed: seed ^ UInt64(port) << 40) }
    }

    struct SourceKey: AggregationKey {
        var src: IPAddress
        var service: ServiceKey

        func fastHash(seed: UInt64) -> UInt64 {
            mixBits(src.fastHash(seed: seed) &+ service.fastHash(seed: seed) &* 0x9E37_79B9_7F4A_7C15)
        }
    }

    enum IncidentKey: Hashable, Sendable {
        case destination(ServiceKey)
        case source(SourceKey)
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// Sources whose address cannot be forged (VM ports behind anti-spoofing, peers known to have
    /// completed a handshake); their per-source alerts say `sourceMayBeSpoofed == false`.
    public var verifiedSources: Set<IPAddress> = []

    private var services: AggregationStateTable<ServiceKey, SynFloodCounter>
    private var senders: AggregationStateTable<SourceKey, SynFloodCounter>
    private var aggregator: Aggregator<IncidentKey>
    private var firstServiceSyns: ScanFirstSightFilter<ServiceKey, FirstSyn>
    private var firstSenderSyns: ScanFirstSightFilter<SourceKey, FirstSyn>
    /// Sources seen completing a handshake (so their address is real), with the time.
    private var handshakePeers: ScanFirstSightFilter<IPAddress, Int64>
    /// Direct-mapped pending handshakes: tag (0 = empty) and SYN time, interleaved.
    private var handshakes: [Int64]
    private let handshakeMask: Int
    private var pendingHandshakes = 0
    private var slotReuses = 0
    private let windowNanoseconds: Int64
    private let handshakeTimeoutNanoseconds: Int64

    /// A detector with the given configuration.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.services = AggregationStateTable(capacity: configuration.maxDestinations)
        self.senders = AggregationStateTable(capacity: configuration.maxSources)
        self.aggregator = Aggregator(configuration: configuration.aggregation)
        self.firstServiceSyns = ScanFirstSightFilter(size: configuration.firstSightSlots,
                                                     empty: FirstSyn(time: 0, sourceHash: 0))
        self.firstSenderSyns = ScanFirstSightFilter(size: configuration.firstSightSlots,
                                                    empty: FirstSyn(time: 0, sourceHash: 0))
        self.handshakePeers = ScanFirstSightFilter(size: configuration.firstSightSlots, empty: 0)
        var size = 1
        while size < max(1, min(configuration.handshakeTableSize, 1 << 26)) { size <<= 1 }
        self.handshakes = [Int64](repeating: 0, count: 2 * size)
        self.handshakeMask = size - 1
        self.windowNanoseconds = max(1, nanoseconds(configuration.window))
        self.handshakeTimeoutNanoseconds = nanoseconds(configuration.handshakeTimeout)
    }

    /// Current table sizes and drop counts.
    public var statistics: Statistics {
        Statistics(trackedDestinations: services.count, trackedSources: senders.count,
                   evictions: services.evictions + senders.evictions, handshakeSlotReuses: slotReuses,
                   incidentEvictions: aggregator.evictions)
    }

    /// Takes one TCP segment; appends any alert it completes to `alerts`.
    public mutating func observe(_ segment: TCPSegmentObservation, into alerts: inout [Alert]) {
        let flags = segment.flags
        if flags.isConnectionAttempt {
            connectionAttempt(segment, into: &alerts)
        } else if pendingHandshakes > 0 && flags.rawValue & 0x17 == 0x10 && configuration.tracksHandshakes {
            // An ACK without SYN, RST or FIN: possibly a handshake's last step.
            completion(segment)
        }
    }

    /// Records a completed handshake found by the caller's flow table: `segment` is the client's
    /// ACK (client → server). Use with ``Configuration/tracksHandshakes`` false.
    public mutating func noteHandshakeCompleted(_ segment: TCPSegmentObservation) {
        let tag = tag(segment)
        let slot = 2 * (Int(truncatingIfNeeded: tag >> 1) & handshakeMask)
        if handshakes[slot] == tag {
            handshakes[slot] = 0
            pendingHandshakes -= 1
        }
        credit(segment)
    }

    /// Ends quiet incidents at `time` (call when packet time moves on without packets).
    public mutating func advance(to time: Timestamp) {
        aggregator.endQuietIncidents(at: time)
    }

    // MARK: Handshake table

    private func tag(_ segment: TCPSegmentObservation) -> Int64 {
        var x = segment.src.mixed ^ (segment.dst.mixed &* 0x9E37_79B9_7F4A_7C15)
        x ^= UInt64(segment.srcPort) << 16 | UInt64(segment.dstPort)
        x = (x ^ (x >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        return Int64(bitPattern: x | 1)
    }

    private mutating func connectionAttempt(_ segment: TCPSegmentObservation, into alerts: inout [Alert]) {
        let time = segment.time.nanoseconds
        let tag = tag(segment)
        let slot = 2 * (Int(truncatingIfNeeded: tag >> 1) & handshakeMask)
        let live = handshakes[slot] != 0 && elapsed(from: handshakes[slot + 1], to: time) < handshakeTimeoutNanoseconds
        if live && handshakes[slot] == tag {
            return  // a retransmission of a SYN already counted
        }
        if live { slotReuses += 1 } else if handshakes[slot] == 0 { pendingHandshakes += 1 }
        handshakes[slot] = tag
        handshakes[slot + 1] = time

        let service = ServiceKey(dst: segment.dst, port: segment.dstPort)
        let idleCutoff = elapsed(from: windowNanoseconds, to: time)
        let sourceBit = segment.src.mixed
        // Counters from the second SYN in a window on; the first only marks the filter.
        var serviceSlot = services.find(service)
        if serviceSlot == nil {
            if let first = firstServiceSyns.lookup(service), elapsed(from: first.time, to: time) < windowNanoseconds {
                firstServiceSyns.remove(service)
                let slot = services.slot(for: service, now: time, idleBefore: idleCutoff) {
                    SynFloodCounter(time: first.time)
                }
                _ = services.values[slot].syn(time: first.time, window: windowNanoseconds, sourceHash: first.sourceHash)
                serviceSlot = slot
            } else {
                firstServiceSyns.store(service, FirstSyn(time: time, sourceHash: sourceBit))
            }
        }
        if let serviceSlot {
            let halfOpen = services.values[serviceSlot].syn(time: time, window: windowNanoseconds, sourceHash: sourceBit)
            if halfOpen >= configuration.destinationThreshold, let counter = services.value(at: serviceSlot),
               Double(counter.completions) <= configuration.maxCompletionRatio * Double(counter.syns),
               counter.distinctSources >= Double(configuration.minDistinctSources) {
                reportDestination(service, counter: counter, time: segment.time, into: &alerts)
            }
        }

        let sender = SourceKey(src: segment.src, service: service)
        var senderSlot = senders.find(sender)
        if senderSlot == nil {
            if let first = firstSenderSyns.lookup(sender), elapsed(from: first.time, to: time) < windowNanoseconds {
                firstSenderSyns.remove(sender)
                let slot = senders.slot(for: sender, now: time, idleBefore: idleCutoff) {
                    SynFloodCounter(time: first.time)
                }
                _ = senders.values[slot].syn(time: first.time, window: windowNanoseconds, sourceHash: first.sourceHash)
                senderSlot = slot
            } else {
                firstSenderSyns.store(sender, FirstSyn(time: time, sourceHash: sourceBit))
            }
        }
        if let senderSlot {
            let fromSender = senders.values[senderSlot].syn(time: time, window: windowNanoseconds, sourceHash: sourceBit)
            if fromSender > configuration.sourceThreshold, let counter = senders.value(at: senderSlot) {
                reportSource(sender, counter: counter, time: segment.time, into: &alerts)
            }
        }
    }

    private mutating func completion(_ segment: TCPSegmentObservation) {
        let tag = tag(segment)
        let slot = 2 * (Int(truncatingIfNeeded: tag >> 1) & handshakeMask)
        guard handshakes[slot] == tag else { return }
        handshakes[slot] = 0
        pendingHandshakes -= 1
        credit(segment)
    }

    private mutating func credit(_ segment: TCPSegmentObservation) {
        let time = segment.time.nanoseconds
        handshakePeers.store(segment.src, time)
        let service = ServiceKey(dst: segment.dst, port: segment.dstPort)
        if let slot = services.find(service) { services.values[slot].complete(time: time) }
        if let slot = senders.find(SourceKey(src: segment.src, service: service)) {
            senders.values[slot].complete(time: time)
        }
    }

    // MARK: Alerts

    private mutating func reportDestination(_ service: ServiceKey, counter: SynFloodCounter, time: Timestamp,
                                            into alerts: inout [Alert]) {
        guard let report = aggregator.record(.destination(service), count: counter.totalHalfOpen, at: time) else {
            return
        }
        let sources = Int64(counter.distinctSources.rounded())
        alerts.append(Alert(
            time: time, detector: .synFlood, severity: .high,
            summary: "SYN flood on \(service.dst):\(service.port): \(counter.halfOpen) half-open in "
                + "\(configuration.window) s from about \(sources) sources",
            dst: service.dst.description, dstPort: service.port, sourceMayBeSpoofed: true,
            incident: "syn-flood/\(service.dst):\(service.port)", occurrence: report.occurrence,
            evidence: evidence(counter, report: report) + [
                ("distinct_sources_estimate", .int(sources)),
                ("recommended_action", .string("rate-limit destination")),
            ]))
    }

    private mutating func reportSource(_ sender: SourceKey, counter: SynFloodCounter, time: Timestamp,
                                       into alerts: inout [Alert]) {
        guard let report = aggregator.record(.source(sender), count: counter.totalHalfOpen, at: time) else { return }
        let verified = verifiedSources.contains(sender.src) || counter.totalCompletions > 0
            || handshakePeers.lookup(sender.src) != nil
        let service = sender.service
        alerts.append(Alert(
            time: time, detector: .synFlood, severity: .high,
            summary: "SYN flood from \(sender.src) on \(service.dst):\(service.port): \(counter.halfOpen) half-open in "
                + "\(configuration.window) s",
            src: sender.src.description, dst: service.dst.description, dstPort: service.port,
            sourceMayBeSpoofed: !verified,
            incident: "syn-flood/\(sender.src)/\(service.dst):\(service.port)", occurrence: report.occurrence,
            evidence: evidence(counter, report: report) + [
                ("recommended_action", .string(verified ? "block source" : "rate-limit destination")),
            ]))
    }

    private func evidence(_ counter: SynFloodCounter, report: Aggregator<IncidentKey>.Report) -> [(String, EvidenceValue)] {
        [
            ("syns", .int(counter.syns)),
            ("completed", .int(counter.completions)),
            ("half_open", .int(counter.halfOpen)),
            ("window_seconds", .double(configuration.window)),
            ("total_syns", .int(counter.totalSyns)),
            ("total_completed", .int(counter.totalCompletions)),
            ("first_seen", .string(Timestamp(nanoseconds: counter.firstSeen).description)),
            ("window_start", .string(Timestamp(nanoseconds: counter.windowStart).description)),
            ("last_seen", .string(Timestamp(nanoseconds: counter.lastActivity).description)),
            ("incident_start", .string(report.firstSeen.description)),
        ]
    }
}

/// The first SYN of a service or a (source, service) pair, before it has a counter.
struct FirstSyn: Sendable {
    var time: Int64
    var sourceHash: UInt64
}

/// SYNs and completed handshakes in the current window, plus totals since first seen.
struct SynFloodCounter: AggregationSlotValue {
    static let vacant = SynFloodCounter(time: 0)

    var firstSeen: Int64
    var windowStart: Int64
    var lastActivity: Int64
    var syns: Int64 = 0
    var completions: Int64 = 0
    var totalSyns: Int64 = 0
    var totalCompletions: Int64 = 0
    /// A 256-bit linear-counting sketch of the window's sources (Whang et al., 1990).
    var sketch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init(time: Int64) {
        firstSeen = time
        windowStart = time
        lastActivity = time
    }

    var halfOpen: Int64 { max(0, syns - completions) }
    var totalHalfOpen: Int64 { max(0, totalSyns - totalCompletions) }

    /// Estimated distinct sources in the window: m·ln(m/zeros), m = 256.
    var distinctSources: Double {
        let ones = sketch.0.nonzeroBitCount + sketch.1.nonzeroBitCount + sketch.2.nonzeroBitCount
            + sketch.3.nonzeroBitCount
        let zeros = 256 - ones
        if zeros == 0 { return 256 * log(256.0) }
        return 256 * log(256 / Double(zeros))
    }

    /// Records a SYN; returns the half-open count of the window after it.
    mutating func syn(time: Int64, window: Int64, sourceHash: UInt64) -> Int {
        if elapsed(from: windowStart, to: time) >= window {
            windowStart = time
            syns = 0
            completions = 0
            sketch = (0, 0, 0, 0)
        }
        if time > lastActivity { lastActivity = time }
        syns &+= 1
        totalSyns &+= 1
        let bit = UInt64(1) << (sourceHash & 63)
        switch (sourceHash >> 6) & 3 {
        case 0: sketch.0 |= bit
        case 1: sketch.1 |= bit
        case 2: sketch.2 |= bit
        default: sketch.3 |= bit
        }
        return Int(truncatingIfNeeded: halfOpen)
    }

    mutating func complete(time: Int64) {
        if time > lastActivity { lastActivity = time }
        completions &+= 1
        totalCompletions &+= 1
    }
}
