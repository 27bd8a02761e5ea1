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

/// Turns a detector's repeated "still over threshold" verdicts into one alert per incident.
///
/// A detector calls ``record(_:count:at:)`` every time its condition holds for an incident key
/// (a scanner, a victim…), with a count that grows while the incident goes on. The first call
/// opens the incident and is reported; later calls are reported again only when the count has
/// grown by ``Configuration/growthFactor`` since the last report (after ``Configuration/holdOff``),
/// or when it grew at all and ``Configuration/reAlertInterval`` has passed. An incident with no call
/// for ``Configuration/quietTime`` ends; the next call opens a new one. Zeek's notice framework
/// suppresses a repeated notice for an hour by default (`Notice::default_suppression_interval`);
/// we re-alert sooner, with counts, so a long incident stays visible.
///
/// Time is the packets' time, so a capture file replays the same way as live traffic.
/// Memory is capped at ``Configuration/maxIncidents``; when full, the least recently active
/// eighth is dropped and counted in ``evictions``.
public struct Aggregator<Key: Hashable & Sendable>: Sendable {
    /// When to report again and when an incident is over.
    public typealias Configuration = AggregatorConfiguration

    /// What is known of one open incident.
    public struct Incident: Sendable, Hashable, AggregationEntry {
        /// The first verdict's time.
        public var firstSeen: Timestamp
        /// The latest verdict's time.
        public var lastSeen: Timestamp
        /// When it was last reported.
        public var lastReported: Timestamp
        /// The count at the last report.
        public var reportedCount: Int64
        /// The latest count.
        public var count: Int64
        /// How many times it has been reported (1 after the first report).
        public var occurrence: Int

        var lastActivity: Int64 { lastSeen.nanoseconds }
    }

    /// A report to make: the incident's occurrence number and when it began.
    public struct Report: Sendable, Hashable {
        /// 1 for the first alert of the incident, then 2, 3…
        public var occurrence: Int
        /// When the incident began.
        public var firstSeen: Timestamp
    }

    /// The configuration in force.
    public let configuration: Configuration
    private var table: AggregationTable<Key, Incident>
    private var lastSweep: Int64 = Int64.min
    /// Incidents dropped to stay within ``Configuration/maxIncidents``.
    public var evictions: Int { table.evictions }
    /// Incidents that ended after their quiet time.
    public private(set) var endedIncidents: Int = 0

    /// An aggregator with the given configuration.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.table = AggregationTable(capacity: configuration.maxIncidents)
    }

    /// The number of open incidents.
    public var openIncidents: Int { table.count }

    /// The open incident for a key, if any.
    public func incident(for key: Key) -> Incident? { table.storage[key] }

    /// Records that the condition holds for `key` with `count` at `time`.
    /// - Returns: a report to emit, or nil when the verdict only updates an incident already reported.
    public mutating func record(_ key: Key, count: Int64, at time: Timestamp) -> Report? {
        let now = time.nanoseconds
        if elapsed(from: lastSweep, to: now) >= nanoseconds(configuration.quietTime / 4) || now < lastSweep {
            endQuietIncidents(at: time)
        }
        if var incident = table.storage[key] {
            incident.lastSeen = max(incident.lastSeen, time)
            incident.count = max(incident.count, count)
            let sinceReport = elapsed(from: incident.lastReported.nanoseconds, to: now)
            let grown = Double(incident.count) >= Double(incident.reportedCount) * configuration.growthFactor
                && sinceReport >= nanoseconds(configuration.holdOff)
            let due = incident.count > incident.reportedCount
                && sinceReport >= nanoseconds(configuration.reAlertInterval)
            var report: Report?
            if grown || due {
                incident.occurrence += 1
                incident.lastReported = time
                incident.reportedCount = incident.count
                report = Report(occurrence: incident.occurrence, firstSeen: incident.firstSeen)
            }
            table.storage[key] = incident
            return report
        }
        table.makeRoom(now: now, idleBefore: elapsed(from: nanoseconds(configuration.quietTime), to: now))
        table.storage[key] = Incident(firstSeen: time, lastSeen: time, lastReported: time,
                                      reportedCount: count, count: count, occurrence: 1)
        return Report(occurrence: 1, firstSeen: time)
    }

    /// Ends every incident quiet for ``Configuration/quietTime`` at `time`.
    /// - Returns: how many ended.
    @discardableResult
    public mutating func endQuietIncidents(at time: Timestamp) -> Int {
        let now = time.nanoseconds
        lastSweep = now
        let cutoff = elapsed(from: nanoseconds(configuration.quietTime), to: now)
        let before = table.count
        table.removeIdle(before: cutoff)
        let ended = before - table.count
        endedIncidents += ended
        return ended
    }
}

