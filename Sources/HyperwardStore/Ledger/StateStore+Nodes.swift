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

/// The hashes of the ledger's complete subtrees of 256 leaves and more (`ledger_nodes`), stored
/// as they complete, in the transaction that completes them: a proof or a root at any size then
/// reads O(log n) stored hashes and at most 255 leaves per level below, instead of every leaf.
///
/// Node (level L, index i) is the root of the perfect subtree of leaves i·2^L ..< (i+1)·2^L.
/// Only levels ≥ ``nodeLevel`` are kept: about one row per 128 leaves. The nodes are a cache of
/// what the leaves determine: a damaged one makes a proof that does not lead to the signed root,
/// and `inclusionProof` checks its root against the checkpoint's before returning it.
extension StateStore {
    /// The lowest level stored: subtrees of 256 leaves.
    static let nodeLevel = 8

    static func createLedgerNodes(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE ledger_nodes (
                level INTEGER NOT NULL CHECK (level >= \(nodeLevel) AND level < 64),
                idx INTEGER NOT NULL CHECK (idx >= 0),
                hash BLOB NOT NULL CHECK (typeof(hash) = 'blob' AND length(hash) = 32),
                PRIMARY KEY (level, idx)
            ) WITHOUT ROWID;
            CREATE TRIGGER ledger_nodes_no_update BEFORE UPDATE ON ledger_nodes
                BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
            CREATE TRIGGER ledger_nodes_no_delete BEFORE DELETE ON ledger_nodes
                BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
            """)
        // The nodes of the leaves already there, in one pass: a stack of perfect subtrees, as
        // in MerkleFrontier, emitting each one of a stored level as it completes.
        let insert = try db.makeStatement(sql: "INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)")
        var stack: [(level: Int, hash: MerkleHash)] = []
        var count: UInt64 = 0
        try RawRows.forEachLedgerRow(db) { index, _, leaf in
            guard index == count, let leaf else {
                throw HyperwardError(.corrupted, "the ledger has no valid leaf at index \(count) (run `hyperward ledger verify`)")
            }
            count += 1
            var top = (level: 0, hash: leaf)
            while let last = stack.last, last.level == top.level {
                stack.removeLast()
                top = (top.level + 1, MerkleTree.nodeHash(last.hash, top.hash))
                if top.level >= nodeLevel {
                    try insert.execute(arguments: [top.level, Int64(count >> UInt64(top.level)) - 1, Data(top.hash.bytes)])
                }
            }
            stack.append(top)
            return true
        }
    }

    /// Stores the nodes that the leaves at `appended` complete (called in their transaction).
    static func storeCompletedNodes(_ db: Database, appended: Range<UInt64>) throws {
        let groupSize = UInt64(1) << UInt64(nodeLevel)
        var end = (appended.lowerBound / groupSize + 1) * groupSize
        while end <= appended.upperBound {
            var index = end / groupSize - 1
            var level = nodeLevel
            var hash = try StoredLeaves(db: db).leafSubtreeHash((end - groupSize)..<end)
            try insertNode(db, level: level, index: index, hash: hash)
            // A right child completes its parent, whose left sibling is stored already.
            while index & 1 == 1 {
                hash = MerkleTree.nodeHash(try perfectHash(db, level: level, index: index - 1), hash)
                index >>= 1
                level += 1
                try insertNode(db, level: level, index: index, hash: hash)
            }
            end += groupSize
        }
    }

    static func insertNode(_ db: Database, level: Int, index: UInt64, hash: MerkleHash) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)")
        try statement.execute(arguments: [level, Int64(index), Data(hash.bytes)])
    }

    /// The root of the perfect subtree of leaves index·2^level ..< (index+1)·2^level: stored, or
    /// (for a level below the stored ones, or a node missing) computed from what is below it.
    static func perfectHash(_ db: Database, level: Int, index: UInt64) throws -> MerkleHash {
        let first = index << UInt64(level)
        guard level >= nodeLevel else {
            return try StoredLeaves(db: db).leafSubtreeHash(first..<first + (UInt64(1) << UInt64(level)))
        }
        let statement = try db.cachedStatement(sql: "SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?")
        if let data = try Data.fetchOne(statement, arguments: [level, Int64(index)]) {
            guard let hash = MerkleHash(bytes: data) else {
                throw HyperwardError(.corrupted, "the ledger's node \(level)/\(index) is not 32 bytes (run `hyperward ledger verify`)")
            }
            return hash
        }
        return MerkleTree.nodeHash(try perfectHash(db, level: level - 1, index: index * 2), try perfectHash(db, level: level - 1, index: index * 2 + 1))
    }
}

extension StoredLeaves {
    /// MTH of `range` from its leaves only.
    func leafSubtreeHash(_ range: Range<UInt64>) throws -> MerkleHash {
        var frontier = MerkleFrontier()
        try forEachLeafHash(in: range) { frontier.append($0) }
        return frontier.root
    }

    /// MTH of `range` from the stored nodes when the range starts where RFC 9162's recursion
    /// puts every range (at a multiple of a power of two ≥ its length): its binary
    /// decomposition into perfect subtrees, largest first, folded from the right.
    func subtreeHash(_ range: Range<UInt64>) throws -> MerkleHash {
        let n = UInt64(range.count)
        guard n > 0 else { return MerkleTree.emptyRoot }
        let span = n == 1 ? 1 : UInt64(1) << UInt64(64 - (n - 1).leadingZeroBitCount)
        // A store opened read-only may predate `v5-ledger-nodes`: its leaves are all there is.
        guard range.lowerBound % span == 0, try db.tableExists("ledger_nodes") else { return try leafSubtreeHash(range) }
        var pieces: [MerkleHash] = []
        var position = range.lowerBound
        var remaining = n
        while remaining > 0 {
            let level = 63 - remaining.leadingZeroBitCount
            pieces.append(try StateStore.perfectHash(db, level: level, index: position >> UInt64(level)))
            position += UInt64(1) << UInt64(level)
            remaining -= UInt64(1) << UInt64(level)
        }
        var root = pieces.removeLast()
        while let left = pieces.popLast() { root = MerkleTree.nodeHash(left, root) }
        return root
    }
}
