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

extension KeyInfo {
    /// One line: versions, minimums, rotation period, creation time.
    public var summary: String {
        let versions = versions.map(\.version)
        return "\(name)  latest v\(latestVersion)  decrypt ≥ v\(minDecryptionVersion)  encrypt ≥ v\(max(minEncryptionVersion, minDecryptionVersion))  "
            + "stored v\(versions.first ?? 0)…v\(versions.last ?? 0)  rotate \(rotateAfterSeconds.map { "every \($0) s" } ?? "manually")  created \(created)"
    }

    /// The metadata as one JSON object (snake_case keys, sorted; never key material).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
