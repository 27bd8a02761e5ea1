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

/// A 32-byte SHA-256 hash of a Merkle tree node or leaf (RFC 9162 §2.1.1), kept inline (no
/// allocation) since verification handles millions of them.
public struct MerkleHash: Hashable, Sendable, CustomStringConvertible {
    // The 32 bytes in memory order.
    var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// The number of bytes of a hash.
    public static let byteCount = 32

    init(words w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
    }

    /// The hash with these 32 bytes; `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == MerkleHash.byteCount else { return nil }
        if let hash = bytes.withContiguousStorageIfAvailable({ MerkleHash(loading: UnsafeRawPointer($0.baseAddress!)) }) {
            self = hash
            return
        }
        self.init(words: 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &self) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
    }

    /// The hash from the 32 bytes at `pointer` (the caller checked the length).
    public init(loading pointer: UnsafeRawPointer) {
        self.init(words: pointer.loadUnaligned(as: UInt64.self), pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                  pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self), pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    init(_ digest: SHA256Digest) {
        self = digest.withUnsafeBytes { MerkleHash(loading: $0.baseAddress!) }
    }

    /// The hash from standard base64; `nil` unless it decodes to 32 bytes.
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64) else { return nil }
        self.init(bytes: data)
    }

    /// The hash from 64 hex digits; `nil` otherwise.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            guard let high = MerkleHash.nibble(digits[2 * i]), let low = MerkleHash.nibble(digits[2 * i + 1]) else { return nil }
            bytes[i] = high << 4 | low
        }
        self.init(bytes: bytes)
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    /// The 32 bytes.
    public var bytes: [UInt8] { withUnsafeBytes(of: self) { Array($0) } }

    /// Lowercase hex, 64 digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Standard base64 (44 characters).
    public var base64: String { Data(bytes).base64EncodedString() }

    public var description: String { hex }
}
