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

/// Why a key operation failed. Every message names what failed and never contains key material,
/// a passphrase or a plaintext.
public struct KeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure; each has its own exit code (docs/keys.md).
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A ciphertext, stream or payload is malformed, or fails authentication (tampered,
        /// truncated, wrong context, wrong key).
        case invalidCiphertext = "invalid-ciphertext"
        /// No keystore in the state directory.
        case notInitialized = "not-initialized"
        /// `init` on a directory that already holds a keystore.
        case alreadyInitialized = "already-initialized"
        /// No key by that name, or no such version.
        case unknownKey = "unknown-key"
        /// The version exists but the key's policy refuses it (below the minimum decryption or
        /// encryption version).
        case versionDisabled = "version-disabled"
        /// The passphrase or key file does not open the keystore.
        case wrongPassphrase = "wrong-passphrase"
        /// The keystore's records contradict each other or fail authentication (edited,
        /// truncated, rows swapped).
        case corrupted
        /// An argument is out of range (a name, a version, a size).
        case invalidArgument = "invalid-argument"
        /// Reading or writing storage failed.
        case storage
        /// The request is refused by policy: a VM that is not the one a disk key is bound to, a
        /// host it may not start on, a revoked disk.
        case unauthorized
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The exit status of the command that failed this way (the one table, `ExitStatus`).
    public var exitCode: Int32 {
        switch code {
        case .invalidArgument: ExitStatus.usage
        case .invalidCiphertext: ExitStatus.invalidData
        case .notInitialized: ExitStatus.noInput
        case .unknownKey: ExitStatus.unknownKey
        case .versionDisabled: ExitStatus.versionDisabled
        case .unauthorized: ExitStatus.refused
        case .storage: ExitStatus.software
        case .alreadyInitialized: ExitStatus.cannotCreate
        case .corrupted: ExitStatus.corrupted
        case .wrongPassphrase: ExitStatus.wrongSecret
        }
    }
}
