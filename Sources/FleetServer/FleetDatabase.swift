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


import Crypto
import Foundation
import GRDB
import HyperwardCore

/// The fleet server's database: enrolled hosts, one-time enrollment tokens (only their SHA-256
/// kept) and every event the hosts pushed, idempotent by event id.
///
/// SQLite through GRDB in the server's state directory (`fleet.sqlite`, 0600) with named
/// migrations. The `events` table is append-only in the schema, as on the hosts.
public final class FleetDatabase: Sendable {
    /// The database file's name in the server's state directory.
    public static let fileName = "fleet.sqlite"

    let writer: any DatabaseWriter

    /// Opens (creating and migrating) the database in `directory` (which must exist, 0700).
    public convenience init(directory: String) throws(HyperwardError) {
        let path = directory + "/" + Self.fileName
        let pool: DatabasePool
        do {
            let previous = umask(0o077)
            defer { umask(previous) }
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            // Write-ahead logging (a pool's own mode): readers (authentication, the dashboard)
            // never wait behind the writer. `synchronous = FULL`: a push is acknowledged only once
            // its events are on disk, because the agent's cursor moves past them on that answer
            // and it will not send them again; a power loss must not lose an acknowledged event.
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            pool = try DatabasePool(path: path, configuration: configuration)
            chmod(path, 0o600)
        } catch {
            throw HyperwardError(.storage, "cannot open the fleet database \(path): \(error)")
        }
        try self.init(writer: pool)
    }

    /// Opens `writer` and applies the migrations (an in-memory queue in tests).
    public init(writer: any DatabaseWriter) throws(HyperwardError) {
        self.writer = writer
        do { try Self.migrator.migrate(writer) } catch {
            throw HyperwardError(.storage, "cannot migrate the fleet database: \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-fleet") { db in
            try db.execute(sql: """
                CREATE TABLE hosts (
                    name TEXT PRIMARY KEY NOT NULL,
                    host_group TEXT NOT NULL,
                    enrolled_at TEXT NOT NULL,
                    certificate_serial TEXT,
                    last_seen TEXT,
                    revoked_at TEXT
                );
                CREATE TABLE enrollment_tokens (
                    sha256 TEXT PRIMARY KEY NOT NULL,
                    host_group TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    created_by TEXT NOT NULL,
                    expires_at REAL NOT NULL,
                    used_at TEXT,
                    used_by TEXT
                );
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    host TEXT NOT NULL,
                    time TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    severity TEXT,
                    vm TEXT,
                    envelope TEXT NOT NULL,
                    received_at TEXT NOT NULL
                );
                CREATE INDEX events_host_time ON events(host, time);
                CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                """)
        }
        migrator.registerMigration("v2-fleet-api") { db in
            try db.execute(sql: """
                ALTER TABLE hosts ADD COLUMN hostname TEXT;
                ALTER TABLE hosts ADD COLUMN dropped_total INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE api_tokens (
                    sha256 TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
                    created_at TEXT NOT NULL,
                    created_by TEXT NOT NULL,
                    revoked_at TEXT
                );
                CREATE INDEX events_host_seq ON events(host, seq);
                """)
        }
        migrator.registerMigration("v3-fleet-ledgers") { db in
            try db.execute(sql: """
                CREATE TABLE host_ledgers (
                    host TEXT PRIMARY KEY NOT NULL,
                    verifier_key TEXT NOT NULL,
                    -- The witness's state as `WitnessState.serialized`: the key and the last accepted note.
                    witness_state TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    root TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v4-fleet-dashboard") { db in
            try db.execute(sql: """
                CREATE TABLE sessions (
                    sha256 TEXT PRIMARY KEY NOT NULL,
                    user TEXT NOT NULL,
                    csrf TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    expires_at REAL NOT NULL
                );
                CREATE TABLE acknowledgements (
                    event_id TEXT PRIMARY KEY NOT NULL REFERENCES events(id),
                    by_user TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    false_positive INTEGER NOT NULL,
                    created_at TEXT NOT NULL,
                    expires_at TEXT
                );
                CREATE INDEX events_host_kind_seq ON events(host, kind, seq);
                CREATE INDEX events_time ON events(time);
                """)
        }
        migrator.registerMigration("v5-fleet-actions") { db in
            try db.execute(sql: """
                CREATE TABLE actions (
                    id TEXT PRIMARY KEY NOT NULL,
                    host TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('audit', 'quarantine', 'release')),
                    vm TEXT,
                    reason TEXT NOT NULL,
                    requested_by TEXT NOT NULL,
                    requested_at TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'succeeded', 'failed')),
                    delivered_at TEXT,
                    result TEXT,
                    finished_at TEXT
                );
                CREATE INDEX actions_host_state ON actions(host, state);
                """)
        }
        migrator.registerMigration("v6-fleet-counters") { db in
            try db.execute(sql: """
                ALTER TABLE hosts ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0;
                UPDATE hosts SET event_count = (SELECT count(*) FROM events WHERE events.host = hosts.name);
                CREATE INDEX events_kind ON events(kind);
                -- The alerts (high and critical, not posture findings) by time: the dashboard's
                -- counts and charts read only these rows.
                CREATE INDEX events_alerts_time ON events(time, host) WHERE severity IN ('high', 'critical') AND kind NOT LIKE 'finding.%';
                CREATE TRIGGER events_count AFTER INSERT ON events BEGIN
                    UPDATE hosts SET event_count = event_count + 1 WHERE name = NEW.host;
                END;
                """)
        }
        migrator.registerMigration("v7-fleet-fewer-indexes") { db in
            // Every index is written on every pushed event, and writing pages was most of a push's
            // cost (perf: kernel page writes and SQLite). These three served no query the others
            // do not: per-host lists walk (host, seq), kinds per host (host, kind, seq), alerts
            // the partial index.
            try db.execute(sql: """
                DROP INDEX events_host_time;
                DROP INDEX events_time;
                DROP INDEX events_kind;
                ALTER TABLE hosts ADD COLUMN ledger_refused_at TEXT;
                UPDATE hosts SET ledger_refused_at = (SELECT max(time) FROM events WHERE events.host = hosts.name AND kind = 'fleet.ledger.inconsistent');
                """)
        }
        return migrator
    }

    func write<T>(_ body: (Database) throws -> T) throws(HyperwardError) -> T {
        do { return try writer.write(body) } catch let error as HyperwardError { throw error } catch {
            throw HyperwardError(.storage, "the fleet database failed: \(error)")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(HyperwardError) -> T {
        do { return try writer.read(body) } catch let error as HyperwardError { throw error } catch {
            throw HyperwardError(.storage, "the fleet database failed: \(error)")
        }
    }
}
