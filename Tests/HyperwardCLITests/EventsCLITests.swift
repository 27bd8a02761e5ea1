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

import Crypto
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardStore
import NetworkPolicy
import Response
import Testing
import VMMonitor

/// One event model: all five engines record into one state directory that already holds a row
/// from before the envelope, and `hyperward events --format json` prints envelopes that the
/// published schema (`docs/events.schema.json`) accepts, checked by a reference validator
/// (python-jsonschema, Draft 2020-12).
@Suite("hyperward events: one envelope for every engine", .serialized)
struct EventsCLITests {
    static let schema = CLI.packageRoot.appendingPathComponent("docs/events.schema.json").path

    /// Whether `id` is a lowercase random (version 4) UUID.
    static func isRandomUUID(_ id: String?) -> Bool {
        guard let id, id.wholeMatch(of: #/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/#) != nil else { return false }
        return true
    }

    @Test("every engine's events, and a row from before the envelope, validate against docs/events.schema.json")
    func everyEngineValidatesAgainstTheSchema() throws {
        let scratch = Scratch()
        let state = scratch.path + "/state"

        // 0. A store written before the envelope existed (migrations v1 and v2 only, as GRDB
        //    records them), holding one event: every later command migrates it in place.
        try Self.makeLegacyStore(in: state)

        // 1. audit: a fixture host with problems, recorded.
        let audit = try CLI.run(["audit", "--root", scratch.weakHost(), "--record", "--state-dir", state, "--format", "json"])
        #expect(![64, 70].contains(audit.status), "\(audit.stderr)")

        // 2. sense: a generated capture of truncated IPv4 packets (malformed alerts), recorded.
        let capture = scratch.path + "/malformed.pcap"
        try Self.malformedCapture().write(to: URL(fileURLWithPath: capture))
        let sense = try CLI.run(["sense", "--pcap", capture, "--format", "json", "--record", "--state-dir", state])
        #expect(sense.status == 0, "\(sense.stderr)")
        let senseLines = try sense.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
        let alertLines = senseLines.filter { $0["type"] as? String == "alert" }
        #expect(!alertLines.isEmpty)
        let senseEvents = alertLines.compactMap { $0["event"] as? [String: Any] }
        #expect(senseEvents.count == alertLines.count, "every alert line carries its envelope")
        // The alert's own keys are the stable ones of docs/sensor.md, first and unchanged.
        #expect(sense.stdout.hasPrefix(#"{"type":"alert","time":"2026-01-01T00:00:00.000000Z","detector":"malformed","severity":"low","threat":"T5","#))
        #expect(Set(alertLines.first?.keys.map { $0 } ?? []) == ["type", "time", "detector", "severity", "threat", "summary", "src", "incident",
                                                                  "occurrence", "source_may_be_spoofed", "evidence", "event"])

        // 3. keys: a keystore, a key, an encryption.
        let passphrase = scratch.write("passphrase", "an operator's passphrase\n")
        chmod(passphrase, 0o600)
        for arguments in [["init", "--scrypt-log-n", "10"], ["create", "vm-disks"], ["encrypt", "vm-disks"]] {
            let keys = try CLI.run(["keys", arguments[0], "--state-dir", state, "--passphrase-file", passphrase] + arguments.dropFirst(),
                                   stdin: Data("plaintext".utf8))
            #expect(keys.status == 0, "keys \(arguments[0]): \(keys.stderr)")
        }

        // 4. monitor: an incident as the live monitor reports it (the live loop needs libvirt;
        //    the event is the one its adapter makes), appended through the library.
        let incident = try JSONDecoder().decode(MonitorAlert.self, from: Data(Self.monitorIncident.utf8))
        let store = try StateStore(stateDirectory: state)
        try store.append([incident.event])

        // 5. respond: the memory dump of a quarantine, hashed, as the responder records it.
        let dump = scratch.write("web-1.memory", "guest memory image")
        let digest = SHA256.hash(data: Data("guest memory image".utf8)).map { String(format: "%02x", $0) }.joined()
        try store.append([Event.responseStep("quarantine.evidence", vm: "web-1", summary: "memory evidence \(dump): sha256 \(digest)",
                                             severity: .high, threat: .maliciousVM,
                                             evidence: [EventEvidence(kind: "memory", path: dump, sha256: digest, bytes: 18)],
                                             fields: ["kind": "memory", "path": dump, "sha256": digest])])

