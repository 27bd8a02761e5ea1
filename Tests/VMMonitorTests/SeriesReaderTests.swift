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

@testable import VMMonitor

/// `monitor replay`'s input: limits checked while reading, time order, timestamp formats; and the
/// monitor policy's VM patterns.
@Suite("Series reader")
struct SeriesReaderTests {
    static func feed(_ reader: inout SeriesReader, _ text: String) throws(MonitorError) {
        var failure: MonitorError?
        var copy = text
        copy.withUTF8 { bytes in
            do throws(MonitorError) { try reader.consume(UnsafeRawBufferPointer(bytes)) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    @Test func theRowLimitIsCheckedAtTheFirstRowOverItNotAtTheEnd() throws {
        var reader = SeriesReader(maxRows: 3)
        try Self.feed(&reader, "timestamp,value\n2014-02-14 14:30:00,1\n2014-02-14 14:35:00,2\n")
        try Self.feed(&reader, "2014-02-14 14:40:00,3\n")
        #expect(reader.rowCount == 3)
        // Row 4 arrives: refused in this chunk, so the caller stops reading here.
        #expect(throws: MonitorError.self) { try Self.feed(&reader, "2014-02-14 14:45:00,4\n") }
        do {
            var again = SeriesReader(maxRows: 3)
            try Self.feed(&again, "timestamp,value\n2014-02-14 14:30:00,1\n2014-02-14 14:35:00,2\n2014-02-14 14:40:00,3\n2014-02-14 14:45:00,4\n")
            Issue.record("a fourth row was accepted")
        } catch {
            #expect(error.description == "line 5: more than 3 rows, the limit for one series; split it")
        }
        #expect(SeriesReader().maxRows == Series.maxRows && SeriesReader(maxRows: .max).maxRows == Series.maxRows)
    }

    @Test func anOverlongLineIsRefusedBeforeItEnds() throws {
        var reader = SeriesReader()
        try Self.feed(&reader, "timestamp,value\n")
        try Self.feed(&reader, String(repeating: "1", count: Series.maxLineBytes))
        // No newline yet: the next byte is already over the limit.
        #expect(throws: MonitorError.self) { try Self.feed(&reader, "1") }
    }

    @Test func chunkBoundariesDoNotMatter() throws {
        let text = "timestamp,value\r\n2014-02-14 14:30:00,1\r\n\n2014-02-14 14:35:00,2.5\r\n2014-02-14T14:40:00Z,3"
        let whole = try Series(csv: text)
        for size in [1, 2, 7, 64] {
            var reader = SeriesReader()
            var rest = Substring(text)
            while !rest.isEmpty {
                try Self.feed(&reader, String(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            let series = try reader.finish()
            #expect(series.values == whole.values && series.timestamps == whole.timestamps)
        }
        #expect(whole.values == [1, 2.5, 3])
    }

    @Test func rowsMustBeInTimeOrder() {
        #expect {
            try Series(csv: "timestamp,value\n2014-02-14 14:35:00,1\n2014-02-14 14:30:00,2\n")
        } throws: { ($0 as? MonitorError)?.description.hasPrefix("line 3: timestamp 2014-02-14 14:30:00 is earlier than line 2's") == true }
        // Offsets count: 15:00+02:00 is 13:00Z, before 14:00Z.
        #expect(throws: MonitorError.self) { try Series(csv: "timestamp,value\n2014-02-14T14:00:00Z,1\n2014-02-14T15:00:00+02:00,2\n") }
    }

    @Test func aRepeatedTimestampIsKeptAndCounted() throws {
        let series = try Series(csv: "timestamp,value\n2014-02-14 14:30:00,1\n2014-02-14 14:30:00,2\n2014-02-14 14:35:00,3\n2014-02-14 14:35:00,4\n")
        #expect(series.values == [1, 2, 3, 4])
        #expect(series.duplicateTimestamps == 2 && series.firstDuplicateLine == 3)
    }

    @Test("timestamp formats", arguments: [
        ("2014-02-14 14:30:00", true), ("2014-02-14T14:30:00", true), ("2014-02-14T14:30:00.123Z", true),
        ("2014-02-14 14:30:00.123456789+05:30", true), ("2014-02-14T14:30:00-0800", true), ("2016-02-29 00:00:00", true),
        ("2014-02-30 14:30:00", false), ("2015-02-29 00:00:00", false), ("2014-13-01 00:00:00", false), ("2014-02-14 24:00:00", false),
        ("14/02/2014 14:30:00", false), ("2014-02-14 14:30", false), ("2014-02-14 14:30:00.", false), ("2014-02-14 14:30:00 PM", false),
        ("2014-02-14 14:30:00.1234567890", false), ("2014-02-14 14:30:00+5", false),
    ])
    func timestampFormats(text: String, isAccepted: Bool) {
        #expect((SeriesTimestamp(text) != nil) == isAccepted, "\(text)")
        if !isAccepted {
            #expect {
                try Series(csv: "timestamp,value\n\(text),1\n")
            } throws: { ($0 as? MonitorError)?.description.contains(Series.timestampFormats) == true }
        }
    }

    @Test func timestampsAreInstants() throws {
        let epoch = try #require(SeriesTimestamp("1970-01-01 00:00:00"))
        #expect(epoch.seconds == 0)
        #expect(SeriesTimestamp("2014-02-14 14:30:00")?.seconds == 1_392_388_200)  // date -u -d '2014-02-14 14:30:00' +%s
        #expect(SeriesTimestamp("2014-02-14T16:30:00+02:00")?.seconds == 1_392_388_200)
        #expect(SeriesTimestamp("2014-02-14T14:30:00.5Z")?.nanoseconds == 500_000_000)
    }

    @Test func theMonitorDocumentsTheLimitsTheCodeEnforces() throws {
        let doc = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/monitor.md"), encoding: .utf8)
        let limits = try #require(doc.range(of: "## Limits")).upperBound
        let section = String(doc[limits...].prefix { $0 != "#" })
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.locale = Locale(identifier: "en_US")
        for number in [Series.maxRows, Series.maxLineBytes, DomainSample.maxFields, DomainSample.maxIndex] {
            let text = formatter.string(from: NSNumber(value: number)) ?? ""
            #expect(section.contains(text), "docs/monitor.md's Limits section should say \(text)")
        }
    }
}

@Suite("Monitor policy VM patterns")
struct MonitorPolicyPatternTests {
    @Test("patterns fnmatch would silently read as literals are refused",
          arguments: ["[a-", "web-[", "vm\\", "[z-a]", "[]"])
    func invalidPatterns(pattern: String) {
        #expect(MonitorPolicy.patternProblem(pattern) != nil, "\(pattern)")
        #expect {
            try MonitorPolicy.parse("vms: [\(pattern.debugDescription)]\n", file: "/etc/m.yaml")
        } throws: { "\($0)".contains("/etc/m.yaml:1:") && "\($0)".contains("is not a valid VM name pattern") }
    }

    @Test("valid patterns pass", arguments: ["web-*", "db-?", "[abc]-1", "[!x]*", "[]x]", "\\[literal\\]", "vm-[0-9]"])
    func validPatterns(pattern: String) throws {
        #expect(MonitorPolicy.patternProblem(pattern) == nil, "\(pattern)")
        let (policy, _, _) = try MonitorPolicy.parse("vms: [\(pattern.debugDescription)]\n", file: "m.yaml")
        #expect(policy.vms == [pattern])
    }
}
