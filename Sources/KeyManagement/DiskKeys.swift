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

/// One encrypted disk: whose it is, where it is, and its LUKS passphrase wrapped under the VM's
/// key with the VM's UUID, the disk's path and the host bound as context.
public struct DiskKeyRecord: Sendable, Hashable, Codable {
    public var path: String
    public var vmName: String
    public var vmUUID: String
    /// The host allowed to start the VM (its machine id).
    public var host: String
    /// The keystore key the passphrase is wrapped under (`vm.<name>`).
    public var keyName: String
    public var ciphertext: String
    /// The UUID of the libvirt secret the domain XML names (defined only while the VM starts).
    public var secretUUID: String
    /// `luks` (a raw LUKS1 image) or `qcow2` (qcow2 with LUKS encryption).
    public var format: String
    public var created: String
    /// Revoked disks are never released again.
    public var revoked: Bool
}

extension Keystore {
    /// The key that wraps a VM's disk passphrases.
    public static func vmKeyName(_ vm: String) -> String { "vm." + vm }

    static func diskContext(vmUUID: String, path: String, host: String) throws(KeyError) -> EncryptionContext {
        try EncryptionContext(["purpose": "disk", "vm_uuid": vmUUID, "path": path, "host": host])
    }

    /// Makes a disk passphrase for a VM (creating the VM's key when it has none) without storing
    /// it: the caller makes the image, then `store(_:)`s the record. The passphrase is the base64
    /// of 32 random bytes (44 ASCII characters).
    public func newDiskKey(vmName: String, vmUUID: String, host: String, path: String, format: String) throws(KeyError) -> (record: DiskKeyRecord, passphrase: [UInt8]) {
        guard UUID(uuidString: vmUUID) != nil else { throw KeyError(.invalidArgument, "\(vmUUID.debugDescription) is not a UUID") }
        guard path.hasPrefix("/"), !path.contains("\n"), path.utf8.count <= 1000 else {
            throw KeyError(.invalidArgument, "the disk path must be absolute (at most 1000 bytes, no newline)")
        }
        guard ["luks", "qcow2"].contains(format) else { throw KeyError(.invalidArgument, "disk format must be luks or qcow2") }
        let keyName = Keystore.vmKeyName(vmName)
        try Keystore.validate(name: keyName)
        if (try? info(keyName)) == nil { try create(keyName) }
        let passphrase = Array(Data(Keystore.randomBytes(32)).base64EncodedString().utf8)
        let ciphertext = try encrypt(keyName, passphrase, context: try Keystore.diskContext(vmUUID: vmUUID.lowercased(), path: path, host: host))
        let record = DiskKeyRecord(path: path, vmName: vmName, vmUUID: vmUUID.lowercased(), host: host, keyName: keyName,
                                   ciphertext: ciphertext.description, secretUUID: UUID().uuidString.lowercased(), format: format,
                                   created: Keystore.timestamp(), revoked: false)
        return (record, passphrase)
    }

    /// Stores a disk's record (replacing none: a path is one disk). `replacingOrphan`: a record of
    /// the same path whose image does not exist (left by a create that was killed before the
    /// image got its name) is replaced; it protects nothing.
    /// - Returns: whether an orphaned record was replaced.
    @discardableResult
    public func store(_ record: DiskKeyRecord, replacingOrphan: Bool = false) throws(KeyError) -> Bool {
        try write { db in
            var replaced = false
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM disk_keys WHERE path = ?", arguments: [record.path]) == true {
                var st = stat()
                guard replacingOrphan, lstat(record.path, &st) != 0, errno == ENOENT else {
                    throw KeyError(.invalidArgument, "\(record.path) already has a disk key")
                }
                try db.execute(sql: "DELETE FROM disk_keys WHERE path = ?", arguments: [record.path])
                replaced = true
            }
            try db.execute(sql: """
                INSERT INTO disk_keys (path, vm_name, vm_uuid, host, key_name, ciphertext, secret_uuid, format, created, revoked)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
                """, arguments: [record.path, record.vmName, record.vmUUID, record.host, record.keyName, record.ciphertext,
                                 record.secretUUID, record.format, record.created])
            return replaced
        }
    }

    /// Removes the record of a disk whose image was never made (a create that lost the race for
    /// its path): only the record with this path and secret, the loser's own.
    public func forgetUnmadeDisk(path: String, secretUUID: String) throws(KeyError) {
        try write { db in
            try db.execute(sql: "DELETE FROM disk_keys WHERE path = ? AND secret_uuid = ?", arguments: [path, secretUUID])
        }
    }

    /// The disks recorded for a VM name, by path.
    public func diskKeys(vmName: String) throws(KeyError) -> [DiskKeyRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM disk_keys WHERE vm_name = ? ORDER BY path", arguments: [vmName]).map { row in
                DiskKeyRecord(path: row["path"], vmName: row["vm_name"], vmUUID: row["vm_uuid"], host: row["host"], keyName: row["key_name"],
                              ciphertext: row["ciphertext"], secretUUID: row["secret_uuid"], format: row["format"], created: row["created"],
                              revoked: (row["revoked"] as Int? ?? 0) != 0)
            }
        }
    }

    /// Revokes every disk of a VM: their passphrases are never released again.
    public func revokeDisks(vmName: String) throws(KeyError) -> Int {
        try write { db in
            try db.execute(sql: "UPDATE disk_keys SET revoked = 1 WHERE vm_name = ?", arguments: [vmName])
            return db.changesCount
        }
    }

    /// Releases a disk's passphrase to a VM starting on a host: only when the VM's UUID and the
    /// host are the ones the disk was made for and the disk is not revoked (`unauthorized`
    /// otherwise); a record whose fields were edited fails to decrypt (its context is bound).
    public func releaseDiskKey(_ record: DiskKeyRecord, vmUUID: String, host: String) throws(KeyError) -> [UInt8] {
        guard !record.revoked else {
            throw KeyError(.unauthorized, "the disk \(record.path) of \(record.vmName) is revoked")
        }
        guard record.vmUUID == vmUUID.lowercased() else {
            throw KeyError(.unauthorized, "the disk \(record.path) belongs to VM UUID \(record.vmUUID), not \(vmUUID.lowercased()): a different VM under the name \(record.vmName)")
        }
        guard record.host == host else {
            throw KeyError(.unauthorized, "the disk \(record.path) may start only on host \(record.host), this is \(host)")
        }
        let ciphertext = try Ciphertext(parsing: record.ciphertext)
        do {
            return try decrypt(record.keyName, ciphertext, context: try Keystore.diskContext(vmUUID: record.vmUUID, path: record.path, host: record.host))
        } catch where error.code == .invalidCiphertext {
            throw KeyError(.unauthorized, "the disk record of \(record.path) does not authenticate (altered): refused")
        }
    }
}
