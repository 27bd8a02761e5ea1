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
import Testing

@testable import KeyManagement

/// The keystore file's named migrations: a new keystore records them all; keystores made before
/// they were recorded (their tables made by the statements below, as earlier versions ran them)
/// are adopted and keep working; one from a newer Hyperward is refused and left as it is.
@Suite("Keystore schema")
struct KeystoreSchemaTests {
    static let allMigrations = ["v1-keystore", "v2-certificates", "v3-disk-keys", "v4-ledger-key"]

    // MARK: Legacy fixtures: the statements earlier versions ran, frozen here.

    /// The root record, keys and versions as the first keystore made them (no root checksum).
    static let firstKeystoreDDL = """
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
            created TEXT NOT NULL
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
        """

    /// The keystore as the last version before migrations made it (the root checksum added).
    static let lastKeystoreDDL = firstKeystoreDDL.replacingOccurrences(
        of: "created TEXT NOT NULL\n);", with: "created TEXT NOT NULL,\n    checksum TEXT\n);")

    /// The first CA's tables (before certificate renewal).
    static let firstCertificatesDDL = """
        CREATE TABLE IF NOT EXISTS ca (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            key_wrapped BLOB NOT NULL,
            certificate TEXT NOT NULL,
            crl_number INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS certificates (
            serial TEXT PRIMARY KEY NOT NULL,
            vm TEXT NOT NULL,
            kind TEXT NOT NULL,
            not_before REAL NOT NULL,
            not_after REAL NOT NULL,
            revoked_at REAL,
            certificate TEXT NOT NULL
        ) WITHOUT ROWID;
        """

    /// The CA's tables as the last version before migrations made them.
    static let lastCertificatesDDL = firstCertificatesDDL.replacingOccurrences(of: """
            certificate TEXT NOT NULL
        ) WITHOUT ROWID;
        """, with: """
            certificate TEXT NOT NULL,
            dns_names TEXT NOT NULL DEFAULT '',
            ip_addresses TEXT NOT NULL DEFAULT '',
            lifetime REAL NOT NULL DEFAULT 604800,
            destination TEXT,
            renewed INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        """)

    static let diskKeysDDL = """
        CREATE TABLE IF NOT EXISTS disk_keys (
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
        ) WITHOUT ROWID
        """

    /// A layout earlier versions left: its statements, and which of the current keystore's
    /// tables (and columns) to copy into it.
    struct Layout: CustomTestStringConvertible, Sendable {
        var name: String
        var ddl: [String]
        var hasCA: Bool
        var hasDisks: Bool
        var rootChecksum: Bool
        var renewalColumns: Bool
        var testDescription: String { name }
    }

    static let layouts = [
        Layout(name: "the last before migrations (every table, root checksum, renewal columns)",
               ddl: [lastKeystoreDDL, lastCertificatesDDL, diskKeysDDL], hasCA: true, hasDisks: true, rootChecksum: true, renewalColumns: true),
        Layout(name: "the first keystore (keys only, no root checksum)",
               ddl: [firstKeystoreDDL], hasCA: false, hasDisks: false, rootChecksum: false, renewalColumns: false),
        Layout(name: "the first CA (before renewal) and disk keys",
               ddl: [lastKeystoreDDL, firstCertificatesDDL, diskKeysDDL], hasCA: true, hasDisks: true, rootChecksum: true, renewalColumns: false),
    ]

    /// What a keystore holds before it is turned into a legacy file.
    struct Contents {
        var sealed: Ciphertext
        var disk: DiskKeyRecord
        var passphrase: [UInt8]
        var caPEM: String
        var serial: String
    }

    /// A keystore made by this code and used (a key, a CA with a certificate, a disk key).
    static func populated(_ directory: String) throws -> Contents {
        let store = try KeyLab.keystore(directory)
        try store.create("k")
        try store.rotate("k")
        let sealed = try store.encrypt("k", Array("made before migrations".utf8))
        let caPEM = try store.initializeCA()
        let (certificate, _) = try store.issueCertificate(vm: "web1", kind: .server, dnsNames: ["web1"], validity: 3600)
        let (disk, passphrase) = try store.newDiskKey(vmName: "web1", vmUUID: UUID().uuidString, host: "host-a",
                                                      path: "\(directory)/web1.img", format: "luks")
        try store.store(disk)
        return Contents(sealed: sealed, disk: disk, passphrase: passphrase, caPEM: caPEM, serial: certificate.serial)
    }

