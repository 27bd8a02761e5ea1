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
import Testing

@testable import HyperwardCore

@Suite("Event envelope")
struct EventTests {
    static let envelopeKeys: Set<String> = ["schema_version", "id", "time", "host", "engine", "kind", "severity", "subject", "vm",
                                            "interface", "threat", "summary", "evidence", "body"]

    static func sample(summary: String = "a scan", body: String? = "{\"detector\":\"port-scan\",\"n\":[1,2.5,true,null]}") -> Event {
        Event(time: "2026-01-01T00:00:00.000Z", kind: "alert.port-scan", engine: .sense, subject: "port-scan/a/b", vm: "web-1",
              interface: "vnet3", severity: .medium, threat: .networkThreat, summary: summary,
              evidence: [EventEvidence(kind: "src", value: "10.0.0.9"), EventEvidence(kind: "memory", path: "/x", sha256: String(repeating: "0", count: 64), bytes: 3)],
              body: body)
    }

    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func everyEnvelopeKeyIsPresentAndUnknownsAreNull() throws {
        let bare = Event(time: "2026-01-01T00:00:00.000Z", host: nil, kind: "audit.run", engine: .audit, summary: "s")
        let object = try Self.object(bare.jsonLine())
        #expect(Set(object.keys) == Self.envelopeKeys)
        for key in ["host", "severity", "subject", "vm", "interface", "threat", "body"] { #expect(object[key] is NSNull, "\(key)") }
        #expect(object["schema_version"] as? Int == 1 && object["evidence"] as? [Any] != nil)
    }

    @Test func theBodyIsAnObjectAndTheJSONRoundTrips() throws {
        let event = Self.sample()
        let line = event.jsonLine()
        let object = try Self.object(line)
        #expect((object["body"] as? [String: Any])?["detector"] as? String == "port-scan")
        #expect(object["threat"] as? String == "T5" && object["engine"] as? String == "sense")
        let decoded = try JSONDecoder().decode(Event.self, from: Data(line.utf8))
        #expect(decoded.id == event.id && decoded.summary == event.summary && decoded.evidence == event.evidence && decoded.vm == "web-1")
        #expect(decoded.body.flatMap(JSONValue.init(parsing:)) == JSONValue(parsing: event.body ?? ""))
    }

    @Test func compatibilityKeysRepeatSummaryAndBodyText() throws {
        let event = Self.sample()
        let object = try Self.object(event.jsonLine(compatibilityKeys: true))
        #expect(Set(object.keys) == Self.envelopeKeys.union(["message", "data"]))
        #expect(object["message"] as? String == event.summary && object["data"] as? String == event.body)
        #expect(try Self.object(Self.sample(body: nil).jsonLine(compatibilityKeys: true))["data"] == nil)
    }

    @Test func aSchema0LineDecodesWithMessageAndData() throws {
        let line = #"{"id":"6f1c1a52-8d2b-4d4c-9d6e-3f0e1b2a7c11","time":"2026-01-01T00:00:00.000Z","kind":"finding.new","engine":"audit","message":"m","data":"{\"a\":1}"}"#
        let event = try JSONDecoder().decode(Event.self, from: Data(line.utf8))
        #expect(event.summary == "m" && event.body == "{\"a\":1}" && event.host == nil && event.evidence.isEmpty)
    }

    @Test(arguments: [("[1,2]", "{\"value\":[1,2]}"), ("\"text\"", "{\"value\":\"text\"}"), ("{not json", "{\"text\":\"{not json\"}")])
    func aBodyThatIsNotAnObjectIsWrapped(body: String, expected: String) throws {
        let object = try Self.object(Self.sample(body: body).jsonLine())
        let rendered = try JSONSerialization.data(withJSONObject: try #require(object["body"]), options: [.sortedKeys])
        #expect(String(decoding: rendered, as: UTF8.self) == expected)
    }

    @Test func lineSeparatorsAndControlsAreEscapedSoALineStaysOneLine() throws {
        let hostile = "bob\u{2028}\u{2029}\n\r\u{1b}[31m\"é"
        let line = Self.sample(summary: hostile).jsonLine(compatibilityKeys: true)
        #expect(!line.unicodeScalars.contains { $0 == "\u{2028}" || $0 == "\u{2029}" || $0 == "\n" || $0 == "\r" || $0 == "\u{1b}" })
        #expect(try Self.object(line)["summary"] as? String == hostile)
    }

    @Test func idsAreFreshRandomUUIDsAndTheHostIsThisOne() throws {
        let ids = (0..<100).map { _ in Event(time: Event.timestamp(), kind: "k", engine: "t", summary: "s").id }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { UUID(uuidString: $0) != nil && $0 == $0.lowercased() && Array($0)[14] == "4" })
        let hostname = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Event.localHost == hostname)
    }

    @Test func aFindingBecomesAnAuditEventWithItsThreatAndWhatItRead() {
        let finding = Finding(id: "ksm.run", title: "KSM", threat: .sideChannel, severity: .medium, status: .fail, detail: "on",
                              evidence: [Evidence(path: "/sys/kernel/mm/ksm/run", value: "1", line: 1)])
        let event = Event(finding: finding, kind: "finding.new", time: "2026-01-01T00:00:00.000Z", summary: "ksm.run: fail")
        #expect(event.engine == .audit && event.subject == "ksm.run" && event.threat == .sideChannel && event.severity == .medium)
        #expect(event.evidence == [EventEvidence(kind: "read", value: "1", path: "/sys/kernel/mm/ksm/run", line: 1)])
    }

    /// The raw values are what `sense` and `monitor` printed before the two enumerations became one.
    @Test func oneDetectorKindKeepsEveryPrintedName() {
        #expect(DetectorKind.sensorDetectors.map(\.rawValue) == [
            "port-scan", "address-sweep", "syn-flood", "flood", "arp-spoof", "ip-spoof", "rogue-ra", "rogue-dhcp",
            "cleartext-credentials", "brute-force", "malformed",
        ])
        #expect(DetectorKind.monitorDetectors.map(\.rawValue) == ["limit", "baseline", "peers"])
        #expect(DetectorKind.sensorDetectors.count + DetectorKind.monitorDetectors.count == DetectorKind.allCases.count)
    }
}
