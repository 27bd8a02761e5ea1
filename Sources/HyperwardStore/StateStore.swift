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
import HyperwardHost
import Ledger

/// The last known state of one audit finding, to tell what changed between runs.
public struct FindingState: Sendable, Hashable, Codable {
    /// `id` or `id[subject]`.
    public var key: String
    public var status: Status
    public var severity: Severity
    /// When the state was last written.
    public var updatedAt: String

    /// Creates a state.
    public init(key: String, status: Status, severity: Severity, updatedAt: String) {
        self.key = key
        self.status = status
        self.severity = severity
        self.updatedAt = updatedAt
    }
}

/// The host's local state store: SQLite on disk through GRDB, with named, append-only migrations.
///
/// The `events` table is append-only in the schema itself (triggers reject UPDATE and DELETE), so a
/// bug or a careless query cannot rewrite history.
public final class StateStore: Sendable {
    /// The database file's name inside the state directory.
    public static let fileName = "hyperward.sqlite"

    let writer: any DatabaseWriter
    /// The database file's path (or `:memory:`).
    public let path: String

    /// Opens (creating if needed) the store in `stateDirectory`, which is created 0700; the
    /// database file is kept 0600.
    /// - Throws: `HyperwardError(.storage)` saying which path failed and why.
    public convenience init(stateDirectory: String) throws(HyperwardError) {
        try StateStore.prepareDirectory(stateDirectory)
        let path = "\(stateDirectory)/\(StateStore.fileName)"
        let queue: DatabaseQueue
        do {
            let previous = umask(0o077)
            defer { umask(previous) }
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            // Write-ahead logging with `synchronous = NORMAL` (docs/governance.md, durability): a
            // commit appends to the -wal file without an fsync, which the WAL is synced at each
            // checkpoint of it. A power loss may lose the last transactions, never corrupt the
            // database or reorder the log; with the rollback journal each commit cost several
            // fsyncs and the ledger's append rate was bound by them. The -wal and -shm files take
            // the database file's mode (0600), and readers never block the appender.
            configuration.journalMode = .wal
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            chmod(path, 0o600)
        } catch {
            throw HyperwardError(.storage, "cannot open the state store \(path): \(error)")
        }
        try self.init(writer: queue, path: path)
    }

