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

@Suite("JUnit report renderer")
struct JUnitRendererTests {
    @Test("xml.etree parses the output and the count attributes match the test cases",
          arguments: ReportSample.allCases)
    func countsMatchTestCases(sample: ReportSample) throws {
        let report = sample.report
        try PythonOracle.expectSuccess(PythonOracle.visibleFunction + #"""
        import xml.etree.ElementTree as ET
        root = ET.parse(sys.argv[1]).getroot()
        truth = json.load(open(sys.argv[2]))
        if root.tag != "testsuites":
            fail(f"root is {root.tag}")
        def outcome(f):
            w = f.get("waiver")
            if f["status"] in ("fail", "warn", "error") and w and not w["isExpired"]:
                return "skipped"
            return {"pass": None, "fail": "failure", "error": "error", "warn": "skipped", "info": "skipped",
                    "notapplicable": "skipped"}[f["status"]]
        def counts(cases):
            kinds = [next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), None) for case in cases]
            return {"tests": len(cases), "failures": kinds.count("failure"), "errors": kinds.count("error"),
                    "skipped": kinds.count("skipped")}
        def attrs(element):
            return {k: int(element.get(k)) for k in ("tests", "failures", "errors", "skipped")}
        all_cases = root.findall("./testsuite/testcase")
        if attrs(root) != counts(all_cases):
            fail(f"testsuites {attrs(root)} != {counts(all_cases)}")
        threats = [t for t in ["T1", "T2", "T3", "T4", "T5"] if any(f["threat"] == t for f in truth["findings"])]
        suites = root.findall("testsuite")
        if [s.find("properties/property[@name='threat']").get("value") for s in suites] != threats:
            fail("one testsuite per threat class with findings, in order")
        for suite in suites:
            cases = suite.findall("testcase")
            if attrs(suite) != counts(cases):
                fail(f"suite {suite.get('name')}: {attrs(suite)} != {counts(cases)}")
        if len(all_cases) != len(truth["findings"]):
            fail(f"{len(all_cases)} testcases for {len(truth['findings'])} findings")
        for case, f in zip((c for s in suites for c in s.findall("testcase")),
                           sorted(truth["findings"], key=lambda f: f["threat"])):
            key = f["id"] + (f"[{f['subject']}]" if "subject" in f else "")
            if case.get("classname") != f["threat"] or case.get("name") != visible(key, "\n\r\t"):
                fail(f"testcase {case.get('name')!r:.100} != {key!r:.100}")
            kind = next((c for c in case if c.tag in ("failure", "error", "skipped")), None)
            if (kind.tag if kind is not None else None) != outcome(f):
                fail(f"{key!r:.100}: {kind.tag if kind is not None else None} != {outcome(f)}")
            if kind is not None and kind.tag in ("failure", "error"):
                if kind.get("type") != f["severity"] or visible(f["detail"], "\n\r\t") not in kind.text:
                    fail(f"{key!r:.100}: failure type or text")
                if f["remediation"] and visible(f["remediation"], "\n\r\t") not in kind.text:
                    fail(f"{key!r:.100}: fix missing from failure text")
        """#, files: [Data(report.rendered(as: .junit).utf8), try ReportSamples.truth(report)])
    }

    @Test("junitparser reads the same totals", arguments: ReportSample.allCases)
    func junitparserAgrees(sample: ReportSample) throws {
        let report = sample.report
        let statuses = report.findings.map { finding -> String in
            switch JUnitRenderer.outcome(finding) {
            case .passed: "passed"
            case .failure: "failure"
            case .error: "error"
            case .skipped: "skipped"
            }
        }
        try PythonOracle.expectSuccess(#"""
        junitparser = need("junitparser", "junitparser")
        xml = junitparser.JUnitXml.fromfile(sys.argv[1])
        expected = json.load(open(sys.argv[2]))
        tally = {"passed": 0, "failure": 0, "error": 0, "skipped": 0}
        for suite in xml:
            for case in suite:
                kinds = [type(r).__name__.lower() for r in case.result]
                tally[kinds[0] if kinds else "passed"] += 1
        want = {k: expected.count(k) for k in tally}
        if tally != want:
            fail(f"junitparser saw {tally}, expected {want}")
        if (xml.tests, xml.failures, xml.errors, xml.skipped) != (len(expected), want["failure"], want["error"], want["skipped"]):
            fail(f"totals {(xml.tests, xml.failures, xml.errors, xml.skipped)}")
        """#, files: [Data(report.rendered(as: .junit).utf8), try JSONEncoder().encode(statuses)])
    }

    @Test("hostile strings cannot inject markup or illegal characters")
    func hostileStringsStayInert() {
        let output = ReportSamples.hostile.rendered(as: .junit)
        #expect(!output.contains("<tag"))
        #expect(!output.contains("]]>"))
        #expect(!output.contains("<!--"))
        let illegal = output.unicodeScalars.filter {
            ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0xFFFE || $0.value == 0xFFFF
        }
        #expect(illegal.isEmpty)
        #expect(output.components(separatedBy: "<testcase").count - 1 == ReportSamples.hostile.findings.count)
    }

    @Test("attribute and text escaping")
    func escaping() {
        #expect(JUnitRenderer.attribute("a\"b'c<d>e&f\ng\th\r") == "a&quot;b&apos;c&lt;d&gt;e&amp;f&#10;g&#9;h&#13;")
        #expect(JUnitRenderer.text("x]]>y<z&\u{0}\u{FFFE}") == "x]]&gt;y&lt;z&amp;\\x00\\u{FFFE}")
    }
}
