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
/// runs on a NAB series: an *envelope breakout* detector at two time scales.
///
/// * **A (values)**: the value breaks out of the envelope [min, max] of its own last `history`
///   values by more than `threshold` of the envelope's half-width on that side (max − median above,
///   median − min below). A metric that has always moved within a range is normal inside it
///   however spiky it is; a new level is what counts.
/// * **B (level)**: the running median of the last `smoothing` values breaks out of the envelope
///   of its own last `smoothedHistory` medians by more than `smoothedThreshold` of that half-width
///   (floored at `floor` of A's half-width): a sustained shift too small to break A's envelope.
/// * **Score** `s = max(A/threshold, B/smoothedThreshold)`, reported as `s/(1+s)` in [0, 1): 0.5 is
///   the alert line. **Alert** when `s > 1` after `warmUp` values, at most one per `holdOff`
///   values — the debounce that keeps an incident to one alert.
///
/// Why these, and one configuration for everything: a median/MAD distance (the first version,
/// NAB 35.4) fires constantly on spiky counters whose MAD is 0; a breakout of the metric's own
/// recent range does not, and catches the level shifts and new extremes that incidents are. The
/// defaults (a week of 5-minute values for A, two days for B, an hour's median) scored 74.6
/// standard on NAB realAWSCloudwatch; chosen on those same files, so expect less on new data
/// (leave-one-file-out: 65.6). docs/monitor.md has the sweep and sensitivity.
public struct StreamingDetector: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Values in A's envelope (a week of 5-minute samples).
        public var history = 2016
        /// A's breakout, as a fraction of the half-width.
        public var threshold = 0.10
        /// Values in the running median B watches (an hour of 5-minute samples).
        public var smoothing = 12
        /// Running medians in B's envelope (two days).
        public var smoothedHistory = 576
        /// B's breakout, as a fraction of its half-width.
        public var smoothedThreshold = 0.30
        /// B's half-width is at least this fraction of A's.
        public var floor = 0.10
        /// Values seen before any alert (the envelope must mean something).
        public var warmUp = 96
        /// Values after an alert during which no new alert is raised.
        public var holdOff = 72
        /// The least |value − expected| that counts as anomalous, in the metric's unit (0 for a
        /// benchmark series; the live monitor sets each metric's floor).
        public var minimumDeviation = 0.0
        /// Only breakouts above the envelopes count (the live monitor: a VM doing less than its
        /// normal is no threat, and must not spend the hold-off); false for a benchmark series.
        public var upwardOnly = false
        /// Values per season (a day: 288 at 5 minutes, 8640 at 10 s); 0 turns component C off.
        public var season = 0
        /// Phases of a season C compares like with like in (hours of a day).
        public var seasonBuckets = 24
        /// Seasons of history each phase keeps.
        public var seasonsKept = 7
        /// C's breakout, as a fraction of the phase's half-width.
        public var seasonalThreshold = 0.5
        /// C only counts when the phases differ this many times more than a phase varies from
        /// season to season: the data has seasonality.
        public var seasonalStrength = 2.0
        public init() {}
    }

    /// Component C: each phase of the season (an hour of the day) against the same phase in the
    /// last seasons, so a night-time burst as high as a normal midday peak still stands out.
    struct SeasonalProfile: Sendable {
        let season: Int, buckets: Int, kept: Int
        var current: [Float] = []
        var currentBucket = -1
        /// Per phase, the medians of its last `kept` occurrences (oldest first).
        var history: [[Float]]

        init(season: Int, buckets: Int, kept: Int) {
            self.season = season
            self.buckets = Swift.max(1, Swift.min(buckets, season))
            self.kept = Swift.max(3, kept)
            history = Array(repeating: [], count: self.buckets)
        }

        func bucket(at index: Int) -> Int { (index % season) * buckets / season }

        /// Counts `value` (the `index`th of the series) in its phase; closes the previous phase's
        /// occurrence when the phase changes.
        mutating func add(_ value: Double, at index: Int) {
            let b = bucket(at: index)
            if b != currentBucket {
                if currentBucket >= 0, !current.isEmpty {
                    current.sort()
                    history[currentBucket].append(current[current.count / 2])
                    if history[currentBucket].count > kept { history[currentBucket].removeFirst() }
                }
                current.removeAll(keepingCapacity: true)
                currentBucket = b
            }
            let limit = Double(Float.greatestFiniteMagnitude)
            // The phase's median from at most 1,024 of its values: memory stays bounded whatever the season.
            if current.count < 1024 { current.append(Float(Swift.min(Swift.max(value, -limit), limit))) }
        }

        /// How much the phases differ relative to how much each varies across seasons (0 until
        /// every phase has three seasons).
        var strength: Double {
            guard history.allSatisfy({ $0.count >= 3 }) else { return 0 }
            let levels = history.map { h -> Double in let s = h.sorted(); return Double(s[s.count / 2]) }
            let spreads = history.map { h -> Double in Double(h.max()! - h.min()!) }.sorted()
            let between = levels.max()! - levels.min()!
            return between / Swift.max(spreads[spreads.count / 2], 1e-12)
        }
    }

    /// The last `capacity` values pushed, in arrival order and sorted: min, max and median.
    /// Stored as `Float` (computed in `Double`): a live host keeps eleven metrics' histories per
    /// VM, and half the memory matters more than digits beyond the seventh.
    struct Window: Sendable {
        let capacity: Int
        var ring: [Float] = []
        var sorted: [Float] = []
        var next = 0

        init(capacity: Int) { self.capacity = Swift.max(1, capacity) }

        var count: Int { ring.count }
        var min: Double { Double(sorted[0]) }
        var max: Double { Double(sorted[sorted.count - 1]) }
        var median: Double {
            let n = sorted.count
            return n % 2 == 1 ? Double(sorted[n / 2]) : (Double(sorted[n / 2 - 1]) + Double(sorted[n / 2])) / 2
        }

        mutating func push(_ value: Double) {
            // Finite in, finite stored: beyond Float's range a value saturates (never ±inf or NaN,
            // which would break the sorted order eviction relies on).
            let limit = Double(Float.greatestFiniteMagnitude)
            let v = value.isNaN ? 0 : Float(Swift.min(Swift.max(value, -limit), limit))
            if ring.isEmpty {
                ring.reserveCapacity(capacity)
                sorted.reserveCapacity(capacity)
            }
            if ring.count < capacity {
                ring.append(v)
            } else {
                let old = ring[next]
                ring[next] = v
                next = (next + 1) % capacity
                let index = StreamingDetector.position(of: old, in: sorted)
                precondition(index < sorted.count && sorted[index] == old, "window out of order")
                sorted.remove(at: index)
            }
            sorted.insert(v, at: StreamingDetector.position(of: v, in: sorted))
        }

    }

    public let configuration: Configuration
    private var values: Window
    private var recent: Window
    private var medians: Window
    private var seen = 0
    private var lastAlert: Int?
    private var seasonal: SeasonalProfile?
    private var seasonalStrength = 0.0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        values = Window(capacity: configuration.history)
        recent = Window(capacity: configuration.smoothing)
        medians = Window(capacity: configuration.smoothedHistory)
        if configuration.season >= 2 {
            seasonal = SeasonalProfile(season: configuration.season, buckets: configuration.seasonBuckets, kept: configuration.seasonsKept)
        }
    }

    /// What the detector makes of one value.
    public struct Observation: Sendable, Hashable {
        /// In [0, 1]: 0.5 is the alert line (1 only for an overflowing breakout).
        public var score: Double
        /// Whether this value raises an alert (anomalous, warm, outside the hold-off).
        public var alert: Bool
        /// Whether the value is anomalous at all (an open incident stays open while it is).
        public var anomalous: Bool
        /// What the history expected (its median), nil before it has one.
        public var expected: Double?
    }

    /// Lets the next anomalous value alert at once (the monitor calls it when an incident resolves).
    public mutating func endHoldOff() { lastAlert = nil }

    /// One value: its anomaly score and whether it raises an alert.
    public mutating func observe(_ value: Double) -> (score: Double, alert: Bool) {
        let o = inspect(value)
        return (o.score, o.alert)
    }

    /// One value, with what the history expected.
    public mutating func inspect(_ value: Double) -> Observation {
        guard value.isFinite else { return Observation(score: 0, alert: false, anomalous: false, expected: nil) }
        let c = configuration
        let epsilon = 1e-12
        recent.push(value)
        let m = recent.median
        var s = -Double.infinity
        var expected: Double?
        var deviation = 0.0
        if values.count >= 2 {
            let high = values.max, low = values.min, middle = values.median
            let up = high - middle, down = middle - low
            let below = c.upwardOnly ? -Double.infinity : (low - value) / Swift.max(down, epsilon)
            let a = Swift.max((value - high) / Swift.max(up, epsilon), below)
            s = a / c.threshold
            expected = middle
            deviation = abs(value - middle)
            if medians.count >= 2 {
                let bHigh = medians.max, bLow = medians.min, bMiddle = medians.median
                let bBelow = c.upwardOnly ? -Double.infinity : (bLow - m) / Swift.max(bMiddle - bLow, c.floor * down, epsilon)
                let b = Swift.max((m - bHigh) / Swift.max(bHigh - bMiddle, c.floor * up, epsilon), bBelow)
                if b / c.smoothedThreshold > s {
                    s = b / c.smoothedThreshold
                    deviation = abs(m - bMiddle)
                }
            }
            if let profile = seasonal, seasonalStrength >= c.seasonalStrength {
                let phase = profile.history[profile.bucket(at: seen)]
                if phase.count >= 3 {
                    let sorted = phase.sorted()
                    let pHigh = Double(sorted[sorted.count - 1]), pLow = Double(sorted[0]), pMiddle = Double(sorted[sorted.count / 2])
                    let cBelow = c.upwardOnly ? -Double.infinity : (pLow - m) / Swift.max(pMiddle - pLow, c.floor * down, epsilon)
                    let cScore = Swift.max((m - pHigh) / Swift.max(pHigh - pMiddle, c.floor * up, epsilon), cBelow)
                    if cScore / c.seasonalThreshold > s {
                        s = cScore / c.seasonalThreshold
                        deviation = abs(m - pMiddle)
                        expected = pMiddle
                    }
                }
            }
        }
        let anomalous = s > 1 && seen >= c.warmUp && deviation >= c.minimumDeviation
        var alert = false
        if anomalous && (lastAlert.map { seen - $0 > c.holdOff } ?? true) {
            alert = true
            lastAlert = seen
        }
        values.push(value)
        medians.push(m)
        if seasonal != nil {
            let before = seasonal!.currentBucket
            seasonal!.add(value, at: seen)
            if seasonal!.currentBucket != before { seasonalStrength = seasonal!.strength }
        }
        seen += 1
        // Extreme inputs (±1e308) can overflow a half-width to infinity and the ratio to NaN: a
        // NaN is no evidence (score 0), an infinite breakout scores 1.
        let score = s.isNaN || s <= 0 ? 0 : (s.isInfinite ? 1 : s / (1 + s))
        return Observation(score: score, alert: alert, anomalous: anomalous, expected: expected)
    }

    /// The first index whose value is not below `value` (binary search).
    static func position<T: Comparable>(of value: T, in sorted: [T]) -> Int {
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

/// A NAB-format series: `timestamp,value` rows (read by ``SeriesReader``).
public struct Series: Sendable {
    public var timestamps: [String]
    public var values: [Double]
    /// How many rows repeat the previous row's timestamp; they are replayed in file order (NAB's
    /// own corpus has such rows, e.g. a repeated hour at a daylight-saving change).
    public var duplicateTimestamps = 0
    /// The line of the first row that repeats the previous row's timestamp.
    public var firstDuplicateLine: Int?

    /// The most rows read (NAB files have at most ~22,000); row 2,000,001 is an error as soon as it is seen.
    public static let maxRows = 2_000_000
    /// The longest line accepted, in bytes (a NAB row is about 25).
    public static let maxLineBytes = 1024
    /// The timestamp formats accepted, for error messages and the docs.
    public static let timestampFormats =
        "YYYY-MM-DD HH:MM:SS (NAB) or YYYY-MM-DDTHH:MM:SS, optionally with fractional seconds (.123) and Z or a ±HH:MM offset"

    /// An empty series.
    public init() {
        timestamps = []
        values = []
    }

    /// Parses CSV text with a `timestamp,value` header; a bad row is an error naming its line.
    /// - Throws: `MonitorError` for a missing header, a malformed or out-of-order row, an overlong
    ///   line, or more than ``maxRows`` rows.
    public init(csv text: String) throws(MonitorError) {
        var reader = SeriesReader()
        var failure: MonitorError?
        var copy = text
        copy.withUTF8 { bytes in
            do throws(MonitorError) { try reader.consume(UnsafeRawBufferPointer(bytes)) } catch { failure = error }
        }
        if let failure { throw failure }
        self = try reader.finish()
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
