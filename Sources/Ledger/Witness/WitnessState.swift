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


import HyperwardCore

/// What a witness holds for one log: the verifier key it checks signatures with and the last
/// checkpoint it accepted. Accepting a new checkpoint needs a valid signature by that key and a
/// consistency proof from the old size to the new one (RFC 9162 §2.1.4), so a log that rewrote
/// history it had shown the witness is refused. Pure: the file it lives in is the caller's
/// (`WitnessFile` in HyperwardStore writes it atomically under a lock).
public struct WitnessState: Sendable, Hashable {
    /// The key every accepted checkpoint is signed by.
    public var verifier: NoteVerifier
    /// The last accepted note and its checkpoint.
    public var note: SignedNote
    public var checkpoint: Checkpoint

    /// The decision on a new checkpoint.
    public enum Decision: Sendable, Hashable {
        /// Accepted (or the same as the one held): the state to keep, and a line saying what happened.
        case accepted(WitnessState, String)
        /// Refused: why. The held state stays.
        case refused(String)
    }

    static let header = "hyperward-witness/v1"
    /// The largest state file read.
    public static let maximumLength = 32768

    /// The state as its file holds it: a header line, the verifier key, then the signed note.
    public var serialized: String { "\(WitnessState.header)\n\(verifier.verifierKey)\n\(note.serialized)" }

    /// Reads a state file's text.
    /// - Throws: `.invalidInput` or `.tooLarge` saying what is wrong.
    public init(parsing text: String) throws(HyperwardError) {
        guard text.utf8.count <= WitnessState.maximumLength else {
            throw HyperwardError(.tooLarge, "a witness state of \(text.utf8.count) bytes is over the limit of \(WitnessState.maximumLength)")
        }
        let parts = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == WitnessState.header else {
            throw HyperwardError(.invalidInput, "not a witness state (its first line is not \(WitnessState.header))")
        }
        let verifier = try NoteVerifier(verifierKey: String(parts[1]))
        let note = try SignedNote(parsing: String(parts[2]))
        guard verifier.verify(note).isValid else {
            throw HyperwardError(.invalidInput, "the witness state's checkpoint is not signed by its verifier key")
        }
        self.init(verifier: verifier, note: note, checkpoint: try Checkpoint(text: note.text))
    }

    init(verifier: NoteVerifier, note: SignedNote, checkpoint: Checkpoint) {
        self.verifier = verifier
        self.note = note
        self.checkpoint = checkpoint
    }

    /// Decides on `note`, given the state held before (`nil`: none yet, and the first checkpoint
    /// is trusted on its signature alone) and a consistency proof from the held size to the new.
    public static func decide(_ note: SignedNote, proof: [MerkleHash], verifier: NoteVerifier, previous: WitnessState?) -> Decision {
        if let previous, previous.verifier != verifier {
            return .refused("the witness holds checkpoints of the key \(previous.verifier.verifierKey), not \(verifier.verifierKey)")
        }
        if case .invalid(let reason) = verifier.verify(note) { return .refused("signature: \(reason)") }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint(text: note.text) } catch { return .refused("the note is not a checkpoint: \(error.message)") }
        guard checkpoint.origin == verifier.name else {
            return .refused("the checkpoint's origin \(checkpoint.origin) is not the key's name \(verifier.name)")
        }
        let new = WitnessState(verifier: verifier, note: note, checkpoint: checkpoint)
        guard let previous else { return .accepted(new, "accepted the first checkpoint, size \(checkpoint.size)") }
        let old = previous.checkpoint
        if checkpoint.size < old.size {
            return .refused("the checkpoint's size \(checkpoint.size) is smaller than the size \(old.size) already accepted: the log went back")
        }
        if checkpoint.size == old.size {
            guard checkpoint.root == old.root else {
                return .refused("size \(checkpoint.size) again with another root (\(checkpoint.root.hex), accepted \(old.root.hex)): the log forked")
            }
            return .accepted(previous, "the same tree as the checkpoint held (size \(checkpoint.size)): nothing to change")
        }
        if old.size == 0 { return .accepted(new, "accepted size \(checkpoint.size) (the held tree was empty)") }
        if case .invalid(let reason) = MerkleProof.verifyConsistency(oldSize: old.size, newSize: checkpoint.size, oldRoot: old.root,
                                                                     newRoot: checkpoint.root, proof: proof) {
            return .refused("no consistent extension from size \(old.size) to \(checkpoint.size): \(reason)")
        }
        return .accepted(new, "accepted size \(checkpoint.size), consistent with size \(old.size)")
    }
}
