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


/// One way the evidence differs from what was expected: which check, which event or PCR, what
/// was expected and what was seen. A verification passes only with none.
public struct AttestationDeviation: Hashable, Sendable, CustomStringConvertible {
    /// The check that failed, stable for scripts: `quote.signature`, `quote.nonce`,
    /// `pcr.mismatch`, `policy.boot-application`, …
    public var check: String
    /// The PCR concerned.
    public var pcr: UInt32?
    /// The log event concerned (its index).
    public var event: Int?
    /// What was expected.
    public var expected: String?
    /// What was seen.
    public var seen: String?
    /// One sentence for the operator.
    public var message: String

    /// Creates a deviation.
    public init(check: String, pcr: UInt32? = nil, event: Int? = nil, expected: String? = nil, seen: String? = nil, message: String) {
        self.check = check
        self.pcr = pcr
        self.event = event
        self.expected = expected
        self.seen = seen
        self.message = message
    }

    public var description: String {
        var parts = ["[\(check)]"]
        if let pcr { parts.append("PCR \(pcr)") }
        if let event { parts.append("event \(event)") }
        var text = parts.joined(separator: " ") + ": " + message
        if let expected { text += "; expected \(expected)" }
        if let seen { text += ", seen \(seen)" }
        return text
    }
}
