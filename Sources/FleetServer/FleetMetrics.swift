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
import Metrics
import Prometheus
import Synchronization

/// The server's Prometheus metrics (`GET /metrics`, viewer role): Hummingbird's per-request
/// counters and durations through swift-metrics, and the fleet's own.
public final class FleetMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let eventsStored: Prometheus.Counter
    let eventsDuplicate: Prometheus.Counter
    let enrollments: Prometheus.Counter
    let refusedHosts: Prometheus.Counter
    let rateLimited: Prometheus.Counter
    let ingestSeconds: Prometheus.DurationHistogram

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func counter(_ name: String, _ help: String) -> Prometheus.Counter {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "hyperward", subsystem: "fleet", metricName: name,
                                                                  unitName: "total", helpText: help))
        }
        eventsStored = counter("events_stored", "Events stored from hosts' pushes.")
        eventsDuplicate = counter("events_duplicate", "Events pushed again after a lost answer (counted, not stored twice).")
        enrollments = counter("enrollments", "Hosts enrolled.")
        refusedHosts = counter("host_refusals", "Requests refused for a missing, revoked or replaced host certificate.")
        rateLimited = counter("rate_limited", "Requests answered 429.")
        ingestSeconds = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "hyperward", subsystem: "fleet", metricName: "ingest_duration", unitName: "seconds",
                                             helpText: "Time to store one push (the database transaction)."),
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                      .milliseconds(250), .milliseconds(1000)])
    }

    static let bootstrapped = Mutex(false)

    /// Routes swift-metrics (Hummingbird's request metrics) into this registry, once per process.
    func bootstrapSwiftMetrics() {
        let first = Self.bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        if first { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
    }

    /// The exposition text.
    func text() -> String { registry.emitToString() }
}

/// Token buckets by key (an API user, a host, a client address): `rate` requests a second with
/// bursts up to `burst`. Bounded: past `maxKeys` keys the table is cleared (every key starts full
/// again, which only ever errs on the side of letting a request through).
final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let rate: Double
    let burst: Double
    let maxKeys: Int
    let buckets = Mutex<[String: Bucket]>([:])

    init(rate: Double, burst: Double, maxKeys: Int = 100_000) {
        self.rate = rate
        self.burst = burst
        self.maxKeys = maxKeys
    }

    /// Takes one token for `key`: nil when allowed, else the seconds until one is available.
    func take(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { table in
            if table.count >= maxKeys, table[key] == nil { table.removeAll(keepingCapacity: true) }
            var bucket = table[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + seconds * rate)
            bucket.updated = now
            defer { table[key] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }
}
