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

import VMMonitor

/// The monitor's readers of outside data: domain statistics (libvirt's, or `virsh domstats` text)
/// and `timestamp,value` series for `monitor replay`.
extension FuzzTarget {
    /// Statistics parse into bounded samples, and rates between two of them are finite and
    /// non-negative whatever the counters say.
    static func domstats(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.domstats
        guard let samples = try? DomainSample.parseDomstats(String(decoding: bytes, as: UTF8.self), time: 0) else { return }
        for sample in samples {
            for list in [sample.vcpus.map(\.index), sample.interfaces.map(\.index), sample.blocks.map(\.index)] {
                if list != list.sorted() || Set(list).count != list.count || list.contains(where: { $0 < 0 || $0 > DomainSample.maxIndex }) {
                    throw f.fail("device indices \(list.prefix(8)) not sorted, unique and in range")
                }
            }
        }
        // Each sample against the next (as if ten seconds later): rates stay sane.
        for (a, b) in zip(samples, samples.dropFirst()) {
            var later = b
            later.time = a.time + 10
            guard let rates = VMRates.between(a, later) else { throw f.fail("no rates over a 10 s interval") }
            if let bad = rates.values.first(where: { !$0.value.isFinite || $0.value < 0 }) {
                throw f.fail("rate \(bad.key.rawValue) = \(bad.value)")
            }
        }
        var engine = MonitorEngine()
        _ = engine.ingest(samples)
        _ = engine.ingest(samples.map { var s = $0; s.time += 10; return s })
    }

    /// A series that parses replays into one row per value, scores in [0, 1], alerts that agree
    /// with the scores.
    static func series(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.series
        guard let series = try? Series(csv: String(decoding: bytes, as: UTF8.self)) else { return }
        var configuration = StreamingDetector.Configuration()
        configuration.warmUp = 8
        configuration.holdOff = 3
        let replay = series.replay(configuration: configuration)
        if replay.scores.count != series.values.count || replay.csv.split(separator: "\n").count != series.values.count + 1 {
            throw f.fail("\(replay.scores.count) scores, \(replay.csv.split(separator: "\n").count) lines for \(series.values.count) values")
        }
        for (score, alert) in zip(replay.scores, replay.alerts) {
            if !(score >= 0 && score <= 1) { throw f.fail("score \(score)") }
            if alert && score <= 0.5 { throw f.fail("an alert with score \(score)") }
        }
    }
}
