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

/// Volumetric-flood detection: packets and bytes per second to each destination against that
/// destination's own baseline.
///
/// Traffic is counted in buckets of ``Configuration/bucket`` seconds. When a bucket closes, the
/// baseline learns it as exponentially weighted moving averages of the mean and of the mean
/// absolute deviation, with the gains RFC 6298 §2 uses for round-trip times (1/8 for the mean,
/// 1/4 for the deviation); idle buckets are learned as zeros. A destination is flooded as soon as
/// the current bucket exceeds, in packets or in bytes, the largest of:
/// - the absolute floor (``Configuration/minPacketsPerSecond``, ``Configuration/minBitsPerSecond``),
///   so an idle host that suddenly receives a burst of 50 packets — or a newly seen host, with no
///   baseline yet — is not flooded;
/// - mean + ``Configuration/deviationFactor`` × deviation (4, as RFC 6298's RTO = SRTT + 4·RTTVAR),
///   so a busy host's normal jitter is not a flood;
/// - ``Configuration/minRatio`` × mean, so a very steady host is not flooded by a modest rise.
///
/// A destination seen for fewer than ``Configuration/warmUpBuckets`` buckets has no baseline yet: a
/// host that is simply busy when the sensor starts looks exactly like a flood. Until then only
/// ``Configuration/warmUpFloorFactor`` times the floors counts, so a newly seen host under a large
/// flood (hping3 `--flood` sends well over 100,000 packets/s on a virtual bridge) is still caught.
///
/// A bucket judged a flood is learned clipped to the threshold, so an attack does not teach the
/// baseline that it is normal at once, while a lasting change of level is learned in time.
/// One alert per incident (`flood/DST`), re-alerted with counts; the source is not named (floods
/// are easily spoofed) beyond the bucket's majority talker in the evidence, and the recommended
/// action is to rate-limit the destination. Memory is capped at ``Configuration/maxDestinations``.
public struct FloodDetector: Sendable {
    /// Buckets, baseline gains, thresholds and memory cap.
    public struct Configuration: Sendable, Hashable {
        /// The bucket length in seconds. Default 1 s.
        public var bucket: Double
        /// The mean's EWMA gain. Default 1/8 (RFC 6298's α).
        public var meanGain: Double
        /// The deviation's EWMA gain. Default 1/4 (RFC 6298's β).
        public var deviationGain: Double
        /// How many deviations above the mean a bucket must be. Default 4.
        public var deviationFactor: Double
        /// How many times the mean a bucket must be. Default 2.
        public var minRatio: Double
        /// The packet-rate floor. Default 5,000 packets/s: hping3 `--flood` on a virtual bridge
        /// sends well over 100,000, a busy idle-host burst a few hundred.
        public var minPacketsPerSecond: Double
        /// The bit-rate floor. Default 200 Mbit/s.
        public var minBitsPerSecond: Double
        /// Buckets a destination must have been seen for before its baseline is trusted. Default 5.
        public var warmUpBuckets: Int
        /// The floors' multiple that applies during the warm-up. Default 10 (50,000 packets/s, 2 Gbit/s).
        public var warmUpFloorFactor: Double
        /// The most destinations tracked. Default 16,384.
        public var maxDestinations: Int
        /// When incidents are re-reported and end.
        public var aggregation: AggregatorConfiguration

        /// A configuration; every parameter has the documented default.
        public init(bucket: Double = 1, meanGain: Double = 0.125, deviationGain: Double = 0.25,
                    deviationFactor: Double = 4, minRatio: Double = 2, minPacketsPerSecond: Double = 5_000,
                    minBitsPerSecond: Double = 200_000_000, warmUpBuckets: Int = 5, warmUpFloorFactor: Double = 10,
                    maxDestinations: Int = 16_384,
                    aggregation: AggregatorConfiguration = AggregatorConfiguration()) {
            self.bucket = bucket
            self.meanGain = meanGain
            self.deviationGain = deviationGain
            self.deviationFactor = deviationFactor
            self.minRatio = minRatio
            self.minPacketsPerSecond = minPacketsPerSecond
            self.minBitsPerSecond = minBitsPerSecond
            self.warmUpBuckets = warmUpBuckets
            self.warmUpFloorFactor = warmUpFloorFactor
            self.maxDestinations = maxDestinations
            self.aggregation = aggregation
        }
    }

    /// Table sizes and what was dropped to respect the cap.
    public struct Statistics: Sendable, Hashable {
        /// Destinations tracked now.
        public var trackedDestinations: Int
        /// Destinations evicted because the table was full.
        public var evictions: Int
        /// Incidents evicted from the aggregator.
        public var incidentEvictions: Int
    }

