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

/// A TPMT_SIGNATURE over a quote (TPM 2.0 Part 2 §11.3.4). Hyperward's attestation keys are
/// ECDSA P-256 with SHA-256; other schemes are parsed far enough to be named and refused.
public struct TPMSignature: Hashable, Sendable {
    /// `TPM_ALG_ECDSA`.
    public static let ecdsa: UInt16 = 0x0018

    /// The signature scheme (`TPM_ALG_ID`).
    public var scheme: UInt16
    /// The hash the scheme signs with.
    public var hash: TPMAlgorithm
    /// ECDSA's r and s, as the TPM gave them (big-endian, possibly shorter than the curve size).
    public var r: [UInt8]
    public var s: [UInt8]

    /// Parses an ECDSA TPMT_SIGNATURE; throws `.invalidInput` for anything else.
    public init(parsing bytes: [UInt8]) throws(HyperwardError) {
        func bad(_ what: String) -> HyperwardError {
            HyperwardError(.invalidInput, "the quote signature is malformed: \(what)")
        }
        var reader = ByteReader(bytes)
        guard let scheme = reader.readUInt16BigEndian(), let hash = reader.readUInt16BigEndian() else {
            throw bad("too short for its scheme")
        }
        guard scheme == Self.ecdsa else {
            throw bad("scheme 0x\(String(scheme, radix: 16)) is not ECDSA; Hyperward's attestation key is ECDSA P-256")
        }
        guard let r = reader.readSized(limit: 66), let s = reader.readSized(limit: 66) else {
            throw bad("r or s is cut short or too long")
        }
        guard reader.isAtEnd else { throw bad("\(reader.remaining) bytes follow the signature") }
        self.scheme = scheme
        self.hash = TPMAlgorithm(id: hash)
        self.r = r
        self.s = s
    }

    /// r and s each left-padded to `size` bytes and concatenated (the raw form swift-crypto
    /// reads), or nil when either is longer than `size` once leading zeros are dropped.
    public func rawRepresentation(size: Int) -> [UInt8]? {
        func padded(_ value: [UInt8]) -> [UInt8]? {
            let trimmed = Array(value.drop { $0 == 0 })
            guard trimmed.count <= size else { return nil }
            return [UInt8](repeating: 0, count: size - trimmed.count) + trimmed
        }
        guard let r = padded(r), let s = padded(s) else { return nil }
        return r + s
    }
}
