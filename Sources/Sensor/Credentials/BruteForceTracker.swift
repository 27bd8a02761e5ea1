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

/// Thresholds of the brute-force detector.
///
/// The defaults are fail2ban's (`jail.conf` `[DEFAULT]`: `maxretry = 5`, `findtime = 600`):
/// five failed logins from one source within ten minutes. Emerging Threats' FTP rule
/// (sid 2002383, "Potential FTP Brute-Force attempt") uses the same count over five minutes
/// (`threshold: type threshold, track by_dst, count 5, seconds 300`); the longer window also
/// catches slow, throttled guessing.
public struct BruteForceConfiguration: Sendable, Hashable {
    /// Failed logins within ``window`` that make an incident (fail2ban `maxretry`).
    public var maxFailures: Int
    /// The sliding window, in seconds (fail2ban `findtime`). An incident ends when no failure
    /// comes for this long.
    public var window: Double
    /// Most (source, destination, port) triples tracked at once; beyond it the least recently
    /// active are evicted (counted in ``BruteForceTracker/evictions``).
    public var maxTrackedServices: Int

    /// Creates a configuration (defaults: 5 failures in 600 s, 65,536 tracked services).
    public init(maxFailures: Int = 5, window: Double = 600, maxTrackedServices: Int = 65_536) {
        self.maxFailures = max(1, min(maxFailures, 10_000))
        self.window = max(0.001, window)
        self.maxTrackedServices = max(8, maxTrackedServices)
    }

    /// The defaults.
    public static let `default` = BruteForceConfiguration()
}

/// Counts failed logins per (source, destination, service port) in a sliding window, over any
/// number of connections, and raises one `brute-force` alert per incident.
///
/// An incident starts when ``BruteForceConfiguration/maxFailures`` failures fall within
/// ``BruteForceConfiguration/window`` (alert, occurrence 1); it is re-reported each time its
/// failure count doubles (5, 10, 20, 40, …), and once, at `critical`, if a login from the same
/// source then succeeds (the guessing worked). It ends after a full window without failures.
/// Logins with an unknown outcome are not counted (no verdict, no evidence of guessing).
public struct BruteForceTracker: Sendable {
    struct Key: Hashable, Sendable {
        var source: IPAddress
        var destination: IPAddress
        var port: UInt16
    }

    struct Entry: Sendable {
        /// The most recent failure times (ns), a ring of `maxFailures` slots.
        var ring: [Int64]
        var ringNext = 0
        var ringCount = 0
        var lastActivity: Int64
        var lastFailure: Int64 = .min
        var kind: CredentialKind
        // The incident in progress, if any.
        var incidentStart: Int64? = nil
        var failures = 0
        var nextReport = 0
        var occurrence = 0
        var succeeded = false
        var users: [String] = []
        var moreUsers = false
    }

    /// Most distinct user names listed in the evidence of one incident.
    static let userSampleLimit = 8

    /// The thresholds.
    public let configuration: BruteForceConfiguration
    private var entries: [Key: Entry] = [:]
    /// Tracked services dropped while still active because the table was full.
    public private(set) var evictions = 0
    /// Tracked services dropped because their window had passed.
    public private(set) var expirations = 0

    /// A tracker with the given thresholds.
    public init(configuration: BruteForceConfiguration = .default) {
        self.configuration = configuration
    }

    /// How many (source, destination, port) triples are tracked.
    public var trackedCount: Int { entries.count }

    /// Records a login attempt; returns an alert when it starts an incident, doubles its count,
    /// or is the success that ends a guessing run.
    public mutating func record(_ event: CredentialEvent, source: IPAddress, destination: IPAddress,
                                destinationPort: UInt16) -> Alert? {
        switch event.outcome {
        case .unknown: return nil
        case .success: return recordSuccess(event, key: Key(source: source, destination: destination,
                                                             port: destinationPort))
        case .failure: return recordFailure(event, key: Key(source: source, destination: destination,
                                                            port: destinationPort))
        }
    }

    /// Drops every entry whose last failure is older than the window at `now` (call periodically).
    public mutating func expire(now: Timestamp) {
        let horizon = now.nanoseconds &- windowNanoseconds
        let before = entries.count
        entries = entries.filter { $0.value.lastActivity >= horizon }
        expirations += before - entries.count
    }

    private var windowNanoseconds: Int64 {
        let value = configuration.window * 1e9
        return value >= 9.2e18 ? .max : Int64(value)
    }

