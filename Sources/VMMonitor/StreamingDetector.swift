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

/// The per-metric streaming detector the monitor runs on every VM metric, and `monitor replay`
/// runs on a NAB series: a robust baseline of the recent past (median and median absolute
/// deviation over a sliding window), a score from how far a value lies outside it, and debounce so
/// one incident is one alert.
///
/// * **Baseline**: the median and MAD of the last `window` values (before the current one), so a
///   single spike cannot drag the baseline toward itself the way a mean does.
/// * **Score** in [0, 1]: `1 − exp(−d²/2)` of a two-sided robust distance `d = |x − median| /
///   (1.4826·MAD)` damped until the baseline is warm; a flat metric (MAD 0) uses a floor of 1% of
///   the median's magnitude so tiny jitter on a constant is not an anomaly.
/// * **Alert**: a score at or above `alertScore` after warm-up, at most one per `holdOff` values
///   (the debounce that keeps an incident to one alert).
public struct StreamingDetector: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Values in the baseline (about a day of 5-minute samples).
        public var window = 288
        /// Values seen before any alert (the baseline must mean something).
        public var warmUp = 96
        /// The robust distance that raises an alert (score 1 − e^(−d²/2)).
        public var alertDistance = 6.0
        /// Values after an alert during which no new alert is raised.
        public var holdOff = 288
        /// The least |value − median| that counts as anomalous, in the metric's unit (0 for a
        /// benchmark series; the live monitor sets each metric's floor).
        public var minimumDeviation = 0.0
        public init() {}

        var alertScore: Double { 1 - exp(-alertDistance * alertDistance / 2) }
    }

    public let configuration: Configuration
    /// The window in arrival order (a ring) and the same values sorted.
    private var recent: [Double] = []
    private var sorted: [Double] = []
    private var next = 0
    private var seen = 0
    private var sinceAlert = Int.max

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// What the detector makes of one value.
    public struct Observation: Sendable, Hashable {
        /// In [0, 1].
        public var score: Double
        /// Whether this value raises an alert (anomalous, warm, outside the hold-off).
        public var alert: Bool
        /// Whether the value is anomalous at all (an open incident stays open while it is).
        public var anomalous: Bool
        /// What the baseline expected (its median), nil before it has one.
        public var expected: Double?
    }

    /// One value: its anomaly score and whether it raises an alert.
    public mutating func observe(_ value: Double) -> (score: Double, alert: Bool) {
        let o = inspect(value)
        return (o.score, o.alert)
    }

    /// One value, with what the baseline expected.
    public mutating func inspect(_ value: Double) -> Observation {
        defer {
            if value.isFinite {
                if recent.count < configuration.window {
                    recent.append(value)
                } else {
                    let old = recent[next]
                    recent[next] = value
                    next = (next + 1) % configuration.window
                    sorted.remove(at: StreamingDetector.position(of: old, in: sorted))
                }
                sorted.insert(value, at: StreamingDetector.position(of: value, in: sorted))
            }
            seen += 1
            if sinceAlert < Int.max { sinceAlert += 1 }
        }
        guard value.isFinite, sorted.count >= 8 else { return Observation(score: 0, alert: false, anomalous: false, expected: nil) }
        let median = StreamingDetector.median(sorted)
        let mad = StreamingDetector.medianDeviation(sorted, from: median)
        let spread = max(1.4826 * mad, 0.01 * abs(median), 1e-9)
        let distance = abs(value - median) / spread
        let warm = min(1.0, Double(seen) / Double(max(configuration.warmUp, 1)))
        let score = (1 - exp(-distance * distance / 2)) * warm
        let anomalous = seen >= configuration.warmUp && score >= configuration.alertScore
            && abs(value - median) >= configuration.minimumDeviation
        var alert = false
        if anomalous && sinceAlert >= configuration.holdOff {
            alert = true
            sinceAlert = 0
        }
        return Observation(score: score, alert: alert, anomalous: anomalous, expected: median)
    }

    /// The first index whose value is not below `value` (binary search).
    static func position(of value: Double, in sorted: [Double]) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The median of |x − m| over a sorted array, walking outward from `m` (the deviations come
    /// out in increasing order, as when merging two sorted lists): O(n), no sort.
    static func medianDeviation(_ sorted: [Double], from m: Double) -> Double {
        let n = sorted.count
        var right = position(of: m, in: sorted), left = right - 1
        var deviations: [Double] = []
        deviations.reserveCapacity(n / 2 + 1)
        while deviations.count <= n / 2 {
            let l = left >= 0 ? m - sorted[left] : Double.infinity
            let r = right < n ? sorted[right] - m : Double.infinity
            if l <= r { deviations.append(l); left -= 1 } else { deviations.append(r); right += 1 }
        }
        return n % 2 == 1 ? deviations[n / 2] : (deviations[n / 2 - 1] + deviations[n / 2]) / 2
    }

    static func median(_ sorted: [Double]) -> Double {
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

/// A NAB-format series: `timestamp,value` rows.
public struct Series: Sendable {
    public var timestamps: [String]
    public var values: [Double]

    /// The most rows read (NAB files have at most ~22,000).
    public static let maxRows = 2_000_000

    /// Parses CSV text with a `timestamp,value` header; a bad row is an error naming its line.
    public init(csv text: String) throws {
        timestamps = []
        values = []
        var lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).makeIterator()
        guard let header = lines.next(), header.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }).prefix(2) == ["timestamp", "value"] else {
            throw MonitorError("the series must start with a `timestamp,value` header")
        }
        var line = 1
        while let row = lines.next() {
            line += 1
            guard timestamps.count < Series.maxRows else { throw MonitorError("more than \(Series.maxRows) rows") }
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 2, let value = Double(fields[1].trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw MonitorError("line \(line): expected `timestamp,value` with a finite number")
            }
            let timestamp = fields[0].trimmingCharacters(in: .whitespaces)
            guard timestamp.count >= 19, timestamp.count <= 40 else { throw MonitorError("line \(line): timestamp \(timestamp.prefix(40).debugDescription)") }
            timestamps.append(timestamp)
            values.append(value)
        }
    }

    /// Runs the detector over the series: `timestamp,value,anomaly_score,alert` rows.
    public func replay(configuration: StreamingDetector.Configuration = StreamingDetector.Configuration()) -> (csv: String, scores: [Double], alerts: [Bool]) {
        var detector = StreamingDetector(configuration: configuration)
        var out = "timestamp,value,anomaly_score,alert\n"
        var scores: [Double] = [], alerts: [Bool] = []
        for (timestamp, value) in zip(timestamps, values) {
            let (score, alert) = detector.observe(value)
            scores.append(score)
            alerts.append(alert)
            out += "\(timestamp),\(value),\(String(format: "%.6f", score)),\(alert ? 1 : 0)\n"
        }
        return (out, scores, alerts)
    }
}
