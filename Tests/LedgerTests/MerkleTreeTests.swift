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
import FixtureSupport
import Foundation
import HyperwardCore
import Testing

@testable import Ledger

/// An independent RFC 9162 §2.1.1 MTH, straight from the definition (recursive, with arrays), as
/// the oracle for the frontier and the proofs.
func referenceRoot(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
    if leaves.isEmpty { return Array(SHA256.hash(data: [UInt8]())) }
    if leaves.count == 1 { return Array(SHA256.hash(data: [0] + leaves.first!)) }
    var k = 1
    while k * 2 < leaves.count { k *= 2 }
    let start = leaves.startIndex
    return Array(SHA256.hash(data: [1] + referenceRoot(leaves[start..<start + k]) + referenceRoot(leaves[(start + k)...])))
}

/// The RFC 6962 reference tree of the vectors' README: 8 leaves.
let referenceLeaves: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map { hex in
    var bytes: [UInt8] = []
    var digits = Array(hex.utf8)[...]
    while digits.count >= 2 {
        bytes.append(UInt8(String(decoding: digits.prefix(2), as: UTF8.self), radix: 16)!)
        digits = digits.dropFirst(2)
    }
    return bytes
}

@Suite("RFC 9162 Merkle tree")
struct MerkleTreeTests {
    @Test func rootsOfTheReferenceTreeMatchThePublishedOnes() {
        let published = [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ]
        for size in 0...8 {
            #expect(MerkleTree.root(of: referenceLeaves[..<size].map { MerkleTree.leafHash($0) }).hex == published[size], "size \(size)")
        }
        #expect(MerkleTree.leafHash(Array("L123456".utf8)).hex == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    }

    @Test func theFrontierAgreesWithTheDefinitionAtEverySize() {
        var rng = SplitMix(seed: 9162)
        var leaves: [[UInt8]] = []
        var frontier = MerkleFrontier()
        for size in 0...300 {
            #expect(frontier.size == UInt64(size))
            #expect(frontier.hashes.count == size.nonzeroBitCount)
            #expect(frontier.root.bytes == referenceRoot(leaves[...]), "size \(size)")
            #expect(MerkleFrontier(serialized: frontier.serialized) == frontier)
            let leaf = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            leaves.append(leaf)
            frontier.append(MerkleTree.leafHash(leaf))
        }
        #expect(MerkleFrontier(serialized: [1, 2, 3]) == nil)
        #expect(MerkleFrontier(size: 3, hashes: [MerkleTree.emptyRoot]) == nil)
    }

    @Test func inclusionProofsVerifyAndAreBoundedByLog2OfTheSize() throws {
        let leaves = (0..<70).map { MerkleTree.leafHash([UInt8($0), 7]) }
        for n in 1...70 {
            let source = LeafHashArray(Array(leaves[..<n]))
            let root = MerkleTree.root(of: leaves[..<n])
            let bound = Int((log2(Double(n))).rounded(.up))
            for m in 0..<n {
                let proof = try MerkleProof.inclusion(index: UInt64(m), treeSize: UInt64(n), source: source)
                #expect(proof.count <= bound, "n \(n) m \(m)")
                #expect(MerkleProof.verifyInclusion(leafHash: leaves[m], index: UInt64(m), treeSize: UInt64(n), proof: proof, root: root) == .valid)
                // Another leaf, index or root does not verify.
                #expect(!MerkleProof.verifyInclusion(leafHash: leaves[(m + 1) % 70], index: UInt64(m), treeSize: UInt64(n), proof: proof, root: root).isValid)
                if n > 1 {
                    #expect(!MerkleProof.verifyInclusion(leafHash: leaves[m], index: UInt64((m + 1) % n), treeSize: UInt64(n), proof: proof, root: root).isValid)
                }
                #expect(!MerkleProof.verifyInclusion(leafHash: leaves[m], index: UInt64(m), treeSize: UInt64(n), proof: proof, root: leaves[0]).isValid || n == 1 && m == 0)
            }
        }
        #expect(throws: HyperwardError.self) { try MerkleProof.inclusion(index: 5, treeSize: 5, source: LeafHashArray(leaves)) }
    }

    @Test func consistencyProofsVerifyAndAreBounded() throws {
        let leaves = (0..<70).map { MerkleTree.leafHash([UInt8($0), 9]) }
        let source = LeafHashArray(leaves)
        for n in 1...70 {
            let newRoot = MerkleTree.root(of: leaves[..<n])
            let bound = Int((log2(Double(n))).rounded(.up)) + 1
            for m in 1...n {
                let oldRoot = MerkleTree.root(of: leaves[..<m])
                let proof = try MerkleProof.consistency(oldSize: UInt64(m), newSize: UInt64(n), source: source)
                #expect(proof.count <= bound, "m \(m) n \(n)")
                #expect(MerkleProof.verifyConsistency(oldSize: UInt64(m), newSize: UInt64(n), oldRoot: oldRoot, newRoot: newRoot, proof: proof) == .valid)
                if m < n {
                    // A different old tree (its last leaf changed) is not a prefix.
                    var other = Array(leaves[..<m])
                    other[m - 1] = MerkleTree.leafHash([0xFF])
                    #expect(!MerkleProof.verifyConsistency(oldSize: UInt64(m), newSize: UInt64(n), oldRoot: MerkleTree.root(of: other),
                                                          newRoot: newRoot, proof: proof).isValid)
                }
            }
        }
    }

    @Test func proofLengthOfAMillionLeavesIsTwenty() {
        #expect(MerkleTree.maximumProofLength(treeSize: 1_000_000) == 20)
        #expect(MerkleTree.maximumProofLength(treeSize: 1 << 20) == 20)
        #expect(MerkleTree.maximumProofLength(treeSize: (1 << 20) + 1) == 21)
        #expect(MerkleTree.maximumProofLength(treeSize: 1) == 0)
    }
}

