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

/// The ledger's checkpoint signing key: Ed25519, made on first use, its private key wrapped by
/// the keystore's root (AES-256-GCM, with the keystore's identity, the key's name and its public
/// key as associated data), its name and public key readable without unlocking.
extension Keystore {
    func ledgerKeyAAD(name: String, publicKey: [UInt8]) -> [UInt8] {
        Array("hyperward/ledger-key/v1\u{0}\(identity)\u{0}\(name)\u{0}".utf8) + publicKey
    }

    /// The ledger's signing key, made (named `name`) when the keystore has none. The caller holds
    /// the state directory's change lock when it may be made.
    /// - Returns: the key's name (the one it was made with; `name` is used only then) and key.
    /// - Throws: `corrupted` when the stored key fails authentication; `storage`.
    public func ledgerSigningKey(creatingAs name: String) throws(KeyError) -> (name: String, key: Curve25519.Signing.PrivateKey) {
        if let existing = try loadLedgerKey() { return existing }
        guard !name.isEmpty, name.utf8.count <= 256 else { throw KeyError(.invalidArgument, "a ledger key name of 1 to 256 bytes") }
        let key = Curve25519.Signing.PrivateKey()
        let publicKey = Array(key.publicKey.rawRepresentation)
        let wrapped = try Keystore.seal(Array(key.rawRepresentation), key: root, aad: ledgerKeyAAD(name: name, publicKey: publicKey))
        try write { db in
            // Another process may have made it meanwhile: the first one stays.
            try db.execute(sql: "INSERT OR IGNORE INTO ledger_key (id, name, public_key, key_wrapped, created) VALUES (1, ?, ?, ?, ?)",
                           arguments: [name, Data(publicKey), Data(wrapped), Keystore.timestamp()])
        }
        guard let stored = try loadLedgerKey() else { throw KeyError(.storage, "the ledger key was not stored") }
        return stored
    }

    func loadLedgerKey() throws(KeyError) -> (name: String, key: Curve25519.Signing.PrivateKey)? {
        let row = try read { db in try Row.fetchOne(db, sql: "SELECT name, public_key, key_wrapped FROM ledger_key WHERE id = 1") }
        guard let row else { return nil }
        guard let name = row["name"] as String?, let publicKey = row["public_key"] as Data?, let wrapped = row["key_wrapped"] as Data?,
              let raw = try Keystore.open(Array(wrapped), key: root, aad: ledgerKeyAAD(name: name, publicKey: Array(publicKey))),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw),
              key.publicKey.rawRepresentation == publicKey else {
            throw KeyError(.corrupted, "the ledger key record fails authentication or does not match its public key")
        }
        return (name, key)
    }

    /// The ledger key's name and public key, read without unlocking the keystore (nothing is
    /// created or migrated); `nil` when the keystore or the key does not exist yet. Not
    /// authenticated: whoever can write the keystore can change it, so a verifier should hold
    /// the key from elsewhere (docs/governance.md).
    public static func ledgerPublicKey(directory: String) throws(KeyError) -> (name: String, publicKey: [UInt8])? {
        let path = "\(directory)/\(fileName)"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            return try queue.read { db in
                guard try db.tableExists("ledger_key"),
                      let row = try Row.fetchOne(db, sql: "SELECT name, public_key FROM ledger_key WHERE id = 1"),
                      let name = row["name"] as String?, let key = row["public_key"] as Data? else { return nil }
                return (name, Array(key))
            }
        } catch {
            throw KeyError(.corrupted, "the keystore \(path) cannot be read: \(error)")
        }
    }
}
