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
import HyperwardCore
import Ledger
import Testing

@testable import HyperwardStore

@Suite("Ledger in the state store (SQLite on disk)")
struct LedgerStoreTests {
    let directory = FileManager.default.temporaryDirectory.path + "/hw-ledger-\(UUID().uuidString)"
    let signer = try! NoteSigner(name: "hyperward.local/test/ledger", key: Curve25519.Signing.PrivateKey())

    func events(_ count: Int, from start: Int = 0) -> [Event] {
        (start..<start + count).map { (i: Int) -> Event in
            let evidence: [EventEvidence] = i % 2 == 0
                ? [EventEvidence(kind: "probes", value: "\(i)"), EventEvidence(kind: "memory", path: "/x", sha256: String(repeating: "0", count: 64), bytes: 12)]
                : []
            let body = "{\"z\":\(i),\"a\":[1,2,{\"y\":null,\"b\":\"\\u00e9\"}]}"
            let vm: String? = i % 3 == 0 ? "vm\(i)" : nil
            return Event(time: Event.timestamp(), kind: "alert.port-scan", engine: .sense, subject: "s\(i)", vm: vm,
                         severity: .high, threat: .networkThreat, summary: "event \(i) \"quoted\" é", evidence: evidence, body: body)
        }
    }

    /// A store with `count` events and a checkpoint after every `every`.
    func filledStore(_ count: Int, checkpointEvery every: Int) throws -> StateStore {
        let store = try StateStore(stateDirectory: directory)
        var done = 0
        while done < count {
            let batch = min(every, count - done)
            try store.append(events(batch, from: done))
            done += batch
            try store.signCheckpoint(with: signer)
        }
        return store
    }

