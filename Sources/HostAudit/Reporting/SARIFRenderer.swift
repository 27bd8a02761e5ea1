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

/// Renders an audit report as a SARIF 2.1.0 log (OASIS SARIF v2.1.0 errata 01) that GitHub code
/// scanning and other SARIF consumers accept.
///
/// Mapping (documented in `docs/audit-formats.md`):
/// - one run; `tool.driver.rules` holds one rule per distinct finding id, in report order, with the
///   highest severity seen for that id;
/// - `results` holds only problems (`fail`, `warn`, `error`); `fail` is `error` for high/critical,
///   `warning` for medium/low and `note` for info severity; `warn` is `warning`; a check that could
///   not run (`error` status) is a `note` result *and* an `error` tool execution notification, so
///   consumers neither drop it nor count it as a host vulnerability;
/// - a location is the evidence path relative to the `ROOT` base id, which
///   `originalUriBaseIds` maps to the audited root (`file:///` for the running host); the first
///   evidence is the location, the rest are related locations; `region.startLine` is set when the
///   evidence has a line;
/// - findings under an unexpired waiver carry an `external`, `accepted` suppression whose
///   justification is the waiver's reason; an expired waiver adds no suppression.
public struct SARIFRenderer: Sendable {
    /// The SARIF schema URI written as `$schema`.
    public static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"
    /// The `uriBaseId` every location is relative to.
    public static let rootBaseID = "ROOT"
    /// The partial fingerprint key: the finding key (`id[subject]`) is stable across runs.
    public static let fingerprintKey = "hyperwardFindingKey/v1"

    /// Creates a renderer.
    public init() {}

    /// The rendered log, ending in a newline.
    public func render(_ report: AuditReport) -> String {
        document(for: report).prettyPrinted()
    }

    func document(for report: AuditReport) -> ReportJSON {
        var ruleIndex: [String: Int] = [:]
        var ruleFindings: [[Finding]] = []
        for finding in report.findings {
            if let index = ruleIndex[finding.id] {
                ruleFindings[index].append(finding)
            } else {
                ruleIndex[finding.id] = ruleFindings.count
                ruleFindings.append([finding])
            }
        }
        let rules = ruleFindings.map(SARIFRenderer.rule)
        var results: [ReportJSON] = []
        var notifications: [ReportJSON] = []
        for finding in report.findings where finding.status.isProblem {
            let index = ruleIndex[finding.id] ?? 0
            results.append(SARIFRenderer.result(finding, ruleIndex: index))
            if finding.status == .error {
                notifications.append(.object([
                    ("level", .string("error")),
                    ("message", SARIFRenderer.message("\(finding.key): \(finding.detail)")),
                    ("associatedRule", .object([("id", .string(finding.id)), ("index", .int(index))])),
                ]))
            }
        }

        var invocation: [(String, ReportJSON)] = [("executionSuccessful", .bool(true))]
        if let start = ReportTimestamp.epochSeconds(report.startedAt) {
            invocation.append(("startTimeUtc", .string(SARIFRenderer.timestamp(start))))
            if report.durationSeconds.isFinite, report.durationSeconds >= 0, report.durationSeconds < 1e9 {
                invocation.append(("endTimeUtc", .string(SARIFRenderer.timestamp(start + report.durationSeconds))))
            }
        }
        if !notifications.isEmpty { invocation.append(("toolExecutionNotifications", .array(notifications))) }

        let scores = report.scoresByThreat
        var scoreMembers: [(String, ReportJSON)] = [("overall", .optional(report.overallScore))]
        for threat in ThreatClass.allCases { scoreMembers.append((threat.code, .optional(scores[threat]))) }

        let run: ReportJSON = .object([
            ("tool", .object([
                ("driver", .object([
                    ("name", .string("hyperward")),
                    ("version", .string(report.toolVersion)),
                    ("rules", .array(rules)),
                ])),
            ])),
            ("invocations", .array([.object(invocation)])),
            ("originalUriBaseIds", .object([
                (SARIFRenderer.rootBaseID, .object([
                    ("uri", .string(SARIFRenderer.rootURI(report.root))),
                    ("description", SARIFRenderer.message("The root directory of the audited host.")),
                ])),
            ])),
            ("results", .array(results)),
            ("properties", .object([
                ("hostname", .optional(report.hostname)),
                ("kernelRelease", .optional(report.kernelRelease)),
                ("scores", .object(scoreMembers)),
                ("skipped", .array(report.skipped.map(ReportJSON.string))),
            ])),
        ])
        return .object([
            ("$schema", .string(SARIFRenderer.schemaURI)),
            ("version", .string("2.1.0")),
            ("runs", .array([run])),
        ])
    }

