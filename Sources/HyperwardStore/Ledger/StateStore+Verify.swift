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

/// What a ledger verification found.
public struct LedgerVerification: Sendable {
    /// The entries checked (all of them when it passed).
    public var entries: UInt64
    /// The root of those entries, re-derived from the events.
    public var root: MerkleHash
    /// The signed checkpoints whose roots were compared (the store's and those given).
    public var checkpointsChecked: Int
    /// Whether the checkpoints' signatures were checked (a verifier key was given).
    public var signaturesChecked: Bool
    /// The first problem, `nil` when everything checked.
    public var failure: LedgerFailure?

    /// Whether everything checked.
    public var isValid: Bool { failure == nil }
}

/// The first problem a verification found.
public struct LedgerFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The first ledger index that is not as it was appended; `nil` for a problem with a
    /// checkpoint itself (a signature that does not verify).
    public var firstBadIndex: UInt64?
    /// When the change could only be localised between two checkpoints: the indices it lies in.
    public var range: Range<UInt64>?
    /// What is wrong, and what it means.
    public var message: String

    public var description: String { message }
}

/// A checkpoint to compare the re-derived root with.
struct CheckpointTarget {
    var label: String
    var size: UInt64
    var root: MerkleHash
}

extension StateStore {
    /// Verifies the ledger against the events as stored: each event's leaf re-derived from its
    /// row (canonical JSON → leaf hash) and compared with the stored leaf, the indices contiguous
    /// and in event-row order, every event in the ledger, and the root, computed incrementally,
    /// compared with every stored checkpoint and every one given — each signature checked with
    /// `verifier` when one is given.
    ///
    /// A failed check is the result's `failure`, naming the first bad index; it throws only when
    /// the store cannot be read or has no ledger (`.notFound`).
    public func verifyLedger(verifier: NoteVerifier?, checkpoints given: [SignedNote] = []) throws(HyperwardError) -> LedgerVerification {
        try read { db in
            guard try db.tableExists("ledger"), try db.tableExists("ledger_checkpoints") else {
                throw HyperwardError(.notFound, "the state store \(path) has no ledger yet (any command that records an event adds it)")
            }
            var result = LedgerVerification(entries: 0, root: MerkleTree.emptyRoot, checkpointsChecked: 0, signaturesChecked: verifier != nil)
            var targets: [CheckpointTarget] = []
            for stored in try StateStore.checkpoints(db) {
                let label = "checkpoint #\(stored.number)"
                switch StateStore.target(label, note: stored.note, verifier: verifier) {
                case .failure(let failure):
                    result.failure = failure
                    return result
                case .success(let target):
                    guard target.size == stored.size, target.root == stored.root else {
                        result.failure = LedgerFailure(message: "\(label): its size and root columns are not those its signed note holds: the record was altered")
                        return result
                    }
                    targets.append(target)
                }
            }
            for (i, note) in given.enumerated() {
                switch StateStore.target(given.count == 1 ? "the given checkpoint" : "given checkpoint \(i + 1)", note: note.serialized, verifier: verifier) {
                case .failure(let failure):
                    result.failure = failure
                    return result
                case .success(let target): targets.append(target)
                }
            }
            result.checkpointsChecked = targets.count
            result.failure = try StateStore.walk(db, targets: targets, result: &result)
            return result
        }
    }

    static func target(_ label: String, note text: String, verifier: NoteVerifier?) -> Result<CheckpointTarget, LedgerFailure> {
        let note: SignedNote
        let checkpoint: Checkpoint
        do {
            note = try SignedNote(parsing: text)
            checkpoint = try Checkpoint(text: note.text)
        } catch {
            return .failure(LedgerFailure(message: "\(label) is not a signed checkpoint: \(error.message)"))
        }
        if let verifier {
            guard checkpoint.origin == verifier.name else {
                return .failure(LedgerFailure(message: "\(label) is of the log \(checkpoint.origin), not \(verifier.name)"))
            }
            if case .invalid(let reason) = verifier.verify(note) {
                return .failure(LedgerFailure(message: "\(label) (size \(checkpoint.size)): \(reason)"))
            }
        }
        return .success(CheckpointTarget(label: label, size: checkpoint.size, root: checkpoint.root))
    }