    /// An attacker's connection: foreign keys off and the append-only triggers dropped.
    func tamper(_ store: StateStore, _ sql: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: store.path, configuration: configuration)
        try queue.write { db in
            for trigger in ["events_no_update", "events_no_delete", "ledger_no_update", "ledger_no_delete", "ledger_contiguous"] {
                try db.execute(sql: "DROP TRIGGER IF EXISTS \(trigger)")
            }
            try db.execute(sql: sql)
        }
        try queue.close()
    }

    func failure(_ store: StateStore) throws -> LedgerFailure? {
        try store.verifyLedger(verifier: signer.verifier).failure
    }

    @Test func everyAppendedEventHasItsLeafAndTheLedgerVerifies() throws {
        let store = try filledStore(50, checkpointEvery: 7)
        #expect(try store.ledgerSize() == 50)
        let result = try store.verifyLedger(verifier: signer.verifier)
        #expect(result.isValid, "\(String(describing: result.failure))")
        #expect(result.entries == 50)
        #expect(result.checkpointsChecked == 8)
        // The stored leaves are the leaves of the events as given (the Event path of the encoder)
        // and the root is the definition's over them.
        let read = try store.events(limit: 100)
        var encoder = CanonicalEventEncoder()
        let leaves = read.map { encoder.encode($0) }
        #expect(result.root == MerkleTree.root(of: leaves))
        #expect(try store.latestCheckpoint()?.root == result.root)
    }

    @Test func checkpointsAreSignedOnlyWhenAskedOrChanged() throws {
        let store = try filledStore(3, checkpointEvery: 3)
        #expect(try store.signCheckpoint(with: signer, onlyIfChanged: true) == nil)
        try store.append(events(1, from: 3))
        let checkpoint = try #require(try store.signCheckpoint(with: signer, onlyIfChanged: true))
        #expect(checkpoint.size == 4)
        let note = try SignedNote(parsing: checkpoint.note)
        #expect(signer.verifier.verify(note) == .valid)
        #expect(try Checkpoint(text: note.text).root == checkpoint.root)
    }

    @Test func proofsFromTheStoreVerify() throws {
        let store = try filledStore(37, checkpointEvery: 37)
        let all = try store.events(limit: 100)
        let checkpoint = try #require(try store.latestCheckpoint())
        for (i, event) in all.enumerated() {
            let inclusion = try store.inclusionProof(eventID: event.id)
            #expect(inclusion.index == UInt64(i))
            #expect(inclusion.root == checkpoint.root)
            #expect(inclusion.leafHash == MerkleTree.leafHash(inclusion.leafData))
            #expect(inclusion.proof.count <= MerkleTree.maximumProofLength(treeSize: 37))
            #expect(MerkleProof.verifyInclusion(leafHash: inclusion.leafHash, index: inclusion.index, treeSize: 37, proof: inclusion.proof, root: checkpoint.root) == .valid)
        }
        let consistency = try store.consistencyProof(oldSize: 5, newSize: 37)
        #expect(MerkleProof.verifyConsistency(oldSize: 5, newSize: 37, oldRoot: consistency.oldRoot, newRoot: consistency.newRoot, proof: consistency.proof) == .valid)
        #expect(throws: HyperwardError.self) { try store.inclusionProof(eventID: "no-such-event") }
    }

    @Test func existingEventsAreBackfilledInRowOrder() throws {
        // A store at v3 with a row from before the envelope and two envelope events.
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + StateStore.fileName
        let queue = try DatabaseQueue(path: path)
        try StateStore.migrator.migrate(queue, upTo: "v3-event-envelope")
        try queue.write { db in
            try db.execute(sql: "INSERT INTO events (time, kind, engine, message, data) VALUES ('2025-01-01T00:00:00.000Z', 'audit.run', 'audit', 'old', '{\"b\":1,\"a\":2}')")
        }
        try queue.close()
        let early = events(2)
        do {
            let old = try DatabaseQueue(path: path)
            try old.write { db in
                for e in early {
                    try db.execute(sql: "INSERT INTO events (event_id, time, host, kind, engine, subject, vm, interface, severity, threat, message, evidence, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                                   arguments: [e.id, e.time, e.host, e.kind, e.engine.rawValue, e.subject, e.vm, e.interface, e.severity?.rawValue, e.threat?.rawValue, e.summary, e.body])
                }
            }
            try old.close()
        }
        let store = try StateStore(stateDirectory: directory)
        #expect(try store.ledgerSize() == 3)
        try store.append(events(2, from: 10))
        try store.signCheckpoint(with: signer)
        #expect(try store.verifyLedger(verifier: signer.verifier).isValid)
        // The legacy row's leaf is its envelope's (derived id, summary and body from message and data).
        let legacy = try #require(try store.events(limit: 10).first)
        #expect(legacy.id == StateStore.legacyID(row: 1))
        var encoder = CanonicalEventEncoder()
        let proof = try store.inclusionProof(eventID: legacy.id)
        #expect(proof.leafHash == encoder.encode(legacy))
    }

    @Test func aChangedEventIsNamedByItsIndex() throws {
        let store = try filledStore(30, checkpointEvery: 10)
        try tamper(store, "UPDATE events SET message = 'nothing happened' WHERE id = 13")
        let failure = try #require(try failure(store))
        #expect(failure.firstBadIndex == 12)
        #expect(failure.message.contains("entry 12"))
    }

    /// Leaves are derived in batches on a second thread (EventLeafCursor): a change in a later
    /// batch, at a batch's first row, and one early while later batches are still in flight are
    /// named as the single-thread walk named them, and a clean store still verifies.
    @Test(arguments: [(nil, nil), ("UPDATE events SET message = 'x' WHERE id = 4", 3),
                      ("UPDATE events SET message = 'x' WHERE id = \(EventLeafCursor.batchSize + 1)", EventLeafCursor.batchSize),
                      ("DELETE FROM events WHERE id = \(2 * EventLeafCursor.batchSize + 51)", 2 * EventLeafCursor.batchSize + 50),
                      ("UPDATE ledger SET leaf = zeroblob(32) WHERE idx = \(2 * EventLeafCursor.batchSize + 99)", 2 * EventLeafCursor.batchSize + 99)] as [(String?, Int?)])
    func changesAcrossLeafBatchesAreNamed(sql: String?, firstBadIndex: Int?) throws {
        let count = 2 * EventLeafCursor.batchSize + 100
        let store = try filledStore(count, checkpointEvery: count / 3 + 1)
        if let sql { try tamper(store, sql) }
        let result = try store.verifyLedger(verifier: signer.verifier)
        #expect(result.failure?.firstBadIndex == firstBadIndex.map(UInt64.init))
        if firstBadIndex == nil { #expect(result.entries == UInt64(count)) }
    }

    @Test func aChangedLeafIsNamed() throws {
        let store = try filledStore(30, checkpointEvery: 10)
        try tamper(store, "UPDATE ledger SET leaf = zeroblob(32) WHERE idx = 21")
        #expect(try failure(store)?.firstBadIndex == 21)
    }

    @Test func aDeletedEventIsNamed() throws {
        let store = try filledStore(30, checkpointEvery: 10)
        try tamper(store, "DELETE FROM events WHERE id = 8")
        #expect(try failure(store)?.firstBadIndex == 7)
    }

    @Test func aDeletedEntryIsNamed() throws {
        let store = try filledStore(30, checkpointEvery: 10)
        try tamper(store, "DELETE FROM ledger WHERE idx = 4")
        #expect(try failure(store)?.firstBadIndex == 4)
    }

    @Test func aDeletedEventWithItsEntryAndRenumberedIndicesIsNamed() throws {
        let store = try filledStore(30, checkpointEvery: 10)
        try tamper(store, "DELETE FROM events WHERE id = 6; DELETE FROM ledger WHERE idx = 5; UPDATE ledger SET idx = idx - 1 WHERE idx > 5")
        #expect(try failure(store)?.firstBadIndex == 5)
    }

    @Test func anInsertedEventIsNamed() throws {
        let store = try filledStore(30, checkpointEvery: 10)
        try tamper(store, "INSERT INTO events (event_id, time, kind, engine, message) VALUES ('11111111-1111-4111-8111-111111111111', '2026-01-01T00:00:00.000Z', 'k', 'audit', 'forged')")
        let failure = try #require(try failure(store))
        #expect(failure.firstBadIndex == 30)
        #expect(failure.message.contains("not in the ledger"))
    }

    @Test func reorderedEventsAreNamed() throws {
        let store = try filledStore(30, checkpointEvery: 10)
        // Swap the contents of rows 16 and 17 (through a spare row).
        try tamper(store, """
            UPDATE events SET id = 1000 WHERE id = 16; UPDATE events SET id = 16 WHERE id = 17; UPDATE events SET id = 17 WHERE id = 1000;
            """)
        #expect(try failure(store)?.firstBadIndex == 15)
    }

    @Test func aConsistentRewriteIsLocalisedBetweenCheckpoints() throws {
        let store = try filledStore(30, checkpointEvery: 10)
        // Change event row 14 and recompute its leaf: every event matches its leaf.
        try tamper(store, "UPDATE events SET message = 'rewritten' WHERE id = 14")
        var forged: [UInt8] = []
        try DatabaseQueue(path: store.path).read { db in
            var encoder = CanonicalEventEncoder()
            try RawRows.forEachEventLeaf(db, from: 14, encoder: &encoder) { _, leaf, _ in
                forged = leaf.bytes
                return false
            }
        }
        try tamper(store, "UPDATE ledger SET leaf = x'\(forged.map { String(format: "%02x", $0) }.joined())' WHERE idx = 13")
        let failure = try #require(try failure(store))
        #expect(failure.firstBadIndex == 10)
        #expect(failure.range == 10..<20)
        #expect(failure.message.contains("cannot be told closer"))
    }

    @Test func aTruncatedTailIsNamedByTheCheckpointThatSawIt() throws {
        let store = try filledStore(30, checkpointEvery: 10)
        try tamper(store, "DELETE FROM events WHERE id > 25; DELETE FROM ledger WHERE idx >= 25")
        let failure = try #require(try failure(store))
        #expect(failure.firstBadIndex == 25)
        #expect(failure.message.contains("deleted"))
    }

    @Test func aCheckpointFromOutsideCatchesARewriteAfterTheStoresOwnWereDeleted() throws {
        let store = try filledStore(30, checkpointEvery: 30)
        let held = try SignedNote(parsing: try #require(try store.latestCheckpoint()).note)
        try tamper(store, "DROP TRIGGER IF EXISTS ledger_checkpoints_no_delete; DELETE FROM ledger_checkpoints")
        try tamper(store, "DELETE FROM ledger WHERE idx >= 20; DELETE FROM events WHERE id > 20")
        // The store alone now looks consistent: twenty events, their leaves, no checkpoint.
        #expect(try store.verifyLedger(verifier: signer.verifier).isValid)
        let failure = try #require(try store.verifyLedger(verifier: signer.verifier, checkpoints: [held]).failure)
        #expect(failure.firstBadIndex == 20)
    }

    @Test func aCheckpointWithABadSignatureFails() throws {
        let store = try filledStore(5, checkpointEvery: 5)
        let other = try NoteSigner(name: signer.verifier.name, key: Curve25519.Signing.PrivateKey())
        let failure = try #require(try store.verifyLedger(verifier: other.verifier).failure)
        #expect(failure.firstBadIndex == nil)
        #expect(failure.message.contains("checkpoint #1"))
    }
}