        // 6. net: the agent's network service records a changed ruleset and a refused policy.
        let policy = try NetworkPolicy.parse(Self.netPolicy, file: "policy.yaml")
        let outcome = EnforcementOutcome(mode: .delta, reason: nil, ruleset: try RulesetCompiler.compile(policy), changedVMs: ["web-1"],
                                         flushed: 3, commands: 4)
        try store.append([Event.networkApplied(outcome, trigger: "lifecycle started of domain web-1", policy: "/etc/hyperward/policy.yaml"),
                          Event.networkRefused("the policy would leave every running VM unfiltered", wouldUnprotect: true,
                                               trigger: "periodic resync", policy: "/etc/hyperward/policy.yaml")])

        let printed = try CLI.run(["events", "--state-dir", state, "--format", "json", "--limit", "1000"])
        #expect(printed.status == 0, "\(printed.stderr)")
        let lines = printed.stdout.split(separator: "\n").map(String.init)
        let events = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }

        // The reference validator: every line, and every envelope of the sense output; keys the
        // schema does not name are refused here (the schema itself lets consumers skip them).
        let validated = try Self.python(Self.validateScript, files: [
            try Data(contentsOf: URL(fileURLWithPath: Self.schema)), Data(printed.stdout.utf8),
            Data(senseEvents.map(Self.line).joined(separator: "\n").utf8),
        ])
        #expect(validated.status == 0, "\(validated.stderr)")
        #expect(validated.stdout.contains("valid \(events.count) events and \(senseEvents.count) sense envelopes"), "\(validated.stdout)")

        // All five engines, each with what its adapter knows.
        let engines = Set(events.compactMap { $0["engine"] as? String })
        #expect(engines.isSuperset(of: ["audit", "sense", "monitor", "respond", "keys", "net"]), "\(engines)")
        let applied = try #require(first("net.applied"))
        #expect(applied["severity"] as? String == "info" && (applied["body"] as? [String: Any])?["changed_vms"] as? [String] == ["web-1"])
        let refused = try #require(first("net.refused"))
        #expect(refused["severity"] as? String == "high" && refused["threat"] as? String == "T5")
        func first(_ kind: String) -> [String: Any]? { events.dropFirst().first { ($0["kind"] as? String)?.hasPrefix(kind) == true } }
        let finding = try #require(first("finding.new"))
        #expect(["T1", "T2", "T3", "T4", "T5"].contains(finding["threat"] as? String ?? ""), "a finding has its threat class")
        #expect((finding["evidence"] as? [[String: Any]])?.first?["kind"] as? String == "read")
        let alert = try #require(first("alert.malformed"))
        #expect(alert["threat"] as? String == "T5" && alert["engine"] as? String == "sense")
        #expect((alert["body"] as? [String: Any])?["detector"] as? String == "malformed", "the body is the alert")
        #expect((alert["evidence"] as? [[String: Any]])?.contains { $0["kind"] as? String == "src" && $0["value"] as? String == "02:00:00:00:00:09" } == true)
        let monitor = try #require(first("monitor.opened"))
        #expect(monitor["vm"] as? String == "web-1" && monitor["threat"] as? String == "T2" && monitor["severity"] as? String == "high")
        let response = try #require(first("respond.quarantine.evidence"))
        #expect(response["vm"] as? String == "web-1")
        #expect((response["evidence"] as? [[String: Any]])?.first?["sha256"] as? String == digest)
        #expect(Set(events.filter { $0["engine"] as? String == "keys" }.compactMap { $0["kind"] as? String }) == ["key.init", "key.create", "key.encrypt"])

        // The row from before the envelope still prints: a derived id, no host, its message.
        let legacy = try #require(events.first)
        #expect(legacy["id"] as? String == "00000000-0000-8000-8000-000000000001")
        #expect(legacy["host"] is NSNull && legacy["summary"] as? String == Self.legacyMessage && legacy["message"] as? String == Self.legacyMessage)
        // Every newer one: its own random id, this host's name.
        let recent = events.dropFirst()
        #expect(recent.allSatisfy { Self.isRandomUUID($0["id"] as? String) })
        #expect(Set(recent.compactMap { $0["id"] as? String }).count == recent.count)
        #expect(recent.allSatisfy { $0["host"] as? String == Event.localHost })
        // What `sense` printed is what it recorded.
        let recordedSense = events.filter { $0["engine"] as? String == "sense" }
        #expect(Set(senseEvents.compactMap { $0["id"] as? String }) == Set(recordedSense.compactMap { $0["id"] as? String }))
        for (line, recorded) in zip(alertLines, recordedSense) {
            var alertOnly = line
            alertOnly["event"] = nil
            #expect(Self.line(alertOnly) == Self.line(recorded["body"] as? [String: Any] ?? [:]), "the recorded body is the printed alert")
        }

        // Text: one readable line per event.
        let text = try CLI.run(["events", "--state-dir", state, "--limit", "1000"])
        #expect(text.status == 0)
        let textLines = text.stdout.split(separator: "\n")
        #expect(textLines.count == events.count)
        #expect(textLines.contains { $0.contains("monitor") && $0.contains("monitor.opened") && $0.contains("[high] T2 vm=web-1") })
    }

    @Test("the schema refuses envelopes that break it, so the validation can fail")
    func schemaRefusesBrokenEnvelopes() throws {
        let event = Event(time: Event.timestamp(), kind: "alert.port-scan", engine: .sense, subject: "port-scan/a/b", interface: "virbr0",
                          severity: .medium, threat: .networkThreat, summary: "a scan", evidence: [EventEvidence(kind: "src", value: "10.0.0.9")],
                          body: "{\"detector\":\"port-scan\"}")
        let outcome = try Self.python(Self.mutationScript, files: [
            try Data(contentsOf: URL(fileURLWithPath: Self.schema)), Data(event.jsonLine(compatibilityKeys: true).utf8),
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("refused 11 mutations"), "\(outcome.stdout)")
    }

    // MARK: Fixtures

    static let legacyMessage = "ksm.run: fail: KSM merges identical pages across guests"

    /// A state store as Hyperward wrote it before the envelope: the v1 and v2 migrations' tables,
    /// GRDB's record of them, one finding event.
    static let netPolicy = """
        vms:
          web-1:
            interfaces:
              - { device: vnet0, mac: "52:54:00:00:00:01", ipv4: [192.0.2.10] }
        """

    static func makeLegacyStore(in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let made = try python(#"""
        import sqlite3
        db = sqlite3.connect(sys.argv[1] + "/hyperward.sqlite")
        db.executescript("""
        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time TEXT NOT NULL CHECK (length(time) >= 20),
            kind TEXT NOT NULL CHECK (kind <> ''),
            engine TEXT NOT NULL CHECK (engine <> ''),
            subject TEXT,
            severity TEXT CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
            message TEXT NOT NULL,
            data TEXT CHECK (data IS NULL OR json_valid(data))
        );
        CREATE INDEX events_kind_time ON events(kind, time);
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TABLE audit_finding_states (
            key TEXT PRIMARY KEY NOT NULL CHECK (key <> ''),
            status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'warn', 'info', 'notapplicable', 'error')),
            severity TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO grdb_migrations VALUES ('v1-events'), ('v2-audit-finding-states');
        """)
        db.execute("INSERT INTO events (time, kind, engine, subject, severity, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   ("2025-12-01T10:00:00.000Z", "finding.new", "audit", "ksm.run", "medium", sys.argv[2], '{"status":"fail"}'))
        db.commit()
        """#, arguments: [directory, legacyMessage])
        #expect(made.status == 0, "\(made.stderr)")
    }

    /// A pcap (Ethernet) of three frames whose IPv4 header is cut short: the sensor reports them
    /// as `malformed` alerts (the first, then at the doubled count).
    static func malformedCapture() -> Data {
        var bytes: [UInt8] = []
        func le32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        func le16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        le32(0xA1B2_C3D4); le16(2); le16(4); le32(0); le32(0); le32(65535); le32(1)
        let frame: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x00, 0x00, 0x00, 0x00, 0x09, 0x08, 0x00,
                              0x45, 0x00, 0x00, 0x14, 0x00, 0x00]
        for second in 0..<3 {
            le32(1_767_225_600 + UInt32(second)); le32(0); le32(UInt32(frame.count)); le32(UInt32(frame.count))
            bytes += frame
        }
        return Data(bytes)
    }

    /// An incident as `monitor --format json` prints it under `alert`.
    static let monitorIncident = #"""
        {"phase":"opened","id":"web-1-1","vm":"web-1","uuid":"6f1c1a52-8d2b-4d4c-9d6e-3f0e1b2a7c11","severity":"high",
         "threatClasses":["T2"],"since":"2026-01-01T00:00:00.000Z","time":"2026-01-01T00:00:30.000Z","samples":3,
         "signals":[{"metric":"cpu","detectors":["baseline","limit"],"observed":3.5,"expected":0.4,"limit":2,"peak":3.6,
                     "unit":"cores","since":"2026-01-01T00:00:00.000Z","threat":"T2 resource abuse"}]}
        """#

    static func line(_ object: [String: Any]) -> String {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    // MARK: The validator

    /// Runs a Python script (after a prelude that loads jsonschema or exits 3 naming the package
    /// to install) with `files` written to temporary paths, then `arguments`, as `sys.argv[1...]`.
    /// A missing validator fails the test: it is the oracle, never skipped.
    static func python(_ script: String, files: [Data] = [], arguments: [String] = []) throws -> HostCommand.Result {
        let scratch = Scratch()
        var paths: [String] = []
        for (index, data) in files.enumerated() {
            let path = scratch.path + "/input-\(index)"
            try data.write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let prelude = """
            import copy, json, sys
            def need(module, package):
                try:
                    return __import__(module)
                except ImportError:
                    sys.stderr.write(f"python module '{module}' is missing: run 'python3 -m pip install {package}' (scripts/install-deps.sh --test)\\n")
                    sys.exit(3)
            def fail(message):
                sys.stderr.write(message[:4000] + "\\n")
                sys.exit(1)

            """
        let scriptPath = scratch.write("oracle.py", prelude + script)
        return HostCommand.run(["python3", scriptPath] + paths + arguments, outputLimit: 16 << 20)
    }

    static let validateScript = #"""
        jsonschema = need("jsonschema", "jsonschema")
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
        known = set(schema["properties"])
        known_evidence = set(schema["$defs"]["evidence"]["properties"])
        def check(document, where):
            errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
            if errors:
                fail(f"{where}: " + "; ".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:5]) + f" in {json.dumps(document)[:1500]}")
            extra = set(document) - known
            if extra:
                fail(f"{where}: keys the schema does not name: {sorted(extra)}")
            for item in document["evidence"]:
                if set(item) - known_evidence:
                    fail(f"{where}: evidence keys the schema does not name: {sorted(set(item) - known_evidence)}")
        events = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
        for number, event in enumerate(events, 1):
            check(event, f"events line {number}")
        envelopes = [json.loads(line) for line in open(sys.argv[3]) if line.strip()]
        for number, envelope in enumerate(envelopes, 1):
            check(envelope, f"sense alert {number}'s event")
            if envelope["body"] is not None:
                fail(f"sense alert {number}'s event has a body; the alert line is the body")
        print(f"valid {len(events)} events and {len(envelopes)} sense envelopes")
        """#

    static let mutationScript = #"""
        jsonschema = need("jsonschema", "jsonschema")
        validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
        good = json.loads(open(sys.argv[2]).read())
        if not validator.is_valid(good):
            fail("the unmutated event should be valid: " + "; ".join(e.message for e in validator.iter_errors(good)))
        mutations = {
            "no id": lambda d: d.pop("id"),
            "an id that is not a UUID": lambda d: d.__setitem__("id", "42"),
            "no host key": lambda d: d.pop("host"),
            "threat T6": lambda d: d.__setitem__("threat", "T6"),
            "schema_version 2": lambda d: d.__setitem__("schema_version", 2),
            "a body that is JSON text": lambda d: d.__setitem__("body", "{}"),
            "evidence without a kind": lambda d: d.__setitem__("evidence", [{"value": "x"}]),
            "a hash that is not SHA-256": lambda d: d.__setitem__("evidence", [{"kind": "memory", "path": "/x", "sha256": "abc"}]),
            "a local time": lambda d: d.__setitem__("time", "2026-01-01 00:00:00"),
            "an unknown severity": lambda d: d.__setitem__("severity", "severe"),
            "a kind with spaces": lambda d: d.__setitem__("kind", "alert port scan"),
        }
        for name, mutate in mutations.items():
            bad = copy.deepcopy(good)
            mutate(bad)
            if validator.is_valid(bad):
                fail(f"the schema accepted an event with {name}")
        print(f"refused {len(mutations)} mutations")
        """#
}
