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
import CryptoExtras
import Foundation
import GRDB
import HyperwardCore
import HyperwardHost

/// What opens the keystore's root key. The root is a random 256-bit key stored wrapped
/// (AES-256-GCM) by a key derived from the unlocker, so a further unlocker (a TPM-sealed one)
/// is one more wrapping of the same root, not a new hierarchy.
public enum Unlocker: Sendable {
    /// A passphrase, stretched with scrypt (parameters stored in the keystore).
    case passphrase([UInt8])
    /// The bytes of a key file (32 to 4096 bytes), through HKDF-SHA256.
    case keyFile([UInt8])

    var kind: String {
        switch self {
        case .passphrase: "passphrase"
        case .keyFile: "keyfile"
        }
    }
}

/// scrypt's cost: N = 2^logN, block size r, parallelism p. The default (2^15, 8, 1) takes about
/// 100 ms and 32 MiB, the interactive setting of the scrypt paper.
public struct KDFParameters: Sendable, Hashable {
    public var logN: Int
    public var r: Int
    public var p: Int

    public static let `default` = KDFParameters(logN: 15, r: 8, p: 1)
    /// The lowest accepted (tests and constrained hosts; below the default a warning is due).
    public static let minimumLogN = 10

    public init(logN: Int, r: Int, p: Int) {
        self.logN = logN
        self.r = r
        self.p = p
    }
}

/// One key's metadata (never its material).
public struct KeyInfo: Sendable, Hashable, Codable {
    public struct Version: Sendable, Hashable, Codable {
        public var version: Int
        public var created: String
    }

    public var name: String
    /// The algorithm of its versions: `aes256-gcm`.
    public var type: String
    public var created: String
    public var latestVersion: Int
    /// Versions below it are refused for decryption (and may be trimmed).
    public var minDecryptionVersion: Int
    /// Versions below it are refused for encryption and rewrap targets; 0: none beyond the
    /// minimum decryption version (encryption uses the latest unless a version is asked for).
    public var minEncryptionVersion: Int
    /// Rotate automatically once the latest version is this old (seconds); nil: never.
    public var rotateAfterSeconds: Int?
    /// The versions still stored, oldest first.
    public var versions: [Version]

    /// When the latest version was made.
    public var latestCreated: String { versions.last?.created ?? created }
}

/// The host's key-management service: a keystore in the state directory (SQLite, 0600 in a 0700
/// directory) holding named keys with versions, each wrapped by the root key.
///
/// - Every version's material is wrapped with AES-256-GCM under the root, its keystore, name and
///   version bound as associated data: a row moved to another key or version fails to open.
/// - Each key's metadata (versions present, minimum versions, rotation policy) carries an
///   HMAC-SHA256 under a key derived from the root: an edited minimum or a deleted version is
///   reported as a corrupted keystore, never silently obeyed.
/// - Every change is one SQLite transaction: a process killed at any point leaves the keystore as
///   it was before or after the change.
public final class Keystore: Sendable {
    public static let fileName = "keys.sqlite"
    /// Key names: 1 to 64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit.
    public static let namePattern = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
    static let keyType = "aes256-gcm"

    let queue: DatabaseQueue
    let root: SymmetricKey
    let macKey: SymmetricKey
    /// The keystore's random identity, bound into every wrapping.
    public let identity: String
    public let path: String

