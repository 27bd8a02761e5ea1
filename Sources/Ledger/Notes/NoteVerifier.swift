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
import HyperwardCore

/// The C2SP signed-note key id of an Ed25519 key: the first 4 bytes (big-endian) of
/// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
public func noteKeyID(name: String, publicKey: [UInt8]) -> UInt32 {
    let digest = Array(SHA256.hash(data: Array(name.utf8) + [0x0A, 0x01] + publicKey))
    return digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
}

/// Checks notes signed by one Ed25519 key. Its text form, the verifier key, is
/// `<name>+<key id, 8 hex digits>+<base64(0x01 ‖ 32-byte public key)>`.
public struct NoteVerifier: Sendable, Hashable {
    /// The key's name (the log's origin for a ledger key).
    public let name: String
    public let keyID: UInt32
    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]

    /// A verifier for `publicKey` under `name`.
    /// - Throws: `.invalidInput` for a bad name or key length.
    public init(name: String, publicKey: [UInt8]) throws(HyperwardError) {
        guard NoteVerifier.isValidName(name) else {
            throw HyperwardError(.invalidInput, "key name \(name.debugDescription): 1 to 256 printable characters without white space or '+'")
        }
        guard publicKey.count == 32 else { throw HyperwardError(.invalidInput, "an Ed25519 public key is 32 bytes, not \(publicKey.count)") }
        self.name = name
        self.publicKey = publicKey
        keyID = noteKeyID(name: name, publicKey: publicKey)
    }

    /// Reads a verifier key (surrounding white space ignored).
    /// - Throws: `.invalidInput` saying which part is wrong.
    public init(verifierKey: String) throws(HyperwardError) {
        let text = verifierKey.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count <= 512 else { throw HyperwardError(.tooLarge, "a verifier key is at most 512 bytes") }
        // The name and key id hold no '+'; the base64 may.
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw HyperwardError(.invalidInput, "a verifier key is `<name>+<hex key id>+<base64 key>`") }
        guard parts[1].utf8.count == 8, let id = UInt32(parts[1], radix: 16) else {
            throw HyperwardError(.invalidInput, "verifier key: the key id is not 8 hex digits")
        }
        guard let raw = Data(base64Encoded: String(parts[2])), raw.count == 33, raw.first == 0x01 else {
            throw HyperwardError(.invalidInput, "verifier key: the key is not base64 of 0x01 and a 32-byte Ed25519 key")
        }
        try self.init(name: String(parts[0]), publicKey: Array(raw.dropFirst()))
        guard keyID == id else { throw HyperwardError(.invalidInput, "verifier key: its key id does not match its name and key") }
    }

    /// The verifier key's text.
    public var verifierKey: String {
        "\(name)+\(String(format: "%08x", keyID))+\(Data([0x01] + publicKey).base64EncodedString())"
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 256 && !name.contains("+")
            && !name.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }
    }

    /// Whether `note` carries a valid signature by this key: `.valid`, or why not.
    public func verify(_ note: SignedNote) -> ProofCheck {
        let mine = note.signatures.filter { $0.name == name && $0.keyID == keyID }
        guard !mine.isEmpty else { return .invalid("the note has no signature by the key \(name)+\(String(format: "%08x", keyID))") }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return .invalid("the public key is not an Ed25519 key") }
        for signature in mine where signature.signature.count == 64 {
            if key.isValidSignature(signature.signature, for: Array(note.text.utf8)) { return .valid }
        }
        return .invalid("the signature by \(name) does not verify: the note was altered or signed by another key")
    }
}

/// Signs notes with an Ed25519 private key (held by the keystore; never written out).
public struct NoteSigner: Sendable {
    public let verifier: NoteVerifier
    let key: Curve25519.Signing.PrivateKey

    /// A signer for `key` under `name`.
    public init(name: String, key: Curve25519.Signing.PrivateKey) throws(HyperwardError) {
        self.key = key
        verifier = try NoteVerifier(name: name, publicKey: Array(key.publicKey.rawRepresentation))
    }

    /// `text` signed: a note with one signature.
    /// - Throws: `.invalidInput` for text that a note cannot hold (no final newline, control
    ///   characters, a blank line); `.software` when signing fails.
    public func sign(_ text: String) throws(HyperwardError) -> SignedNote {
        guard text.hasSuffix("\n"), !text.contains("\n\n"), !text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F }) else {
            throw HyperwardError(.invalidInput, "note text must end with a newline and hold no blank line or control character")
        }
        let signature: Data
        do { signature = try key.signature(for: Array(text.utf8)) } catch {
            throw HyperwardError(.software, "cannot sign the note: \(error)")
        }
        return SignedNote(text: text, signatures: [SignedNote.Signature(name: verifier.name, keyID: verifier.keyID, signature: Array(signature))])
    }
}
