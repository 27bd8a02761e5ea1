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

/// The outcome of one check on one subject.
public enum Status: String, Sendable, Codable, CaseIterable {
    /// The protection is in place.
    case pass
    /// The protection is missing or weakened.
    case fail
    /// Something is doubtful and worth a look (for example the kernel reports `Unknown`).
    case warn
    /// A fact about the host, neither good nor bad.
    case info
    /// The check does not apply to this host (no such hardware, daemon or file).
    case notApplicable = "notapplicable"
    /// The check could not run (unreadable or malformed input); the finding says why.
    case error

    /// Whether this status counts against the host's score and `--fail-on`.
    public var isProblem: Bool { self == .fail || self == .warn || self == .error }
}
