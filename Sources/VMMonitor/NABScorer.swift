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

/// The Numenta Anomaly Benchmark's scoring rules (NAB v1: `nab/sweeper.py`, `optimizer.py`),
/// so the monitor's detector is measured on a public benchmark with the product's own code.
///
/// * The first `min(⌊0.15·N⌋, 750)` rows of a file are probation and not scored.
/// * A detection inside window `[l, r]` at row `i` earns `σ(-5·pos)·2-1` with
///   `pos = -(r-i+1)/(r-l+1)`, scaled so the earliest detection earns `tpWeight`; only a window's
///   best detection counts; a missed window costs `fnWeight`.
/// * A detection outside windows costs `fpWeight` before the first window, else the same sigmoid
///   of its distance from the previous window (in that window's widths), times `fpWeight`.
/// * Normalised score: `100·(raw − null)/(perfect − null)` with `null = −fnWeight·windows` and
///   `perfect = tpWeight·windows`.
public enum NABScorer {
    /// A profile's weights.
    public struct CostMatrix: Sendable, Hashable, Codable {
        public var tpWeight: Double
        public var fnWeight: Double
        public var fpWeight: Double
        public init(tpWeight: Double, fnWeight: Double, fpWeight: Double) {
            self.tpWeight = tpWeight
            self.fnWeight = fnWeight
            self.fpWeight = fpWeight
        }

        public static let standard = CostMatrix(tpWeight: 1, fnWeight: 1, fpWeight: 0.11)
        public static let rewardLowFP = CostMatrix(tpWeight: 1, fnWeight: 1, fpWeight: 0.22)
        public static let rewardLowFN = CostMatrix(tpWeight: 1, fnWeight: 2, fpWeight: 0.11)
    }

    /// One data file's detector output: timestamps (`YYYY-MM-DD HH:MM:SS`), scores, and its
    /// labelled windows as (start, end) timestamps.
    public struct File: Sendable {
        public var timestamps: [String]
        public var scores: [Double]
        public var windows: [(String, String)]
        public init(timestamps: [String], scores: [Double], windows: [(String, String)]) {
            self.timestamps = timestamps
            self.scores = scores
            self.windows = windows
        }
    }

    /// A corpus score.
    public struct Result: Sendable, Hashable {
        public var threshold: Double
        public var raw: Double
        public var normalized: Double
        public var windows: Int
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    static func scaled(_ position: Double) -> Double { position > 3 ? -1 : 2 * sigmoid(-5 * position) - 1 }
    static let maxTP = scaled(-1)

    /// The first 19 characters (`YYYY-MM-DD HH:MM:SS`): labels carry microseconds, data does not.
    static func key(_ timestamp: String) -> Substring { timestamp.trimmingCharacters(in: .whitespaces).prefix(19) }

    /// Per-row points and window ids (nil outside windows; -1 for probation rows).
    static func rowPoints(_ file: File, _ cost: CostMatrix) throws -> (points: [(Double, Int?)], windows: Int) {
        var index: [Substring: Int] = [:]
        for (i, t) in file.timestamps.enumerated() { index[key(t)] = i }
        let windows: [(Int, Int)] = try file.windows.map { pair in
            guard let l = index[key(pair.0)], let r = index[key(pair.1)] else {
                throw MonitorError("a label window (\(pair.0), \(pair.1)) names a timestamp the data does not have")
            }
            return (l, r)
        }
        let n = file.timestamps.count
        let probation = min(Double(Int(0.15 * Double(n))), 0.15 * 5000)
        var out: [(Double, Int?)] = []
        out.reserveCapacity(n)
        var previous: (Int, Int)?
        var w = 0
        for i in 0..<n {
            let current: Int? = w < windows.count && windows[w].0 <= i && i <= windows[w].1 ? w : nil
            let s: Double
            if let current {
                let (l, r) = windows[current]
                s = scaled(-Double(r - i + 1) / Double(r - l + 1)) * cost.tpWeight / maxTP
            } else if let (l, r) = previous {
                s = scaled(Double(abs(r - i)) / Double((r - l + 1) - 1)) * cost.fpWeight
            } else {
                s = -1 * cost.fpWeight
            }
            out.append((s, Double(i) < probation ? -1 : current))
            if let current, i == windows[current].1 {
                previous = windows[current]
                w += 1
            }
        }
        return (out, windows.count)
    }

    /// Scores a corpus with a fixed threshold (a 0/1 alert column: 0.5), or with NAB's optimiser
    /// (every distinct score tried; the best corpus score wins) when `threshold` is nil.
    public static func score(_ files: [File], cost: CostMatrix, threshold fixed: Double?) throws -> Result {
        var points: [(score: Double, value: Double, window: Int?)] = []
        var windowCount = 0
        for (fileIndex, file) in files.enumerated() {
            guard file.scores.count == file.timestamps.count else { throw MonitorError("scores and timestamps differ in length") }
            let (rows, count) = try rowPoints(file, cost)
            for (row, score) in zip(rows, file.scores) where row.1 != -1 {
                points.append((score, row.0, row.1.map { fileIndex << 20 | $0 }))
            }
            windowCount += count
        }
        let null = -cost.fnWeight * Double(windowCount), perfect = cost.tpWeight * Double(windowCount)
        func total(_ best: [Int: Double], _ fp: Double) -> Double {
            fp + best.values.reduce(0, +) - cost.fnWeight * Double(windowCount - best.count)
        }
        var best: [Int: Double] = [:]
        var fp = 0.0
        let raw: Double, threshold: Double
        if let fixed {
            for point in points where point.score >= fixed {
                if let window = point.window { best[window] = max(best[window] ?? -1e9, point.value) } else { fp += point.value }
            }
            raw = total(best, fp)
            threshold = fixed
        } else {
            // Python's sort is stable: equal scores keep file order.
            let sorted = points.enumerated().sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }
            var top = (null, Double.infinity)
            var current: Double?
            for (_, point) in sorted {
                if let c = current, point.score != c {
                    let candidate = (total(best, fp), c)
                    if candidate > top { top = candidate }
                }
                current = point.score
                if let window = point.window { best[window] = max(best[window] ?? -1e9, point.value) } else { fp += point.value }
            }
            if let c = current {
                let candidate = (total(best, fp), c)
                if candidate > top { top = candidate }
            }
            (raw, threshold) = top
        }
        return Result(threshold: threshold, raw: raw, normalized: 100 * (raw - null) / (perfect - null), windows: windowCount)
    }
}

/// A monitoring input that cannot be used.
public struct MonitorError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