    /// The configuration in force.
    public let configuration: Configuration
    private var destinations: AggregationStateTable<IPAddress, FloodBaseline>
    private var aggregator: Aggregator<IPAddress>
    private let bucketNanoseconds: Int64
    private let packetFloor: Double
    private let byteFloor: Double
    private let idleNanoseconds: Int64
    /// The last packet's entry: consecutive packets of a burst skip the lookup.
    private var lastEntry = -1

    /// A detector with the given configuration.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.destinations = AggregationStateTable(capacity: configuration.maxDestinations)
        self.aggregator = Aggregator(configuration: configuration.aggregation)
        self.bucketNanoseconds = max(1, nanoseconds(configuration.bucket))
        self.packetFloor = configuration.minPacketsPerSecond * configuration.bucket
        self.byteFloor = configuration.minBitsPerSecond / 8 * configuration.bucket
        // A destination idle for a minute of buckets is the first to go when the table is full.
        self.idleNanoseconds = nanoseconds(60 * configuration.bucket)
    }

    /// Current table size and drop counts.
    public var statistics: Statistics {
        Statistics(trackedDestinations: destinations.count, evictions: destinations.evictions,
                   incidentEvictions: aggregator.evictions)
    }

    /// Takes one packet; appends any alert it completes to `alerts`.
    public mutating func observe(_ packet: PacketObservation, into alerts: inout [Alert]) {
        let time = packet.time.nanoseconds
        let slot: Int
        if lastEntry >= 0 && lastEntry < destinations.keys.count && destinations.keys[lastEntry] == packet.dst {
            slot = lastEntry
        } else {
            let firstPacketLimit = packetFloor * max(1, configuration.warmUpFloorFactor)
            let firstByteLimit = byteFloor * max(1, configuration.warmUpFloorFactor)
            slot = destinations.slot(for: packet.dst, now: time, idleBefore: elapsed(from: idleNanoseconds, to: time)) {
                FloodBaseline(time: time, packetLimit: firstPacketLimit, byteLimit: firstByteLimit)
            }
            lastEntry = slot
        }
        let crossed = destinations.values[slot].count(
            packet, time: time, bucket: bucketNanoseconds, configuration: configuration,
            packetFloor: packetFloor, byteFloor: byteFloor)
        if crossed, let state = destinations.value(at: slot) {
            report(destination: packet.dst, state: state, time: packet.time, into: &alerts)
        }
    }

    /// Ends quiet incidents at `time` (call when packet time moves on without packets).
    public mutating func advance(to time: Timestamp) {
        aggregator.endQuietIncidents(at: time)
    }

    private mutating func report(destination: IPAddress, state: FloodBaseline, time: Timestamp,
                                 into alerts: inout [Alert]) {
        guard let report = aggregator.record(destination, count: state.incidentPackets, at: time) else { return }
        let perSecond = 1 / configuration.bucket
        let observedPackets = Double(state.packets) * perSecond
        let observedBits = Double(state.bytes) * 8 * perSecond
        var evidence: [(String, EvidenceValue)] = [
            ("observed_packets_per_second", .double(observedPackets)),
            ("expected_packets_per_second", .double(state.meanPackets * perSecond)),
            ("packets_per_second_threshold", .double(state.packetLimit * perSecond)),
            ("observed_bits_per_second", .double(observedBits)),
            ("expected_bits_per_second", .double(state.meanBytes * 8 * perSecond)),
            ("bits_per_second_threshold", .double(state.byteLimit * 8 * perSecond)),
            ("bucket_seconds", .double(configuration.bucket)),
            ("bucket_start", .string(Timestamp(nanoseconds: state.bucketStart).description)),
            ("baseline_buckets", .int(Int64(state.learnedBuckets))),
            ("incident_packets", .int(state.incidentPackets)),
            ("incident_start", .string(report.firstSeen.description)),
            ("recommended_action", .string("rate-limit destination")),
        ]
        // The vote's final count is a lower bound on the candidate's packets; a quarter of the
        // bucket or more makes it worth naming (never as the offender: floods are spoofed easily).
        if state.candidateCount > 0 && state.candidateCount * 4 >= state.packets {
            evidence.append(("top_source", .string(state.candidate.description)))
            evidence.append(("top_source_min_share", .double(Double(state.candidateCount) / Double(max(1, state.packets)))))
        }
        alerts.append(Alert(
            time: time, detector: .flood, severity: .high,
            summary: "flood to \(destination): \(whole(observedPackets)) packets/s, "
                + "\(whole(observedBits / 1_000_000)) Mbit/s (expected about \(whole(state.meanPackets * perSecond)) packets/s)",
            dst: destination.description, sourceMayBeSpoofed: true,
            incident: "flood/\(destination)", occurrence: report.occurrence, evidence: evidence))
    }
}

