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


/// The compact state of an append-only Merkle tree: the roots of its perfect subtrees, largest
/// (leftmost) first — one per set bit of the size, so at most 64. Appending a leaf and taking
/// the root are O(log n), which is how the store and the verifier follow a log of millions of
/// entries without holding it.
public struct MerkleFrontier: Sendable, Hashable {
    /// The number of leaves appended.
    public private(set) var size: UInt64 = 0
    /// The perfect subtrees' roots, left to right.
    public private(set) var hashes: [MerkleHash] = []

    /// An empty tree.
    public init() {
        hashes.reserveCapacity(64)
    }

    /// The frontier of `size` leaves with these subtree roots; `nil` when their number does not
    /// match the size's set bits.
    public init?(size: UInt64, hashes: [MerkleHash]) {
        guard size.nonzeroBitCount == hashes.count else { return nil }
        self.size = size
        self.hashes = hashes
    }

    /// Appends a leaf hash.
    public mutating func append(_ leaf: MerkleHash) {
        var hash = leaf
        var bits = size
        // Each trailing one bit is a perfect subtree of the new leaf's size: merge with it.
        while bits & 1 == 1 {
            hash = MerkleTree.nodeHash(hashes.removeLast(), hash)
            bits >>= 1
        }
        hashes.append(hash)
        size += 1
    }

    /// The root of the tree of `size` leaves (the empty tree's for none).
    public var root: MerkleHash {
        guard var root = hashes.last else { return MerkleTree.emptyRoot }
        for hash in hashes.dropLast().reversed() { root = MerkleTree.nodeHash(hash, root) }
        return root
    }

    /// The frontier as bytes: the size (8 bytes, big-endian), then the hashes.
    public var serialized: [UInt8] {
        var out = withUnsafeBytes(of: size.bigEndian) { Array($0) }
        for hash in hashes { out += hash.bytes }
        return out
    }

    /// A frontier from ``serialized`` bytes; `nil` when they are not one.
    public init?(serialized bytes: [UInt8]) {
        guard bytes.count >= 8, (bytes.count - 8) % 32 == 0, (bytes.count - 8) / 32 <= 64 else { return nil }
        let size = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var hashes: [MerkleHash] = []
        var offset = 8
        while offset < bytes.count {
            guard let hash = MerkleHash(bytes: bytes[offset..<offset + 32]) else { return nil }
            hashes.append(hash)
            offset += 32
        }
        self.init(size: size, hashes: hashes)
    }
}
