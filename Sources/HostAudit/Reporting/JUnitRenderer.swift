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

/// Renders an audit report as JUnit XML, the test-report dialect CI systems (Jenkins, GitLab,
/// GitHub Actions test reporters) display natively.
///
/// Mapping (documented in `docs/audit-formats.md`): `testsuites` > one `testsuite` per threat
/// class that has findings (T1…T5) > one `testcase` per finding, `classname` the threat code and
/// `name` the finding key `id[subject]`.
/// - `fail` → `<failure message="title: detail" type="severity">` with evidence and the fix as text;
/// - `error` (the check could not run) → `<error>` likewise;
/// - `warn`, `info`, `notapplicable` → `<skipped message="…"/>`;
/// - a problem under an unexpired waiver → `<skipped message="waived until DATE: reason"/>`, since
///   it does not count; an expired waiver changes nothing but adds a line to the text;
/// - `pass` → a plain `testcase`.
///
/// Characters XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF) are replaced by visible
/// `\xNN` text; attribute values also encode tab, CR and LF so they survive attribute-value
/// normalization (XML 1.0 §3.3.3).
public struct JUnitRenderer: Sendable {
    /// Creates a renderer.
    public init() {}

    enum Outcome {
        case passed
        case failure(message: String, type: String, text: String)
        case error(message: String, type: String, text: String)
        case skipped(message: String)
    }

    struct Counts {
        var tests = 0, failures = 0, errors = 0, skipped = 0

        mutating func add(_ outcome: Outcome) {
            tests += 1
            switch outcome {
            case .passed: break
            case .failure: failures += 1
            case .error: errors += 1
            case .skipped: skipped += 1
            }
        }

        static func += (lhs: inout Counts, rhs: Counts) {
            lhs.tests += rhs.tests
            lhs.failures += rhs.failures
            lhs.errors += rhs.errors
            lhs.skipped += rhs.skipped
        }

        var attributes: String {
            "tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\""
        }
    }

    /// The rendered document, ending in a newline.
    public func render(_ report: AuditReport) -> String {
        let scores = report.scoresByThreat
        var suites: [String] = []
        var total = Counts()
        for threat in ThreatClass.allCases {
            let findings = report.findings.filter { $0.threat == threat }
            if findings.isEmpty { continue }
            var counts = Counts()
            var cases: [String] = []
            for finding in findings {
                let outcome = JUnitRenderer.outcome(finding)
                counts.add(outcome)
                cases.append(JUnitRenderer.testcase(finding, outcome))
            }
            total += counts
            var suite = "  <testsuite name=\"\(JUnitRenderer.attribute("\(threat.code) \(threat.title)"))\" "
                + "\(counts.attributes) time=\"0\" timestamp=\"\(JUnitRenderer.attribute(report.startedAt))\""
            if let host = report.hostname { suite += " hostname=\"\(JUnitRenderer.attribute(host))\"" }
            suite += ">\n    <properties>\n"
            suite += "      <property name=\"threat\" value=\"\(threat.code)\"/>\n"
            suite += "      <property name=\"score\" value=\"\(scores[threat].map(String.init) ?? "n/a")\"/>\n"
            suite += "    </properties>\n"
            suite += cases.joined()
            suite += "  </testsuite>\n"
            suites.append(suite)
        }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"hyperward audit\" \(total.attributes) time=\"\(JUnitRenderer.seconds(report.durationSeconds))\""
        out += " timestamp=\"\(JUnitRenderer.attribute(report.startedAt))\">\n"
        out += suites.joined()
        out += "</testsuites>\n"
        return out
    }

    static func outcome(_ finding: Finding) -> Outcome {
        if finding.status.isProblem, let waiver = finding.waiver, !waiver.isExpired {
            return .skipped(message: "waived until \(waiver.expires): \(waiver.reason)")
        }
        let summary = finding.detail.isEmpty ? finding.title : "\(finding.title): \(finding.detail)"
        switch finding.status {
        case .pass: return .passed
        case .fail: return .failure(message: summary, type: finding.severity.rawValue, text: body(finding))
        case .error: return .error(message: summary, type: finding.severity.rawValue, text: body(finding))
        case .warn: return .skipped(message: "warning: " + summary)
        case .info: return .skipped(message: "info: " + summary)
        case .notApplicable: return .skipped(message: "not applicable: " + summary)
        }
    }

    /// The failure text: detail, evidence (`path[:line] = value`), fix, expired waiver, references.
    static func body(_ finding: Finding) -> String {
        var lines: [String] = []
        if !finding.detail.isEmpty { lines.append(finding.detail) }
        if !finding.evidence.isEmpty {
            lines.append("evidence:")
            for evidence in finding.evidence {
                var location = evidence.path
                if let line = evidence.line { location += ":\(line)" }
                lines.append("  \(location) = \(evidence.value)")
            }
        }
        if !finding.remediation.isEmpty { lines.append("fix: " + finding.remediation) }
        if let waiver = finding.waiver, waiver.isExpired {
            lines.append("waiver EXPIRED on \(waiver.expires) (\(waiver.reason)) — counted")
        }
        if !finding.references.isEmpty { lines.append("references: " + finding.references.joined(separator: " ")) }
        return lines.joined(separator: "\n")
    }

    static func testcase(_ finding: Finding, _ outcome: Outcome) -> String {
        let open = "    <testcase classname=\"\(finding.threat.code)\" name=\"\(attribute(finding.key))\" time=\"0\""
        switch outcome {
        case .passed:
            return open + "/>\n"
        case .failure(let message, let type, let text):
            return open + ">\n      <failure message=\"\(attribute(message))\" type=\"\(attribute(type))\">"
                + self.text(text) + "</failure>\n    </testcase>\n"
        case .error(let message, let type, let text):
            return open + ">\n      <error message=\"\(attribute(message))\" type=\"\(attribute(type))\">"
                + self.text(text) + "</error>\n    </testcase>\n"
        case .skipped(let message):
            return open + ">\n      <skipped message=\"\(attribute(message))\"/>\n    </testcase>\n"
        }
    }

    /// `value` escaped for a double-quoted attribute.
    static func attribute(_ value: String) -> String {
        var out = ""
        for scalar in value.escapingControlCharacters(keeping: ["\n", "\r", "\t"]).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `value` escaped for element content; `>` is escaped too so `]]>` cannot appear.
    static func text(_ value: String) -> String {
        var out = ""
        for scalar in value.escapingControlCharacters(keeping: ["\n", "\r", "\t"]).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func seconds(_ value: Double) -> String {
        guard value.isFinite, value >= 0, value < 1e9 else { return "0" }
        let millis = Int((value * 1000).rounded())
        let fraction = millis % 1000
        let digits = String(fraction)
        return "\(millis / 1000)." + String(repeating: "0", count: 3 - digits.count) + digits
    }
}
