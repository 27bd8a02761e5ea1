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
import Testing

@testable import KeyManagement

enum KeyLab {
    /// Cheap scrypt for tests (the product's default is 2^15).
    static let fastKDF = KDFParameters(logN: 10, r: 8, p: 1)
    static let passphrase = Unlocker.passphrase(Array("correct horse battery staple".utf8))

    static func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hw-keys-\(UUID().uuidString)").path
    }

    static func keystore(_ directory: String = directory()) throws -> Keystore {
        try Keystore.initialize(directory: directory, unlocker: passphrase, kdf: fastKDF)
    }

    static func expectError(_ code: KeyError.Code, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
        } catch let error as KeyError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected KeyError \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Runs SQL on the keystore file behind the product's back (a tampering attacker).
    static func tamper(_ directory: String, _ sql: String) throws {
        let queue = try DatabaseQueue(path: "\(directory)/\(Keystore.fileName)")
        try queue.write { try $0.execute(sql: sql) }
    }

    static func fileBytes(_ directory: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(Keystore.fileName)"))
    }
}

@Suite("Keystore")
struct KeystoreTests {
    @Test("scrypt is wired as RFC 7914 specifies (its N=1024, r=8, p=16 test vector)")
    func scryptVector() throws {
        let key = try Keystore.deriveUnlockKey(.passphrase(Array("password".utf8)), salt: Array("NaCl".utf8),
                                               kdf: KDFParameters(logN: 10, r: 8, p: 16))
        let expected = "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        #expect(key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() } == expected)
    }

    @Test("the keystore is 0600 in a 0700 directory, holds no passphrase, and opens only with it")
    func initAndOpen() throws {
        let directory = KeyLab.directory()
        let store = try KeyLab.keystore(directory)
        try store.create("vm-disks")
        var st = stat()
        #expect(stat(directory, &st) == 0 && st.st_mode & 0o777 == 0o700)
        #expect(stat("\(directory)/\(Keystore.fileName)", &st) == 0 && st.st_mode & 0o777 == 0o600)
        let bytes = try KeyLab.fileBytes(directory)
        #expect(bytes.range(of: Data("correct horse".utf8)) == nil)

        let reopened = try Keystore.open(directory: directory, unlocker: KeyLab.passphrase)
        #expect(try reopened.list().map(\.name) == ["vm-disks"])
        let before = try KeyLab.fileBytes(directory)
        KeyLab.expectError(.wrongPassphrase) { _ = try Keystore.open(directory: directory, unlocker: .passphrase(Array("wrong".utf8))) }
        KeyLab.expectError(.wrongPassphrase) { _ = try Keystore.open(directory: directory, unlocker: .keyFile([UInt8](repeating: 7, count: 32))) }
        KeyLab.expectError(.alreadyInitialized) { _ = try KeyLab.keystore(directory) }
        KeyLab.expectError(.notInitialized) { _ = try Keystore.open(directory: KeyLab.directory(), unlocker: KeyLab.passphrase) }
        #expect(try KeyLab.fileBytes(directory) == before, "failed opens change nothing")
    }

    @Test("a key file opens its keystore; another key file does not")
    func keyFile() throws {
        let directory = KeyLab.directory()
        let file = (0..<64).map { UInt8($0) }
        let store = try Keystore.initialize(directory: directory, unlocker: .keyFile(file))
        let ciphertext = try store.create("backups").name
        #expect(ciphertext == "backups")
        _ = try Keystore.open(directory: directory, unlocker: .keyFile(file))
        var other = file
        other[63] ^= 1
        KeyLab.expectError(.wrongPassphrase) { _ = try Keystore.open(directory: directory, unlocker: .keyFile(other)) }
        KeyLab.expectError(.invalidArgument) { _ = try Keystore.initialize(directory: KeyLab.directory(), unlocker: .keyFile([1, 2, 3])) }
    }

