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
import GRDB
import HyperwardCore

extension FleetDatabase {
    /// What one push did.
    public struct IngestResult: Sendable, Equatable {
        /// Events stored now.
        public var stored: Int
        /// Events already stored (the same ids sent again after a lost answer): not duplicated.
        public var duplicates: Int
    }

    /// One host's push, as `ingest(_:)` takes it.
    public struct Push: Sendable {
        public var events: [Event]
        public var host: String
        public var droppedTotal: Int64?

        public init(events: [Event], host: String, droppedTotal: Int64? = nil) {
            self.events = events
            self.host = host
            self.droppedTotal = droppedTotal
        }
    }

    /// Stores `events` pushed by `host`, in one transaction, each once: an event id already
    /// stored is counted, not stored again, so an agent resends freely after a lost answer or a
    /// server restart. An event claiming another host is refused whole (a host speaks for itself).
    public func ingest(_ events: [Event], from host: String, droppedTotal: Int64? = nil, now: Date = Date()) throws(HyperwardError) -> IngestResult {
        try ingest([Push(events: events, host: host, droppedTotal: droppedTotal)], now: now)[0].get()
    }

    /// Stores several pushes in one transaction (one commit, one sync to disk, for all of them):
    /// each push is stored whole or refused whole on its own (a savepoint each), so one host's
    /// bad push never costs another's. Returns each push's outcome, in order.
    public func ingest(_ pushes: [Push], now: Date = Date()) throws(HyperwardError) -> [Result<IngestResult, HyperwardError>] {
        var outcomes: [Result<IngestResult, HyperwardError>?] = pushes.map { push in
            do throws(HyperwardError) {
                try Self.validate(push.events)
                return nil
            } catch {
                return .failure(error)
            }
        }
        let received = Event.timestamp(now)
        let stored: [Int: Result<IngestResult, HyperwardError>] = try write { db in
            var results: [Int: Result<IngestResult, HyperwardError>] = [:]
            let insert = try db.cachedStatement(sql: """
                INSERT INTO events (id, host, time, kind, severity, vm, envelope, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO NOTHING
                """)
            for (index, push) in pushes.enumerated() where outcomes[index] == nil {
                var result = IngestResult(stored: 0, duplicates: 0)
                do {
                    try db.inSavepoint {
                        // A host speaks for itself: its events name it, or the system host name it declared at enrollment.
                        let declared = try String.fetchOne(db, sql: "SELECT hostname FROM hosts WHERE name = ?", arguments: [push.host])
                        for event in push.events where event.host != nil && event.host != push.host && event.host != declared {
                            throw HyperwardError(.refused, "event \(event.id) claims host \(event.host ?? ""); host \(push.host) may push only its own")
                        }
                        for event in push.events {
                            try insert.execute(arguments: [event.id, push.host, event.time, event.kind, event.severity?.rawValue, event.vm,
                                                           event.jsonLine(), received])
                            if db.changesCount == 1 { result.stored += 1 } else { result.duplicates += 1 }
                        }
                        try db.execute(sql: "UPDATE hosts SET last_seen = ?, dropped_total = max(dropped_total, coalesce(?, 0)) WHERE name = ?",
                                       arguments: [received, push.droppedTotal, push.host])
                        return .commit
                    }
                    results[index] = .success(result)
                } catch let error as HyperwardError {
                    results[index] = .failure(error)
                }
            }
            return results
        }
        for (index, result) in stored { outcomes[index] = result }
        return outcomes.map { $0 ?? .failure(HyperwardError(.software, "a push was not stored")) }
    }

    /// The checks a push passes before it reaches the database.
    static func validate(_ events: [Event]) throws(HyperwardError) {
        guard events.count <= Self.maxEventsPerPush else {
            throw HyperwardError(.tooLarge, "a push holds at most \(Self.maxEventsPerPush) events, not \(events.count)")
        }
        for event in events {
            // Lengths in Unicode scalars, as the API's JSON Schema counts them.
            guard (1...64).contains(event.id.unicodeScalars.count), (1...128).contains(event.kind.unicodeScalars.count),
                  (20...40).contains(event.time.unicodeScalars.count) else {
                throw HyperwardError(.invalidInput, "event \(event.id.prefix(64).debugDescription) has no valid id, kind or time")
            }
        }
    }

    /// The most events one push may hold.
    public static let maxEventsPerPush = 1_000

    /// How many events `host` pushed (all hosts when nil).
    public func eventCount(host: String? = nil) throws(HyperwardError) -> Int {
        try read { db in
            if let host { return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE host = ?", arguments: [host]) ?? 0 }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0
        }
    }
}

extension FleetDatabase {
    /// A page of stored events, newest first: the envelopes as the hosts pushed them, with the
    /// server's sequence number (pass the last one as `before` for the next page).
    public struct EventPage: Sendable {
        public var events: [(seq: Int64, host: String, envelope: String)]
    }

    /// Stored events matching the filters, newest first, at most `limit` (1-1000).
    public func events(host: String? = nil, kind: String? = nil, severity: String? = nil, before: Int64? = nil,
                       limit: Int = 100) throws(HyperwardError) -> EventPage {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let host { clauses.append("host = ?"); arguments += [host] }
        if let kind { clauses.append("kind = ?"); arguments += [kind] }
        if let severity { clauses.append("severity = ?"); arguments += [severity] }
        if let before { clauses.append("seq < ?"); arguments += [before] }
        arguments += [min(max(limit, 1), 1_000)]
        let sql = "SELECT seq, host, envelope FROM events" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY seq DESC LIMIT ?"
        return try read { db in
            EventPage(events: try Row.fetchAll(db, sql: sql, arguments: arguments).map { ($0["seq"], $0["host"], $0["envelope"]) })
        }
    }
}