    /// Opens the store in `stateDirectory` for reading only: nothing is created, migrated or
    /// tightened, so a mistyped `--state-dir` cannot leave a directory behind.
    /// - Throws: `HyperwardError(.notFound)` when the directory or its database does not exist,
    ///   `.storage` when it cannot be opened.
    public static func openExisting(stateDirectory: String) throws(HyperwardError) -> StateStore {
        var st = stat()
        guard stat(stateDirectory, &st) == 0 else {
            throw HyperwardError(.notFound, "the state directory \(stateDirectory) does not exist: \(String(cString: strerror(errno))) (nothing recorded there; use --state-dir)")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw HyperwardError(.notFound, "the state directory \(stateDirectory) is not a directory")
        }
        let path = "\(stateDirectory)/\(StateStore.fileName)"
        guard stat(path, &st) == 0 else {
            throw HyperwardError(.notFound, "no state store in \(stateDirectory) (\(StateStore.fileName): \(String(cString: strerror(errno)))); nothing has been recorded there")
        }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(5)
            return StateStore(unmigrated: try DatabaseQueue(path: path, configuration: configuration), path: path)
        } catch {
            throw HyperwardError(.storage, "cannot open the state store \(path): \(error)")
        }
    }

    init(unmigrated writer: any DatabaseWriter, path: String) {
        self.writer = writer
        self.path = path
    }

    /// Wraps an existing database (an in-memory queue in tests) and migrates it.
    public init(writer: any DatabaseWriter, path: String = ":memory:") throws(HyperwardError) {
        self.writer = writer
        self.path = path
        do {
            try StateStore.migrator.migrate(writer)
        } catch {
            throw HyperwardError(.storage, "cannot migrate the state store \(path): \(error)")
        }
    }

    static func prepareDirectory(_ directory: String) throws(HyperwardError) {
        do { try PrivateDirectory.ensure(directory) } catch {
            throw HyperwardError(.storage, "the state directory: \(error.message) (use --state-dir)")
        }
    }

    /// The schema, one named migration per change. Never edit a shipped migration: add one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-events") { db in
            try db.execute(sql: """
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time TEXT NOT NULL CHECK (length(time) >= 20),
                    kind TEXT NOT NULL CHECK (kind <> ''),
                    engine TEXT NOT NULL CHECK (engine <> ''),
                    subject TEXT,
                    severity TEXT CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
                    message TEXT NOT NULL,
                    data TEXT CHECK (data IS NULL OR json_valid(data))
                );
                CREATE INDEX events_kind_time ON events(kind, time);
                CREATE TRIGGER events_no_update BEFORE UPDATE ON events
                    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TRIGGER events_no_delete BEFORE DELETE ON events
                    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                """)
        }
        migrator.registerMigration("v2-audit-finding-states") { db in
            try db.execute(sql: """
                CREATE TABLE audit_finding_states (
                    key TEXT PRIMARY KEY NOT NULL CHECK (key <> ''),
                    status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'warn', 'info', 'notapplicable', 'error')),
                    severity TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
                    updated_at TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        // The event envelope (docs/events.md): columns for what every engine's events now carry.
        // Rows written before it keep NULL there; `events(…)` gives them a derived id (see
        // `legacyID`) and no host. The append-only triggers are untouched.
        migrator.registerMigration("v3-event-envelope") { db in
            try db.execute(sql: """
                ALTER TABLE events ADD COLUMN event_id TEXT CHECK (event_id IS NULL OR length(event_id) = 36);
                ALTER TABLE events ADD COLUMN host TEXT CHECK (host IS NULL OR host <> '');
                ALTER TABLE events ADD COLUMN vm TEXT;
                ALTER TABLE events ADD COLUMN interface TEXT;
                ALTER TABLE events ADD COLUMN threat TEXT CHECK (threat IS NULL OR threat IN ('T1', 'T2', 'T3', 'T4', 'T5'));
                ALTER TABLE events ADD COLUMN evidence TEXT CHECK (evidence IS NULL OR (json_valid(evidence) AND json_type(evidence) = 'array'));
                CREATE UNIQUE INDEX events_event_id ON events(event_id) WHERE event_id IS NOT NULL;
                """)
        }
        // The tamper-evident ledger (docs/governance.md): every event's leaf in an RFC 9162
        // Merkle log, and the signed checkpoints of it. Existing events are appended in row order.
        migrator.registerMigration("v4-ledger") { db in
            try StateStore.createLedger(db)
        }
        // The hashes of the ledger's complete subtrees of ≥ 256 leaves, so proofs read O(log n)
        // of them (StateStore+Nodes.swift); filled for the leaves already there.
        migrator.registerMigration("v5-ledger-nodes") { db in
            try StateStore.createLedgerNodes(db)
        }
        return migrator
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() throws(HyperwardError) -> [String] {
        try read { db in try StateStore.migrator.appliedMigrations(db) }
    }

    /// Appends events.
    public func append(_ events: [Event]) throws(HyperwardError) {
        try write { db in try StateStore.insert(events, db) }
    }

    /// Inserts events and, in the same transaction, their leaves at the ledger's next indices:
    /// each leaf derived from the texts exactly as they are bound into the row, through the path
    /// the verifier takes from the stored columns.
    static func insert(_ events: [Event], _ db: Database) throws {
        guard !events.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var next = try Int64.fetchOne(db.cachedStatement(sql: "SELECT coalesce(max(idx) + 1, 0) FROM ledger")) ?? 0
        let first = next
        var canonical = CanonicalEventEncoder()
        let insertEvent = try db.cachedStatement(sql: """
            INSERT INTO events (event_id, time, host, kind, engine, subject, vm, interface, severity, threat, message, evidence, data)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let insertLeaf = try db.cachedStatement(sql: "INSERT INTO ledger (idx, event_row, leaf) VALUES (?, ?, ?)")
        for e in events {
            let evidence = e.evidence.isEmpty ? nil : String(decoding: try encoder.encode(e.evidence), as: UTF8.self)
            try insertEvent.execute(arguments: [e.id, e.time, e.host, e.kind, e.engine.rawValue, e.subject, e.vm, e.interface, e.severity?.rawValue,
                                                e.threat?.rawValue, e.summary, evidence, e.body])
            let row = db.lastInsertedRowID
            let leaf = canonical.encode(StoredEventTexts(e, evidenceText: evidence))
            try insertLeaf.execute(arguments: [next, row, Data(leaf.bytes)])
            next += 1
        }
        try storeCompletedNodes(db, appended: UInt64(first)..<UInt64(next))
    }

    /// The most recent events (newest last), optionally of one kind prefix (`finding.` matches all finding events).
    public func events(kindPrefix: String? = nil, limit: Int = 100) throws(HyperwardError) -> [Event] {
        try read { db in
            let rows: [Row]
            if let kindPrefix {
                rows = try Row.fetchAll(db, sql: """
                    SELECT * FROM (SELECT * FROM events WHERE kind = ? OR kind LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?) ORDER BY id
                    """, arguments: [kindPrefix, StateStore.likePrefix(kindPrefix), limit])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM (SELECT * FROM events ORDER BY id DESC LIMIT ?) ORDER BY id", arguments: [limit])
            }
            return rows.map(StateStore.event)
        }
    }

    /// Up to `limit` events recorded after row `row`, oldest first, each with its row number:
    /// what an agent pushes to the fleet server from its cursor on.
    public func events(afterRow row: Int64, limit: Int) throws(HyperwardError) -> [(row: Int64, event: Event)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", arguments: [row, limit]).map {
                (row: $0["id"] as Int64, event: StateStore.event($0))
            }
        }
    }

    /// The last event's row number (0 when there is none).
    public func lastEventRow() throws(HyperwardError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM events") ?? 0 }
    }

    /// One row as an event. A row written before `v3-event-envelope` has no id, host, VM,
    /// interface, threat or evidence: its id is ``legacyID(row:)`` and the rest stays empty.
    static func event(_ row: Row) -> Event {
        let rowID: Int64 = row["id"]
        let evidence = (row["evidence"] as String?).flatMap { try? JSONDecoder().decode([EventEvidence].self, from: Data($0.utf8)) }
        return Event(id: (row["event_id"] as String?) ?? legacyID(row: rowID), time: row["time"], host: row["host"], kind: row["kind"],
                     engine: Event.Engine(rawValue: row["engine"]), subject: row["subject"], vm: row["vm"],
                     interface: row["interface"], severity: (row["severity"] as String?).flatMap(Severity.init(rawValue:)),
                     threat: (row["threat"] as String?).flatMap(ThreatClass.init(rawValue:)), summary: row["message"],
                     evidence: evidence ?? [], body: row["data"])
    }

    /// The id of an event recorded before events had one: a version-8 UUID (RFC 9562 §5.8) made
    /// of zeros and the row number, `00000000-0000-8000-8000-0000000000NN`. Stable across reads
    /// and unique within one store (not across hosts, and such an event has no host either); the
    /// zero prefix tells it from the random ids events get now.
    public static func legacyID(row: Int64) -> String {
        let hex = String(UInt64(bitPattern: row) & 0xFFFF_FFFF_FFFF, radix: 16)
        return "00000000-0000-8000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex
    }

    static func likePrefix(_ s: String) -> String {
        let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        return escaped.hasSuffix(".") ? escaped + "%" : escaped + ".%"
    }

    /// How many events there are.
    public func eventCount() throws(HyperwardError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0 }
    }

    /// The last recorded state of every audit finding.
    public func findingStates() throws(HyperwardError) -> [String: FindingState] {
        try read { db in
            var states: [String: FindingState] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM audit_finding_states") {
                guard let status = Status(rawValue: row["status"]), let severity = Severity(rawValue: row["severity"]) else { continue }
                let key: String = row["key"]
                states[key] = FindingState(key: key, status: status, severity: severity, updatedAt: row["updated_at"])
            }
            return states
        }
    }

    /// Records one audit run atomically: its events and the new finding states (replacing the old).
    public func recordAudit(events: [Event], states: [FindingState]) throws(HyperwardError) {
        try write { db in
            try StateStore.insert(events, db)
            try db.execute(sql: "DELETE FROM audit_finding_states")
            for s in states {
                try db.execute(sql: "INSERT INTO audit_finding_states (key, status, severity, updated_at) VALUES (?, ?, ?, ?)",
                               arguments: [s.key, s.status.rawValue, s.severity.rawValue, s.updatedAt])
            }
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(HyperwardError) -> T {
        do { return try writer.read(body) } catch let error as HyperwardError { throw error } catch {
            throw HyperwardError(.storage, "state store \(path): \(error)")
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(HyperwardError) -> T {
        do { return try writer.write(body) } catch let error as HyperwardError { throw error } catch {
            throw HyperwardError(.storage, "state store \(path): \(error)")
        }
    }
}
