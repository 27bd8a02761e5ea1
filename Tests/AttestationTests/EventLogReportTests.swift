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
import HyperwardCore
import Testing
import Yams

@testable import Attestation

/// The three renderings of a log: hostile strings stay data (escaped, terminal-safe), JSON and
/// YAML parse back to what the log says, and the pcrs section has tpm2-tools' layout.
@Suite("Event log reports")
struct EventLogReportTests {
    /// A SHA-1 log of an EV_EFI_ACTION with `text`, an unknown event with 100 bytes, a separator.
    static func log(text: String) -> TPMEventLog {
        func event(pcr: UInt8, type: UInt32, _ data: [UInt8]) -> [UInt8] {
            let t = (0..<4).map { UInt8(truncatingIfNeeded: type >> (8 * $0)) }
            let n = (0..<4).map { UInt8(truncatingIfNeeded: UInt32(data.count) >> (8 * $0)) }
            return [pcr, 0, 0, 0] + t + [UInt8](repeating: 0x11, count: 20) + n + data
        }
        let bytes = event(pcr: 4, type: 0x8000_0007, Array(text.utf8))
            + event(pcr: 14, type: 0x7000_0001, (0..<100).map { UInt8($0) })
            + event(pcr: 4, type: 4, [0, 0, 0, 0])
        return TPMEventLog(parsing: bytes, source: "built.bin")
    }

    static let hostile = "say \"hi\" \\ back\nslash\u{1b}[31m red \u{2028} \u{202e}evil\t'quote' \u{85}\u{9f}\u{feff}\u{fffe}\u{ffff}"

    @Test func jsonEscapesAndParsesBack() throws {
        let report = EventLogReport(log: Self.log(text: Self.hostile), source: "built\u{1b}.bin")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let events = try #require(object["events"] as? [[String: Any]])
        #expect(events.count == 3)
        #expect((events[0]["event"] as? [String: Any])?["string"] as? String == Self.hostile)
        #expect(events[1]["decoded"] as? Bool == false)
        #expect(events[1]["event"] as? String == (0..<100).map { String(format: "%02x", $0) }.joined())
        #expect(object["source"] as? String == "built\u{1b}.bin")
        #expect((object["pcrs"] as? [String: [String: String]])?["sha1"]?.keys.sorted() == ["14", "4"])
        #expect(object["problem"] is NSNull)
        #expect(!report.json().contains("\u{2028}"))
    }

    @Test func yamlParsesBackAndEndsWithTpm2ToolsPCRs() throws {
        let report = EventLogReport(log: Self.log(text: Self.hostile), source: "built.bin")
        let yaml = report.yaml()
        let node = try #require(try Yams.compose(yaml: yaml))
        let events = try #require(node["events"]?.sequence)
        #expect(events.count == 3)
        #expect(events[0]["Event"]?["String"]?.string == Self.hostile)
        #expect(events[1]["EventType"]?.string == "EV_UNKNOWN_0x70000001")
        let replay = PCRReplay.replay(report.log)
        let pcr4 = try #require(replay.banks[.sha1]?[4])
        #expect(yaml.hasSuffix("pcrs:\n  sha1:\n    4  : 0x\(hex(pcr4))\n    14 : 0x\(hex(replay.banks[.sha1]?[14] ?? []))\n"))
    }

    @Test func textIsTerminalSafeAndCutsRawData() {
        let text = EventLogReport(log: Self.log(text: Self.hostile), source: "built\u{1b}.bin").text()
        #expect(!text.contains("\u{1b}") && !text.contains("\u{202e}") && !text.contains("\u{2028}"))
        #expect(text.contains("\\u{1B}[31m"))
        #expect(text.contains("… (100 bytes)"))
        #expect(text.contains("EV_UNKNOWN_0x70000001"))
    }

    @Test func snakeCaseKeys() {
        #expect(EventLogReport.snakeCase("ImageLocationInMemory") == "image_location_in_memory")
        #expect(EventLogReport.snakeCase("MyLBA") == "my_lba")
        #expect(EventLogReport.snakeCase("PartitionTypeGUID") == "partition_type_guid")
        #expect(EventLogReport.snakeCase("specVersionMinor") == "spec_version_minor")
    }
}
