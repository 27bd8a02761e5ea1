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

/// The text form of a small payload's ciphertext: `hyperward:v<N>:<base64>`, where N is the key
/// version (1 to 999,999,999, no leading zero) and the base64 (standard alphabet, padded) holds
/// the 12-byte AES-GCM nonce, the ciphertext and the 16-byte tag.
public struct Ciphertext: Sendable, Hashable, CustomStringConvertible {
    public static let prefix = "hyperward:v"
    /// The longest text accepted (a 1 MiB payload in base64, plus the header).
    public static let maxTextLength = 1_398_200

    public var version: Int
    /// Nonce, ciphertext and tag.
    public var sealed: [UInt8]

    public init(version: Int, sealed: [UInt8]) {
        self.version = version
        self.sealed = sealed
    }

    /// Parses the text form (surrounding whitespace allowed); `invalidCiphertext` names what is wrong.
    public init(parsing text: String) throws(KeyError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count <= Ciphertext.maxTextLength else {
            throw KeyError(.invalidCiphertext, "ciphertext longer than \(Ciphertext.maxTextLength) characters")
        }
        guard trimmed.hasPrefix(Ciphertext.prefix) else {
            throw KeyError(.invalidCiphertext, "not a Hyperward ciphertext (expected \(Ciphertext.prefix)<N>:<base64>)")
        }
        let rest = trimmed.dropFirst(Ciphertext.prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { throw KeyError(.invalidCiphertext, "ciphertext has no version separator") }
        let digits = rest[..<colon]
        guard (1...9).contains(digits.count), digits.first != "0", digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let version = Int(digits) else {
            throw KeyError(.invalidCiphertext, "ciphertext version \(String(digits.prefix(12)).debugDescription) is not a number from 1 to 999999999")
        }
        let body = rest[rest.index(after: colon)...]
        guard let data = Data(base64Encoded: String(body)), data.count >= 28 else {
            throw KeyError(.invalidCiphertext, "ciphertext body is not base64 of at least 28 bytes (nonce and tag)")
        }
        self.version = version
        self.sealed = Array(data)
    }

    public var description: String { "\(Ciphertext.prefix)\(version):\(Data(sealed).base64EncodedString())" }
}