    @Test("encrypt and decrypt with a context; any other context, key or byte fails authentication")
    func encryptDecrypt() throws {
        let store = try KeyLab.keystore()
        try store.create("tenant-a")
        try store.create("tenant-b")
        let context = try EncryptionContext(arguments: ["vm=web1", "disk=vda"])
        let secret = Array("disk passphrase 0123456789".utf8)
        let ciphertext = try store.encrypt("tenant-a", secret, context: context)
        #expect(ciphertext.description.hasPrefix("hyperward:v1:"))
        let parsed = try Ciphertext(parsing: ciphertext.description + "\n")
        #expect(try store.decrypt("tenant-a", parsed, context: try EncryptionContext(arguments: ["disk=vda", "vm=web1"])) == secret)
        KeyLab.expectError(.invalidCiphertext) { _ = try store.decrypt("tenant-a", parsed) }
        KeyLab.expectError(.invalidCiphertext) { _ = try store.decrypt("tenant-a", parsed, context: try EncryptionContext(arguments: ["vm=web2", "disk=vda"])) }
        KeyLab.expectError(.invalidCiphertext) { _ = try store.decrypt("tenant-b", parsed, context: context) }
        KeyLab.expectError(.unknownKey) { _ = try store.decrypt("tenant-c", parsed, context: context) }
        // Every single-bit flip of the sealed bytes is rejected.
        for index in parsed.sealed.indices {
            for bit in [0, 7] {
                var flipped = parsed
                flipped.sealed[index] ^= 1 << bit
                KeyLab.expectError(.invalidCiphertext) { _ = try store.decrypt("tenant-a", flipped, context: context) }
            }
        }
        // Every truncation too.
        for length in 0..<parsed.sealed.count {
            let cut = Ciphertext(version: 1, sealed: Array(parsed.sealed.prefix(length)))
            KeyLab.expectError(.invalidCiphertext) { _ = try store.decrypt("tenant-a", cut, context: context) }
        }
    }

    @Test("malformed ciphertext text is refused with a reason", arguments: [
        "", "hyperward:v1", "vault:v1:AAAA", "hyperward:v0:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "hyperward:v01:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "hyperward:vx:AAAA", "hyperward:v1:not base64!",
        "hyperward:v1:AAAA", "hyperward:v1234567890:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "hyperward:v-1:AAAA",
    ])
    func malformedText(text: String) {
        KeyLab.expectError(.invalidCiphertext) { _ = try Ciphertext(parsing: text) }
    }

    @Test("rotation, minimum versions, trim and rewrap follow the key's policy")
    func lifecycle() throws {
        let store = try KeyLab.keystore()
        try store.create("k")
        let v1 = try store.encrypt("k", Array("one".utf8))
        var info = try store.rotate("k")
        #expect(info.latestVersion == 2 && info.minDecryptionVersion == 1)
        let v2 = try store.encrypt("k", Array("two".utf8))
        #expect(v2.version == 2)
        #expect(try store.decrypt("k", v1) == Array("one".utf8))

        // Rewrap to the latest, and to a chosen version.
        try store.rotate("k")
        let rewrapped = try store.rewrap("k", v1)
        #expect(rewrapped.version == 3)
        #expect(try store.decrypt("k", rewrapped) == Array("one".utf8))
        let toTwo = try store.rewrap("k", v1, toVersion: 2)
        #expect(toTwo.version == 2)
        KeyLab.expectError(.unknownKey) { _ = try store.rewrap("k", v1, toVersion: 9) }

        // A minimum encryption version refuses older targets.
        info = try store.configure("k", minEncryptionVersion: 3)
        #expect(info.minEncryptionVersion == 3)
        KeyLab.expectError(.versionDisabled) { _ = try store.rewrap("k", v1, toVersion: 2) }

        // The minimum decryption version disables, trim deletes, neither goes back.
        info = try store.configure("k", minDecryptionVersion: 2)
        KeyLab.expectError(.versionDisabled) { _ = try store.decrypt("k", v1) }
        #expect(try store.decrypt("k", v2) == Array("two".utf8))
        KeyLab.expectError(.invalidArgument) { _ = try store.configure("k", minDecryptionVersion: 1) }
        KeyLab.expectError(.invalidArgument) { _ = try store.configure("k", minDecryptionVersion: 4) }
        let trimmed = try store.trim("k")
        #expect(trimmed.removed == [1] && trimmed.info.versions.map(\.version) == [2, 3])
        KeyLab.expectError(.versionDisabled) { _ = try store.decrypt("k", v1) }
        #expect(try store.trim("k").removed.isEmpty)

        // Rotation that keeps the newest N versions decryptable.
        info = try store.rotate("k", keep: 2)
        #expect(info.latestVersion == 4 && info.minDecryptionVersion == 3 && info.minEncryptionVersion == 3)
        KeyLab.expectError(.versionDisabled) { _ = try store.decrypt("k", v2) }
        #expect(try store.decrypt("k", rewrapped) == Array("one".utf8))
    }