    /// The merge of the events (in row order, leaves re-derived) with the ledger (in index order).
    static func walk(_ db: Database, targets: [CheckpointTarget], result: inout LedgerVerification) throws -> LedgerFailure? {
        // The checkpoints by size, ascending: the walk compares the next one's size with its
        // index instead of looking each index up.
        let bySize = Dictionary(grouping: targets, by: \.size)
        let sizes = bySize.keys.filter { $0 > 0 }.sorted()
        var nextSize = 0
        let events = try EventLeafCursor(db)
        let ledger = try LedgerCursor(db)
        var frontier = MerkleFrontier()
        var index: UInt64 = 0
        var lastMatched: (size: UInt64, label: String) = (0, "the empty tree")
        var previousRow: Int64 = 0
        var event = try events.next()
        var entry = try ledger.next()
        defer {
            result.entries = frontier.size
            result.root = frontier.root
        }
        while event != nil || entry != nil {
            guard let e = event else {
                guard let e = entry else { break }
                return LedgerFailure(firstBadIndex: index, message: "entry \(e.index) names event row \(e.row), which does not exist: the event was deleted")
            }
            guard let l = entry else {
                return LedgerFailure(firstBadIndex: index, message: "event row \(e.row) is not in the ledger, which ends at \(index) entries: an event inserted without its leaf, or the ledger's last entries deleted")
            }
            guard l.index == index else {
                return LedgerFailure(firstBadIndex: index, message: "entry \(index) is missing (the next one stored is \(l.index)): a ledger entry was deleted")
            }
            if e.row != previousRow + 1 {
                // Event rows are numbered without gaps (AUTOINCREMENT, and a rolled-back insert
                // takes its number back): a gap is a deleted row, even one whose entry was
                // deleted and the indices renumbered.
                return LedgerFailure(firstBadIndex: index, message: "event rows \(previousRow + 1)…\(e.row - 1) are missing before entry \(index): events deleted")
            }
            guard l.row == e.row else {
                if l.row > e.row {
                    return LedgerFailure(firstBadIndex: index, message: "event row \(e.row) is not in the ledger (entry \(index) names row \(l.row)): an event inserted after the fact")
                }
                return LedgerFailure(firstBadIndex: index, message: "entry \(index) names event row \(l.row), which is not there (the next event row is \(e.row)): the event was deleted or the entries reordered")
            }
            guard let stored = l.leaf else {
                return LedgerFailure(firstBadIndex: index, message: "entry \(index) has no 32-byte leaf hash: the entry was altered")
            }
            guard stored == e.leaf else {
                return LedgerFailure(firstBadIndex: index, message: "entry \(index) (event row \(e.row)): the event as stored does not hash to its leaf: the event or its leaf was changed")
            }
            frontier.append(e.leaf)
            previousRow = e.row
            index += 1
            if nextSize < sizes.count, sizes[nextSize] == index, let checks = bySize[index] {
                nextSize += 1
                let root = frontier.root
                for check in checks where check.root != root {
                    return LedgerFailure(
                        firstBadIndex: lastMatched.size, range: lastMatched.size..<index,
                        message: "the root of the first \(index) entries is not the one \(check.label) signed, although every event matches its leaf: "
                            + "entries \(lastMatched.size)…\(index - 1) were rewritten consistently (events and leaves recomputed, or reordered, or some deleted and the rest renumbered); "
                            + "the first bad index lies in that range (between \(lastMatched.label), size \(lastMatched.size), and \(check.label), size \(index)) and cannot be told closer from the store alone")
                }
                lastMatched = (index, checks[0].label)
            }
            event = try events.next()
            entry = try ledger.next()
        }
        if let beyond = targets.filter({ $0.size > index }).min(by: { $0.size < $1.size }) {
            return LedgerFailure(firstBadIndex: index, message: "\(beyond.label) signed \(beyond.size) entries but the ledger has \(index): entries \(index)…\(beyond.size - 1) (and their events) were deleted")
        }
        return nil
    }
}
