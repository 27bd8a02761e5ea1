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

/// Renders an audit report for a person at a terminal: one section per threat class (T1…T5, only
/// classes with findings) with its score, problems first and spelled out with evidence and the fix,
/// everything else on one line each, then a summary.
///
/// Every string that came from the host is passed through `escapingControlCharacters()`, so a
/// hostile file cannot move the cursor, recolor the terminal or reorder text; ANSI colors appear
/// only when `color` is set (the caller decides, usually "stdout is a TTY and NO_COLOR is unset").
public struct TextRenderer: Sendable {
    /// Whether to add ANSI SGR color sequences.
    public var color: Bool
    /// The column width lines are wrapped (problems) or truncated (one-line findings) to.
    public var width: Int

    /// Creates a renderer; `width` is clamped to at least 60 columns.
    public init(color: Bool = false, width: Int = 100) {
        self.color = color
        self.width = max(60, width)
    }

    /// Columns before the severity: two spaces, the five-wide status tag, two spaces.
    static let detailIndent = 9

    /// The rendered report, ending in a newline.
    public func render(_ report: AuditReport) -> String {
        var lines: [String] = []
        var title = "Hyperward host audit \(clean(report.toolVersion))"
        if let host = report.hostname { title += " · \(clean(host))" }
        if report.root != "/" { title += " · root \(clean(report.root))" }
        lines.append(paint(title.truncated(to: width), .bold))
        lines.append("Overall score: " + scoreText(report.overallScore))

        let scores = report.scoresByThreat
        for threat in ThreatClass.allCases {
            let group = report.findings.enumerated().filter { $0.element.threat == threat }
            if group.isEmpty { continue }
            lines.append("")
            let heading = "\(threat.code) \(threat.title)"
            let score = "score " + plainScore(scores[threat])
            let gap = max(2, width - heading.count - score.count)
            lines.append(paint(heading, .bold) + String(repeating: " ", count: gap) + scoreText(scores[threat], prefix: "score "))
            let ordered = group.sorted { a, b in
                let ka = TextRenderer.order(a.element), kb = TextRenderer.order(b.element)
                if ka != kb { return ka < kb }
                if a.element.severity != b.element.severity { return a.element.severity > b.element.severity }
                return a.offset < b.offset
            }
            for (_, finding) in ordered { lines += render(finding) }
        }
        lines.append("")
        lines += summary(report)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Problems first (fail, error, warn), then waived problems, facts, passes and the inapplicable.
    static func order(_ finding: Finding) -> Int {
        if finding.status.isProblem && !AuditReport.counts(finding) { return 3 }
        switch finding.status {
        case .fail: return 0
        case .error: return 1
        case .warn: return 2
        case .info: return 4
        case .pass: return 5
        case .notApplicable: return 6
        }
    }

    func render(_ finding: Finding) -> [String] {
        let tag = TextRenderer.tag(finding.status)
        let severity = finding.severity.rawValue
        let head = "  " + pad(tag, 5) + "  " + pad(severity, 8) + "  "
        let key = clean(finding.key)
        let isActiveWaiver = finding.waiver.map { !$0.isExpired } ?? false

        guard finding.status.isProblem else {
            // Compact: one line, cut to the width.
            var text = key + "  " + clean(finding.title)
            if finding.status == .info && !finding.detail.isEmpty { text += ": " + clean(finding.detail) }
            let body = text.truncated(to: width - head.count)
            return ["  " + paint(pad(tag, 5), style(finding.status)) + "  " + pad(severity, 8) + "  " + body]
        }

        var lines: [String] = []
        var first = wrap(key + " " + clean(finding.title), width: width - head.count)
        // Two spaces between id and title, as on one-line findings, when the line has room.
        if let line = first.first, line.hasPrefix(key + " "), line.count < width - head.count {
            first[0] = key + "  " + line.dropFirst(key.count + 1)
        }
        for (index, part) in first.enumerated() {
            if index == 0 {
                let tagText = paint(pad(tag, 5), isActiveWaiver ? .dim : style(finding.status))
                lines.append("  " + tagText + "  " + pad(severity, 8) + "  " + part)
            } else {
                lines.append(String(repeating: " ", count: head.count) + part)
            }
        }
        let indent = String(repeating: " ", count: TextRenderer.detailIndent)
        let available = width - TextRenderer.detailIndent
        if !finding.detail.isEmpty {
            lines += wrap(clean(finding.detail), width: available).map { indent + $0 }
        }
        if let waiver = finding.waiver, !waiver.isExpired {
            let text = "WAIVED until \(clean(waiver.expires)): \(clean(waiver.reason))"
            lines += wrap(text, width: available).map { indent + paint($0, .dim) }
            return lines
        }
        for evidence in finding.evidence {
            var location = clean(evidence.path)
            if let line = evidence.line { location += ":\(line)" }
            let text = location + " = " + clean(evidence.value)
            lines += wrap(text, width: available, continuationIndent: 2).map { indent + $0 }
        }
        if !finding.remediation.isEmpty {
            let wrapped = wrap("fix: " + clean(finding.remediation), width: available, continuationIndent: 5)
            for (index, part) in wrapped.enumerated() {
                if index == 0, part.hasPrefix("fix:") {
                    lines.append(indent + paint("fix:", .bold) + String(part.dropFirst(4)))
                } else {
                    lines.append(indent + part)
                }
            }
        }
        if let waiver = finding.waiver, waiver.isExpired {
            let text = "waiver EXPIRED on \(clean(waiver.expires)) (\(clean(waiver.reason))) — counted"
            lines += wrap(text, width: available).map { indent + paint($0, .yellow) }
        }
        return lines
    }

    func summary(_ report: AuditReport) -> [String] {
        let counts = report.statusCounts
        let order: [(Status, String)] = [
            (.pass, "pass"), (.fail, "fail"), (.warn, "warn"), (.info, "info"), (.notApplicable, "n/a"),
            (.error, "error"),
        ]
        var parts = order.map { status, name in
            let n = counts[status, default: 0]
            let text = "\(n) \(name)"
            return n > 0 && status.isProblem ? paint(text, style(status)) : text
        }
        let waived = report.findings.filter { !AuditReport.counts($0) }.count
        if waived > 0 { parts.append("\(waived) waived") }
        var lines = ["Summary: \(report.findings.count) findings — " + parts.joined(separator: ", ")]
        var facts = ["duration \(TextRenderer.seconds(report.durationSeconds))"]
        facts.append("host " + (report.hostname.map(clean) ?? "unknown"))
        facts.append("kernel " + (report.kernelRelease.map(clean) ?? "unknown"))
        facts.append("started " + clean(report.startedAt))
        lines += wrap(facts.joined(separator: " · "), width: width)
        if !report.skipped.isEmpty {
            lines += wrap("Skipped: " + report.skipped.map(clean).joined(separator: ", "), width: width,
                          continuationIndent: 2)
        }
        return lines
    }

    // MARK: Pieces

    static func tag(_ status: Status) -> String {
        switch status {
        case .pass: "PASS"
        case .fail: "FAIL"
        case .warn: "WARN"
        case .info: "INFO"
        case .notApplicable: "N/A"
        case .error: "ERROR"
        }
    }

    /// `0.42 s`; a duration that is not a sensible number is shown as it is rather than trusted.
    static func seconds(_ value: Double) -> String {
        guard value.isFinite, value >= 0, value < 1e9 else { return "\(value) s" }
        let centi = Int((value * 100).rounded())
        let fraction = centi % 100
        return "\(centi / 100).\(fraction < 10 ? "0" : "")\(fraction) s"
    }

    func plainScore(_ score: Int?) -> String { score.map { "\($0)/100" } ?? "n/a" }

    func scoreText(_ score: Int?, prefix: String = "") -> String {
        let text = prefix + plainScore(score)
        guard let score else { return paint(text, .dim) }
        return paint(text, score >= 90 ? .green : score >= 70 ? .yellow : .red)
    }

    /// The most characters of one field the text report shows; JSON and SARIF carry it all.
    static let fieldLimit = 2000

    /// `text` made safe for a terminal and cut to `fieldLimit` characters, saying how much was cut.
    func clean(_ text: String) -> String {
        guard text.count > TextRenderer.fieldLimit else { return text.escapingControlCharacters() }
        let kept = String(text.prefix(TextRenderer.fieldLimit)).escapingControlCharacters()
        return kept + "… (\(text.count - TextRenderer.fieldLimit) more characters)"
    }

    func pad(_ text: String, _ count: Int) -> String {
        text.count >= count ? text : text + String(repeating: " ", count: count - text.count)
    }

    /// Word-wraps `text` (already single-line) to `width` columns; words longer than a line are
    /// split. Continuation lines are indented by `continuationIndent` spaces.
    func wrap(_ text: String, width: Int, continuationIndent: Int = 0) -> [String] {
        var lines: [String] = []
        var current = ""
        let continuation = String(repeating: " ", count: continuationIndent)
        func limit() -> Int { lines.isEmpty ? width : width - continuationIndent }
        func flush() {
            lines.append(lines.isEmpty ? current : continuation + current)
            current = ""
        }
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            var word = Substring(word)
            if !current.isEmpty {
                if current.count + 1 + word.count <= limit() {
                    current += " " + word
                    continue
                }
                flush()
            }
            while word.count > limit() {
                let room = limit()
                current = String(word.prefix(room))
                word = word.dropFirst(room)
                flush()
            }
            current = String(word)
        }
        if !current.isEmpty || lines.isEmpty { flush() }
        return lines
    }

    // MARK: Color

    enum Style: String {
        case bold = "1", dim = "2", red = "1;31", green = "32", yellow = "33", blue = "34", magenta = "35",
             cyan = "36"
    }

    func style(_ status: Status) -> Style {
        switch status {
        case .pass: .green
        case .fail: .red
        case .warn: .yellow
        case .info: .cyan
        case .notApplicable: .dim
        case .error: .magenta
        }
    }

    func paint(_ text: String, _ style: Style) -> String {
        color ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }
}
