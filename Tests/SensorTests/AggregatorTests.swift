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

import FixtureSupport
import Testing
@testable import Sensor

@Suite("Aggregator")
struct AggregatorTests {
    @Test("one report per incident, again when the count doubles after the hold-off")
    func doubling() {
        var aggregator = Aggregator<Int>()
        var reports: [(Int64, Int)] = []
        for step in 0..<600 {
            let count = Int64(10 + step)
            if let report = aggregator.record(1, count: count, at: Traffic.time(Double(step) * 0.1)) {
                reports.append((count, report.occurrence))
            }
        }
        // 10 at 0 s; 20 reached at 1 s but held off until 10 s (count 110); 220 at 21 s; 440 at 43 s.
        #expect(reports.map(\.0) == [10, 110, 220, 440])
        #expect(reports.map(\.1) == [1, 2, 3, 4])
    }

    @Test("a steady incident is reported again after the re-alert interval only if its count grew")
    func interval() {
        var aggregator = Aggregator<Int>(configuration: .init(reAlertInterval: 60, quietTime: 1_000))
        #expect(aggregator.record(1, count: 100, at: Traffic.time(0))?.occurrence == 1)
        #expect(aggregator.record(1, count: 100, at: Traffic.time(70)) == nil)
        #expect(aggregator.record(1, count: 101, at: Traffic.time(71))?.occurrence == 2)
        #expect(aggregator.record(1, count: 102, at: Traffic.time(100)) == nil)
    }

    @Test("an incident ends after its quiet time and the next verdict opens a new one")
    func quiet() {
        var aggregator = Aggregator<String>()
        #expect(aggregator.record("a", count: 5, at: Traffic.time(0))?.occurrence == 1)
        #expect(aggregator.record("a", count: 6, at: Traffic.time(100)) == nil)
        #expect(aggregator.endQuietIncidents(at: Traffic.time(219)) == 0)
        #expect(aggregator.endQuietIncidents(at: Traffic.time(221)) == 1)
        #expect(aggregator.record("a", count: 1, at: Traffic.time(222))?.occurrence == 1)
        #expect(aggregator.endedIncidents == 1)
    }

    @Test("incidents are capped; the least recently active are evicted and counted")
    func cap() {
        var aggregator = Aggregator<Int>(configuration: .init(maxIncidents: 64))
        for key in 0..<1_000 {
            _ = aggregator.record(key, count: 1, at: Traffic.time(Double(key) * 0.001))
        }
        #expect(aggregator.openIncidents <= 64)
        #expect(aggregator.evictions >= 1_000 - 64)
        #expect(aggregator.incident(for: 999) != nil)
        #expect(aggregator.incident(for: 0) == nil)
    }
}

/// A value that remembers its own key, to check keys and values stay paired.
private struct Tagged: AggregationSlotValue {
    static let vacant = Tagged(key: 0, lastActivity: 0)
    var key: UInt64
    var lastActivity: Int64
}

@Suite("AggregationStateTable")
struct AggregationStateTableTests {
    @Test("random inserts, lookups, evictions and expiry keep every key reachable", arguments: [1, 7, 64, 1_000])
    func randomOperations(capacity: Int) {
        var table = AggregationStateTable<UInt64, Tagged>(capacity: capacity)
        var random = SplitMix(seed: UInt64(capacity))
        for step in 0..<20_000 {
            let key = random.next() % UInt64(3 * capacity + 5)
            let now = Int64(step)
            if random.next() % 50 == 0 {
                table.removeIdle(before: now - Int64(capacity))
            } else {
                let entry = table.slot(for: key, now: now, idleBefore: now - Int64(capacity)) {
                    Tagged(key: key, lastActivity: now)
                }
                table.values[entry].lastActivity = now
            }
            if step % 97 == 0 || capacity < 10 {
                var present = 0
                for (entry, stored) in table.keys.enumerated() {
                    guard let stored else { continue }
                    present += 1
                    #expect(table.find(stored) == entry)
                    #expect(table.values[entry].key == stored)
                }
                #expect(present == table.count)
                #expect(table.count <= capacity)
            }
        }
        #expect(table.evictions > 0 || capacity >= 1_000)
    }
}
