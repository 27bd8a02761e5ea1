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

    /// Stores `events` pushed by `host`, in one transaction, each once: an event id already
    /// stored is counted, not stored again, so an agent resends freely after a lost answer or a
    /// server restart. An event claiming another host is refused whole (a host speaks for itself).
    public func ingest(_ events: [Event], from host: String, now: Date = Date()) throws(HyperwardError) -> IngestResult {
        for event in events where event.host != nil && event.host != host {
            throw HyperwardError(.refused, "event \(event.id) claims host \(event.host ?? ""); host \(host) may push only its own")
        }
        let received = Event.timestamp(now)
        return try write { db in
            var result = IngestResult(stored: 0, duplicates: 0)
            let statement = try db.makeStatement(sql: """
                INSERT INTO events (id, host, time, kind, severity, vm, envelope, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO NOTHING
                """)
            for event in events {
                try statement.execute(arguments: [event.id, host, event.time, event.kind, event.severity?.rawValue, event.vm,
                                                  event.jsonLine(), received])
                if db.changesCount == 1 { result.stored += 1 } else { result.duplicates += 1 }
            }
            try db.execute(sql: "UPDATE hosts SET last_seen = ? WHERE name = ?", arguments: [received, host])
            return result
        }
    }

    /// How many events `host` pushed (all hosts when nil).
    public func eventCount(host: String? = nil) throws(HyperwardError) -> Int {
        try read { db in
            if let host { return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE host = ?", arguments: [host]) ?? 0 }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0
        }
    }
}
