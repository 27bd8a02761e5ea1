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

/// RFC 9162 §2.1.1 hashing with SHA-256: a leaf is `SHA-256(0x00 ‖ data)`, an interior node
/// `SHA-256(0x01 ‖ left ‖ right)`, and the empty tree's root `SHA-256("")`.
public enum MerkleTree {
    /// The root of the empty tree: SHA-256 of the empty string.
    public static let emptyRoot = MerkleHash(SHA256.hash(data: [UInt8]()))

    /// The hash of the leaf holding `data`.
    public static func leafHash(_ data: some Collection<UInt8>) -> MerkleHash {
        var hasher = SHA256()
        hasher.update(data: [UInt8(0)])
        hasher.update(data: Array(data))
        return MerkleHash(hasher.finalize())
    }

    /// The hash of a leaf whose input already starts with the 0x00 prefix (the canonical
    /// encoder writes it first, so hashing needs no copy).
    static func leafHash(prefixed: UnsafeRawBufferPointer) -> MerkleHash {
        MerkleHash(SHA256.hash(data: prefixed))
    }

    /// The hash of an interior node.
    public static func nodeHash(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        // 0x01 ‖ left ‖ right in one 65-byte buffer on the stack: one hashing call.
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 8) { buffer in
            buffer[0] = 1
            withUnsafeBytes(of: left) { buffer.baseAddress!.advanced(by: 1).copyMemory(from: $0.baseAddress!, byteCount: 32) }
            withUnsafeBytes(of: right) { buffer.baseAddress!.advanced(by: 33).copyMemory(from: $0.baseAddress!, byteCount: 32) }
            return MerkleHash(SHA256.hash(data: UnsafeRawBufferPointer(buffer)))
        }
    }

    /// The root of the tree with these leaf hashes (RFC 9162 §2.1.1's MTH).
    public static func root(of leaves: some Sequence<MerkleHash>) -> MerkleHash {
        var frontier = MerkleFrontier()
        for leaf in leaves { frontier.append(leaf) }
        return frontier.root
    }

    /// The largest power of two strictly below `n` (`n` ≥ 2): RFC 9162's split point `k`.
    static func split(_ n: UInt64) -> UInt64 {
        precondition(n >= 2)
        return UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }

    /// ⌈log2 n⌉: the most hashes an inclusion or consistency proof in a tree of `n` leaves holds.
    public static func maximumProofLength(treeSize n: UInt64) -> Int {
        n <= 1 ? 0 : 64 - (n - 1).leadingZeroBitCount
    }
}

/// SHA-256 over raw bytes, for callers that build the leaf prefix themselves.
public enum SHA256Hashing {
    /// The SHA-256 digest of `bytes` as a ``MerkleHash``.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> MerkleHash { MerkleHash(SHA256.hash(data: bytes)) }
}