    private mutating func recordFailure(_ event: CredentialEvent, key: Key) -> Alert? {
        let now = event.time.nanoseconds
        let window = windowNanoseconds
        if entries[key] == nil {
            makeRoom(now: now)
            entries[key] = Entry(ring: [Int64](repeating: 0, count: configuration.maxFailures), lastActivity: now,
                                 kind: event.kind)
        }
        guard var entry = entries[key] else { return nil }
        entries[key] = nil  // modify a unique copy, put it back below
        defer { entries[key] = entry }
        if entry.incidentStart != nil, now &- entry.lastFailure > window {
            // A full window without failures: the incident is over.
            entry.incidentStart = nil
            entry.failures = 0
            entry.occurrence = 0
            entry.succeeded = false
            entry.users.removeAll()
            entry.moreUsers = false
        }
        entry.ring[entry.ringNext] = now
        entry.ringNext = (entry.ringNext + 1) % entry.ring.count
        entry.ringCount = min(entry.ringCount + 1, entry.ring.count)
        entry.lastFailure = now
        entry.lastActivity = now
        entry.kind = event.kind
        noteUser(event.user, in: &entry)
        if entry.incidentStart != nil {
            entry.failures += 1
            guard entry.failures >= entry.nextReport else { return nil }
            entry.nextReport = entry.failures &* 2
            entry.occurrence += 1
            return alert(for: entry, key: key, at: event.time, success: nil)
        }
        // The oldest of the last `maxFailures` failures is the ring slot about to be overwritten.
        let oldest = entry.ring[entry.ringNext]
        guard entry.ringCount == entry.ring.count, now &- oldest <= window else { return nil }
        entry.incidentStart = oldest
        entry.failures = entry.ring.count
        entry.nextReport = entry.failures &* 2
        entry.occurrence = 1
        return alert(for: entry, key: key, at: event.time, success: nil)
    }

    private mutating func recordSuccess(_ event: CredentialEvent, key: Key) -> Alert? {
        guard var entry = entries[key], entry.incidentStart != nil, !entry.succeeded,
              event.time.nanoseconds &- entry.lastFailure <= windowNanoseconds else { return nil }
        entry.succeeded = true
        entry.occurrence += 1
        entry.lastActivity = event.time.nanoseconds
        entries[key] = entry
        return alert(for: entry, key: key, at: event.time, success: event.user)
    }

    private func noteUser(_ user: String, in entry: inout Entry) {
        guard !entry.users.contains(user) else { return }
        if entry.users.count < Self.userSampleLimit {
            entry.users.append(user)
        } else {
            entry.moreUsers = true
        }
    }

    /// Makes room for one entry: first drops expired entries, then, if the table is still full,
    /// the least recently active eighth (one sort per `max/8` insertions keeps this O(log n)
    /// amortised even when every entry is live).
    private mutating func makeRoom(now: Int64) {
        guard entries.count >= configuration.maxTrackedServices else { return }
        expire(now: Timestamp(nanoseconds: now))
        guard entries.count >= configuration.maxTrackedServices else { return }
        let victims = max(1, entries.count / 8)
        let oldest = entries.sorted { $0.value.lastActivity < $1.value.lastActivity }.prefix(victims)
        for (key, _) in oldest { entries[key] = nil }
        evictions += victims
    }

    private func alert(for entry: Entry, key: Key, at time: Timestamp, success user: String?) -> Alert {
        let start = Timestamp(nanoseconds: entry.incidentStart ?? entry.lastFailure)
        let title = CredentialAlertBuilder.protocolTitle(entry.kind)
        let target = "\(key.source) → \(CredentialAlertBuilder.endpoint(key.destination, key.port))"
        let userList = entry.users.map { CredentialText.displaySafe($0, limit: 64) }
        var summary: String
        if let user {
            summary = "\(title) brute force succeeded: login as \"\(CredentialText.displaySafe(user))\" after "
                + "\(entry.failures) failures: \(target)"
        } else {
            summary = "\(title) brute force: \(entry.failures) failed logins in "
                + "\(Self.seconds(entry.lastFailure, since: start.nanoseconds)) s: \(target)"
        }
        if user == nil, userList.count > 1 || entry.moreUsers {
            summary += " (\(userList.count)\(entry.moreUsers ? "+" : "") users)"
        }
        var evidence: [(String, EvidenceValue)] = [
            ("failures", .int(Int64(entry.failures))),
            ("threshold", .int(Int64(configuration.maxFailures))),
            ("window_seconds", .double(configuration.window)),
            ("first_failure", .string(start.description)),
            ("last_failure", .string(Timestamp(nanoseconds: entry.lastFailure).description)),
            ("users", .list(userList.map { .string($0) })),
            ("more_users", .bool(entry.moreUsers)),
            ("succeeded", .bool(user != nil)),
        ]
        if let user { evidence.append(("successful_user", .string(user))) }
        return Alert(time: time, detector: .bruteForce, severity: user != nil ? .critical : .high,
                     summary: summary, src: key.source.description, dst: key.destination.description,
                     dstPort: key.port, protocolName: entry.kind.rawValue,
                     user: user ?? (entry.users.count == 1 && !entry.moreUsers ? entry.users.first : nil),
                     outcome: user != nil ? LoginOutcome.success.rawValue : LoginOutcome.failure.rawValue,
                     // Every counted failure was a server verdict on an established connection.
                     sourceMayBeSpoofed: false,
                     incident: "brute-force/\(key.source)/\(key.destination)/\(key.port)/\(start.nanoseconds)",
                     occurrence: entry.occurrence, evidence: evidence)
    }

    private static func seconds(_ end: Int64, since start: Int64) -> String {
        let tenths = (end &- start) / 100_000_000
        return "\(tenths / 10).\(abs(tenths % 10))"
    }
}
