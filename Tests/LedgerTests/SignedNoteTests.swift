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
import FixtureSupport
import Foundation
import HyperwardCore
import Testing

@testable import Ledger

@Suite("Checkpoints and signed notes (C2SP)")
struct SignedNoteTests {
    let signer = try! NoteSigner(name: "hyperward.local/test/ledger", key: Curve25519.Signing.PrivateKey())

    @Test func theKeyIDAndVerifierKeyFollowTheSpecification() throws {
        let v = signer.verifier
        // Recomputed here from the definition: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key), first 4 bytes.
        let digest = Array(SHA256.hash(data: Array(v.name.utf8) + [0x0A, 0x01] + v.publicKey))
        #expect(v.keyID == UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3]))
        let parts = v.verifierKey.split(separator: "+", maxSplits: 2)
        #expect(parts.count == 3 && parts[0] == "hyperward.local/test/ledger" && parts[1].count == 8)
        #expect(Data(base64Encoded: String(parts[2])) == Data([0x01] + v.publicKey))
        #expect(try NoteVerifier(verifierKey: v.verifierKey + "\n") == v)
    }

    @Test func aSignedCheckpointReadsBackAndVerifies() throws {
        let checkpoint = Checkpoint(origin: signer.verifier.name, size: 42, root: MerkleTree.leafHash([1]))
        #expect(checkpoint.text == "hyperward.local/test/ledger\n42\n\(MerkleTree.leafHash([1]).base64)\n")
        let note = try signer.sign(checkpoint.text)
        let text = note.serialized
        #expect(text.hasPrefix(checkpoint.text + "\n\u{2014} hyperward.local/test/ledger "))
        let parsed = try SignedNote(parsing: text)
        #expect(parsed == note)
        #expect(signer.verifier.verify(parsed) == .valid)
        #expect(try Checkpoint(text: parsed.text) == checkpoint)
        // The raw signature is Ed25519 over the text: checked with swift-crypto directly.
        let key = try Curve25519.Signing.PublicKey(rawRepresentation: signer.verifier.publicKey)
        #expect(key.isValidSignature(parsed.signatures[0].signature, for: Array(checkpoint.text.utf8)))
    }

    @Test func alteredNotesAndOtherKeysDoNotVerify() throws {
        let note = try signer.sign(Checkpoint(origin: signer.verifier.name, size: 7, root: MerkleTree.emptyRoot).text)
        var altered = note
        altered.text = altered.text.replacingOccurrences(of: "\n7\n", with: "\n8\n")
        #expect(!signer.verifier.verify(altered).isValid)
        let other = try NoteSigner(name: signer.verifier.name, key: Curve25519.Signing.PrivateKey())
        #expect(!other.verifier.verify(note).isValid)
        var flipped = note
        flipped.signatures[0].signature[5] ^= 1
        #expect(!signer.verifier.verify(flipped).isValid)
    }

    @Test(arguments: [
        ("no final newline", "o\n1\nAAAA"), ("no blank line", "o\n1\nx\n— o AAAAAAA=\n"), ("no signature", "o\n1\nx\n\n"),
        ("bad signature line", "o\n1\nx\n\n- o AAAAAAA=\n"), ("short signature", "o\n1\nx\n\n— o AAAA\n"),
        ("not base64", "o\n1\nx\n\n— o !!!!\n"), ("control character", "o\n1\u{07}\nx\n\n— o AAAAAAA=\n"),
        ("name with a plus", "o\n1\nx\n\n— o+p AAAAAAA=\n"), ("extra field", "o\n1\nx\n\n— o AAAAAAA= more\n"),
    ])
    func malformedNotesAreRefusedClearly(what: String, text: String) {
        #expect(throws: HyperwardError.self, "\(what)") { try SignedNote(parsing: text) }
    }

    @Test func oversizedInputsAreRefusedBeforeParsing() {
        #expect(throws: HyperwardError.self) { try SignedNote(parsing: String(repeating: "a", count: SignedNote.maximumLength + 1)) }
        let many = "o\n1\nx\n\n" + String(repeating: "— o AAAAAAA=\n", count: 101)
        #expect(throws: HyperwardError.self) { try SignedNote(parsing: many) }
        #expect(throws: HyperwardError.self) { try Checkpoint(text: String(repeating: "a\n", count: 5000)) }
        #expect(throws: HyperwardError.self) { try NoteVerifier(verifierKey: String(repeating: "a", count: 600)) }
    }

    @Test(arguments: [
        ("two lines", "o\n1\n"), ("leading zero", "o\n01\n\(MerkleTree.emptyRoot.base64)\n"), ("negative", "o\n-1\n\(MerkleTree.emptyRoot.base64)\n"),
        ("too big", "o\n18446744073709551616\n\(MerkleTree.emptyRoot.base64)\n"), ("short root", "o\n1\nAAAA\n"),
        ("empty origin", "\n1\n\(MerkleTree.emptyRoot.base64)\n"), ("space in origin", "a b\n1\n\(MerkleTree.emptyRoot.base64)\n"),
        ("empty extension", "o\n1\n\(MerkleTree.emptyRoot.base64)\n\n"), ("no newline", "o\n1\n\(MerkleTree.emptyRoot.base64)"),
    ])
    func malformedCheckpointsAreRefused(what: String, text: String) {
        #expect(throws: HyperwardError.self, "\(what)") { try Checkpoint(text: text) }
    }