    /// Replaces the keystore file in `directory` with one made by `layout`'s statements holding
    /// the same rows (no `grdb_migrations`: earlier versions recorded none).
    static func makeLegacy(_ directory: String, _ layout: Layout) throws {
        let path = "\(directory)/\(Keystore.fileName)"
        let legacyPath = path + ".legacy"
        let legacy = try DatabaseQueue(path: legacyPath)
        try legacy.writeWithoutTransaction { db in
            for statement in layout.ddl { try db.execute(sql: statement) }
            try db.execute(sql: "ATTACH DATABASE ? AS src", arguments: [path])
            try db.inTransaction {
                let root = ["id", "identity", "format", "unlock", "kdf_salt", "kdf_log_n", "kdf_r", "kdf_p", "root_wrapped", "created"]
                    + (layout.rootChecksum ? ["checksum"] : [])
                try copy(db, "keystore", root)
                try db.execute(sql: "INSERT INTO keys SELECT * FROM src.keys")
                try db.execute(sql: "INSERT INTO key_versions SELECT * FROM src.key_versions")
                if layout.hasCA {
                    try db.execute(sql: "INSERT INTO ca SELECT * FROM src.ca")
                    let columns = ["serial", "vm", "kind", "not_before", "not_after", "revoked_at", "certificate"]
                        + (layout.renewalColumns ? ["dns_names", "ip_addresses", "lifetime", "destination", "renewed"] : [])
                    try copy(db, "certificates", columns)
                }
                if layout.hasDisks { try db.execute(sql: "INSERT INTO disk_keys SELECT * FROM src.disk_keys") }
                return .commit
            }
            try db.execute(sql: "DETACH DATABASE src")
        }
        try legacy.close()
        #expect(rename(legacyPath, path) == 0)
    }

    static func copy(_ db: Database, _ table: String, _ columns: [String]) throws {
        let list = columns.joined(separator: ", ")
        try db.execute(sql: "INSERT INTO \(table) (\(list)) SELECT \(list) FROM src.\(table)")
    }

