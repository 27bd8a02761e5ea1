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


import Foundation
import HyperwardCore

/// A log checkpoint in the C2SP `tlog-checkpoint` form: the origin line, the tree size in
/// decimal, the root hash in standard base64, then optional extension lines, each ending in a
/// newline. It is the text a signed note signs.
public struct Checkpoint: Sendable, Hashable {
    /// The log's name, unique to it: `hyperward.local/<host>/ledger` for a Hyperward store.
    public var origin: String
    /// The number of leaves.
    public var size: UInt64
    /// The root of the tree of `size` leaves.
    public var root: MerkleHash
    /// Further lines (none written by Hyperward; kept when read).
    public var extensions: [String]

    /// Creates a checkpoint.
    public init(origin: String, size: UInt64, root: MerkleHash, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    /// The checkpoint's text.
    public var text: String {
        "\(origin)\n\(size)\n\(root.base64)\n" + extensions.map { $0 + "\n" }.joined()
    }

    /// The largest checkpoint text read.
    public static let maximumLength = 8192

    /// Reads a checkpoint's text.
    /// - Throws: `HyperwardError(.invalidInput)` naming the line that is wrong.
    public init(text: String) throws(HyperwardError) {
        guard text.utf8.count <= Checkpoint.maximumLength else {
            throw HyperwardError(.tooLarge, "a checkpoint of \(text.utf8.count) bytes is over the limit of \(Checkpoint.maximumLength)")
        }
        guard text.hasSuffix("\n") else { throw HyperwardError(.invalidInput, "checkpoint: the text does not end with a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else { throw HyperwardError(.invalidInput, "checkpoint: \(lines.count) line(s); needs origin, size and root hash") }
        guard !lines[0].isEmpty, !lines[0].contains(where: { $0.isWhitespace }) else {
            throw HyperwardError(.invalidInput, "checkpoint line 1: the origin is empty or holds white space")
        }
        let sizeText = lines[1]
        guard !sizeText.isEmpty, sizeText.utf8.count <= 20, sizeText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              sizeText == "0" || !sizeText.hasPrefix("0"), let size = UInt64(sizeText) else {
            throw HyperwardError(.invalidInput, "checkpoint line 2: \(sizeText.debugDescription) is not a decimal tree size")
        }
        guard let root = MerkleHash(base64: lines[2]), root.base64 == lines[2] else {
            throw HyperwardError(.invalidInput, "checkpoint line 3: not the base64 of a 32-byte root hash")
        }
        let extensions = Array(lines[3...])
        if let empty = extensions.firstIndex(where: \.isEmpty) {
            throw HyperwardError(.invalidInput, "checkpoint line \(empty + 4): an empty extension line")
        }
        self.init(origin: lines[0], size: size, root: root, extensions: extensions)
    }
}
