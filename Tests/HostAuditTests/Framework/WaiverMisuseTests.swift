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
import Testing

@testable import HostAudit

/// A misspelt waivers file is an error, not a file that waives nothing.
@Suite("Waivers file misuse")
struct WaiverMisuseTests {
    @Test("unknown keys are errors naming the key and its line", arguments: [
        ("waiver:\n  - { id: ksm.run, reason: lab, expires: \"2999-01-01\" }\n", "w.yaml:1:", "unknown key 'waiver'"),
        ("waivers:\n  - id: ksm.run\n    reason: lab\n    expire: \"2999-01-01\"\n", "w.yaml:4:", "unknown key 'expire' in waiver #1"),
        ("waivers:\n  - { id: a, reason: r, expires: \"2999-01-01\" }\n  - { id: b, reason: r, expires: \"2999-01-01\", subjects: x }\n",
         "w.yaml:3:", "unknown key 'subjects' in waiver #2"),
    ])
    func unknownKeys(text: String, location: String, message: String) {
        #expect {
            try WaiverSet.parse(text, file: "w.yaml")
        } throws: { error in
            let description = "\(error)"
            return description.hasPrefix(location) && description.contains(message)
        }
    }

    @Test func knownKeysStillParse() throws {
        let set = try WaiverSet.parse("waivers:\n  - { id: ksm.run, subject: vm1, reason: lab, expires: \"2999-01-01\" }\n", file: "w.yaml")
        #expect(set.waivers.count == 1 && set.waivers[0].subject == "vm1")
    }
}