/// The nanoseconds from `start` to `end`, saturating (never trapping, never wrapping negative
/// from a far-past `start` such as `Int64.min`).
func elapsed(from start: Int64, to end: Int64) -> Int64 {
    let (difference, overflow) = end.subtractingReportingOverflow(start)
    if overflow { return end >= start ? Int64.max : Int64.min }
    return difference
}

/// Seconds as integer nanoseconds, saturating instead of trapping on absurd configurations.
func nanoseconds(_ seconds: Double) -> Int64 {
    let value = seconds * 1e9
    if !(value < 9.2e18) { return Int64.max / 2 }
    if !(value > -9.2e18) { return Int64.min / 2 }
    return Int64(value)
}

/// A table entry that knows when it was last active, so a full table can drop the oldest.
protocol AggregationEntry {
    /// Nanoseconds since the epoch of the entry's latest activity.
    var lastActivity: Int64 { get }
}

/// A dictionary with a hard cap on its entries: the per-source, per-destination and per-incident
/// state of the detectors. When it is full, entries idle since a cutoff go first; if that frees
/// less than an eighth, the least recently active eighth goes (counted in `evictions`). Dropping
/// an eighth at a time keeps the sort amortized over many inserts.
struct AggregationTable<Key: Hashable, Value: AggregationEntry> {
    var storage: [Key: Value] = [:]
    let capacity: Int
    private(set) var evictions: Int = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { storage.count }

    /// Makes room for one new key when the table is full.
    mutating func makeRoom(now: Int64, idleBefore cutoff: Int64) {
        guard storage.count >= capacity else { return }
        storage = storage.filter { $0.value.lastActivity >= cutoff }
        let before = storage.count
        let target = capacity - max(1, capacity / 8)
        if storage.count > target {
            var times = storage.values.map(\.lastActivity)
            times.sort()
            let drop = storage.count - target
            let threshold = times[min(drop, times.count) - 1]
            var dropped = 0
            storage = storage.filter { entry in
                if dropped < drop && entry.value.lastActivity <= threshold {
                    dropped += 1
                    return false
                }
                return true
            }
        }
        evictions += before - storage.count
    }

    /// Removes entries idle since before `cutoff` (expiry, not eviction).
    mutating func removeIdle(before cutoff: Int64) {
        if storage.isEmpty { return }
        storage = storage.filter { $0.value.lastActivity >= cutoff }
    }
}

/// When an ``Aggregator`` reports again and when an incident is over.
public struct AggregatorConfiguration: Sendable, Hashable {
    /// Report again when the count reaches this multiple of the last reported count. Default 2.
    public var growthFactor: Double
    /// The least time between two reports of one incident, in seconds, so a burst that
    /// doubles its count every few milliseconds gives one alert, not ten. Default 10 s.
    public var holdOff: Double
    /// Report again after this many seconds when the count grew at all. Default 300 s.
    public var reAlertInterval: Double
    /// An incident with no new verdict for this many seconds is over. Default 120 s.
    public var quietTime: Double
    /// The most incidents open at once. Default 16,384.
    public var maxIncidents: Int

    /// A configuration; every parameter has the documented default.
    public init(growthFactor: Double = 2, holdOff: Double = 10, reAlertInterval: Double = 300,
                quietTime: Double = 120, maxIncidents: Int = 16_384) {
        self.growthFactor = growthFactor
        self.holdOff = holdOff
        self.reAlertInterval = reAlertInterval
        self.quietTime = quietTime
        self.maxIncidents = maxIncidents
    }
}

extension AggregationTable: Sendable where Key: Sendable, Value: Sendable {}
