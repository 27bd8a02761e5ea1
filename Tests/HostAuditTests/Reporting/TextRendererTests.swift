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


import Foundation
@testable import HostAudit
import HyperwardCore
import Testing

@Suite("Text report renderer")
struct TextRendererTests {
    /// The output with every ANSI SGR sequence (`ESC [ … m`) removed.
    static func strippingSGR(_ text: String) -> String {
        var out = ""
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\u{1B}" else {
                out.unicodeScalars.append(scalar)
                continue
            }
            while let next = scalars.next(), next != "m" {}
        }
        return out
    }

    @Test("no line is wider than 100 columns and no control character escapes", arguments: ReportSample.allCases)
    func linesFitAndStayInert(sample: ReportSample) {
        let output = sample.report.rendered(as: .text)
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(line.count <= 100, "\(line.count) columns: \(line.prefix(60))")
        }
        let unsafe = output.unicodeScalars.filter { $0 != "\n" && String.mustEscape($0) }
        #expect(unsafe.isEmpty, "raw control characters: \(unsafe.map { String($0.value, radix: 16) })")
    }

    @Test("color only adds SGR sequences around the same text", arguments: [ReportSample.ordinary, .hostile])
    func colorOnlyAddsSGR(sample: ReportSample) {
        let report = sample.report
        let plain = report.rendered(as: .text, color: false)
        let colored = report.rendered(as: .text, color: true)
        #expect(!plain.contains("\u{1B}"))
        #expect(colored.contains("\u{1B}[1;31mFAIL"))
        #expect(Self.strippingSGR(colored) == plain)
    }

    @Test("sections follow T1…T5, only classes with findings, each with its score")
    func sectionsInThreatOrder() {
        var report = ReportSamples.ordinary
        report.findings.removeAll { $0.threat == .maliciousVM }
        let lines = report.rendered(as: .text).split(separator: "\n").map(String.init)
        let headings = lines.filter { line in ThreatClass.allCases.contains { line.hasPrefix("\($0.code) ") } }
        #expect(headings.map { String($0.prefix(2)) } == ["T1", "T3", "T4"])
        for heading in headings {
            let threat = ThreatClass.allCases.first { heading.hasPrefix($0.code) }
            let score = threat.flatMap { report.scoresByThreat[$0] }.map { "score \($0)/100" } ?? "score n/a"
            #expect(heading.hasSuffix(score), "\(heading)")
            #expect(heading.count == 100)
        }
        #expect(lines.contains("Overall score: \(report.overallScore.map { "\($0)/100" } ?? "n/a")"))
    }

    @Test("passes, facts and inapplicable checks take one line; problems show evidence and the fix")
    func compactPassesDetailedProblems() throws {
        let output = ReportSamples.ordinary.rendered(as: .text)
        let lines = output.split(separator: "\n").map(String.init)
        let passIndex = try #require(lines.firstIndex { $0.contains("kvm.device.mode") })
        #expect(lines[passIndex].hasPrefix("  PASS   high      kvm.device.mode  /dev/kvm permissions"))
        #expect(!lines[passIndex + 1].hasPrefix("         "), "a pass has no detail lines")
        #expect(lines.contains { $0.hasPrefix("  N/A    low       cpu.vulnerability.retbleed  ") })
        #expect(lines.contains("  INFO   info      cpu.microcode  CPU microcode revision: microcode 0xf0"))

        let failIndex = lines.firstIndex { $0.hasPrefix("  FAIL   critical  qemu.conf.user  ") }
        #expect(failIndex != nil)
        if let failIndex {
            #expect(lines[failIndex + 1].hasPrefix("         qemu.conf sets user = \"root\""))
            #expect(lines[failIndex + 2] == "         /etc/libvirt/qemu.conf:12 = user = \"root\"")
            #expect(lines[failIndex + 3].hasPrefix("         fix: Set user = \"libvirt-qemu\""))
        }
        #expect(lines.contains("  ERROR  medium    libvirt.tls  libvirt TLS"))
    }

    @Test("problems come before passes within a class, the worst first")
    func problemsFirst() {
        let lines = ReportSamples.ordinary.rendered(as: .text).split(separator: "\n").map(String.init)
        func index(_ id: String) -> Int? { lines.firstIndex { $0.contains(" \(id) ") || $0.hasSuffix(" \(id)") } }
        if let fail = index("qemu.conf.user"), let warn = index("iommu.enabled"), let pass = index("kvm.device.mode") {
            #expect(fail < warn && warn < pass)
        } else {
            Issue.record("T1 findings missing from the text report")
        }
    }

    @Test("waived and expired-waiver findings say so")
    func waiverLines() {
        let output = ReportSamples.ordinary.rendered(as: .text)
        #expect(output.contains("WAIVED until 2099-12-31: Lab host, accepted until migration"))
        #expect(output.contains("waiver EXPIRED on 2020-01-31 (Ticket OPS-12) — counted"))
        #expect(output.contains("cgroup.cpu.quota[instance-0001]"))
    }

    @Test("the summary counts statuses and names duration, host and kernel")
    func summaryFooter() {
        let output = ReportSamples.ordinary.rendered(as: .text)
        #expect(output.contains("Summary: 11 findings — 3 pass, 3 fail, 1 warn, 1 info, 1 n/a, 1 error, 1 waived"))
        #expect(output.contains("duration 0.42 s · host kvm-host-01 · kernel 6.8.0-45-generic"))
        #expect(output.contains("Skipped: net.*"))
    }

    @Test("hostile text is shown escaped, never interpreted")
    func hostileTextIsEscaped() {
        let output = ReportSamples.hostile.rendered(as: .text)
        #expect(output.contains("esc\\x1B[2J\\x1B[31mred"))
        #expect(output.contains("bidi\\u{202E}txt"))
        #expect(!output.contains("\nfake_metric"))
        #expect(!output.contains("\u{2028}") && output.contains("\\u{2028}"))
    }

    @Test("very long fields are cut with a note, so one finding cannot flood the terminal")
    func longFieldsAreCut() {
        let output = ReportSamples.hostile.rendered(as: .text)
        #expect(output.contains("… (98000 more characters)"))
        // 14 findings of at most a few 2000-character fields at ~90 columns a line.
        #expect(output.split(separator: "\n").count < 14 * 8 * 25)
    }

    @Test("word wrapping splits long words and keeps every character", arguments: [10, 37, 91])
    func wrappingKeepsText(width: Int) {
        let renderer = TextRenderer()
        let text = "alpha " + String(repeating: "x", count: 250) + " beta gamma"
        let lines = renderer.wrap(text, width: width, continuationIndent: 2)
        #expect(lines.allSatisfy { $0.count <= width })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("  ") && !$0.hasPrefix("   ") })
        let rejoined = lines.joined().replacingOccurrences(of: " ", with: "")
        #expect(rejoined == text.replacingOccurrences(of: " ", with: ""))
    }

    @Test("durations are shown to the hundredth, nonsense as it is")
    func durations() {
        #expect(TextRenderer.seconds(0.4213) == "0.42 s")
        #expect(TextRenderer.seconds(12.005) == "12.01 s" || TextRenderer.seconds(12.005) == "12.00 s")
        #expect(TextRenderer.seconds(.nan) == "nan s")
        #expect(TextRenderer.seconds(1e300) == "1e+300 s")
    }
}
