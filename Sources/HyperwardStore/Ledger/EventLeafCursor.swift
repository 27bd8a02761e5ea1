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
import GRDBSQLite
import Ledger

/// The event rows in row order, each with its re-derived leaf hash (pull-style, for the
/// verifier's merge with the ledger's rows).
///
/// Deriving a leaf (canonical JSON, then SHA-256) costs about what reading the row does, so the
/// two run on two cores: this thread, which owns the connection, steps the statement and copies
/// each batch of rows' column bytes out of SQLite; a worker thread encodes and hashes them while
/// the next batch is read and the previous one merged. The rows come out in the same order, and
/// an error reading a row is thrown only when the cursor reaches it, so the verifier sees exactly
/// what a one-thread cursor would show it.
final class EventLeafCursor {
    /// Rows per batch: large enough that handing over costs nothing, small enough that the first
    /// bad index of a tampered store is found without deriving much past it.
    static let batchSize = 2048
    /// Batches read ahead of the one being merged.
    static let readAhead = 2

    let statement: Statement
    let db: Database
    let raw = BatchChannel<EventRowBatch>(capacity: EventLeafCursor.readAhead)
    let derived = BatchChannel<EventLeafBatch>(capacity: EventLeafCursor.readAhead)
    let workerDone = DispatchSemaphore(value: 0)
    var isReadingDone = false
    var batchesInFlight = 0
    var current = EventLeafBatch(rows: [], leaves: [], error: nil)
    var position = 0

    init(_ db: Database) throws {
        self.db = db
        statement = try db.makeStatement(sql: "SELECT \(RawRows.eventColumns) FROM events ORDER BY id")
        let raw = raw, derived = derived, workerDone = workerDone
        let worker = Thread {
            var encoder = CanonicalEventEncoder()
            while let batch = raw.receive() {
                guard derived.send(batch.derive(&encoder)) else { break }
            }
            workerDone.signal()
        }
        worker.name = "ledger-verify-leaves"
        worker.start()
        for _ in 0..<EventLeafCursor.readAhead { readBatch() }
    }

    deinit {
        // Stops the worker when the walk ends early (a failure found, or an error), and waits for
        // it, so no thread outlives the read transaction's cursor.
        raw.close()
        derived.close()
        workerDone.wait()
    }

    /// Reads the next batch of rows and hands it to the worker (nothing once the rows ended).
    func readBatch() {
        guard !isReadingDone else { return }
        var batch = EventRowBatch()
        let s = statement.sqliteStatement
        do {
            while batch.rows.count < EventLeafCursor.batchSize {
                guard try RawRows.step(s, db) else {
                    isReadingDone = true
                    break
                }
                let row = sqlite3_column_int64(s, 0)
                batch.rows.append(row)
                if let id = RawRows.text(s, 1) {
                    batch.append(id)
                } else {
                    // A row from before the envelope: its derived id (StateStore.legacyID).
                    var legacy = StateStore.legacyID(row: row)
                    legacy.withUTF8 { batch.append(UnsafeRawBufferPointer($0)) }
                }
                for column in Int32(2)...13 { batch.append(RawRows.text(s, column)) }
            }
        } catch {
            batch.error = error
            isReadingDone = true
        }
        if raw.send(batch) { batchesInFlight += 1 }
    }

    func next() throws -> (row: Int64, leaf: MerkleHash)? {
        while position == current.rows.count {
            if let error = current.error {
                current.error = nil
                throw error
            }
            guard batchesInFlight > 0, let batch = derived.receive() else { return nil }
            batchesInFlight -= 1
            current = batch
            position = 0
            readBatch()
        }
        defer { position += 1 }
        return (current.rows[position], current.leaves[position])
    }
}

/// Event rows as read: their numbers, and the bytes of their 13 leaf columns (event id to data)
/// back to back, each column's start and length (-1 for NULL) in `spans`.
struct EventRowBatch: Sendable {
    static let columnCount = 13

    var rows: [Int64] = []
    var bytes: [UInt8] = []
    var spans: [Int] = []
    /// What stopped the reading after these rows, to be thrown after they are merged.
    var error: (any Error)?

    init() {
        rows.reserveCapacity(EventLeafCursor.batchSize)
        bytes.reserveCapacity(EventLeafCursor.batchSize * 512)
        spans.reserveCapacity(EventLeafCursor.batchSize * EventRowBatch.columnCount * 2)
    }

    mutating func append(_ column: UnsafeRawBufferPointer?) {
        guard let column else {
            spans.append(0)
            spans.append(-1)
            return
        }
        spans.append(bytes.count)
        spans.append(column.count)
        // As typed bytes the append is one memcpy (a raw buffer is appended byte by byte).
        column.withMemoryRebound(to: UInt8.self) { bytes.append(contentsOf: $0) }
    }

    /// The leaves of these rows (the worker's part).
    func derive(_ encoder: inout CanonicalEventEncoder) -> EventLeafBatch {
        var leaves: [MerkleHash] = []
        leaves.reserveCapacity(rows.count)
        bytes.withUnsafeBytes { all in
            spans.withUnsafeBufferPointer { spans in
                let empty = UnsafeRawBufferPointer(start: nil, count: 0)
                for r in 0..<rows.count {
                    let base = r * EventRowBatch.columnCount * 2
                    func column(_ c: Int) -> UnsafeRawBufferPointer? {
                        let count = spans[base + 2 * c + 1]
                        guard count >= 0 else { return nil }
                        let start = spans[base + 2 * c]
                        return UnsafeRawBufferPointer(rebasing: all[start..<start + count])
                    }
                    // As RawRows.columns maps the statement's columns 1…13.
                    leaves.append(encoder.encode(EventColumns(
                        id: column(0) ?? empty, time: column(1) ?? empty, host: column(2), engine: column(3) ?? empty,
                        kind: column(4) ?? empty, severity: column(5), subject: column(6), vm: column(7), interface: column(8),
                        threat: column(9), summary: column(10) ?? empty, evidence: column(11), body: column(12))))
                }
            }
        }
        return EventLeafBatch(rows: rows, leaves: leaves, error: error)
    }
}

/// Event rows with their derived leaves.
struct EventLeafBatch: Sendable {
    var rows: [Int64]
    var leaves: [MerkleHash]
    var error: (any Error)?
}
