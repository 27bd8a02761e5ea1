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

@Suite("Prometheus report renderer")
struct PrometheusRendererTests {
    @Test("prometheus_client parses every family and sample back to the report's values",
          arguments: ReportSample.allCases)
    func parsesBackToReport(sample: ReportSample) throws {
        let report = sample.report
        let expectedOverall = report.overallScore.map(Double.init)
        let scores = Dictionary(uniqueKeysWithValues: report.scoresByThreat.map { ($0.key.code, Double($0.value)) })
        let counts = Dictionary(uniqueKeysWithValues: Status.allCases.map {
            ($0.rawValue, Double(report.statusCounts[$0, default: 0]))
        })
        struct Expected: Encodable {
            var overall: Double?
            var scores: [String: Double]
            var counts: [String: Double]
            var waived: Int
            var timestamp: Double?
        }
        let expected = Expected(
            overall: expectedOverall, scores: scores, counts: counts,
            waived: report.findings.filter { !AuditReport.counts($0) }.count,
            timestamp: ReportTimestamp.epochSeconds(report.startedAt))
        try PythonOracle.expectSuccess(PythonOracle.visibleFunction + #"""
        import math
        parser = need("prometheus_client.parser", "prometheus-client")
        text = open(sys.argv[1], encoding="utf-8").read()
        truth = json.load(open(sys.argv[2]))
        expected = json.load(open(sys.argv[3]))
        families = {f.name: f for f in parser.text_string_to_metric_families(text)}
        for name, family in families.items():
            if family.type != "gauge" or not family.documentation:
                fail(f"{name}: type {family.type}, help {family.documentation!r}")
        def samples(name): return families[name].samples if name in families else []
        def single(name):
            s = samples(name)
            if len(s) != 1: fail(f"{name}: {len(s)} samples")
            return s[0].value
        info = samples("hyperward_audit_info")[0].labels
        if info["version"] != visible(truth["toolVersion"], "\n") or info["root"] != visible(truth["root"], "\n"):
            fail(f"info labels {info!r:.200}")
        def bounded(s): return s if len(s) <= 1024 else s[:1023] + "\u2026"
        encoding = {"pass": 0, "info": 1, "notapplicable": 2, "warn": 3, "error": 4, "fail": 5}
        want = {}
        for f in truth["findings"]:
            key = (visible(bounded(f["id"]), "\n"), visible(bounded(f.get("subject", "")), "\n"))
            want[key] = max(want.get(key, -1), encoding[f["status"]])
        got = {}
        for s in samples("hyperward_audit_check_status"):
            key = (s.labels["id"], s.labels["subject"])
            if key in got: fail(f"duplicate series {key!r:.100}")
            got[key] = s.value
            if set(s.labels) != {"id", "subject", "threat", "severity", "waiver"}:
                fail(f"labels {sorted(s.labels)}")
            if s.labels["waiver"] not in ("none", "active", "expired"):
                fail(f"waiver label {s.labels['waiver']}")
        if got != {k: float(v) for k, v in want.items()}:
            fail(f"check status series differ: {len(got)} vs {len(want)}")
        scores = {s.labels["threat"]: s.value for s in samples("hyperward_audit_score")}
        if scores != expected["scores"]:
            fail(f"scores {scores} != {expected['scores']}")
        overall = expected.get("overall")
        if (overall is None) != ("hyperward_audit_score_overall" not in families) or \
           (overall is not None and single("hyperward_audit_score_overall") != overall):
            fail("overall score")
        counts = {s.labels["status"]: s.value for s in samples("hyperward_audit_findings")}
        if counts != expected["counts"]:
            fail(f"counts {counts} != {expected['counts']}")
        if single("hyperward_audit_findings_waived") != expected["waived"]:
            fail("waived count")
        duration = single("hyperward_audit_duration_seconds")
        d = truth["durationSeconds"]
        if (isinstance(d, str) and not math.isnan(duration)) or (not isinstance(d, str) and abs(duration - d) > 1e-9):
            fail(f"duration {duration} vs {d}")
        ts = expected.get("timestamp")
        if (ts is None) != ("hyperward_audit_last_run_timestamp_seconds" not in families) or \
           (ts is not None and single("hyperward_audit_last_run_timestamp_seconds") != ts):
            fail("last run timestamp")
        """#, files: [Data(report.rendered(as: .prometheus).utf8), try ReportSamples.truth(report),
                      try JSONEncoder().encode(expected)])
    }

    @Test("every line is a comment or one sample; hostile text cannot add a line")
    func hostileTextCannotInjectSamples() {
        let output = ReportSamples.hostile.rendered(as: .prometheus)
        #expect(!output.contains("\nfake_metric"))
        #expect(!output.contains("\n# TYPE x"))
        for line in output.split(separator: "\n") {
            #expect(line.hasPrefix("# HELP hyperward_audit_") || line.hasPrefix("# TYPE hyperward_audit_")
                    || line.hasPrefix("hyperward_audit_"), "\(line.prefix(80))")
        }
    }

    @Test("label values escape backslash, quote and newline")
    func labelEscaping() {
        #expect(PrometheusRenderer.escapeLabel("a\\b\"c\nd\u{0}") == "a\\\\b\\\"c\\nd\\\\x00")
        #expect(PrometheusRenderer.escapeHelp("x\\y\nz") == "x\\\\y\\nz")
    }

    @Test("status encoding orders by urgency; problems are 3 or more")
    func statusEncoding() {
        let values = Status.allCases.map { PrometheusRenderer.statusValue($0) }
        #expect(Set(values).count == Status.allCases.count)
        for status in Status.allCases {
            #expect((PrometheusRenderer.statusValue(status) >= 3) == status.isProblem, "\(status)")
        }
        #expect(PrometheusRenderer.statusValue(.fail) == 5 && PrometheusRenderer.statusValue(.pass) == 0)
    }
}
