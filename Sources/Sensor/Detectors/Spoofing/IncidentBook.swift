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

/// An entry of a capped table that knows when it was last used.
protocol Aging {
    var lastSeen: Timestamp { get }
}

/// Makes room in a capped table before an insertion: drops entries idle longer than `idle`
/// seconds; if the table is still more than seven eighths full, drops the oldest eighth as well
/// (so the O(n) sweep runs at most once per n/8 insertions).
/// - Returns: How many live entries were evicted by the second step (idle expiry is not an eviction).
func makeRoom<Key: Hashable, Value: Aging>(in table: inout [Key: Value], capacity: Int, now: Timestamp, idle: Double) -> Int {
    let capacity = max(1, capacity)
    guard table.count >= capacity else { return 0 }
    let cutoff = now.nanoseconds &- Int64(max(0, min(idle, 1e9)) * 1e9)
    table = table.filter { $0.value.lastSeen.nanoseconds > cutoff }
    guard table.count > capacity - capacity / 8 - 1 else { return 0 }
    var times = table.values.map(\.lastSeen.nanoseconds)
    times.sort()
    let dropCount = max(1, capacity / 8)
    let threshold = times[min(dropCount, times.count) - 1]
    let before = table.count
    table = table.filter { $0.value.lastSeen.nanoseconds > threshold }
    return before - table.count
}

/// One open incident: its counts and the detector's details.
struct Incident<Detail: Sendable>: Aging, Sendable {
    var firstSeen: Timestamp
    var lastSeen: Timestamp
    /// Frames that belong to the incident.
    var frames: Int
    /// How many alerts were emitted for it (the next alert's `occurrence` is this).
    var occurrence: Int
    /// `frames` at the last alert.
    var reportedFrames: Int
    var lastReport: Timestamp
    /// The highest severity seen; a rise re-alerts at once.
    var severity: Severity
    var detail: Detail
}

/// The open incidents of one detector: one alert when an incident opens, an update when its
/// severity rises or `realertInterval` has passed with new frames, and a final update on flush.
struct IncidentBook<Key: Hashable & Sendable, Detail: Sendable>: Sendable {
    var entries: [Key: Incident<Detail>] = [:]
    var capacity: Int
    var realertInterval: Double
    var idleTimeout: Double
    var evictions = 0

    init(capacity: Int, realertInterval: Double, idleTimeout: Double) {
        self.capacity = capacity
        self.realertInterval = realertInterval
        self.idleTimeout = idleTimeout
    }

    /// Records evidence for `key` (`frames` of them, 0 for a fact that is not an attack frame)
    /// and returns the incident when an alert is due.
    mutating func record(_ key: Key, at time: Timestamp, severity: Severity, frames: Int = 1,
                         initial: @autoclosure () -> Detail, update: (inout Detail) -> Void) -> Incident<Detail>? {
        if let index = entries.index(forKey: key) {
            let due: Bool
            do {
                let incident = entries.values[index]
                let escalated = severity > incident.severity
                let newFrames = incident.frames &+ frames > incident.reportedFrames
                due = escalated || (newFrames && time.seconds(since: incident.lastReport) >= realertInterval)
            }
            entries.values[index].frames &+= frames
            if time > entries.values[index].lastSeen { entries.values[index].lastSeen = time }
            if severity > entries.values[index].severity { entries.values[index].severity = severity }
            update(&entries.values[index].detail)
            guard due else { return nil }
            entries.values[index].occurrence &+= 1
            entries.values[index].reportedFrames = entries.values[index].frames
            entries.values[index].lastReport = time
            return entries.values[index]
        }
        evictions &+= makeRoom(in: &entries, capacity: capacity, now: time, idle: idleTimeout)
        var detail = initial()
        update(&detail)
        let incident = Incident(firstSeen: time, lastSeen: time, frames: max(frames, 1), occurrence: 1, reportedFrames: max(frames, 1),
                                lastReport: time, severity: severity, detail: detail)
        entries[key] = incident
        return incident
    }

    /// The incidents with frames not yet reported, marked as reported now (sorted by first time).
    mutating func drainUnreported() -> [(key: Key, incident: Incident<Detail>)] {
        var result: [(key: Key, incident: Incident<Detail>)] = []
        for index in entries.indices where entries.values[index].frames > entries.values[index].reportedFrames {
            entries.values[index].occurrence &+= 1
            entries.values[index].reportedFrames = entries.values[index].frames
            entries.values[index].lastReport = entries.values[index].lastSeen
            result.append((entries.keys[index], entries.values[index]))
        }
        return result.sorted { $0.incident.firstSeen < $1.incident.firstSeen }
    }
}

/// Evidence helpers shared by the layer-2 detectors.
enum L2Evidence {
    /// `frames`, `first`, `last`, `window_seconds` of an incident.
    static func counts<Detail>(_ incident: Incident<Detail>) -> [(String, EvidenceValue)] {
        [
            ("frames", .int(Int64(incident.frames))),
            ("first", .string(incident.firstSeen.description)),
            ("last", .string(incident.lastSeen.description)),
            ("window_seconds", .double((incident.lastSeen.seconds(since: incident.firstSeen) * 1000).rounded() / 1000)),
        ]
    }

    static func macs(_ values: [UInt64]) -> EvidenceValue { .list(values.map { .string(MACText.string($0)) }) }

    static func addresses(_ values: [IPAddress]) -> EvidenceValue { .list(values.map { .string($0.description) }) }

    /// Appends `value` to a sample kept at most `limit` long, without duplicates.
    static func sample<T: Equatable>(_ list: inout [T], _ value: T, limit: Int = 8) {
        if list.count < limit, !list.contains(value) { list.append(value) }
    }
}

extension SensorInventory {
    /// Who sent a frame, as far as the inventory can tell: the VM interface whose port it entered
    /// on (unforgeable), else — when the port is unknown — the VM interface whose MAC it carries.
    /// A frame that entered on a known port that is not a VM's is not attributed to a VM.
    func sender(ingress: String?, ethSource: UInt64) -> (interface: Int?, portVerified: Bool) {
        if let ingress {
            if let index = interfaceIndex(onPort: ingress) { return (index, true) }
            return (nil, false)
        }
        return (interfaceIndex(withMAC: ethSource), false)
    }
}
