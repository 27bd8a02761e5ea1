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
import HostAudit
import HyperwardCore
import Testing

@Suite("JSON report renderer")
struct JSONRendererTests {
    static let schemaPath = PythonOracle.packageRoot.appendingPathComponent("docs/audit-report.schema.json").path

    @Test("output validates against docs/audit-report.schema.json", arguments: ReportSample.allCases)
    func validatesAgainstPublishedSchema(sample: ReportSample) throws {
        let output = sample.report.rendered(as: .json)
        try PythonOracle.expectSuccess(#"""
        jsonschema = need("jsonschema", "jsonschema")
        schema = json.load(open(sys.argv[2]))
        jsonschema.Draft202012Validator.check_schema(schema)
        document = json.load(open(sys.argv[1]))
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.path))
        if errors:
            fail("; ".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:5]))
        """#, files: [Data(output.utf8), try Data(contentsOf: URL(fileURLWithPath: Self.schemaPath))])
    }

    @Test("the schema rejects documents that break it, so validation can fail")
    func schemaRejectsBrokenDocuments() throws {
        let output = ReportSamples.ordinary.rendered(as: .json)
        try PythonOracle.expectSuccess(#"""
        jsonschema = need("jsonschema", "jsonschema")
        schema = json.load(open(sys.argv[2]))
        validator = jsonschema.Draft202012Validator(schema)
        good = json.load(open(sys.argv[1]))
        if not validator.is_valid(good):
            fail("the ordinary report should be valid")
        import copy
        mutations = {
            "unknown status": lambda d: d["findings"][0].__setitem__("status", "passed"),
            "threat out of range": lambda d: d["findings"][0].__setitem__("threat", "T6"),
            "line zero": lambda d: d["findings"][1]["evidence"][0].__setitem__("line", 0),
            "missing detail": lambda d: d["findings"][0].pop("detail"),
            "extra key": lambda d: d.__setitem__("extra", 1),
            "score above 100": lambda d: d["scores"].__setitem__("T1", 101),
            "wrong schema version": lambda d: d.__setitem__("schema", "hyperward.audit/2.0"),
        }
        for name, mutate in mutations.items():
            bad = copy.deepcopy(good)
            mutate(bad)
            if validator.is_valid(bad):
                fail(f"schema accepted a document with {name}")
        """#, files: [Data(output.utf8), try Data(contentsOf: URL(fileURLWithPath: Self.schemaPath))])
    }

    @Test("every string survives exactly, compared with Foundation's JSONEncoder", arguments: ReportSample.allCases)
    func roundTripsStringsLosslessly(sample: ReportSample) throws {
        let report = sample.report
        try PythonOracle.expectSuccess(#"""
        out = json.load(open(sys.argv[1]))
        truth = json.load(open(sys.argv[2]))
        def check(label, a, b):
            if a != b:
                fail(f"{label}: rendered {a!r:.200} != truth {b!r:.200}")
        check("version", out["tool"]["version"], truth["toolVersion"])
        check("hostname", out["host"]["hostname"], truth.get("hostname"))
        check("kernel", out["host"]["kernelRelease"], truth.get("kernelRelease"))
        check("root", out["host"]["root"], truth["root"])
        check("startedAt", out["startedAt"], truth["startedAt"])
        check("skipped", out["skipped"], truth["skipped"])
        check("count", len(out["findings"]), len(truth["findings"]))
        for i, (f, t) in enumerate(zip(out["findings"], truth["findings"])):
            for key in ["id", "title", "severity", "status", "detail", "remediation", "references"]:
                check(f"finding {i} {key}", f[key], t[key])
            check(f"finding {i} subject", f.get("subject"), t.get("subject"))
            check(f"finding {i} threat", f["threat"], t["threat"])
            check(f"finding {i} evidence count", len(f["evidence"]), len(t["evidence"]))
            for e, te in zip(f["evidence"], t["evidence"]):
                check(f"finding {i} evidence path", e["path"], te["path"])
                check(f"finding {i} evidence value", e["value"], te["value"])
                line = te.get("line")
                check(f"finding {i} evidence line", e.get("line"), line if line is not None and line >= 1 else None)
            w, tw = f.get("waiver"), t.get("waiver")
            check(f"finding {i} waiver present", w is None, tw is None)
            if w:
                check(f"finding {i} waiver", (w["reason"], w["expires"], w["expired"]),
                      (tw["reason"], tw["expires"], tw["isExpired"]))
        d = truth["durationSeconds"]
        if isinstance(d, str):
            check("non-finite duration", out["durationSeconds"], None)
        elif abs(out["durationSeconds"] - d) > 1e-9:
            fail(f"duration {out['durationSeconds']} != {d}")
        """#, files: [Data(report.rendered(as: .json).utf8), try ReportSamples.truth(report)])
    }

    @Test("keys appear in the order the schema documents them", arguments: [ReportSample.ordinary, .hostile])
    func keysFollowDocumentedOrder(sample: ReportSample) throws {
        try PythonOracle.expectSuccess(#"""
        out = json.load(open(sys.argv[1]), object_pairs_hook=lambda pairs: pairs)
        schema = json.load(open(sys.argv[2]))
        def keys(pairs): return [k for k, _ in pairs]
        def value(pairs, key): return dict(pairs)[key]
        def ordered(label, actual, documented):
            positions = [documented.index(k) for k in actual if k in documented]
            if [k for k in actual if k not in documented] or positions != sorted(positions):
                fail(f"{label}: keys {actual} not in documented order {documented}")
        ordered("top level", keys(out), list(schema["properties"]))
        finding_order = list(schema["$defs"]["finding"]["properties"])
        for finding in value(out, "findings"):
            ordered("finding", keys(finding), finding_order)
        """#, files: [Data(sample.report.rendered(as: .json).utf8),
                      try Data(contentsOf: URL(fileURLWithPath: Self.schemaPath))])
    }

    @Test("scores and counts match the report's own arithmetic")
    func scoresAndCountsMatchReport() throws {
        let report = ReportSamples.ordinary
        let object = try JSONSerialization.jsonObject(with: Data(report.rendered(as: .json).utf8))
        let document = try #require(object as? [String: Any])
        let scores = try #require(document["scores"] as? [String: Any])
        #expect(scores["overall"] as? Int == report.overallScore)
        for threat in ThreatClass.allCases {
            #expect(scores[threat.code] as? Int == report.scoresByThreat[threat], "\(threat.code)")
        }
        let counts = try #require(document["counts"] as? [String: Int])
        for status in Status.allCases {
            #expect(counts[status.rawValue] == report.statusCounts[status, default: 0], "\(status)")
        }
        #expect(counts["waived"] == 1)
        #expect(counts["total"] == report.findings.count)
        #expect(document["schema"] as? String == "hyperward.audit/1.0")
    }

    @Test("rendering is deterministic and ends in one newline")
    func renderingIsDeterministic() {
        let report = ReportSamples.hostile
        let first = report.rendered(as: .json)
        #expect(first == report.rendered(as: .json))
        #expect(first.hasSuffix("}\n") && !first.hasSuffix("\n\n"))
    }

    @Test("control characters are escaped, never written raw")
    func controlCharactersAreEscaped() {
        let output = ReportSamples.hostile.rendered(as: .json)
        let raw = output.unicodeScalars.filter { $0.value < 0x20 && $0 != "\n" }
        #expect(raw.isEmpty)
        #expect(output.contains("\\u0000") && output.contains("\\u001b") && output.contains("\\u2028"))
    }
}
