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

/// One piece of an event's evidence: a value read, an address or a count seen, a file hashed.
///
/// Which fields are set depends on the kind: an audit value read has `path`, `value` and maybe
/// `line`; a sensor count has `value`; a response's memory dump has `path`, `sha256` and `bytes`.
public struct EventEvidence: Sendable, Hashable, Codable {
    /// What it is, e.g. `read` (an audit value), `source`, `destination`, `probes` (a sensor
    /// count), `metric:cpu` (a monitor signal), `memory` or `disk:vda` (a response's evidence file).
    public var kind: String
    /// The value, as text; never a secret.
    public var value: String?
    /// The file it came from or was written to.
    public var path: String?
    /// The SHA-256 of that file, 64 lowercase hex digits.
    public var sha256: String?
    /// The size of that file in bytes.
    public var bytes: Int64?
    /// The 1-based line in `path` the value came from.
    public var line: Int?

    /// Creates a piece of evidence; `value` is bounded like a finding's evidence.
    public init(kind: String, value: String? = nil, path: String? = nil, sha256: String? = nil,
                bytes: Int64? = nil, line: Int? = nil) {
        self.kind = kind
        self.value = value.map(Evidence.bounded)
        self.path = path
        self.sha256 = sha256
        self.bytes = bytes
        self.line = line
    }
}