    @Test func badVerifierKeysAreRefused() {
        let good = signer.verifier.verifierKey
        let parts = good.split(separator: "+", maxSplits: 2).map(String.init)
        for bad in ["", "a+b", parts[0] + "+00000000+" + parts[2], parts[0] + "+" + parts[1] + "+AAAA", "x y+" + parts[1] + "+" + parts[2]] {
            #expect(throws: HyperwardError.self, "\(bad)") { try NoteVerifier(verifierKey: bad) }
        }
    }

    @Test func randomMutationsNeverCrashTheParsers() throws {
        var rng = SplitMix(seed: 2024)
        let note = Array(try signer.sign(Checkpoint(origin: signer.verifier.name, size: 3, root: MerkleTree.emptyRoot).text).serialized.utf8)
        for _ in 0..<3000 {
            var bytes = note
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                switch Int.random(in: 0...2, using: &rng) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                default: if bytes.count > 1 { bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng)) }
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if let parsed = try? SignedNote(parsing: text) {
                _ = signer.verifier.verify(parsed)
                _ = try? Checkpoint(text: parsed.text)
            }
            _ = try? WitnessState(parsing: "hyperward-witness/v1\n\(signer.verifier.verifierKey)\n" + text)
        }
    }
}

@Suite("Witness rules")
struct WitnessStateTests {
    let signer = try! NoteSigner(name: "hyperward.local/w/ledger", key: Curve25519.Signing.PrivateKey())
    let leaves = (0..<40).map { MerkleTree.leafHash([UInt8($0)]) }

    func note(_ size: Int, leaves: [MerkleHash]? = nil) throws -> SignedNote {
        try signer.sign(Checkpoint(origin: signer.verifier.name, size: UInt64(size), root: MerkleTree.root(of: (leaves ?? self.leaves)[..<size])).text)
    }

    func accepted(_ decision: WitnessState.Decision) throws -> WitnessState {
        guard case .accepted(let state, _) = decision else { Issue.record("refused: \(decision)"); throw HyperwardError(.software, "refused") }
        return state
    }

    func refusal(_ decision: WitnessState.Decision) -> String? {
        if case .refused(let reason) = decision { return reason }
        return nil
    }

    @Test func acceptsAGrowingLogWithConsistencyProofs() throws {
        var state = try accepted(WitnessState.decide(try note(5), proof: [], verifier: signer.verifier, previous: nil))
        let proof = try MerkleProof.consistency(oldSize: 5, newSize: 17, source: LeafHashArray(leaves))
        state = try accepted(WitnessState.decide(try note(17), proof: proof, verifier: signer.verifier, previous: state))
        #expect(state.checkpoint.size == 17)
        #expect(try WitnessState(parsing: state.serialized) == state)
        // The same checkpoint again changes nothing.
        #expect(try accepted(WitnessState.decide(try note(17), proof: [], verifier: signer.verifier, previous: state)).checkpoint.size == 17)
    }

    @Test func refusesRollbackForkInconsistencyAndOtherKeys() throws {
        let state = try accepted(WitnessState.decide(try note(17), proof: [], verifier: signer.verifier, previous: nil))
        #expect(refusal(WitnessState.decide(try note(5), proof: [], verifier: signer.verifier, previous: state))?.contains("smaller") == true)
        var forked = leaves
        forked[3] = MerkleTree.leafHash([0xEE])
        #expect(refusal(WitnessState.decide(try note(17, leaves: forked), proof: [], verifier: signer.verifier, previous: state))?.contains("forked") == true)
        // A rewritten history with a proof from the rewritten tree: not consistent with what was held.
        let proof = try MerkleProof.consistency(oldSize: 17, newSize: 30, source: LeafHashArray(forked))
        #expect(refusal(WitnessState.decide(try note(30, leaves: forked), proof: proof, verifier: signer.verifier, previous: state))?.contains("consistent") == true)
        // No proof at all.
        #expect(refusal(WitnessState.decide(try note(30), proof: [], verifier: signer.verifier, previous: state)) != nil)
        let other = try NoteSigner(name: signer.verifier.name, key: Curve25519.Signing.PrivateKey())
        #expect(refusal(WitnessState.decide(try other.sign(Checkpoint(origin: other.verifier.name, size: 30, root: MerkleTree.root(of: leaves[..<30])).text),
                                            proof: [], verifier: other.verifier, previous: state)) != nil)
        #expect(refusal(WitnessState.decide(try other.sign(Checkpoint(origin: other.verifier.name, size: 30, root: MerkleTree.root(of: leaves[..<30])).text),
                                            proof: [], verifier: signer.verifier, previous: state))?.contains("signature") == true)
    }
}
