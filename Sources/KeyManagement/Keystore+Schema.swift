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

#if canImport(Glibc)
import Glibc
#endif

/// The keystore file's schema (the keys, the CA and the disk keys all live in `keys.sqlite`): one
/// named migration per change, applied in order and recorded in `grdb_migrations`, as the state
/// store's are.
///
/// - A new keystore gets every migration on its temporary file, before link(2) gives it its name.
/// - Opening one applies the migrations it lacks, one transaction each, under an exclusive flock
///   on the file so two processes opening it at once never run one twice.
/// - A keystore made before migrations were recorded (its tables made by `CREATE TABLE` as they
///   were needed) is adopted: each migration whose tables it already has is recorded as applied,
///   after checking their columns (see `legacyLayouts`). Adopting, rather than making the first
///   migrations `IF NOT EXISTS`, means a migration always runs on a file without its tables or
///   not at all, and a table of a shape this code does not know is refused instead of used.
/// - A keystore that records a migration this code does not know was written by a newer
///   Hyperward: it is refused, and left as it is.
extension Keystore {
    /// The schema, one named migration per change. Never edit a shipped migration: add one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        // The root record (the root key wrapped by the unlocker), the keys, and their versions.
        migrator.registerMigration("v1-keystore") { db in
            try db.execute(sql: """
                CREATE TABLE keystore (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    identity TEXT NOT NULL,
                    format INTEGER NOT NULL,
                    unlock TEXT NOT NULL CHECK (unlock IN ('passphrase', 'keyfile')),
                    kdf_salt BLOB NOT NULL,
                    kdf_log_n INTEGER NOT NULL,
                    kdf_r INTEGER NOT NULL,
                    kdf_p INTEGER NOT NULL,
                    root_wrapped BLOB NOT NULL,
                    created TEXT NOT NULL,
                    checksum TEXT
                );
                CREATE TABLE keys (
                    name TEXT PRIMARY KEY NOT NULL,
                    type TEXT NOT NULL,
                    created TEXT NOT NULL,
                    latest INTEGER NOT NULL,
                    min_decryption INTEGER NOT NULL,
                    min_encryption INTEGER NOT NULL,
                    rotate_after INTEGER,
                    mac BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE key_versions (
                    name TEXT NOT NULL REFERENCES keys(name),
                    version INTEGER NOT NULL,
                    created TEXT NOT NULL,
                    wrapped BLOB NOT NULL,
                    PRIMARY KEY (name, version)
                ) WITHOUT ROWID;
                """)
        }
        // The internal CA (its key wrapped by the root) and the certificates it issued.
        migrator.registerMigration("v2-certificates") { db in
            try db.execute(sql: """
                CREATE TABLE ca (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    key_wrapped BLOB NOT NULL,
                    certificate TEXT NOT NULL,
                    crl_number INTEGER NOT NULL DEFAULT 0,
                    created TEXT NOT NULL
                );
                CREATE TABLE certificates (
                    serial TEXT PRIMARY KEY NOT NULL,
                    vm TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    not_before REAL NOT NULL,
                    not_after REAL NOT NULL,
                    revoked_at REAL,
                    certificate TEXT NOT NULL,
                    dns_names TEXT NOT NULL DEFAULT '',
                    ip_addresses TEXT NOT NULL DEFAULT '',
                    lifetime REAL NOT NULL DEFAULT 604800,
                    destination TEXT,
                    renewed INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                """)
        }
        // The encrypted disks: each one's passphrase encrypted under its VM's key.
        migrator.registerMigration("v3-disk-keys") { db in
            try db.execute(sql: """
                CREATE TABLE disk_keys (
                    path TEXT PRIMARY KEY NOT NULL,
                    vm_name TEXT NOT NULL,
                    vm_uuid TEXT NOT NULL,
                    host TEXT NOT NULL,
                    key_name TEXT NOT NULL,
                    ciphertext TEXT NOT NULL,
                    secret_uuid TEXT NOT NULL,
                    format TEXT NOT NULL,
                    created TEXT NOT NULL,
                    revoked INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                """)
        }
        // The ledger's Ed25519 signing key (docs/governance.md): its private key wrapped by the
        // root as the CA's is; its name and public key in the clear, so checkpoints verify without
        // the passphrase (and bound into the wrapping, so a swapped public key fails to open).
        migrator.registerMigration("v4-ledger-key") { db in
            try db.execute(sql: """
                CREATE TABLE ledger_key (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    name TEXT NOT NULL CHECK (name <> ''),
                    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
                    key_wrapped BLOB NOT NULL,
                    created TEXT NOT NULL
                );
                """)
        }
        return migrator
    }

    /// A table as a migration makes it, and as keystores made before migrations were recorded
    /// may hold it.
    struct LegacyTable: Sendable {
        var name: String
        /// Its columns as the migration makes them.
        var columns: [String]
        /// Columns later versions added to the `CREATE TABLE IF NOT EXISTS` statement, which
        /// tables made earlier therefore lack, with the definition that adds each (the one the
        /// migration gives it).
        var addedLater: [(name: String, definition: String)] = []
    }

    /// For each migration, the tables that show a keystore made before migrations were recorded
    /// already has it. Frozen with the migrations above: it describes the past, not the schema.
    static let legacyLayouts: [(migration: String, tables: [LegacyTable])] = [
        ("v1-keystore", [
            LegacyTable(name: "keystore",
                        columns: ["id", "identity", "format", "unlock", "kdf_salt", "kdf_log_n", "kdf_r", "kdf_p",
                                  "root_wrapped", "created", "checksum"],
                        // The root record's checksum came later; `open` accepts a record without one.
                        addedLater: [("checksum", "checksum TEXT")]),
            LegacyTable(name: "keys", columns: ["name", "type", "created", "latest", "min_decryption", "min_encryption",
                                                "rotate_after", "mac"]),
            LegacyTable(name: "key_versions", columns: ["name", "version", "created", "wrapped"]),
        ]),
        ("v2-certificates", [
            LegacyTable(name: "ca", columns: ["id", "key_wrapped", "certificate", "crl_number", "created"]),
            LegacyTable(name: "certificates",
                        columns: ["serial", "vm", "kind", "not_before", "not_after", "revoked_at", "certificate",
                                  "dns_names", "ip_addresses", "lifetime", "destination", "renewed"],
                        // Renewal's columns came after the first CA.
                        addedLater: [("dns_names", "dns_names TEXT NOT NULL DEFAULT ''"),
                                     ("ip_addresses", "ip_addresses TEXT NOT NULL DEFAULT ''"),
                                     ("lifetime", "lifetime REAL NOT NULL DEFAULT 604800"),
                                     ("destination", "destination TEXT"),
                                     ("renewed", "renewed INTEGER NOT NULL DEFAULT 0")]),
        ]),
        ("v3-disk-keys", [
            LegacyTable(name: "disk_keys", columns: ["path", "vm_name", "vm_uuid", "host", "key_name", "ciphertext",
                                                     "secret_uuid", "format", "created", "revoked"]),
        ]),
    ]

    /// Brings the keystore file behind `queue` to this code's schema: refuses one from a newer
    /// Hyperward, adopts one made before migrations were recorded, applies what is missing.
    /// - Parameter creating: the file is a new, still unnamed keystore (empty: every migration runs).
    /// - Throws: `corrupted` for a newer, unknown or damaged schema; `storage` when a migration fails.
    static func migrate(_ queue: DatabaseQueue, path: String, creating: Bool = false) throws(KeyError) {
        let migrator = Keystore.migrator
        if creating { return try apply(migrator, queue, path: path) }
        // The common case costs one read and takes no lock: everything is applied already.
        if try schemaState(queue, migrator: migrator, path: path) == .current { return }
        let lock = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard lock >= 0 else {
            throw KeyError(.storage, "cannot open the keystore \(path) to migrate it: \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw KeyError(.storage, "cannot lock the keystore \(path) to migrate it: \(String(cString: strerror(errno)))")
            }
        }
        // Again under the lock: another process may have migrated it meanwhile.
        switch try schemaState(queue, migrator: migrator, path: path) {
        case .current: return
        case .unrecorded: try adoptLegacy(queue, path: path)
        case .behind: break
        }
        try apply(migrator, queue, path: path)
    }

    private static func apply(_ migrator: DatabaseMigrator, _ queue: DatabaseQueue, path: String) throws(KeyError) {
        do {
            try migrator.migrate(queue)
        } catch {
            throw KeyError(.storage, "cannot migrate the keystore \(path): \(error)")
        }
    }

    enum SchemaState {
        /// Every migration is applied.
        case current
        /// Some are not.
        case behind
        /// No migration was ever recorded: a keystore made before they were.
        case unrecorded
    }

    static func schemaState(_ queue: DatabaseQueue, migrator: DatabaseMigrator, path: String) throws(KeyError) -> SchemaState {
        let recorded: Set<String>?
        do {
            recorded = try queue.read { db in
                try db.tableExists("grdb_migrations") ? try migrator.appliedIdentifiers(db) : nil
            }
        } catch {
            throw KeyError(.corrupted, "the keystore \(path) cannot be read: \(error)")
        }
        guard let recorded else { return .unrecorded }
        let known = Set(migrator.migrations)
        let unknown = recorded.subtracting(known)
        guard unknown.isEmpty else {
            throw KeyError(.corrupted, "the keystore \(path) was written by a newer Hyperward (schema \(unknown.sorted().joined(separator: ", ")), "
                + "unknown to this one): it is left unchanged; use that Hyperward or a newer one")
        }
        return known.isSubset(of: recorded) ? .current : .behind
    }

    /// Records as applied the migrations whose tables a keystore made before migrations were
    /// recorded already has (adding the columns later versions added), in one transaction.
    static func adoptLegacy(_ queue: DatabaseQueue, path: String) throws(KeyError) {
        do {
            try queue.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    var adopted: [String] = []
                    for (migration, tables) in legacyLayouts {
                        let present = try tables.filter { try db.tableExists($0.name) }
                        if present.isEmpty {
                            guard migration != "v1-keystore" else {
                                throw KeyError(.corrupted, "the keystore \(path) has no keystore tables: it is not a keystore")
                            }
                            continue
                        }
                        guard present.count == tables.count else {
                            let missing = tables.filter { table in !present.contains { $0.name == table.name } }.map(\.name)
                            throw KeyError(.corrupted, "the keystore \(path) has \(present.map(\.name).joined(separator: ", ")) but not "
                                + "\(missing.joined(separator: ", ")): a layout no Hyperward made")
                        }
                        for table in tables {
                            let columns = Set(try db.columns(in: table.name).map(\.name))
                            let missing = Set(table.columns).subtracting(columns)
                            let extra = columns.subtracting(table.columns)
                            guard extra.isEmpty, missing.isSubset(of: table.addedLater.map(\.name)) else {
                                throw KeyError(.corrupted, "the keystore \(path): table \(table.name) has columns no Hyperward made "
                                    + "(missing \(missing.sorted()), unknown \(extra.sorted()))")
                            }
                            for column in table.addedLater where missing.contains(column.name) {
                                try db.execute(sql: "ALTER TABLE \(table.name) ADD COLUMN \(column.definition)")
                            }
                        }
                        adopted.append(migration)
                    }
                    // The table as GRDB's migrator makes it.
                    try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
                    for migration in adopted {
                        try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [migration])
                    }
                    return .commit
                }
            }
        } catch let error as KeyError {
            throw error
        } catch {
            throw KeyError(.storage, "cannot record the schema of the keystore \(path): \(error)")
        }
    }

    /// The names of the migrations applied to this keystore, in order.
    public func appliedMigrations() throws(KeyError) -> [String] {
        try read { db in try Keystore.migrator.appliedMigrations(db) }
    }
}
