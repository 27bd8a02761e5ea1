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

/// Renders an audit report in the Prometheus text exposition format 0.0.4, for the node
/// exporter's textfile collector or any scraper (`Content-Type: text/plain; version=0.0.4`).
///
/// Metrics (documented in `docs/audit-formats.md`), all gauges:
/// - `hyperward_audit_info{version,hostname,kernel,root} 1`
/// - `hyperward_audit_check_status{id,subject,threat,severity,waiver}` — the status encoded as in
///   `statusValue(_:)`: 0 pass, 1 info, 2 notapplicable, 3 warn, 4 error, 5 fail, so `>= 3` is a
///   problem; `waiver` is `none`, `active` or `expired`;
/// - `hyperward_audit_score{threat}` and `hyperward_audit_score_overall` (0–100, absent when
///   nothing was scored);
/// - `hyperward_audit_findings{status}` (counted findings) and `hyperward_audit_findings_waived`;
/// - `hyperward_audit_duration_seconds` and `hyperward_audit_last_run_timestamp_seconds`.
public struct PrometheusRenderer: Sendable {
    /// Label values longer than this many characters are cut, so a hostile subject cannot make an
    /// unbounded series.
    public static let maxLabelLength = 1024

    /// Creates a renderer.
    public init() {}

    /// The number `hyperward_audit_check_status` reports for `status`, ordered by how much
    /// attention it needs.
    public static func statusValue(_ status: Status) -> Int {
        switch status {
        case .pass: 0
        case .info: 1
        case .notApplicable: 2
        case .warn: 3
        case .error: 4
        case .fail: 5
        }
    }

    struct Sample {
        var labels: [(String, String)]
        var value: String
    }

    /// The rendered exposition, ending in a newline.
    public func render(_ report: AuditReport) -> String {
        var out = ""
        func family(_ name: String, _ help: String, _ samples: [Sample]) {
            guard !samples.isEmpty else { return }
            out += "# HELP \(name) \(PrometheusRenderer.escapeHelp(help))\n"
            out += "# TYPE \(name) gauge\n"
            for sample in samples {
                out += name
                if !sample.labels.isEmpty {
                    let pairs = sample.labels.map { "\($0.0)=\"\(PrometheusRenderer.escapeLabel($0.1))\"" }
                    out += "{" + pairs.joined(separator: ",") + "}"
                }
                out += " \(sample.value)\n"
            }
        }

        family("hyperward_audit_info", "Hyperward audit run; the labels carry the version, host and kernel.", [
            Sample(labels: [
                ("version", report.toolVersion), ("hostname", report.hostname ?? ""),
                ("kernel", report.kernelRelease ?? ""), ("root", report.root),
            ], value: "1"),
        ])

        // One series per finding key; should a check report the same key twice, the worse status wins.
        var statusSamples: [Sample] = []
        var indexByKey: [String: Int] = [:]
        var valueByKey: [String: Int] = [:]
        for finding in report.findings {
            let id = PrometheusRenderer.bounded(finding.id)
            let subject = PrometheusRenderer.bounded(finding.subject ?? "")
            let key = id + "\u{0}" + subject
            let value = PrometheusRenderer.statusValue(finding.status)
            let waiver = finding.waiver.map { $0.isExpired ? "expired" : "active" } ?? "none"
            let sample = Sample(labels: [
                ("id", id), ("subject", subject), ("threat", finding.threat.code),
                ("severity", finding.severity.rawValue), ("waiver", waiver),
            ], value: String(value))
            if let index = indexByKey[key] {
                if value > valueByKey[key, default: 0] {
                    statusSamples[index] = sample
                    valueByKey[key] = value
                }
            } else {
                indexByKey[key] = statusSamples.count
                valueByKey[key] = value
                statusSamples.append(sample)
            }
        }
        family("hyperward_audit_check_status",
               "Outcome of one check on one subject: 0 pass, 1 info, 2 notapplicable, 3 warn, 4 error, 5 fail.",
               statusSamples)

        let scores = report.scoresByThreat
        family("hyperward_audit_score", "Score per threat class, 0-100 (100 = every scored check passed).",
               ThreatClass.allCases.compactMap { threat in
                   scores[threat].map { Sample(labels: [("threat", threat.code)], value: String($0)) }
               })
        family("hyperward_audit_score_overall", "Overall score, 0-100 (100 = every scored check passed).",
               report.overallScore.map { [Sample(labels: [], value: String($0))] } ?? [])

        let counts = report.statusCounts
        family("hyperward_audit_findings", "Findings by status, not counting those under an unexpired waiver.",
               Status.allCases.map { Sample(labels: [("status", $0.rawValue)], value: String(counts[$0, default: 0])) })
        family("hyperward_audit_findings_waived", "Findings covered by an unexpired waiver.",
               [Sample(labels: [], value: String(report.findings.filter { !AuditReport.counts($0) }.count))])
        family("hyperward_audit_duration_seconds", "How long the audit's checks took to run.",
               [Sample(labels: [], value: PrometheusRenderer.number(report.durationSeconds))])
        family("hyperward_audit_last_run_timestamp_seconds", "When the audit started, in seconds since the Unix epoch.",
               ReportTimestamp.epochSeconds(report.startedAt).map { [Sample(labels: [], value: PrometheusRenderer.number($0))] } ?? [])
        return out
    }

    static func bounded(_ value: String) -> String { value.truncated(to: maxLabelLength) }

    /// A label value escaped per the exposition format: `\` → `\\`, `"` → `\"`, newline → `\n`;
    /// other control characters are first made visible, since scrapers differ in what they accept.
    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for scalar in value.escapingControlCharacters(keeping: ["\n"]).unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// HELP text escaped per the exposition format: `\` → `\\`, newline → `\n`.
    static func escapeHelp(_ value: String) -> String {
        var out = ""
        for scalar in value.escapingControlCharacters(keeping: ["\n"]).unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A sample value as Go's `strconv.ParseFloat` reads it (`NaN`, `+Inf`, `-Inf` spelled its way).
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}
