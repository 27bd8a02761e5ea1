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

/// Key-value pairs bound to a ciphertext as associated data: decryption must present the same
/// pairs (in any order). The canonical form sorts them by key; keys are `[A-Za-z0-9._-]{1,64}`,
/// values at most 1024 bytes without newlines.
public struct EncryptionContext: Sendable, Hashable {
    public private(set) var pairs: [String: String] = [:]

    public init() {}

    /// A context from pairs; throws `invalidArgument` for a bad key or value.
    public init(_ pairs: [String: String]) throws(KeyError) {
        for (key, value) in pairs { try set(key, value) }
    }

    /// Parses `K=V` arguments (split at the first `=`).
    public init(arguments: [String]) throws(KeyError) {
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "=") else {
                throw KeyError(.invalidArgument, "context \(argument.debugDescription) must be KEY=VALUE")
            }
            let key = String(argument[..<equals])
            guard pairs[key] == nil else { throw KeyError(.invalidArgument, "context key \(key.debugDescription) given twice") }
            try set(key, String(argument[argument.index(after: equals)...]))
        }
    }

    public mutating func set(_ key: String, _ value: String) throws(KeyError) {
        guard (1...64).contains(key.utf8.count),
              key.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D })
        else {
            throw KeyError(.invalidArgument, "context key \(key.debugDescription) must be 1 to 64 of A-Z a-z 0-9 . _ -")
        }
        guard value.utf8.count <= 1024, !value.utf8.contains(0x0A), !value.utf8.contains(0) else {
            throw KeyError(.invalidArgument, "context value of \(key) must be at most 1024 bytes without newlines")
        }
        pairs[key] = value
    }

    /// `key=value` lines sorted by key, each ending in a newline (empty for no pairs).
    public var canonicalBytes: [UInt8] {
        var bytes: [UInt8] = []
        for key in pairs.keys.sorted() {
            bytes += Array(key.utf8) + [0x3D] + Array(pairs[key]!.utf8) + [0x0A]
        }
        return bytes
    }

    public var isEmpty: Bool { pairs.isEmpty }
}