    /// Every table's columns as SQLite describes them (name, type, not null, default, key).
    static func layout(of directory: String) throws -> [String: [String]] {
        let queue = try DatabaseQueue(path: "\(directory)/\(Keystore.fileName)")
        defer { try? queue.close() }
        return try queue.read { db in
            var tables: [String: [String]] = [:]
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
                tables[table] = try Row.fetchAll(db, sql: "SELECT * FROM pragma_table_info(?)", arguments: [table]).map { row in
                    "\(row["name"] as String) \(row["type"] as String) notnull=\(row["notnull"] as Int) default=\(row["dflt_value"] as String? ?? "-") pk=\(row["pk"] as Int)"
                }
            }
            return tables
        }
    }

    static func migrationsTable(_ directory: String) throws -> [String]? {
        let queue = try DatabaseQueue(path: "\(directory)/\(Keystore.fileName)")
        defer { try? queue.close() }
        return try queue.read { db in
            try db.tableExists("grdb_migrations") ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") : nil
        }
    }

    // MARK: Tests

    @Test func aNewKeystoreRecordsEveryMigration() throws {
        let directory = KeyLab.directory()
        let store = try KeyLab.keystore(directory)
        #expect(try store.appliedMigrations() == Self.allMigrations)
        #expect(try Self.migrationsTable(directory) == Self.allMigrations)
        #expect(Keystore.migrator.migrations == Self.allMigrations)
        // Opening it again changes nothing.
        let before = try KeyLab.fileBytes(directory)
        _ = try Keystore.open(directory: directory, unlocker: KeyLab.passphrase)
        #expect(try KeyLab.fileBytes(directory) == before)
    }

    @Test("a keystore made before migrations opens, is adopted, and everything in it still works", arguments: layouts)
    func aLegacyKeystoreIsAdopted(_ layout: Layout) throws {
        let directory = KeyLab.directory()
        let contents = try Self.populated(directory)
        let fresh = KeyLab.directory()
        _ = try KeyLab.keystore(fresh)
        try Self.makeLegacy(directory, layout)
        #expect(try Self.migrationsTable(directory) == nil, "the fixture records no migration, as earlier versions did not")

        let store = try Keystore.open(directory: directory, unlocker: KeyLab.passphrase)
        #expect(try store.appliedMigrations() == Self.allMigrations)
        #expect(try Self.layout(of: directory) == Self.layout(of: fresh), "the adopted tables are the migrations' tables, column for column")
        // The keys decrypt, and change.
        #expect(try store.decrypt("k", contents.sealed) == Array("made before migrations".utf8))
        #expect(try store.info("k").latestVersion == 2)
        try store.rotate("k")
        #expect(try store.decrypt("k", contents.sealed) == Array("made before migrations".utf8))

        if layout.hasCA {
            #expect(try store.caCertificatePEM() == contents.caPEM)
            #expect(try store.certificates(vm: "web1").map(\.serial) == [contents.serial])
            // A certificate from before renewal's columns renews with their defaults.
            let renewed = try store.renewCertificates(within: 7200)
            #expect(renewed.map(\.previous) == [contents.serial])
            #expect(try store.revokeCertificates(vm: "web1").count == 2)
            #expect(try store.certificateRevocationListPEM().hasPrefix("-----BEGIN X509 CRL-----"))
        } else {
            // The tables of what it never used are made by their migrations.
            _ = try store.initializeCA()
            _ = try store.issueCertificate(vm: "web1", kind: .client, validity: 3600)
        }
        if layout.hasDisks {
            let records = try store.diskKeys(vmName: "web1")
            #expect(records == [contents.disk])
            #expect(try store.releaseDiskKey(records[0], vmUUID: contents.disk.vmUUID, host: "host-a") == contents.passphrase)
        } else {
            let (record, passphrase) = try store.newDiskKey(vmName: "web2", vmUUID: UUID().uuidString, host: "host-a",
                                                            path: "\(directory)/web2.img", format: "qcow2")
            try store.store(record)
            #expect(try store.releaseDiskKey(record, vmUUID: record.vmUUID, host: "host-a") == passphrase)
        }
        // Adopted once: opening again changes nothing.
        let before = try KeyLab.fileBytes(directory)
        _ = try Keystore.open(directory: directory, unlocker: KeyLab.passphrase)
        #expect(try KeyLab.fileBytes(directory) == before)
    }

    @Test func processesOpeningOneLegacyKeystoreAtOnceAdoptItOnce() async throws {
        let directory = KeyLab.directory()
        let contents = try Self.populated(directory)
        try Self.makeLegacy(directory, Self.layouts[1])
        let results = await withTaskGroup(of: String.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    do {
                        let store = try Keystore.open(directory: directory, unlocker: KeyLab.passphrase)
                        return String(decoding: try store.decrypt("k", contents.sealed), as: UTF8.self)
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var all: [String] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results == Array(repeating: "made before migrations", count: 6))
        #expect(try Self.migrationsTable(directory) == Self.allMigrations)
    }

    @Test func aKeystoreFromANewerHyperwardIsRefusedAndLeftAsItIs() throws {
        let directory = KeyLab.directory()
        let store = try KeyLab.keystore(directory)
        try store.create("k")
        try KeyLab.tamper(directory, "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')")
        let before = try KeyLab.fileBytes(directory)
        #expect {
            _ = try Keystore.open(directory: directory, unlocker: KeyLab.passphrase)
        } throws: { error in
            guard let error = error as? KeyError else { return false }
            return error.code == .corrupted && error.message.contains("newer Hyperward") && error.message.contains("v9-from-the-future")
        }
        #expect(try KeyLab.fileBytes(directory) == before)
    }

    @Test("a file without the keystore's tables, or with tables of an unknown shape, is refused unchanged", arguments: [
        "CREATE TABLE other (x INTEGER)",
        firstKeystoreDDL + "\nALTER TABLE keys ADD COLUMN surprise TEXT;",
        firstKeystoreDDL.replacingOccurrences(of: "    mac BLOB NOT NULL\n", with: "    mac_v2 BLOB NOT NULL\n"),
        lastKeystoreDDL + "\nCREATE TABLE ca (id INTEGER PRIMARY KEY);",
    ])
    func anUnknownLayoutIsRefused(_ ddl: String) throws {
        let directory = KeyLab.directory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: "\(directory)/\(Keystore.fileName)")
        try queue.writeWithoutTransaction { try $0.execute(sql: ddl) }
        try queue.close()
        let before = try KeyLab.fileBytes(directory)
        KeyLab.expectError(.corrupted) { _ = try Keystore.open(directory: directory, unlocker: KeyLab.passphrase) }
        #expect(try KeyLab.fileBytes(directory) == before)
        #expect(try Self.migrationsTable(directory) == nil)
    }
}
