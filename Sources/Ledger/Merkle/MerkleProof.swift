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

/// Where proof generation reads leaf hashes: an array in memory, or the store's `ledger` table.
public protocol LeafHashSource {
    /// Calls `body` with the leaf hashes at the indices of `range`, in order.
    /// - Throws: when they cannot be read (the store's error), or fewer exist.
    func forEachLeafHash(in range: Range<UInt64>, _ body: (MerkleHash) throws -> Void) throws

    /// MTH (RFC 9162 §2.1.1) of the leaves in `range`. The default reads every leaf; a source
    /// that keeps the hashes of complete subtrees answers in O(log n).
    func subtreeHash(_ range: Range<UInt64>) throws -> MerkleHash
}

extension LeafHashSource {
    public func subtreeHash(_ range: Range<UInt64>) throws -> MerkleHash {
        var frontier = MerkleFrontier()
        try forEachLeafHash(in: range) { frontier.append($0) }
        guard frontier.size == UInt64(range.count) else {
            throw HyperwardError(.invalidInput, "leaves \(range.lowerBound)..<\(range.upperBound): only \(frontier.size) read")
        }
        return frontier.root
    }
}

/// Leaf hashes held in memory.
public struct LeafHashArray: LeafHashSource, Sendable {
    public var hashes: [MerkleHash]

    /// Wraps `hashes`.
    public init(_ hashes: [MerkleHash]) { self.hashes = hashes }

    public func forEachLeafHash(in range: Range<UInt64>, _ body: (MerkleHash) throws -> Void) throws {
        guard range.upperBound <= UInt64(hashes.count) else {
            throw HyperwardError(.invalidInput, "the tree has \(hashes.count) leaves, not \(range.upperBound)")
        }
        for i in range { try body(hashes[Int(i)]) }
    }
}

/// The result of checking a proof: valid, or why not. A failed check is a result, not an error.
public enum ProofCheck: Sendable, Equatable {
    case valid
    case invalid(String)

    /// Whether the proof checked.
    public var isValid: Bool { self == .valid }
}

/// RFC 9162 inclusion (§2.1.3) and consistency (§2.1.4) proofs: generation over any
/// ``LeafHashSource`` and verification.
public enum MerkleProof {
    /// The hashes proving that leaf `index` is in the tree of the first `treeSize` leaves of
    /// `source` (RFC 9162 §2.1.3.1 PATH), bottom up; at most ⌈log2 treeSize⌉ of them.
    /// - Throws: `HyperwardError(.invalidInput)` when `index` ≥ `treeSize`, or the source's error.
    public static func inclusion(index: UInt64, treeSize: UInt64, source: some LeafHashSource) throws -> [MerkleHash] {
        guard index < treeSize else {
            throw HyperwardError(.invalidInput, "leaf index \(index) is not in a tree of \(treeSize) leaves")
        }
        var proof: [MerkleHash] = []
        try path(index, 0..<treeSize, source, &proof)
        return proof
    }

    private static func path(_ m: UInt64, _ range: Range<UInt64>, _ source: some LeafHashSource, _ proof: inout [MerkleHash]) throws {
        let n = UInt64(range.count)
        guard n > 1 else { return }
        let k = MerkleTree.split(n)
        let lo = range.lowerBound
        if m < k {
            try path(m, lo..<lo + k, source, &proof)
            proof.append(try subtreeHash(lo + k..<range.upperBound, source))
        } else {
            try path(m - k, lo + k..<range.upperBound, source, &proof)
            proof.append(try subtreeHash(lo..<lo + k, source))
        }
    }

    /// The hashes proving the tree of `oldSize` leaves is a prefix of the tree of `newSize`
    /// (RFC 9162 §2.1.4.1 PROOF); empty when the sizes are equal; at most ⌈log2 newSize⌉ + 1.
    /// - Throws: `HyperwardError(.invalidInput)` unless 0 < `oldSize` ≤ `newSize`.
    public static func consistency(oldSize: UInt64, newSize: UInt64, source: some LeafHashSource) throws -> [MerkleHash] {
        guard oldSize > 0, oldSize <= newSize else {
            throw HyperwardError(.invalidInput, "no consistency proof from size \(oldSize) to size \(newSize) (needs 0 < old ≤ new)")
        }
        var proof: [MerkleHash] = []
        try subproof(oldSize, 0..<newSize, true, source, &proof)
        return proof
    }

    private static func subproof(_ m: UInt64, _ range: Range<UInt64>, _ complete: Bool, _ source: some LeafHashSource,
                                 _ proof: inout [MerkleHash]) throws {
        let n = UInt64(range.count)
        if m == n {
            if !complete { proof.append(try subtreeHash(range, source)) }
            return
        }
        let k = MerkleTree.split(n)
        let lo = range.lowerBound
        if m <= k {
            try subproof(m, lo..<lo + k, complete, source, &proof)
            proof.append(try subtreeHash(lo + k..<range.upperBound, source))
        } else {
            try subproof(m - k, lo + k..<range.upperBound, false, source, &proof)
            proof.append(try subtreeHash(lo..<lo + k, source))
        }
    }

    /// MTH of the leaves in `range`.
    public static func subtreeHash(_ range: Range<UInt64>, _ source: some LeafHashSource) throws -> MerkleHash {
        try source.subtreeHash(range)
    }

