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

import HyperwardCore

/// The result of one audit run: every finding plus what the renderers need around them.
public struct AuditReport: Sendable, Codable {
    /// The JSON schema version of this report (`docs/audit-formats.md` and `docs/audit-report.schema.json`).
    public static let schemaVersion = "1.0"

    public var schemaVersion: String
    /// The Hyperward version that produced the report.
    public var toolVersion: String
    /// The audited root (`/` for this host).
    public var root: String
    /// The host's name as read from `/proc/sys/kernel/hostname` (or `/etc/hostname`).
    public var hostname: String?
    /// The running kernel release.
    public var kernelRelease: String?
    /// When the audit started, ISO 8601 UTC.
    public var startedAt: String
    /// How long the checks took, in seconds.
    public var durationSeconds: Double
    /// Every finding, in catalog order.
    public var findings: [Finding]
    /// Ids skipped with `--skip`.
    public var skipped: [String]

    /// Creates a report.
    public init(
        toolVersion: String, root: String, hostname: String?, kernelRelease: String?, startedAt: String,
        durationSeconds: Double, findings: [Finding], skipped: [String] = []
    ) {
        self.schemaVersion = AuditReport.schemaVersion
        self.toolVersion = toolVersion
        self.root = root
        self.hostname = hostname
        self.kernelRelease = kernelRelease
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.findings = findings
        self.skipped = skipped
    }

    /// Whether a finding counts: not covered by an unexpired waiver.
    public static func counts(_ finding: Finding) -> Bool {
        guard let waiver = finding.waiver else { return true }
        return waiver.isExpired
    }

    /// The score of a set of findings, 0–100 (100 = every scored check passed), or `nil` if none scored.
    ///
    /// Each pass/fail/warn/error finding weighs its severity rank + 1; a pass earns its full weight,
    /// a warn or error half, a fail nothing. Info, not-applicable and waived findings are not scored.
    public static func score(of findings: [Finding]) -> Int? {
        var total = 0.0
        var earned = 0.0
        for finding in findings where counts(finding) {
            let weight = Double(finding.severity.rank + 1)
            switch finding.status {
            case .pass: total += weight; earned += weight
            case .warn, .error: total += weight; earned += weight / 2
            case .fail: total += weight
            case .info, .notApplicable: continue
            }
        }
        guard total > 0 else { return nil }
        return Int((earned / total * 100).rounded(.down))
    }

    /// The score per threat class.
    public var scoresByThreat: [ThreatClass: Int] {
        var scores: [ThreatClass: Int] = [:]
        for threat in ThreatClass.allCases {
            if let s = AuditReport.score(of: findings.filter { $0.threat == threat }) { scores[threat] = s }
        }
        return scores
    }

    /// The overall score.
    public var overallScore: Int? { AuditReport.score(of: findings) }

    /// How many counted findings have each status.
    public var statusCounts: [Status: Int] {
        var counts: [Status: Int] = [:]
        for finding in findings where AuditReport.counts(finding) { counts[finding.status, default: 0] += 1 }
        return counts
    }

    /// Counted failures at or above `severity`.
    public func failures(atLeast severity: Severity) -> [Finding] {
        findings.filter { AuditReport.counts($0) && $0.status == .fail && $0.severity >= severity }
    }

    /// Whether any check could not run.
    public var hasErrors: Bool { findings.contains { $0.status == .error } }
}
