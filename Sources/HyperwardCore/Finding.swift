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

/// One piece of evidence: where a value was read and what it was.
public struct Evidence: Sendable, Codable, Hashable {
    /// The path read, as seen on the audited host (not prefixed with `--root`).
    public var path: String
    /// The value read, trimmed and bounded; never a secret.
    public var value: String
    /// The 1-based line in `path` the value came from, where it applies.
    public var line: Int?

    /// Creates evidence for `value` read from `path` (at `line`, if any).
    public init(path: String, value: String, line: Int? = nil) {
        self.path = path
        self.value = Evidence.bounded(value)
        self.line = line
    }

    /// Evidence values are for humans: keep them short and single-line-ish.
    static func bounded(_ value: String) -> String {
        let limit = 512
        if value.utf8.count <= limit { return value }
        let prefix = String(decoding: value.utf8.prefix(limit), as: UTF8.self)
        return prefix + "… (\(value.utf8.count) bytes)"
    }
}

/// One result of a posture check: what was checked, how it came out, the evidence, and the fix.
public struct Finding: Sendable, Codable, Hashable, Identifiable {
    /// Stable check identifier, e.g. `cpu.vulnerability.spec_store_bypass`; waivers and history key on it.
    public var id: String
    /// The thing checked when one check reports on many (a QEMU process, a file), else `nil`.
    public var subject: String?
    /// One-line title.
    public var title: String
    /// The threat class this finding defends against.
    public var threat: ThreatClass
    /// How bad it is when the status is a problem.
    public var severity: Severity
    /// The outcome.
    public var status: Status
    /// A one-sentence explanation of the outcome.
    public var detail: String
    /// What was read to reach the outcome.
    public var evidence: [Evidence]
    /// How to fix a problem (empty for a pass with nothing to do).
    public var remediation: String
    /// Where the rule comes from: kernel docs, CVEs, vendor guides.
    public var references: [String]
    /// Set when a waiver covers this finding.
    public var waiver: WaiverNote?

    /// The key that identifies this finding across runs: `id` plus `subject`.
    public var key: String { subject.map { "\(id)[\($0)]" } ?? id }

    /// Creates a finding.
    public init(
        id: String,
        subject: String? = nil,
        title: String,
        threat: ThreatClass,
        severity: Severity,
        status: Status,
        detail: String,
        evidence: [Evidence] = [],
        remediation: String = "",
        references: [String] = [],
        waiver: WaiverNote? = nil
    ) {
        self.id = id
        self.subject = subject
        self.title = title
        self.threat = threat
        self.severity = severity
        self.status = status
        self.detail = detail
        self.evidence = evidence
        self.remediation = remediation
        self.references = references
        self.waiver = waiver
    }
}

/// What a waiver did to a finding.
public struct WaiverNote: Sendable, Codable, Hashable {
    /// The operator's reason, as written in the waivers file.
    public var reason: String
    /// The last day the waiver applies (ISO 8601 date).
    public var expires: String
    /// `true` when the waiver's date has passed: the finding keeps its real status.
    public var isExpired: Bool

    /// Creates a waiver note.
    public init(reason: String, expires: String, isExpired: Bool) {
        self.reason = reason
        self.expires = expires
        self.isExpired = isExpired
    }
}
