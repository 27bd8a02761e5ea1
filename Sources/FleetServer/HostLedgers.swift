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

/// The server as a witness of every host's ledger: it holds each host's last accepted signed
/// checkpoint and its verifier key (pinned at the first), and accepts a new checkpoint only as a
/// consistent extension of the held one (`WitnessState.decide`). A host whose history was
/// rewritten (a smaller tree, another root for the same size, no consistency proof, another key)
/// is refused, and the refusal is a critical fleet alert in the host's events.
extension FleetDatabase {
    /// What the server holds of a host's ledger.
    public struct HeldCheckpoint: Sendable, Equatable {
        public var size: UInt64
        public var root: String
        public var verifierKey: String
        public var updatedAt: String
    }

    /// The checkpoint held for `host`, if any.
    public func heldCheckpoint(host: String) throws(HyperwardError) -> HeldCheckpoint? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT size, root, verifier_key, updated_at FROM host_ledgers WHERE host = ?", arguments: [host]).map {
                HeldCheckpoint(size: UInt64($0["size"] as Int64), root: $0["root"], verifierKey: $0["verifier_key"], updatedAt: $0["updated_at"])
            }
        }
    }

    /// The outcome of offering a checkpoint.
    public enum CheckpointDecision: Sendable, Equatable {
        case accepted(String)
        /// Refused: why, and the id of the fleet alert recorded.
        case refused(String, alert: String)
    }

    /// Offers `host`'s signed checkpoint `noteText`, with the verifier key it is signed by and a
    /// consistency proof from the held size. One transaction: two offers at once are decided one
    /// after the other.
    public func offerCheckpoint(host: String, noteText: String, verifierKey: String, proof: [MerkleHash],
                                now: Date = Date()) throws(HyperwardError) -> CheckpointDecision {
        let note = try SignedNote(parsing: noteText)
        let verifier = try NoteVerifier(verifierKey: verifierKey)
        let time = Event.timestamp(now)
        return try write { db in
            var previous: WitnessState?
            if let held = try String.fetchOne(db, sql: "SELECT witness_state FROM host_ledgers WHERE host = ?", arguments: [host]) {
                previous = try WitnessState(parsing: held)
            }
            switch WitnessState.decide(note, proof: proof, verifier: verifier, previous: previous) {
            case .accepted(let state, let message):
                try db.execute(sql: """
                    INSERT INTO host_ledgers (host, verifier_key, witness_state, size, root, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(host) DO UPDATE SET verifier_key = excluded.verifier_key, witness_state = excluded.witness_state,
                        size = excluded.size, root = excluded.root, updated_at = excluded.updated_at
                    """, arguments: [host, state.verifier.verifierKey, state.serialized, Int64(state.checkpoint.size),
                                     state.checkpoint.root.hex, time])
                return .accepted(message)
            case .refused(let reason):
                let held = previous.map { "size \($0.checkpoint.size), root \($0.checkpoint.root.hex)" } ?? "none"
                let alert = try Self.recordFleetEvent(
                    db, host: host, kind: "fleet.ledger.inconsistent", subject: host, vm: nil, severity: .critical, threat: .hypervisorVulnerability,
                    summary: "host \(host)'s ledger checkpoint was refused: \(reason) (held: \(held)); its history may have been rewritten",
                    evidence: [EventEvidence(kind: "checkpoint", value: String(noteText.prefix(2048)))], time: time)
                try db.execute(sql: "UPDATE hosts SET ledger_refused_at = ? WHERE name = ?", arguments: [time, host])
                return .refused(reason, alert: alert)
            }
        }
    }
}