/// The RFC 6962/9162 vectors of transparency-dev/merkle (../shared/fixtures/merkle).
@Suite("Merkle proof vectors", .needsFixtures("merkle"))
struct MerkleVectorTests {
    struct InclusionVector: Decodable {
        var leafIdx: UInt64, treeSize: UInt64, root: String, leafHash: String, proof: [String]?, desc: String, wantErr: Bool
    }

    struct ConsistencyVector: Decodable {
        var size1: UInt64, size2: UInt64, root1: String, root2: String, proof: [String]?, desc: String, wantErr: Bool
    }

    static func files(_ kind: String) throws -> [URL] {
        let folder = try Fixtures.folder("merkle").appendingPathComponent("testdata/\(kind)")
        let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        var files: [URL] = []
        while let url = walker?.nextObject() as? URL {
            if url.pathExtension == "json" { files.append(url) }
        }
        return files.sorted { $0.path < $1.path }
    }

    static func bytes(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64) ?? Data()) }

    @Test func everyInclusionVectorVerifiesOrFailsAsItShould() throws {
        let files = try Self.files("inclusion")
        #expect(files.count >= 90)
        var happy = 0
        for file in files {
            let v = try JSONDecoder().decode(InclusionVector.self, from: Data(contentsOf: file))
            let proof = (v.proof ?? []).map(Self.bytes)
            let result = MerkleProof.verifyInclusion(leafHash: Self.bytes(v.leafHash), index: v.leafIdx, treeSize: v.treeSize, proof: proof, root: Self.bytes(v.root))
            #expect(result.isValid == !v.wantErr, "\(file.lastPathComponent) (\(v.desc)): \(result)")
            // The happy paths over the reference tree: our generated proof is the published one.
            if !v.wantErr && v.treeSize <= 8 && v.treeSize > 1 && file.path.contains("/inclusion/") && !file.path.contains("single-entry") {
                let source = LeafHashArray(referenceLeaves.map { MerkleTree.leafHash($0) })
                let generated = try MerkleProof.inclusion(index: v.leafIdx, treeSize: v.treeSize, source: source)
                #expect(generated.map(\.bytes) == proof, "\(file.path)")
                happy += 1
            }
        }
        #expect(happy >= 4)
    }

    @Test func everyConsistencyVectorVerifiesOrFailsAsItShould() throws {
        let files = try Self.files("consistency")
        #expect(files.count >= 90)
        var happy = 0
        for file in files {
            let v = try JSONDecoder().decode(ConsistencyVector.self, from: Data(contentsOf: file))
            let proof = (v.proof ?? []).map(Self.bytes)
            let result = MerkleProof.verifyConsistency(oldSize: v.size1, newSize: v.size2, oldRoot: Self.bytes(v.root1), newRoot: Self.bytes(v.root2), proof: proof)
            #expect(result.isValid == !v.wantErr, "\(file.lastPathComponent) (\(v.desc)): \(result)")
            if !v.wantErr && v.size2 <= 8 && v.size1 > 0 && v.size1 < v.size2 {
                let source = LeafHashArray(referenceLeaves.map { MerkleTree.leafHash($0) })
                let generated = try MerkleProof.consistency(oldSize: v.size1, newSize: v.size2, source: source)
                #expect(generated.map(\.bytes) == proof, "\(file.path)")
                happy += 1
            }
        }
        #expect(happy >= 4)
    }
}
