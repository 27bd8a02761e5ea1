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
import Testing

@Suite("Report timestamps and escaping helpers")
struct ReportTimestampTests {
    static let samples = [
        "2026-05-01T10:00:00Z", "1970-01-01T00:00:00Z", "2000-02-29T23:59:59.5Z", "1969-12-31T23:59:59Z",
        "2026-05-01T12:00:00+02:00", "2026-05-01T02:30:00-07:30", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
        "2026-05-01 10:00:00Z", "2026-13-01T10:00:00Z", "2026-05-01T10:00:00", "2026-05-01T10:00:00Zjunk",
        "2026-05-01T25:00:00Z", "", "not a date", "2026-05-01T10:00:00.Z", "２０２６-05-01T10:00:00Z",
    ]

    @Test("epoch seconds agree with Python's datetime for valid and invalid timestamps")
    func agreesWithPythonDatetime() throws {
        let ours = Self.samples.map { ReportTimestamp.epochSeconds($0) }
        let stdout = try PythonOracle.expectSuccess(#"""
        import datetime, re
        out = []
        for s in json.load(open(sys.argv[1])):
            # RFC 3339 §5.6 strictly: fromisoformat alone is more lenient (it takes spaces, no zone).
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", s, re.ASCII):
                out.append(None)
                continue
            try:
                d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
                out.append(d.timestamp())
            except ValueError:
                out.append(None)
        print(json.dumps(out))
        """#, files: [try JSONEncoder().encode(Self.samples)])
        let theirs = try JSONDecoder().decode([Double?].self, from: Data(stdout.utf8))
        #expect(theirs.count == ours.count)
        for (index, (a, b)) in zip(ours, theirs).enumerated() {
            switch (a, b) {
            case (nil, nil): break
            case (let a?, let b?): #expect(abs(a - b) < 1e-6, "\(Self.samples[index])")
            default: Issue.record("\(Self.samples[index]): ours \(String(describing: a)), python \(String(describing: b))")
            }
        }
    }

    @Test("formatting a timestamp and parsing it back is the identity", arguments: [
        0.0, 1.5, 86_399.999, 951_868_799.0, 1_777_629_600.25, -1.0, 253_402_300_799.0,
    ])
    func timestampRoundTrips(seconds: Double) {
        let text = SARIFRenderer.timestamp(seconds)
        #expect(ReportTimestamp.epochSeconds(text).map { abs($0 - seconds) < 0.0005 } == true, "\(text)")
    }

    @Test("control, C1, bidi and noncharacters become visible; ordinary text is untouched")
    func escapingMakesControlsVisible() {
        #expect("a\u{0}b\u{1B}c\u{9B}d\u{202E}e\u{FFFF}".escapingControlCharacters()
                == "a\\x00b\\x1Bc\\x9Bd\\u{202E}e\\u{FFFF}")
        #expect("line\nnext\ttab".escapingControlCharacters(keeping: ["\n"]) == "line\nnext\\x09tab")
        #expect("héllo wörld 😀 e\u{301}".escapingControlCharacters() == "héllo wörld 😀 e\u{301}")
        #expect("abcdef".truncated(to: 4) == "abc…")
        #expect("abc".truncated(to: 4) == "abc")
    }
}