    // MARK: Verification

    /// Checks an inclusion proof (RFC 9162 §2.1.3.2). Hashes are given as bytes, since what is
    /// checked comes from outside: any that is not 32 bytes makes the proof invalid.
    public static func verifyInclusion(leafHash: [UInt8], index: UInt64, treeSize: UInt64, proof: [[UInt8]], root: [UInt8]) -> ProofCheck {
        guard let leaf = MerkleHash(bytes: leafHash) else { return .invalid("the leaf hash is \(leafHash.count) bytes, not 32") }
        guard let root = MerkleHash(bytes: root) else { return .invalid("the root hash is \(root.count) bytes, not 32") }
        var hashes: [MerkleHash] = []
        for (i, p) in proof.enumerated() {
            guard let hash = MerkleHash(bytes: p) else { return .invalid("proof hash \(i) is \(p.count) bytes, not 32") }
            hashes.append(hash)
        }
        return verifyInclusion(leafHash: leaf, index: index, treeSize: treeSize, proof: hashes, root: root)
    }

    /// Checks an inclusion proof (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(leafHash: MerkleHash, index: UInt64, treeSize: UInt64, proof: [MerkleHash], root: MerkleHash) -> ProofCheck {
        guard index < treeSize else { return .invalid("leaf index \(index) is not below the tree size \(treeSize)") }
        guard proof.count <= MerkleTree.maximumProofLength(treeSize: treeSize) else {
            return .invalid("the proof has \(proof.count) hashes; a tree of \(treeSize) leaves needs at most \(MerkleTree.maximumProofLength(treeSize: treeSize))")
        }
        var fn = index
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return .invalid("the proof is longer than the path from leaf \(index) to the root") }
            if fn & 1 == 1 || fn == sn {
                r = MerkleTree.nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleTree.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { return .invalid("the proof is shorter than the path from leaf \(index) to the root") }
        guard r == root else { return .invalid("the proof leads to root \(r.hex), not \(root.hex)") }
        return .valid
    }

    /// Checks a consistency proof (RFC 9162 §2.1.4.2) from bytes; any hash that is not 32 bytes
    /// makes it invalid (except equal sizes, where the roots are only compared).
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]) -> ProofCheck {
        // The order of these checks follows the published vectors: a size-0 tree proves nothing
        // (even to a size-0 tree), equal sizes need no proof and equal roots.
        guard newSize >= oldSize else { return .invalid("the new size \(newSize) is smaller than the old size \(oldSize)") }
        guard oldSize > 0 else { return .invalid("a consistency proof from the empty tree proves nothing") }
        if oldSize == newSize {
            guard proof.isEmpty else { return .invalid("equal sizes need an empty proof, not \(proof.count) hashes") }
            return oldRoot == newRoot ? .valid : .invalid("equal sizes \(oldSize) with different roots")
        }
        guard let old = MerkleHash(bytes: oldRoot) else { return .invalid("the old root is \(oldRoot.count) bytes, not 32") }
        guard let new = MerkleHash(bytes: newRoot) else { return .invalid("the new root is \(newRoot.count) bytes, not 32") }
        var hashes: [MerkleHash] = []
        for (i, p) in proof.enumerated() {
            guard let hash = MerkleHash(bytes: p) else { return .invalid("proof hash \(i) is \(p.count) bytes, not 32") }
            hashes.append(hash)
        }
        return verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: old, newRoot: new, proof: hashes)
    }

    /// Checks a consistency proof (RFC 9162 §2.1.4.2).
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: MerkleHash, newRoot: MerkleHash, proof: [MerkleHash]) -> ProofCheck {
        guard newSize >= oldSize else { return .invalid("the new size \(newSize) is smaller than the old size \(oldSize)") }
        guard oldSize > 0 else { return .invalid("a consistency proof from the empty tree proves nothing") }
        if oldSize == newSize {
            guard proof.isEmpty else { return .invalid("equal sizes need an empty proof, not \(proof.count) hashes") }
            return oldRoot == newRoot ? .valid : .invalid("equal sizes \(oldSize) with different roots")
        }
        guard !proof.isEmpty else { return .invalid("an empty proof for sizes \(oldSize) and \(newSize)") }
        guard proof.count <= MerkleTree.maximumProofLength(treeSize: newSize) + 1 else {
            return .invalid("the proof has \(proof.count) hashes, more than a tree of \(newSize) leaves needs")
        }
        var path = proof[...]
        // §2.1.4.2 step 2: an old tree that is a perfect subtree is its own first node.
        let prefixed = oldSize & (oldSize - 1) == 0 ? [oldRoot] + path : Array(path)
        path = prefixed[...]
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path.first!
        var sr = fr
        for c in path.dropFirst() {
            guard sn != 0 else { return .invalid("the proof is longer than sizes \(oldSize) and \(newSize) need") }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleTree.nodeHash(c, fr)
                sr = MerkleTree.nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleTree.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { return .invalid("the proof is shorter than sizes \(oldSize) and \(newSize) need") }
        guard fr == oldRoot else { return .invalid("the proof does not lead to the old root \(oldRoot.hex)") }
        guard sr == newRoot else { return .invalid("the proof does not lead to the new root \(newRoot.hex)") }
        return .valid
    }
}
