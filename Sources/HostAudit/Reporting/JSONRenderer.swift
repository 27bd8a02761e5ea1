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

/// Renders an audit report as the versioned JSON document `hyperward.audit/1.0`, described by
/// `docs/audit-report.schema.json` (JSON Schema 2020-12) and `docs/audit-formats.md`.
///
/// Keys are written in a fixed, documented order and the output is pretty-printed, so two runs on
/// an unchanged host differ only in `startedAt` and `durationSeconds`. Strings are escaped
/// losslessly: a consumer sees exactly the bytes a check read (within `Evidence`'s own bound).
public struct JSONRenderer: Sendable {
    /// The schema identifier written as `schema`; its minor version grows when fields are added,
    /// its major version when a field changes meaning or goes away.
    public static var schemaIdentifier: String { "hyperward.audit/\(AuditReport.schemaVersion)" }

    /// Creates a renderer.
    public init() {}

    /// The rendered report, ending in a newline.
    public func render(_ report: AuditReport) -> String {
        document(for: report).prettyPrinted()
    }

    func document(for report: AuditReport) -> ReportJSON {
        let scores = report.scoresByThreat
        var scoreMembers: [(String, ReportJSON)] = [("overall", .optional(report.overallScore))]
        for threat in ThreatClass.allCases { scoreMembers.append((threat.code, .optional(scores[threat]))) }

        let counts = report.statusCounts
        var countMembers: [(String, ReportJSON)] = Status.allCases.map { ($0.rawValue, .int(counts[$0, default: 0])) }
        countMembers.append(("waived", .int(report.findings.filter { !AuditReport.counts($0) }.count)))
        countMembers.append(("total", .int(report.findings.count)))

        return .object([
            ("schema", .string(JSONRenderer.schemaIdentifier)),
            ("tool", .object([("name", .string("hyperward")), ("version", .string(report.toolVersion))])),
            ("host", .object([
                ("hostname", .optional(report.hostname)),
                ("kernelRelease", .optional(report.kernelRelease)),
                ("root", .string(report.root)),
            ])),
            ("startedAt", .string(report.startedAt)),
            ("durationSeconds", report.durationSeconds.isFinite ? .double(report.durationSeconds) : .null),
            ("scores", .object(scoreMembers)),
            ("counts", .object(countMembers)),
            ("findings", .array(report.findings.map(JSONRenderer.finding))),
            ("skipped", .array(report.skipped.map(ReportJSON.string))),
        ])
    }

    static func finding(_ finding: Finding) -> ReportJSON {
        var members: [(String, ReportJSON)] = [("id", .string(finding.id))]
        if let subject = finding.subject { members.append(("subject", .string(subject))) }
        members += [
            ("title", .string(finding.title)),
            ("threat", .string(finding.threat.code)),
            ("threatName", .string(finding.threat.title)),
            ("severity", .string(finding.severity.rawValue)),
            ("status", .string(finding.status.rawValue)),
            ("detail", .string(finding.detail)),
            ("evidence", .array(finding.evidence.map(JSONRenderer.evidence))),
            ("remediation", .string(finding.remediation)),
            ("references", .array(finding.references.map(ReportJSON.string))),
        ]
        if let waiver = finding.waiver {
            members.append(("waiver", .object([
                ("reason", .string(waiver.reason)),
                ("expires", .string(waiver.expires)),
                ("expired", .bool(waiver.isExpired)),
            ])))
        }
        return .object(members)
    }

    static func evidence(_ evidence: Evidence) -> ReportJSON {
        var members: [(String, ReportJSON)] = [("path", .string(evidence.path)), ("value", .string(evidence.value))]
        // Lines are 1-based; a check that reported 0 or less made a mistake, and the schema says so.
        if let line = evidence.line, line >= 1 { members.append(("line", .int(line))) }
        return .object(members)
    }
}
