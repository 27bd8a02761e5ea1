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

    static func insert(_ events: [Event], _ db: Database) throws {
        for e in events {
            try db.execute(
                sql: "INSERT INTO events (time, kind, engine, subject, severity, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [e.time, e.kind, e.engine, e.subject, e.severity?.rawValue, e.message, e.data])
        }
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
            return rows.map { row in
                Event(time: row["time"], kind: row["kind"], engine: row["engine"], subject: row["subject"],
                      severity: (row["severity"] as String?).flatMap(Severity.init(rawValue:)),
                      message: row["message"], data: row["data"])
            }
        }
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
        do { return try writer.read(body) } catch { throw HyperwardError(.storage, "state store \(path): \(error)") }
    }

    func write<T>(_ body: (Database) throws -> T) throws(HyperwardError) -> T {
        do { return try writer.write(body) } catch { throw HyperwardError(.storage, "state store \(path): \(error)") }
    }
}