/// One destination's current bucket and its learned baseline.
struct FloodBaseline: AggregationSlotValue {
    static let vacant = FloodBaseline(time: 0, packetLimit: 0, byteLimit: 0)

    var bucketStart: Int64
    var lastActivity: Int64
    var packets: Int64 = 0
    var bytes: Int64 = 0
    var meanPackets: Double = 0
    var deviationPackets: Double = 0
    var meanBytes: Double = 0
    var deviationBytes: Double = 0
    var learnedBuckets = 0
    /// This bucket's limits, computed when it opens so the per-packet test is two comparisons.
    var packetLimit: Double
    var byteLimit: Double
    var isFlooded = false
    /// Packets counted in flooded buckets since the destination was first flooded.
    var incidentPackets: Int64 = 0
    /// The bucket's majority source (Boyer–Moore vote); its count is a lower bound of its packets.
    var candidate = IPAddress(ipv4: 0)
    var candidateCount: Int64 = 0

    init(time: Int64, packetLimit: Double, byteLimit: Double) {
        bucketStart = time
        lastActivity = time
        self.packetLimit = packetLimit
        self.byteLimit = byteLimit
    }

    /// Counts a packet; returns true when it makes the current bucket a flood (once per bucket).
    mutating func count(_ packet: PacketObservation, time: Int64, bucket: Int64,
                        configuration: FloodDetector.Configuration, packetFloor: Double, byteFloor: Double) -> Bool {
        if elapsed(from: bucketStart, to: time) >= bucket {
            roll(to: time, bucket: bucket, configuration: configuration, packetFloor: packetFloor, byteFloor: byteFloor)
        }
        if time > lastActivity { lastActivity = time }
        packets &+= 1
        bytes &+= Int64(packet.bytes)
        if candidateCount == 0 {
            candidate = packet.src
            candidateCount = 1
        } else if candidate == packet.src {
            candidateCount &+= 1
        } else {
            candidateCount -= 1
        }
        if isFlooded {
            // Judged once per bucket: an ongoing flood costs no aggregator call per packet.
            incidentPackets &+= 1
            return false
        }
        if Double(packets) > packetLimit || Double(bytes) > byteLimit {
            isFlooded = true
            incidentPackets &+= packets
            return true
        }
        return false
    }

    private mutating func roll(to time: Int64, bucket: Int64, configuration: FloodDetector.Configuration,
                               packetFloor: Double, byteFloor: Double) {
        let passed = elapsed(from: bucketStart, to: time) / bucket
        // Learn the closed bucket (clipped to its limits if it was a flood), then idle ones as zeros.
        learn(packets: min(Double(packets), packetLimit), bytes: min(Double(bytes), byteLimit),
              configuration: configuration)
        var idle = min(max(0, passed - 1), 64)
        while idle > 0 {
            learn(packets: 0, bytes: 0, configuration: configuration)
            idle -= 1
        }
        bucketStart = passed > 64 ? time : bucketStart &+ passed &* bucket
        // A flood that goes on from bucket to bucket is one incident; a calm bucket ends its count.
        if !isFlooded || passed > 1 { incidentPackets = 0 }
        isFlooded = false
        packets = 0
        bytes = 0
        candidateCount = 0
        let floorFactor = learnedBuckets < configuration.warmUpBuckets ? max(1, configuration.warmUpFloorFactor) : 1
        packetLimit = max(packetFloor * floorFactor, meanPackets + configuration.deviationFactor * deviationPackets,
                          configuration.minRatio * meanPackets)
        byteLimit = max(byteFloor * floorFactor, meanBytes + configuration.deviationFactor * deviationBytes,
                        configuration.minRatio * meanBytes)
    }

    private mutating func learn(packets: Double, bytes: Double, configuration: FloodDetector.Configuration) {
        if learnedBuckets == 0 {
            meanPackets = packets
            meanBytes = bytes
            deviationPackets = packets / 2
            deviationBytes = bytes / 2
        } else {
            deviationPackets += configuration.deviationGain * (abs(packets - meanPackets) - deviationPackets)
            deviationBytes += configuration.deviationGain * (abs(bytes - meanBytes) - deviationBytes)
            meanPackets += configuration.meanGain * (packets - meanPackets)
            meanBytes += configuration.meanGain * (bytes - meanBytes)
        }
        learnedBuckets &+= 1
    }
}

/// A rate rounded toward zero for a summary line; 0 for NaN, clamped for infinities.
private func whole(_ value: Double) -> Int64 {
    guard value.isFinite else { return value.isNaN ? 0 : (value > 0 ? Int64.max : Int64.min) }
    if value >= 9.2e18 { return Int64.max }
    if value <= -9.2e18 { return Int64.min }
    return Int64(value)
}
