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

/// A TPM hash algorithm as event logs name it (TCG Algorithm Registry `TPM_ALG_ID`).
public struct TPMAlgorithm: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The registry's 16-bit identifier.
    public var id: UInt16

    /// Creates an algorithm from its identifier.
    public init(id: UInt16) { self.id = id }

    /// SHA-1 (`TPM_ALG_SHA1`).
    public static let sha1 = TPMAlgorithm(id: 0x0004)
    /// SHA-256 (`TPM_ALG_SHA256`).
    public static let sha256 = TPMAlgorithm(id: 0x000B)
    /// SHA-384 (`TPM_ALG_SHA384`).
    public static let sha384 = TPMAlgorithm(id: 0x000C)
    /// SHA-512 (`TPM_ALG_SHA512`).
    public static let sha512 = TPMAlgorithm(id: 0x000D)
    /// SM3-256 (`TPM_ALG_SM3_256`): parsed and shown, not replayed (no SM3 in swift-crypto).
    public static let sm3_256 = TPMAlgorithm(id: 0x0012)

    /// The name tpm2-tools prints (`sha256`), or `alg-0x…` for an unknown identifier.
    public var name: String {
        switch self {
        case .sha1: "sha1"
        case .sha256: "sha256"
        case .sha384: "sha384"
        case .sha512: "sha512"
        case .sm3_256: "sm3_256"
        default: "alg-0x" + String(id, radix: 16)
        }
    }

    /// The digest size the registry gives, or nil for an algorithm this module does not know.
    public var knownDigestSize: Int? {
        switch self {
        case .sha1: 20
        case .sha256, .sm3_256: 32
        case .sha384: 48
        case .sha512: 64
        default: nil
        }
    }

    public var description: String { name }

    public static func < (lhs: TPMAlgorithm, rhs: TPMAlgorithm) -> Bool { lhs.id < rhs.id }
}
