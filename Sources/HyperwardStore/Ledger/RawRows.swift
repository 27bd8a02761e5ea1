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


import GRDB
import GRDBSQLite
import HyperwardCore
import Ledger

/// Reading the events and the ledger with the SQLite C API: millions of rows are verified, and
/// building a GRDB `Row` (and Swift strings) for each would cost more than hashing it.
enum RawRows {
    /// The event columns the leaf is derived from, in this order.
    static let eventColumns = "id, event_id, time, host, engine, kind, severity, subject, vm, interface, threat, message, evidence, data"

    static func text(_ s: OpaquePointer, _ i: Int32) -> UnsafeRawBufferPointer? {
        // sqlite3_column_text is NULL for SQL NULL (and for an empty value or out of memory, which
        // the type tells apart), so the type is asked only then: one call less for each column.
        guard let pointer = sqlite3_column_text(s, i) else {
            guard sqlite3_column_type(s, i) != SQLITE_NULL else { return nil }
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(s, i)))
    }

    static func step(_ s: OpaquePointer, _ db: Database) throws -> Bool {
        let code = sqlite3_step(s)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }

    /// Calls `body` with each event row's number and its leaf hash (the canonical JSON of the
    /// row as stored), in row order, from `firstRow` on.
    static func forEachEventLeaf(_ db: Database, from firstRow: Int64 = 0, encoder: inout CanonicalEventEncoder,
                                 _ body: (Int64, MerkleHash, ArraySlice<UInt8>) throws -> Bool) throws {
        let statement = try db.makeStatement(sql: "SELECT \(eventColumns) FROM events WHERE id >= ? ORDER BY id")
        let s = statement.sqliteStatement
        sqlite3_bind_int64(s, 1, firstRow)
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        while try step(s, db) {
            let row = sqlite3_column_int64(s, 0)
            let leaf: MerkleHash
            if let id = text(s, 1) {
                leaf = encoder.encode(columns(s, id: id, empty: empty))
            } else {
                // A row from before the envelope: its derived id (StateStore.legacyID).
                var legacy = StateStore.legacyID(row: row)
                leaf = legacy.withUTF8 { encoder.encode(columns(s, id: UnsafeRawBufferPointer($0), empty: empty)) }
            }
            guard try body(row, leaf, encoder.json) else { return }
        }
    }

    static func columns(_ s: OpaquePointer, id: UnsafeRawBufferPointer, empty: UnsafeRawBufferPointer) -> EventColumns {
        EventColumns(id: id, time: text(s, 2) ?? empty, host: text(s, 3), engine: text(s, 4) ?? empty, kind: text(s, 5) ?? empty,
                     severity: text(s, 6), subject: text(s, 7), vm: text(s, 8), interface: text(s, 9), threat: text(s, 10),
                     summary: text(s, 11) ?? empty, evidence: text(s, 12), body: text(s, 13))
    }

    /// The canonical JSON of each event row in order (for export), with its row number.
    static func forEachEventJSON(_ db: Database, limit: Int64, _ body: (Int64, ArraySlice<UInt8>) throws -> Void) throws {
        var encoder = CanonicalEventEncoder()
        var seen: Int64 = 0
        try forEachEventLeaf(db, encoder: &encoder) { row, _, json in
            guard seen < limit else { return false }
            seen += 1
            try body(row, json)
            return true
        }
    }

    /// The ledger's rows in index order from `first`: index, event row, stored leaf (`nil` when
    /// the stored value is not 32 bytes).
    static func forEachLedgerRow(_ db: Database, from first: UInt64 = 0, below end: UInt64 = UInt64(Int64.max),
                                 _ body: (UInt64, Int64, MerkleHash?) throws -> Bool) throws {
        let statement = try db.makeStatement(sql: "SELECT idx, event_row, leaf FROM ledger WHERE idx >= ? AND idx < ? ORDER BY idx")
        let s = statement.sqliteStatement
        sqlite3_bind_int64(s, 1, Int64(clamping: first))
        sqlite3_bind_int64(s, 2, Int64(clamping: end))
        while try step(s, db) {
            let index = UInt64(bitPattern: sqlite3_column_int64(s, 0))
            let row = sqlite3_column_int64(s, 1)
            var leaf: MerkleHash?
            if sqlite3_column_type(s, 2) == SQLITE_BLOB, sqlite3_column_bytes(s, 2) == 32, let pointer = sqlite3_column_blob(s, 2) {
                leaf = MerkleHash(bytes: UnsafeRawBufferPointer(start: pointer, count: 32))
            }
            guard try body(index, row, leaf) else { return }
        }
    }
}

/// The ledger's stored leaf hashes as a proof source (inside one read transaction).
struct StoredLeaves: LeafHashSource {
    let db: Database

    func forEachLeafHash(in range: Range<UInt64>, _ body: (MerkleHash) throws -> Void) throws {
        var expected = range.lowerBound
        try RawRows.forEachLedgerRow(db, from: range.lowerBound, below: range.upperBound) { index, _, leaf in
            guard index == expected, let leaf else {
                throw HyperwardError(.corrupted, "the ledger has no valid leaf at index \(expected) (run `hyperward ledger verify`)")
            }
            try body(leaf)
            expected += 1
            return true
        }
        guard expected == range.upperBound else {
            throw HyperwardError(.corrupted, "the ledger ends at index \(expected), before \(range.upperBound)")
        }
    }
}

/// The ledger's rows in index order (pull-style).
final class LedgerCursor {
    let statement: Statement
    let db: Database

    init(_ db: Database) throws {
        self.db = db
        statement = try db.makeStatement(sql: "SELECT idx, event_row, leaf FROM ledger ORDER BY idx")
    }

    func next() throws -> (index: UInt64, row: Int64, leaf: MerkleHash?)? {
        let s = statement.sqliteStatement
        guard try RawRows.step(s, db) else { return nil }
        var leaf: MerkleHash?
        if sqlite3_column_type(s, 2) == SQLITE_BLOB, sqlite3_column_bytes(s, 2) == 32, let pointer = sqlite3_column_blob(s, 2) {
            leaf = MerkleHash(bytes: UnsafeRawBufferPointer(start: pointer, count: 32))
        }
        return (UInt64(bitPattern: sqlite3_column_int64(s, 0)), sqlite3_column_int64(s, 1), leaf)
    }
}
