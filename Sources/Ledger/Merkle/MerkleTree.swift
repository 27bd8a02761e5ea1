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


import CLedgerSupport
import Crypto

/// RFC 9162 §2.1.1 hashing with SHA-256: a leaf is `SHA-256(0x00 ‖ data)`, an interior node
/// `SHA-256(0x01 ‖ left ‖ right)`, and the empty tree's root `SHA-256("")`.
public enum MerkleTree {
    /// The root of the empty tree: SHA-256 of the empty string.
    public static let emptyRoot = MerkleHash(SHA256.hash(data: [UInt8]()))

    /// The hash of the leaf holding `data`.
    public static func leafHash(_ data: some Collection<UInt8>) -> MerkleHash {
        var prefixed: [UInt8] = [0]
        prefixed.append(contentsOf: data)
        return prefixed.withUnsafeBytes { leafHash(prefixed: $0) }
    }

    /// The hash of a leaf whose input already starts with the 0x00 prefix (the canonical
    /// encoder writes it first, so hashing needs no copy).
    static func leafHash(prefixed: UnsafeRawBufferPointer) -> MerkleHash {
        SHA256Hashing.hash(prefixed)
    }

    /// The hash of an interior node.
    public static func nodeHash(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        var out = MerkleHash(words: 0, 0, 0, 0)
        withUnsafePointer(to: left) { l in
            withUnsafePointer(to: right) { r in
                withUnsafeMutablePointer(to: &out) { hyperward_sha256_node(l, r, $0) }
            }
        }
        return out
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
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> MerkleHash {
        var out = MerkleHash(words: 0, 0, 0, 0)
        withUnsafeMutablePointer(to: &out) { hyperward_sha256(bytes.baseAddress, bytes.count, $0) }
        return out
    }
}
