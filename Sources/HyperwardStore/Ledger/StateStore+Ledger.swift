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
import Ledger

/// A signed checkpoint the store keeps.
public struct StoredCheckpoint: Sendable, Hashable {
    /// Its row in `ledger_checkpoints` (1 for the first).
    public var number: Int64
    public var size: UInt64
    public var root: MerkleHash
    /// The signed note, as C2SP signed-note text.
    public var note: String
    public var time: String
}

/// An inclusion proof for one event, with what a verifier needs beside it.
public struct LedgerInclusion: Sendable {
    public var eventID: String
    public var index: UInt64
    public var treeSize: UInt64
    /// The event's canonical JSON (the leaf data).
    public var leafData: [UInt8]
    public var leafHash: MerkleHash
    public var proof: [MerkleHash]
    public var root: MerkleHash
    /// The signed checkpoint of `treeSize`, when the store has one.
    public var checkpoint: String?
}

/// The ledger of the state store (docs/governance.md): every event's leaf, appended in the
/// event's own transaction (`insert`), signed checkpoints, proofs, and verification.
extension StateStore {
    static func createLedger(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE ledger (
                idx INTEGER PRIMARY KEY CHECK (idx >= 0),
                event_row INTEGER NOT NULL UNIQUE REFERENCES events(id),
                leaf BLOB NOT NULL CHECK (typeof(leaf) = 'blob' AND length(leaf) = 32)
            );
            CREATE TRIGGER ledger_contiguous BEFORE INSERT ON ledger
                WHEN NEW.idx IS NOT coalesce((SELECT max(idx) FROM ledger), -1) + 1
                BEGIN SELECT RAISE(ABORT, 'ledger indices are contiguous from 0'); END;
            CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
                BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
            CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
                BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
            CREATE TABLE ledger_checkpoints (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                size INTEGER NOT NULL CHECK (size >= 0),
                root BLOB NOT NULL CHECK (typeof(root) = 'blob' AND length(root) = 32),
                note TEXT NOT NULL CHECK (note <> ''),
                time TEXT NOT NULL,
                frontier BLOB NOT NULL
            );
            CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
                BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
            CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
                BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
            """)
        // The events recorded before, in row order.
        let insert = try db.makeStatement(sql: "INSERT INTO ledger (idx, event_row, leaf) VALUES (?, ?, ?)")
        var encoder = CanonicalEventEncoder()
        var index: Int64 = 0
        var leaves: [(Int64, MerkleHash)] = []
        try RawRows.forEachEventLeaf(db, encoder: &encoder) { row, leaf, _ in
            leaves.append((row, leaf))
            return true
        }
        for (row, leaf) in leaves {
            try insert.execute(arguments: [index, row, Data(leaf.bytes)])
            index += 1
        }
    }

    /// Whether the store has the ledger (a store opened read-only may predate it).
    public func hasLedger() throws(HyperwardError) -> Bool {
        try read { db in try db.tableExists("ledger") && db.tableExists("ledger_checkpoints") }
    }

    /// The number of entries in the ledger.
    public func ledgerSize() throws(HyperwardError) -> UInt64 {
        try read { db in UInt64(try Int64.fetchOne(db, sql: "SELECT coalesce(max(idx) + 1, 0) FROM ledger") ?? 0) }
    }

    /// The stored checkpoints, oldest first.
    public func checkpoints() throws(HyperwardError) -> [StoredCheckpoint] {
        try read { db in try StateStore.checkpoints(db) }
    }

    static func checkpoints(_ db: Database) throws -> [StoredCheckpoint] {
        try Row.fetchAll(db, sql: "SELECT id, size, root, note, time FROM ledger_checkpoints ORDER BY id").map { row in
            let root = (row["root"] as Data?).flatMap { MerkleHash(bytes: $0) } ?? MerkleTree.emptyRoot
            return StoredCheckpoint(number: row["id"], size: UInt64(max(0, row["size"] as Int64)), root: root, note: row["note"], time: row["time"])
        }
    }

    /// The latest stored checkpoint.
    public func latestCheckpoint() throws(HyperwardError) -> StoredCheckpoint? {
        try read { db in
            try StateStore.checkpoints(db).last
        }
    }

    /// The ledger's frontier now: the latest checkpoint's, extended with the leaves after it.
    static func head(_ db: Database) throws -> MerkleFrontier {
        var frontier = MerkleFrontier()
        if let stored = try Data.fetchOne(db, sql: "SELECT frontier FROM ledger_checkpoints ORDER BY id DESC LIMIT 1") {
            guard let saved = MerkleFrontier(serialized: Array(stored)) else {
                throw HyperwardError(.corrupted, "the latest checkpoint's frontier is damaged (run `hyperward ledger verify`)")
            }
            frontier = saved
        }
        try StoredLeaves(db: db).forEachLeafHash(in: frontier.size..<UInt64(try Int64.fetchOne(db, sql: "SELECT coalesce(max(idx) + 1, 0) FROM ledger") ?? 0)) {
            frontier.append($0)
        }
        return frontier
    }

    /// The ledger's size and root now.
    public func ledgerHead() throws(HyperwardError) -> (size: UInt64, root: MerkleHash) {
        let frontier = try read { db in try StateStore.head(db) }
        return (frontier.size, frontier.root)
    }

    /// Signs a checkpoint of the ledger as it is and stores it, in one transaction.
    /// - Parameter onlyIfChanged: sign nothing (return `nil`) when the latest checkpoint already
    ///   has the ledger's size.
    /// - Returns: the checkpoint stored.
    /// - Throws: `.storage` or `.corrupted` from the store, the signer's errors.
    @discardableResult
    public func signCheckpoint(with signer: NoteSigner, time: String = Event.timestamp(), onlyIfChanged: Bool = false) throws(HyperwardError) -> StoredCheckpoint? {
        try write { db in
            let last = try Int64.fetchOne(db, sql: "SELECT size FROM ledger_checkpoints ORDER BY id DESC LIMIT 1")
            let frontier = try StateStore.head(db)
            if onlyIfChanged, let last, UInt64(last) == frontier.size { return nil }
            let checkpoint = Checkpoint(origin: signer.verifier.name, size: frontier.size, root: frontier.root)
            let note = try signer.sign(checkpoint.text).serialized
            try db.execute(sql: "INSERT INTO ledger_checkpoints (size, root, note, time, frontier) VALUES (?, ?, ?, ?, ?)",
                           arguments: [Int64(frontier.size), Data(frontier.root.bytes), note, time, Data(frontier.serialized)])
            return StoredCheckpoint(number: db.lastInsertedRowID, size: frontier.size, root: frontier.root, note: note, time: time)
        }
    }

    /// The ledger index of the event with `eventID`.
    static func index(ofEvent eventID: String, _ db: Database) throws -> UInt64 {
        var row = try Int64.fetchOne(db, sql: "SELECT id FROM events WHERE event_id = ?", arguments: [eventID])
        if row == nil, eventID.hasPrefix("00000000-0000-8000-8000-"), let number = Int64(eventID.suffix(12), radix: 16) {
            row = try Int64.fetchOne(db, sql: "SELECT id FROM events WHERE id = ? AND event_id IS NULL", arguments: [number])
        }
        guard let row else { throw HyperwardError(.unknownItem, "no event with id \(eventID) in the store") }
        guard let index = try Int64.fetchOne(db, sql: "SELECT idx FROM ledger WHERE event_row = ?", arguments: [row]) else {
            throw HyperwardError(.corrupted, "the event \(eventID) (row \(row)) is not in the ledger (run `hyperward ledger verify`)")
        }
        return UInt64(index)
    }

    /// An inclusion proof of the event `eventID` in the tree of `treeSize` entries (default: the
    /// latest checkpoint's size, else the ledger's).
    /// - Throws: `.unknownItem` for an unknown event, `.usage` for a size that does not hold it.
    public func inclusionProof(eventID: String, treeSize: UInt64? = nil) throws(HyperwardError) -> LedgerInclusion {
        try read { db in
            let index = try StateStore.index(ofEvent: eventID, db)
            let checkpoints = try StateStore.checkpoints(db)
            let ledgerSize = UInt64(try Int64.fetchOne(db, sql: "SELECT coalesce(max(idx) + 1, 0) FROM ledger") ?? 0)
            let size = treeSize ?? checkpoints.last.map(\.size) ?? ledgerSize
            guard size <= ledgerSize else { throw HyperwardError(.usage, "the ledger has \(ledgerSize) entries, not \(size)") }
            guard index < size else {
                throw HyperwardError(.usage, "the event \(eventID) is entry \(index), not in a tree of \(size) entries (sign a checkpoint, or give a larger --size)")
            }
            let source = StoredLeaves(db: db)
            let proof = try MerkleProof.inclusion(index: index, treeSize: size, source: source)
            let root = try MerkleProof.subtreeHash(0..<size, source)
            var data: [UInt8] = []
            var leaf = MerkleTree.emptyRoot
            var encoder = CanonicalEventEncoder()
            let row = try Int64.fetchOne(db, sql: "SELECT event_row FROM ledger WHERE idx = ?", arguments: [Int64(index)]) ?? -1
            try RawRows.forEachEventLeaf(db, from: row, encoder: &encoder) { _, hash, json in
                data = Array(json)
                leaf = hash
                return false
            }
            // The proof and the root come from the stored subtree hashes: check them against the
            // leaf and the signed root, so a damaged node is reported, never handed out.
            let checkpoint = checkpoints.last { $0.size == size }
            guard MerkleProof.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: proof, root: root).isValid,
                  checkpoint.map({ $0.root == root }) ?? true else {
                throw HyperwardError(.corrupted, "the ledger's stored hashes do not lead from entry \(index) to the root of size \(size) (run `hyperward ledger verify`)")
            }
            return LedgerInclusion(eventID: eventID, index: index, treeSize: size, leafData: data, leafHash: leaf, proof: proof, root: root,
                                   checkpoint: checkpoint?.note)
        }
    }

    /// A consistency proof between the trees of `oldSize` and `newSize` entries, with both roots.
    public func consistencyProof(oldSize: UInt64, newSize: UInt64) throws(HyperwardError) -> (proof: [MerkleHash], oldRoot: MerkleHash, newRoot: MerkleHash) {
        try read { db in
            let ledgerSize = UInt64(try Int64.fetchOne(db, sql: "SELECT coalesce(max(idx) + 1, 0) FROM ledger") ?? 0)
            guard newSize <= ledgerSize else { throw HyperwardError(.usage, "the ledger has \(ledgerSize) entries, not \(newSize)") }
            guard oldSize > 0, oldSize <= newSize else { throw HyperwardError(.usage, "a consistency proof needs 0 < OLD ≤ NEW (got \(oldSize) and \(newSize))") }
            let source = StoredLeaves(db: db)
            return (try MerkleProof.consistency(oldSize: oldSize, newSize: newSize, source: source),
                    try MerkleProof.subtreeHash(0..<oldSize, source), try MerkleProof.subtreeHash(0..<newSize, source))
        }
    }
}