    // MARK: Rules

    static func rule(_ findings: [Finding]) -> ReportJSON {
        // A rule exists because a finding has its id, so `findings` is never empty.
        guard let first = findings.first else { return .object([]) }
        let severity = findings.map(\.severity).max() ?? first.severity
        let remediation = findings.first { !$0.remediation.isEmpty }?.remediation
        var references: [String] = []
        for reference in findings.flatMap(\.references) where !references.contains(reference) {
            references.append(reference)
        }
        var help = remediation ?? "No action needed: this check passed or does not apply on the audited host."
        if !references.isEmpty {
            help += "\n\nReferences:\n" + references.map { "- " + $0 }.joined(separator: "\n")
        }
        let fullDescription = "\(first.title). Threat class \(first.threat.code) (\(first.threat.title)); " +
            "severity \(severity.rawValue)."

        var tags = ["security", first.threat.code, severity.rawValue]
        tags = tags.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        var properties: [(String, ReportJSON)] = [
            ("tags", .array(tags.map(ReportJSON.string))),
            ("threat", .string(first.threat.code)),
            ("threatName", .string(first.threat.title)),
            ("severity", .string(severity.rawValue)),
        ]
        if let score = securitySeverity(severity) { properties.append(("security-severity", .string(score))) }

        var members: [(String, ReportJSON)] = [
            ("id", .string(first.id)),
            ("shortDescription", message(first.title)),
            ("fullDescription", message(fullDescription)),
            ("help", message(help)),
        ]
        if let uri = references.first(where: isWebURI) { members.append(("helpUri", .string(uri))) }
        members.append(("defaultConfiguration", .object([("level", .string(level(fail: severity)))])))
        members.append(("properties", .object(properties)))
        return .object(members)
    }

    /// GitHub code scanning's `security-severity` (a CVSS-like 0.0–10.0 score as a string): over
    /// 9.0 is critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low. Info findings get none.
    static func securitySeverity(_ severity: Severity) -> String? {
        switch severity {
        case .critical: "9.5"
        case .high: "8.0"
        case .medium: "5.5"
        case .low: "3.0"
        case .info: nil
        }
    }

    static func level(fail severity: Severity) -> String {
        switch severity {
        case .critical, .high: "error"
        case .medium, .low: "warning"
        case .info: "note"
        }
    }

    static func level(_ finding: Finding) -> String {
        switch finding.status {
        case .fail: level(fail: finding.severity)
        case .warn: "warning"
        case .error: "note"
        case .pass, .info, .notApplicable: "none"
        }
    }

    // MARK: Results

