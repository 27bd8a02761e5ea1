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

/// The hash functions PCR banks use, from swift-crypto.
enum PCRHash {
    /// `bytes` hashed with `algorithm`, or nil for an algorithm swift-crypto lacks (SM3-256).
    static func digest(_ algorithm: TPMAlgorithm, _ bytes: [UInt8]) -> [UInt8]? {
        switch algorithm {
        case .sha1: Array(Insecure.SHA1.hash(data: bytes))
        case .sha256: Array(SHA256.hash(data: bytes))
        case .sha384: Array(SHA384.hash(data: bytes))
        case .sha512: Array(SHA512.hash(data: bytes))
        default: nil
        }
    }

    /// Whether ``digest(_:_:)`` can hash with `algorithm`.
    static func canReplay(_ algorithm: TPMAlgorithm) -> Bool {
        digest(algorithm, []) != nil
    }
}