    private init(queue: DatabaseQueue, root: SymmetricKey, identity: String, path: String) {
        self.queue = queue
        self.root = root
        self.identity = identity
        self.path = path
        self.macKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: root, info: Array("hyperward/key-metadata-mac/v1".utf8), outputByteCount: 32)
    }

    // MARK: Opening

    /// Creates a keystore in `directory` (made 0700 if missing) with a fresh random root.
    /// - Throws: `alreadyInitialized` when one exists; `storage` when the directory or file cannot be made.
    public static func initialize(directory: String, unlocker: Unlocker, kdf: KDFParameters = .default) throws(KeyError) -> Keystore {
        try prepareDirectory(directory)
        let path = "\(directory)/\(fileName)"
        if FileManager.default.fileExists(atPath: path) {
            throw KeyError(.alreadyInitialized, "a keystore already exists at \(path)")
        }
        guard kdf.logN >= KDFParameters.minimumLogN, kdf.logN <= 22, (1...32).contains(kdf.r), (1...16).contains(kdf.p) else {
            throw KeyError(.invalidArgument, "scrypt parameters out of range (log2 N \(KDFParameters.minimumLogN)...22, r 1...32, p 1...16)")
        }
        // Half-made keystores of runs that were killed (their process is gone).
        Cleanup.sweepStale(in: directory, prefix: "\(fileName).new-")
        let identity = UUID().uuidString.lowercased()
        let salt = randomBytes(32)
        let root = SymmetricKey(size: .bits256)
        let unlockKey = try deriveUnlockKey(unlocker, salt: salt, kdf: kdf)
        let wrappedRoot = try seal(root.withUnsafeBytes { Array($0) }, key: unlockKey, aad: rootAAD(identity: identity, kind: unlocker.kind))
        let temporary = path + ".new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let tokens = ["", "-journal", "-wal", "-shm"].map { Cleanup.track(path: temporary + $0) }
        defer {
            for suffix in ["", "-journal", "-wal", "-shm"] { unlink(temporary + suffix) }
            for token in tokens { Cleanup.untrack(token) }
        }
        do {
            let queue = try openQueue(temporary)
            try migrate(queue, path: temporary, creating: true)
            try queue.write { db in
                let created = timestamp()
                try db.execute(sql: """
                    INSERT INTO keystore (id, identity, format, unlock, kdf_salt, kdf_log_n, kdf_r, kdf_p, root_wrapped, created, checksum)
                    VALUES (1, ?, \(currentFormat), ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [identity, unlocker.kind, Data(salt), kdf.logN, kdf.r, kdf.p, Data(wrappedRoot), created,
                                     rootChecksum(identity: identity, format: currentFormat, kind: unlocker.kind, salt: salt, kdf: kdf,
                                                  wrapped: wrappedRoot, created: created)])
            }
            try queue.close()
        } catch let error as KeyError {
            throw error
        } catch {
            throw KeyError(.storage, "cannot create the keystore \(path): \(error)")
        }
        // Appears whole or not at all, and never over another keystore: link(2) fails when the
        // name exists, so of two racing inits exactly one wins (the other reports it).
        guard link(temporary, path) == 0 else {
            if errno == EEXIST {
                throw KeyError(.alreadyInitialized, "a keystore already exists at \(path) (created meanwhile by another process): kept, this one discarded")
            }
            throw KeyError(.storage, "cannot create the keystore \(path): \(String(cString: strerror(errno)))")
        }
        return try open(directory: directory, unlocker: unlocker)
    }

    /// The root record's layout this code writes and reads.
    static let currentFormat = 1

    /// A checksum of the root record (not a secret, not a MAC: it tells a damaged record from a
    /// wrong passphrase, which would otherwise look the same to the unwrapping).
    static func rootChecksum(identity: String, format: Int, kind: String, salt: [UInt8], kdf: KDFParameters,
                             wrapped: [UInt8], created: String) -> String {
        var hash = SHA256()
        for field in [identity, String(format), kind, String(kdf.logN), String(kdf.r), String(kdf.p), created] {
            hash.update(data: Array(field.utf8) + [0])
        }
        hash.update(data: salt)
        hash.update(data: [0xFF])
        hash.update(data: wrapped)
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Opens the keystore in `directory`.
    /// - Throws: `notInitialized`, `wrongPassphrase` (also when the root record was altered: the
    ///   two cannot be told apart), `corrupted`, `storage`.
    public static func open(directory: String, unlocker: Unlocker) throws(KeyError) -> Keystore {
        let path = "\(directory)/\(fileName)"
        guard FileManager.default.fileExists(atPath: path) else {
            throw KeyError(.notInitialized, "no keystore at \(path) (run `hyperward keys init`)")
        }
        let queue: DatabaseQueue
        do {
            queue = try openQueue(path)
        } catch {
            throw KeyError(.corrupted, "the keystore \(path) cannot be read: \(error)")
        }
        // Before the root record is read: a keystore from a newer Hyperward is refused as it is.
        try migrate(queue, path: path)
        let row: Row?
        do {
            row = try queue.read { db in try Row.fetchOne(db, sql: "SELECT * FROM keystore WHERE id = 1") }
        } catch {
            throw KeyError(.corrupted, "the keystore \(path) cannot be read: \(error)")
        }
        guard let row, let identity = row["identity"] as String?, let kind = row["unlock"] as String?,
              let salt = row["kdf_salt"] as Data?, let wrapped = row["root_wrapped"] as Data?,
              let logN = row["kdf_log_n"] as Int?, let r = row["kdf_r"] as Int?, let p = row["kdf_p"] as Int?,
              let format = row["format"] as Int?, let created = row["created"] as String? else {
            throw KeyError(.corrupted, "the keystore \(path) has no valid root record")
        }
        guard format == currentFormat else {
            throw KeyError(.corrupted, "the keystore \(path) has format \(format); this Hyperward reads format \(currentFormat) only")
        }
        guard kind == "passphrase" || kind == "keyfile" else {
            throw KeyError(.corrupted, "the keystore \(path) has an unknown unlock kind")
        }
        // The root record's own checksum (keystores made before it existed have none).
        if row.hasColumn("checksum"), let stored = row["checksum"] as String? {
            let expected = rootChecksum(identity: identity, format: format, kind: kind, salt: Array(salt),
                                        kdf: KDFParameters(logN: logN, r: r, p: p), wrapped: Array(wrapped), created: created)
            guard stored == expected else {
                throw KeyError(.corrupted, "the keystore \(path) is corrupted: its root record does not match its checksum (restore it from a backup)")
            }
        }
        guard salt.count == 32, wrapped.count == 12 + 32 + 16 else {
            throw KeyError(.corrupted, "the keystore \(path) is corrupted: its root record has fields of the wrong size")
        }
        guard kind == unlocker.kind else {
            throw KeyError(.wrongPassphrase, "the keystore \(path) is opened with a \(kind == "keyfile" ? "key file" : "passphrase"), not a \(unlocker.kind == "keyfile" ? "key file" : "passphrase")")
        }
        let kdf = KDFParameters(logN: logN, r: r, p: p)
        guard kdf.logN >= KDFParameters.minimumLogN, kdf.logN <= 22, (1...32).contains(kdf.r), (1...16).contains(kdf.p) else {
            throw KeyError(.corrupted, "the keystore \(path) has out-of-range scrypt parameters")
        }
        let unlockKey = try deriveUnlockKey(unlocker, salt: Array(salt), kdf: kdf)
        guard let rootBytes = try? open(Array(wrapped), key: unlockKey, aad: rootAAD(identity: identity, kind: kind)), rootBytes.count == 32 else {
            throw KeyError(.wrongPassphrase, "the \(kind == "keyfile" ? "key file" : "passphrase") does not open the keystore \(path)")
        }
        return Keystore(queue: queue, root: SymmetricKey(data: rootBytes), identity: identity, path: path)
    }

    static func openQueue(_ path: String) throws -> DatabaseQueue {
        let previous = umask(0o077)
        defer { umask(previous) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        chmod(path, 0o600)
        return queue
    }

    static func prepareDirectory(_ directory: String) throws(KeyError) {
        do { try PrivateDirectory.ensure(directory) } catch {
            throw KeyError(.storage, "the state directory: \(error.message)")
        }
    }

    // MARK: Key derivation and wrapping

    static func deriveUnlockKey(_ unlocker: Unlocker, salt: [UInt8], kdf: KDFParameters) throws(KeyError) -> SymmetricKey {
        switch unlocker {
        case .passphrase(let passphrase):
            guard !passphrase.isEmpty, passphrase.count <= 4096 else {
                throw KeyError(.invalidArgument, "the passphrase must be 1 to 4096 bytes")
            }
            do {
                return try KDF.Scrypt.deriveKey(from: passphrase, salt: salt, outputByteCount: 32, rounds: 1 << kdf.logN,
                                                blockSize: kdf.r, parallelism: kdf.p)
            } catch {
                throw KeyError(.storage, "scrypt failed: \(error)")
            }
        case .keyFile(let bytes):
            guard (32...4096).contains(bytes.count) else {
                throw KeyError(.invalidArgument, "a key file must hold 32 to 4096 bytes (it has \(bytes.count))")
            }
            return HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: bytes), salt: salt,
                                          info: Array("hyperward/keyfile/v1".utf8), outputByteCount: 32)
        }
    }

    static func rootAAD(identity: String, kind: String) -> [UInt8] {
        Array("hyperward/root/v1\u{0}\(identity)\u{0}\(kind)".utf8)
    }

    func versionAAD(name: String, version: Int) -> [UInt8] {
        Array("hyperward/key-version/v1\u{0}\(identity)\u{0}\(name)\u{0}\(version)".utf8)
    }

    static func dataAAD(name: String, version: Int, context: EncryptionContext) -> [UInt8] {
        Array("hyperward/data/v1\u{0}\(name)\u{0}\(version)\u{0}".utf8) + context.canonicalBytes
    }

    /// AES-256-GCM with a random nonce: nonce, ciphertext, tag.
    static func seal(_ plaintext: [UInt8], key: SymmetricKey, aad: [UInt8]) throws(KeyError) -> [UInt8] {
        do {
            let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(), authenticating: aad)
            return Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
        } catch {
            throw KeyError(.storage, "encryption failed: \(error)")
        }
    }

    /// Opens `seal`'s output; nil when it fails authentication.
    static func open(_ sealed: [UInt8], key: SymmetricKey, aad: [UInt8]) throws(KeyError) -> [UInt8]? {
        guard sealed.count >= 28 else { return nil }
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: sealed[0..<12]), ciphertext: sealed[12..<(sealed.count - 16)],
                                            tag: sealed[(sealed.count - 16)...])
            return Array(try AES.GCM.open(box, using: key, authenticating: aad))
        } catch {
            return nil
        }
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    // MARK: Records

    struct Record {
        var info: KeyInfo
        /// Wrapped material by version.
        var wrapped: [Int: [UInt8]]
    }

    static func validate(name: String) throws(KeyError) {
        let bytes = Array(name.utf8)
        func allowed(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
        guard (1...64).contains(bytes.count), allowed(bytes[0]),
              bytes.allSatisfy({ allowed($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }) else {
            throw KeyError(.invalidArgument, "key name \(String(name.prefix(80)).debugDescription) must match \(namePattern)")
        }
    }

    func metadataMAC(_ info: KeyInfo, wrapped: [Int: [UInt8]]) -> [UInt8] {
        var message = Array("hyperward/key-metadata/v1\u{0}\(identity)\u{0}\(info.name)\u{0}\(info.type)\u{0}\(info.created)\u{0}".utf8)
        message += Array("\(info.latestVersion)\u{0}\(info.minDecryptionVersion)\u{0}\(info.minEncryptionVersion)\u{0}\(info.rotateAfterSeconds.map(String.init) ?? "-")\u{0}".utf8)
        for version in info.versions {
            message += Array("\(version.version)\u{0}\(version.created)\u{0}".utf8)
            message += Array(SHA256.hash(data: wrapped[version.version] ?? []))
        }
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: macKey))
    }

    /// Loads and checks one key: its MAC, and versions exactly `minDecryption...latest` or more
    /// (nothing missing in the usable range).
    func load(_ db: Database, _ name: String) throws -> Record {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM keys WHERE name = ?", arguments: [name]) else {
            throw KeyError(.unknownKey, "no key named \(name.debugDescription)")
        }
        let versionRows = try Row.fetchAll(db, sql: "SELECT version, created, wrapped FROM key_versions WHERE name = ? ORDER BY version", arguments: [name])
        guard let type = row["type"] as String?, let created = row["created"] as String?, let latest = row["latest"] as Int?,
              let minDecryption = row["min_decryption"] as Int?, let minEncryption = row["min_encryption"] as Int?,
              let mac = row["mac"] as Data? else {
            throw KeyError(.corrupted, "key \(name.debugDescription): metadata record is incomplete")
        }
        var info = KeyInfo(name: name, type: type, created: created, latestVersion: latest, minDecryptionVersion: minDecryption,
                           minEncryptionVersion: minEncryption, rotateAfterSeconds: row["rotate_after"] as Int?, versions: [])
        var wrapped: [Int: [UInt8]] = [:]
        for versionRow in versionRows {
            guard let version = versionRow["version"] as Int?, let versionCreated = versionRow["created"] as String?,
                  let material = versionRow["wrapped"] as Data? else {
                throw KeyError(.corrupted, "key \(name.debugDescription): a version record is incomplete")
            }
            info.versions.append(.init(version: version, created: versionCreated))
            wrapped[version] = Array(material)
        }
        guard constantTimeEquals(Array(mac), metadataMAC(info, wrapped: wrapped)) else {
            throw KeyError(.corrupted, "key \(name.debugDescription): its records fail authentication (edited, swapped or partly deleted)")
        }
        guard info.type == Keystore.keyType, latest >= 1, (1...latest).contains(minDecryption), (0...latest).contains(minEncryption),
              info.versions.map(\.version) == Array(info.versions.first.map { $0.version...latest } ?? 1...0),
              info.versions.first.map({ $0.version <= minDecryption }) == true else {
            throw KeyError(.corrupted, "key \(name.debugDescription): inconsistent versions or minimums")
        }
        return Record(info: info, wrapped: wrapped)
    }

    func store(_ db: Database, _ record: Record, isNew: Bool) throws {
        let info = record.info
        let mac = Data(metadataMAC(info, wrapped: record.wrapped))
        if isNew {
            try db.execute(sql: """
                INSERT INTO keys (name, type, created, latest, min_decryption, min_encryption, rotate_after, mac)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [info.name, info.type, info.created, info.latestVersion, info.minDecryptionVersion,
                                 info.minEncryptionVersion, info.rotateAfterSeconds, mac])
        } else {
            try db.execute(sql: """
                UPDATE keys SET latest = ?, min_decryption = ?, min_encryption = ?, rotate_after = ?, mac = ? WHERE name = ?
                """, arguments: [info.latestVersion, info.minDecryptionVersion, info.minEncryptionVersion, info.rotateAfterSeconds, mac, info.name])
        }
    }

    /// Runs a write transaction, mapping database failures to `storage` (key errors pass through).
    func write<T>(_ body: (Database) throws -> T) throws(KeyError) -> T {
        do {
            return try queue.write { db in try body(db) }
        } catch let error as KeyError {
            throw error
        } catch {
            throw KeyError(.storage, "keystore \(path): \(error)")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(KeyError) -> T {
        do {
            return try queue.read { db in try body(db) }
        } catch let error as KeyError {
            throw error
        } catch {
            throw KeyError(.corrupted, "keystore \(path): \(error)")
        }
    }

    /// The material of one version (unwrapped and checked).
    func material(_ record: Record, version: Int) throws(KeyError) -> SymmetricKey {
        guard let wrapped = record.wrapped[version] else {
            if version > record.info.latestVersion {
                throw KeyError(.unknownKey, "key \(record.info.name.debugDescription) has no version \(version) (latest is \(record.info.latestVersion))")
            }
            throw KeyError(.versionDisabled, "version \(version) of key \(record.info.name.debugDescription) was trimmed (minimum decryption version \(record.info.minDecryptionVersion))")
        }
        guard let bytes = try Keystore.open(wrapped, key: root, aad: versionAAD(name: record.info.name, version: version)), bytes.count == 32 else {
            throw KeyError(.corrupted, "version \(version) of key \(record.info.name.debugDescription) fails authentication")
        }
        return SymmetricKey(data: bytes)
    }

    // MARK: Key lifecycle

    /// Creates a key with version 1.
    @discardableResult
    public func create(_ name: String, rotateAfterSeconds: Int? = nil) throws(KeyError) -> KeyInfo {
        try Keystore.validate(name: name)
        if let rotateAfterSeconds, rotateAfterSeconds < 60 {
            throw KeyError(.invalidArgument, "automatic rotation must be at least 60 seconds apart")
        }
        let now = Keystore.timestamp()
        let wrapped = try Keystore.seal(Keystore.randomBytes(32), key: root, aad: versionAAD(name: name, version: 1))
        return try write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM keys WHERE name = ?", arguments: [name]) == true {
                throw KeyError(.invalidArgument, "a key named \(name.debugDescription) already exists")
            }
            let info = KeyInfo(name: name, type: Keystore.keyType, created: now, latestVersion: 1, minDecryptionVersion: 1,
                               minEncryptionVersion: 0, rotateAfterSeconds: rotateAfterSeconds, versions: [.init(version: 1, created: now)])
            try store(db, Record(info: info, wrapped: [1: wrapped]), isNew: true)
            try db.execute(sql: "INSERT INTO key_versions (name, version, created, wrapped) VALUES (?, 1, ?, ?)", arguments: [name, now, Data(wrapped)])
            return info
        }
    }

    /// Adds a version and makes it the latest. With `keep`, the minimum decryption version then
    /// advances so that only the newest `keep` versions stay decryptable (never backwards).
    @discardableResult
    public func rotate(_ name: String, keep: Int? = nil) throws(KeyError) -> KeyInfo {
        try Keystore.validate(name: name)
        if let keep, keep < 1 { throw KeyError(.invalidArgument, "--keep must be at least 1") }
        let now = Keystore.timestamp()
        return try write { db in
            var record = try load(db, name)
            let version = record.info.latestVersion + 1
            let wrapped = try Keystore.seal(Keystore.randomBytes(32), key: root, aad: versionAAD(name: name, version: version))
            record.info.latestVersion = version
            record.info.versions.append(.init(version: version, created: now))
            record.wrapped[version] = wrapped
            if let keep { record.info.minDecryptionVersion = max(record.info.minDecryptionVersion, version - keep + 1) }
            if record.info.minEncryptionVersion > 0 {
                record.info.minEncryptionVersion = max(record.info.minEncryptionVersion, record.info.minDecryptionVersion)
            }
            try db.execute(sql: "INSERT INTO key_versions (name, version, created, wrapped) VALUES (?, ?, ?, ?)",
                           arguments: [name, version, now, Data(wrapped)])
            try store(db, record, isNew: false)
            return record.info
        }
    }

    /// Keys whose latest version is older than their rotation period at `now`.
    public func rotationDue(now: Date = Date()) throws(KeyError) -> [KeyInfo] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return try list().filter { info in
            guard let period = info.rotateAfterSeconds, let last = formatter.date(from: info.latestCreated) else { return false }
            return now.timeIntervalSince(last) >= Double(period)
        }
    }

    /// Every key, by name.
    public func list() throws(KeyError) -> [KeyInfo] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT name FROM keys ORDER BY name").map { try load(db, $0).info }
        }
    }

    /// One key's metadata.
    public func info(_ name: String) throws(KeyError) -> KeyInfo {
        try Keystore.validate(name: name)
        return try read { db in try load(db, name).info }
    }

    /// Changes the minimum versions or the rotation period (nil: unchanged; rotation 0: never).
    /// The minimum decryption version may only move forward and never past the latest; a
    /// non-zero minimum encryption version must lie between it and the latest.
    @discardableResult
    public func configure(_ name: String, minDecryptionVersion: Int? = nil, minEncryptionVersion: Int? = nil,
                          rotateAfterSeconds: Int? = nil) throws(KeyError) -> KeyInfo {
        try Keystore.validate(name: name)
        return try write { db in
            var record = try load(db, name)
            var info = record.info
            if let minDecryptionVersion {
                guard minDecryptionVersion >= info.minDecryptionVersion else {
                    throw KeyError(.invalidArgument, "the minimum decryption version only moves forward (it is \(info.minDecryptionVersion)): versions below it may have been trimmed")
                }
                guard minDecryptionVersion <= info.latestVersion else {
                    throw KeyError(.invalidArgument, "the minimum decryption version cannot pass the latest version \(info.latestVersion)")
                }
                info.minDecryptionVersion = minDecryptionVersion
            }
            if let minEncryptionVersion {
                guard minEncryptionVersion == 0 || (info.minDecryptionVersion...info.latestVersion).contains(minEncryptionVersion) else {
                    throw KeyError(.invalidArgument, "the minimum encryption version must be 0 (none) or from \(info.minDecryptionVersion) to \(info.latestVersion)")
                }
                info.minEncryptionVersion = minEncryptionVersion
            } else if info.minEncryptionVersion > 0 && info.minEncryptionVersion < info.minDecryptionVersion {
                info.minEncryptionVersion = info.minDecryptionVersion
            }
            if let rotateAfterSeconds {
                guard rotateAfterSeconds == 0 || rotateAfterSeconds >= 60 else {
                    throw KeyError(.invalidArgument, "automatic rotation must be at least 60 seconds apart (0 turns it off)")
                }
                info.rotateAfterSeconds = rotateAfterSeconds == 0 ? nil : rotateAfterSeconds
            }
            record.info = info
            try store(db, record, isNew: false)
            return info
        }
    }

    /// Deletes the versions below the minimum decryption version; returns the key and the
    /// versions deleted.
    public func trim(_ name: String) throws(KeyError) -> (info: KeyInfo, removed: [Int]) {
        try Keystore.validate(name: name)
        return try write { db in
            var record = try load(db, name)
            let removed = record.info.versions.map(\.version).filter { $0 < record.info.minDecryptionVersion }
            guard !removed.isEmpty else { return (record.info, []) }
            record.info.versions.removeAll { $0.version < record.info.minDecryptionVersion }
            for version in removed { record.wrapped[version] = nil }
            try db.execute(sql: "DELETE FROM key_versions WHERE name = ? AND version < ?", arguments: [name, record.info.minDecryptionVersion])
            try store(db, record, isNew: false)
            return (record.info, removed)
        }
    }

    // MARK: Cryptography

    /// The key material for encrypting with `version` (default: the latest).
    func encryptionKey(_ name: String, version: Int? = nil) throws(KeyError) -> (key: SymmetricKey, version: Int) {
        try Keystore.validate(name: name)
        let record = try read { db in try load(db, name) }
        let chosen = version ?? record.info.latestVersion
        // As in Vault's transit engine: 0 sets no minimum beyond the decryption minimum.
        let floor = max(record.info.minEncryptionVersion, record.info.minDecryptionVersion)
        if chosen > record.info.latestVersion {
            throw KeyError(.unknownKey, "key \(name.debugDescription) has no version \(chosen) (latest is \(record.info.latestVersion))")
        }
        guard chosen >= floor, chosen >= record.info.minDecryptionVersion else {
            throw KeyError(.versionDisabled, "version \(chosen) of key \(name.debugDescription) may not encrypt (minimum encryption version \(floor))")
        }
        return (try material(record, version: chosen), chosen)
    }

    /// The key material for decrypting `version`.
    func decryptionKey(_ name: String, version: Int) throws(KeyError) -> SymmetricKey {
        try Keystore.validate(name: name)
        let record = try read { db in try load(db, name) }
        if version > record.info.latestVersion {
            throw KeyError(.unknownKey, "key \(name.debugDescription) has no version \(version) (latest is \(record.info.latestVersion))")
        }
        guard version >= record.info.minDecryptionVersion else {
            throw KeyError(.versionDisabled, "version \(version) of key \(name.debugDescription) is below the minimum decryption version \(record.info.minDecryptionVersion)")
        }
        return try material(record, version: version)
    }

    /// The largest payload `encrypt` takes (larger data: the streaming format).
    public static let maxPayload = 1 << 20

    /// Encrypts a small payload with the latest version (or `version`), binding `context`.
    public func encrypt(_ name: String, _ plaintext: [UInt8], context: EncryptionContext = EncryptionContext(),
                        version: Int? = nil) throws(KeyError) -> Ciphertext {
        guard plaintext.count <= Keystore.maxPayload else {
            throw KeyError(.invalidArgument, "payload of \(plaintext.count) bytes exceeds \(Keystore.maxPayload): use the streaming format")
        }
        let (key, chosen) = try encryptionKey(name, version: version)
        let sealed = try Keystore.seal(plaintext, key: key, aad: Keystore.dataAAD(name: name, version: chosen, context: context))
        return Ciphertext(version: chosen, sealed: sealed)
    }

    /// Decrypts a payload; `invalidCiphertext` when it fails authentication (tampered, another
    /// key, another context).
    public func decrypt(_ name: String, _ ciphertext: Ciphertext, context: EncryptionContext = EncryptionContext()) throws(KeyError) -> [UInt8] {
        let key = try decryptionKey(name, version: ciphertext.version)
        guard let plaintext = try Keystore.open(ciphertext.sealed, key: key, aad: Keystore.dataAAD(name: name, version: ciphertext.version, context: context)) else {
            throw KeyError(.invalidCiphertext, "the ciphertext does not authenticate under key \(name.debugDescription) version \(ciphertext.version) with this context (tampered, another key, or another context)")
        }
        return plaintext
    }

    /// Re-encrypts a ciphertext under the latest version (or `toVersion`) without the plaintext
    /// leaving this process.
    public func rewrap(_ name: String, _ ciphertext: Ciphertext, context: EncryptionContext = EncryptionContext(),
                       toVersion: Int? = nil) throws(KeyError) -> Ciphertext {
        var plaintext = try decrypt(name, ciphertext, context: context)
        defer { for i in plaintext.indices { plaintext[i] = 0 } }
        return try encrypt(name, plaintext, context: context, version: toVersion)
    }

    /// A fresh random data key: its plaintext and its ciphertext under the latest version.
    public func dataKey(_ name: String, bytes: Int = 32, context: EncryptionContext = EncryptionContext()) throws(KeyError) -> (plaintext: [UInt8], ciphertext: Ciphertext) {
        guard [16, 24, 32, 64].contains(bytes) else { throw KeyError(.invalidArgument, "a data key is 16, 24, 32 or 64 bytes") }
        let plaintext = Keystore.randomBytes(bytes)
        return (plaintext, try encrypt(name, plaintext, context: context))
    }
}

/// Compares two byte arrays in time independent of where they differ.
func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in a.indices { difference |= a[i] ^ b[i] }
    return difference == 0
}