    @Test("data keys: a fresh plaintext and its ciphertext")
    func dataKeys() throws {
        let store = try KeyLab.keystore()
        try store.create("k")
        let a = try store.dataKey("k")
        let b = try store.dataKey("k")
        #expect(a.plaintext.count == 32 && a.plaintext != b.plaintext)
        #expect(try store.decrypt("k", a.ciphertext) == a.plaintext)
        KeyLab.expectError(.invalidArgument) { _ = try store.dataKey("k", bytes: 7) }
    }

    @Test("names, rotation periods and payload sizes are checked")
    func arguments() throws {
        let store = try KeyLab.keystore()
        for name in ["", "-x", "a b", "a/b", String(repeating: "a", count: 65), "ключ"] {
            KeyLab.expectError(.invalidArgument) { try store.create(name) }
        }
        try store.create("ok.name_1-2", rotateAfterSeconds: 3600)
        KeyLab.expectError(.invalidArgument) { try store.create("ok.name_1-2") }
        KeyLab.expectError(.invalidArgument) { try store.create("short", rotateAfterSeconds: 5) }
        KeyLab.expectError(.invalidArgument) { _ = try store.encrypt("ok.name_1-2", [UInt8](repeating: 0, count: Keystore.maxPayload + 1)) }
        #expect(try store.rotationDue(now: Date().addingTimeInterval(3599)).isEmpty)
        #expect(try store.rotationDue(now: Date().addingTimeInterval(3601)).map(\.name) == ["ok.name_1-2"])
    }

    @Test("a tampered keystore is refused, never obeyed", arguments: [
        "UPDATE keys SET min_decryption = 2",
        "UPDATE keys SET latest = 1",
        "DELETE FROM key_versions WHERE version = 2",
        "UPDATE key_versions SET wrapped = (SELECT wrapped FROM key_versions WHERE version = 1) WHERE version = 2",
        "UPDATE key_versions SET created = '2020-01-01T00:00:00.000Z' WHERE version = 1",
        "UPDATE keys SET rotate_after = 60",
    ])
    func tampering(sql: String) throws {
        let directory = KeyLab.directory()
        let store = try KeyLab.keystore(directory)
        try store.create("k")
        let v1 = try store.encrypt("k", Array("one".utf8))
        try store.rotate("k")
        try KeyLab.tamper(directory, sql)
        let reopened = try Keystore.open(directory: directory, unlocker: KeyLab.passphrase)
        KeyLab.expectError(.corrupted) { _ = try reopened.decrypt("k", v1) }
        KeyLab.expectError(.corrupted) { _ = try reopened.info("k") }
        KeyLab.expectError(.corrupted) { try reopened.rotate("k") }
    }

    @Test("a wrapped version moved to another key fails authentication even with a valid MAC")
    func swappedAcrossKeys() throws {
        let directory = KeyLab.directory()
        let store = try KeyLab.keystore(directory)
        try store.create("a")
        try store.create("b")
        let ciphertext = try store.encrypt("a", Array("secret".utf8))
        // The attacker cannot recompute the MAC; a direct call with the other key's wrapping
        // shows the version binding itself.
        let record = try store.read { db in try store.load(db, "b") }
        var forged = try store.read { db in try store.load(db, "a") }
        forged.wrapped[1] = record.wrapped[1]
        KeyLab.expectError(.corrupted) { _ = try store.material(forged, version: 1) }
        #expect(try store.decrypt("a", ciphertext) == Array("secret".utf8))
    }

    @Test("a damaged root record or a file that is not a keystore is reported", arguments: [
        "UPDATE keystore SET root_wrapped = zeroblob(60)", "UPDATE keystore SET kdf_log_n = 40", "DROP TABLE key_versions",
    ])
    func damagedRoot(sql: String) throws {
        // (Typed: both calls throw KeyError.)
        let directory = KeyLab.directory()
        let store = try KeyLab.keystore(directory)
        try store.create("k")
        try KeyLab.tamper(directory, sql)
        do {
            let reopened = try Keystore.open(directory: directory, unlocker: KeyLab.passphrase)
            _ = try reopened.list()
            Issue.record("a damaged keystore opened")
        } catch {
            #expect([.wrongPassphrase, .corrupted].contains(error.code), "\(error)")
        }
    }

    @Test("garbage in place of the keystore file")
    func garbageFile() throws {
        let directory = KeyLab.directory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("not a database at all, just text".utf8).write(to: URL(fileURLWithPath: "\(directory)/\(Keystore.fileName)"))
        KeyLab.expectError(.corrupted) { _ = try Keystore.open(directory: directory, unlocker: KeyLab.passphrase) }
    }
}