    static func result(_ finding: Finding, ruleIndex: Int) -> ReportJSON {
        var text = finding.title
        if let subject = finding.subject { text += " [\(subject)]" }
        if !finding.detail.isEmpty { text += ": " + finding.detail }
        if !finding.remediation.isEmpty { text += " Fix: " + finding.remediation }

        var locations: [ReportJSON] = []
        var related: [ReportJSON] = []
        if finding.evidence.isEmpty {
            // Consumers require a physical location; without evidence the finding is about the host.
            locations.append(location(uri: ".", line: nil, message: nil, id: nil))
        }
        for (index, evidence) in finding.evidence.enumerated() {
            let uri = relativeURI(evidence.path)
            if index == 0 {
                locations.append(location(uri: uri, line: evidence.line, message: evidence.value, id: nil))
            } else {
                related.append(location(uri: uri, line: evidence.line, message: evidence.value, id: index))
            }
        }

        var properties: [(String, ReportJSON)] = [
            ("status", .string(finding.status.rawValue)),
            ("severity", .string(finding.severity.rawValue)),
            ("threat", .string(finding.threat.code)),
        ]
        if let subject = finding.subject { properties.append(("subject", .string(subject))) }

        var members: [(String, ReportJSON)] = [
            ("ruleId", .string(finding.id)),
            ("ruleIndex", .int(ruleIndex)),
            ("level", .string(level(finding))),
            ("message", message(text)),
            ("locations", .array(locations)),
        ]
        if !related.isEmpty { members.append(("relatedLocations", .array(related))) }
        members.append(("partialFingerprints", .object([(fingerprintKey, .string(finding.key))])))
        if let waiver = finding.waiver {
            if waiver.isExpired {
                properties.append(("waiver", .object([
                    ("reason", .string(waiver.reason)),
                    ("expires", .string(waiver.expires)),
                    ("expired", .bool(true)),
                ])))
            } else {
                members.append(("suppressions", .array([.object([
                    ("kind", .string("external")),
                    ("status", .string("accepted")),
                    ("justification", .string("\(waiver.reason) (waived until \(waiver.expires))")),
                ])])))
            }
        }
        members.append(("properties", .object(properties)))
        return .object(members)
    }

    static func location(uri: String, line: Int?, message text: String?, id: Int?) -> ReportJSON {
        var physical: [(String, ReportJSON)] = [
            ("artifactLocation", .object([("uri", .string(uri)), ("uriBaseId", .string(rootBaseID))])),
        ]
        if let line, line >= 1 { physical.append(("region", .object([("startLine", .int(line))]))) }
        var members: [(String, ReportJSON)] = []
        if let id { members.append(("id", .int(id))) }
        members.append(("physicalLocation", .object(physical)))
        if let text, !text.isEmpty { members.append(("message", message(text))) }
        return .object(members)
    }

    /// A SARIF message; its text may not be empty.
    static func message(_ text: String) -> ReportJSON {
        .object([("text", .string(text.isEmpty ? "(no text)" : text))])
    }

    // MARK: URIs

    /// `path` as a relative URI reference (RFC 3986 §4.2) under `ROOT`: the leading `/` dropped and
    /// every byte outside the unreserved, sub-delims, `@` and `/` sets percent-encoded. `:` is
    /// encoded too, so a first segment such as `c:` can never be read as a URI scheme.
    static func relativeURI(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        if trimmed.isEmpty { return "." }
        return percentEncoded(String(trimmed))
    }

    /// The `file:` URI of the audited root, ending in `/` as SARIF requires of a base URI (§3.14.14).
    static func rootURI(_ root: String) -> String {
        var path = root.hasPrefix("/") ? root : "/" + root
        if !path.hasSuffix("/") { path += "/" }
        return "file://" + percentEncoded(path)
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
                 UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"),
                 UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"),
                 UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: "@"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count < 2 ? "0" + hex : hex)
            }
        }
        return out
    }

    static func isWebURI(_ text: String) -> Bool {
        (text.hasPrefix("https://") || text.hasPrefix("http://"))
            && !text.contains { $0 == " " || $0 == "\"" || $0 == "<" || $0 == ">" || $0.isNewline }
            && text.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value != 0x7F }
    }

    /// An RFC 3339 UTC timestamp (`2026-05-01T10:00:00.250Z`) for `epochSeconds`.
    static func timestamp(_ epochSeconds: Double) -> String {
        let millisTotal = Int((epochSeconds * 1000).rounded())
        let millis = ((millisTotal % 1000) + 1000) % 1000
        let seconds = (millisTotal - millis) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        func three(_ n: Int) -> String { n < 10 ? "00\(n)" : n < 100 ? "0\(n)" : "\(n)" }
        let yearText = String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
        return "\(yearText)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60))"
            + ":\(two(secondOfDay % 60)).\(three(millis))Z"
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
    static func civil(fromDays z: Int) -> (Int, Int, Int) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
