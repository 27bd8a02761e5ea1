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
import HyperwardHost
import HyperwardStore
import KeyManagement
import Ledger

/// What the ledger commands and the agent share: the log's origin, the signing key from the
/// keystore, the verifier key, and signing a checkpoint.
public struct LedgerOperations: Sendable {
    public let directory: String

    public init(configuration: HyperwardConfiguration) {
        directory = configuration.stateDirectory
    }

    /// The verifier key's file in the state directory (0644: it is public).
    public var publicKeyPath: String { "\(directory)/ledger.pub" }

    /// The log's origin, `hyperward.local/<host>/ledger`: the host's name (letters, digits,
    /// `.` and `-` kept, anything else as `-`; `localhost` when there is none). Fixed when the
    /// signing key is made: it is the key's name.
    public static func origin(host: String? = Event.localHost) -> String {
        let name = String((host ?? "localhost").unicodeScalars.prefix(200).map { scalar -> Character in
            let ok = (scalar.value < 0x80) && (CharacterSet.alphanumerics.contains(scalar) || scalar == "." || scalar == "-")
            return ok ? Character(scalar) : "-"
        })
        return "hyperward.local/\(name.isEmpty ? "localhost" : name)/ledger"
    }

    /// The checkpoint signer from an open keystore: its ledger key, made on first use (under the
    /// state directory's change lock), and `ledger.pub` written when missing or different.
    public func signer(_ keystore: Keystore) throws -> NoteSigner {
        let pair: (name: String, key: Curve25519.Signing.PrivateKey)
        do {
            if let existing = try Keystore.ledgerPublicKey(directory: directory), !existing.name.isEmpty {
                pair = try keystore.ledgerSigningKey(creatingAs: existing.name)
            } else {
                pair = try StateChange.locked(directory, "ledger key") { try keystore.ledgerSigningKey(creatingAs: LedgerOperations.origin()) }
            }
        } catch let error as KeyError {
            throw HyperwardError(exitStatus: error.exitCode, error.message)
        }
        let signer = try NoteSigner(name: pair.name, key: pair.key)
        try writePublicKey(signer.verifier)
        return signer
    }

    /// Writes `ledger.pub` (atomically, 0644) unless it already holds this key.
    public func writePublicKey(_ verifier: NoteVerifier) throws {
        let text = verifier.verifierKey + "\n"
        if (try? LedgerExport.readText(publicKeyPath, limit: 1024)) == text { return }
        try SafeFile.write(Array(text.utf8), to: publicKeyPath, mode: 0o644, replace: true)
    }

    /// The key checkpoints are verified with: the verifier key in `keyFile` when given, else
    /// `ledger.pub`, else the keystore's public record (no passphrase needed for any).
    public func verifier(keyFile: String?) throws -> NoteVerifier {
        if let keyFile { return try NoteVerifier(verifierKey: try LedgerExport.readText(keyFile, limit: 1024)) }
        if FileManager.default.fileExists(atPath: publicKeyPath) {
            return try NoteVerifier(verifierKey: try LedgerExport.readText(publicKeyPath, limit: 1024))
        }
        do {
            if let record = try Keystore.ledgerPublicKey(directory: directory) {
                return try NoteVerifier(name: record.name, publicKey: record.publicKey)
            }
        } catch let error as KeyError {
            throw HyperwardError(exitStatus: error.exitCode, error.message)
        }
        throw HyperwardError(.notFound, "no ledger key yet (no \(publicKeyPath)): run `hyperward ledger checkpoint`, or give --key FILE")
    }
}
