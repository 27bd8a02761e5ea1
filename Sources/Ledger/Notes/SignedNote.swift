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

/// A note signed in the C2SP `signed-note` form: the text (UTF-8, lines ending in newlines),
/// a blank line, then one line per signature, `— <name> <base64(key id ‖ signature)>`.
public struct SignedNote: Sendable, Hashable {
    /// One signature line.
    public struct Signature: Sendable, Hashable {
        /// The signer's key name.
        public var name: String
        /// The key id (the first 4 bytes of the signature's bytes, big-endian).
        public var keyID: UInt32
        /// The signature's bytes after the key id.
        public var signature: [UInt8]

        /// Creates a signature.
        public init(name: String, keyID: UInt32, signature: [UInt8]) {
            self.name = name
            self.keyID = keyID
            self.signature = signature
        }

        /// The signature's line, without its newline.
        public var line: String {
            let bytes = withUnsafeBytes(of: keyID.bigEndian) { Array($0) } + signature
            return "\u{2014} \(name) \(Data(bytes).base64EncodedString())"
        }
    }

    /// The signed text, ending in a newline.
    public var text: String
    /// The signatures, in order.
    public var signatures: [Signature]

    /// Creates a note.
    public init(text: String, signatures: [Signature]) {
        self.text = text
        self.signatures = signatures
    }

    /// The note as written: text, blank line, signature lines.
    public var serialized: String {
        text + "\n" + signatures.map { $0.line + "\n" }.joined()
    }

    /// The largest note read, and the most signatures.
    public static let maximumLength = 16384
    public static let maximumSignatures = 100

    /// Reads a signed note.
    /// - Throws: `HyperwardError(.invalidInput)` (or `.tooLarge`) saying what is wrong.
    public init(parsing note: String) throws(HyperwardError) {
        let bytes = Array(note.utf8)
        guard bytes.count <= SignedNote.maximumLength else {
            throw HyperwardError(.tooLarge, "a signed note of \(bytes.count) bytes is over the limit of \(SignedNote.maximumLength)")
        }
        // Text is UTF-8 without control characters other than newline.
        guard String(validating: bytes, as: UTF8.self) != nil else { throw HyperwardError(.invalidInput, "signed note: not UTF-8") }
        if let bad = note.unicodeScalars.first(where: { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F }) {
            throw HyperwardError(.invalidInput, "signed note: control character U+\(String(bad.value, radix: 16, uppercase: true)) (only newlines may appear)")
        }
        guard note.hasSuffix("\n") else { throw HyperwardError(.invalidInput, "signed note: it does not end with a newline") }
        // The text ends at the last blank line; the signature block follows.
        guard let split = note.range(of: "\n\n", options: .backwards) else {
            throw HyperwardError(.invalidInput, "signed note: no blank line before the signatures")
        }
        let text = String(note[..<split.lowerBound]) + "\n"
        let block = note[split.upperBound...]
        var signatures: [Signature] = []
        for (number, line) in block.dropLast().split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard signatures.count < SignedNote.maximumSignatures else {
                throw HyperwardError(.tooLarge, "signed note: more than \(SignedNote.maximumSignatures) signatures")
            }
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == "\u{2014}", !fields[1].isEmpty, !fields[1].contains("+") else {
                throw HyperwardError(.invalidInput, "signed note: signature line \(number + 1) is not `— <name> <base64>`")
            }
            guard let raw = Data(base64Encoded: String(fields[2])), raw.count >= 5, raw.count <= 4 + 1024 else {
                throw HyperwardError(.invalidInput, "signed note: signature line \(number + 1) has no valid base64 signature")
            }
            let keyID = raw.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            signatures.append(Signature(name: String(fields[1]), keyID: keyID, signature: Array(raw.dropFirst(4))))
        }
        guard !signatures.isEmpty else { throw HyperwardError(.invalidInput, "signed note: no signature lines") }
        self.init(text: text, signatures: signatures)
    }
}
