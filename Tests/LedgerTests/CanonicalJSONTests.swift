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


import FixtureSupport
import Foundation
import HyperwardCore
import Testing

@testable import Ledger

@Suite("Canonical JSON (RFC 8785)")
struct CanonicalJSONTests {
    func canonical(_ json: String) -> String? {
        var writer = CanonicalJSONWriter()
        guard writer.appendCanonicalized(json: json) else { return nil }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func theRFC8785ExampleCanonicalisesAsPublished() {
        // RFC 8785 §3.2.2 (input) and §3.2.3 (output).
        let input = #"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}"#
        let output = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        #expect(canonical(input) == output)
    }

    @Test func membersSortByUTF16CodeUnits() {
        // RFC 8785 §3.2.3's sorting example.
        let input = #"{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}"#
        let values = ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"]
        let text = canonical(input) ?? ""
        var position = text.startIndex
        for value in values {
            let found = text.range(of: value, range: position..<text.endIndex)
            #expect(found != nil, "\(value) out of order in \(text)")
            position = found?.upperBound ?? position
        }
    }

    @Test(arguments: [
        // RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript text.
        (UInt64(0x0000000000000000), "0"), (0x8000000000000000, "0"), (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"), (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"), (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"), (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"), (0x44b52d02c7e14af6, "1e+23"), (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"), (0x444b1ae4d6e2ef4f, "999999999999999900000"), (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"), (0x3eb0c6f7a0b5ed8d, "0.000001"), (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"), (0x41b3de4355555555, "333333333.3333333"), (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"), (0xbecbf647612f3696, "-0.0000033333333333333333"), (0x43143ff3c1cb0959, "1424953923781206.2"),
    ])
    func numbersPrintAsECMAScriptDoes(bits: UInt64, expected: String) {
        var writer = CanonicalJSONWriter()
        writer.appendDouble(Double(bitPattern: bits))
        #expect(String(decoding: writer.bytes, as: UTF8.self) == expected)
    }

    @Test func badJSONIsRefusedAndLeavesNothing() {
        for bad in ["", "{", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"\u{01}\"", "\"\\x\"", "\"\\ud800\"", "{\"a\":1,\"a\":2}",
                    "1e999", String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "{} {}", "\"abc"] {
            var writer = CanonicalJSONWriter()
            writer.bytes = [7]
            let accepted = writer.appendCanonicalized(json: bad)
            #expect(!accepted, "\(bad.debugDescription) accepted")
            #expect(writer.bytes == [7])
        }
        #expect(canonical(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) != nil)
        #expect(canonical(" { \"b\" : [ 1 , -0 , 1.50 ] , \"a\" : { \"d\":null, \"c\":\"\\/\" } } ") == #"{"a":{"c":"/","d":null},"b":[1,0,1.5]}"#)
    }

    static func randomString(_ rng: inout SplitMix) -> String {
        let pool: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{01}", "\u{1F}", "\u{7F}", "é", "€", "\u{2028}", "😀", "\u{FFFD}", "\u{0}"]
        var s = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...12, using: &rng) { s.append(pool[Int.random(in: 0..<pool.count, using: &rng)]) }
        return String(s)
    }

    static func randomEvent(_ rng: inout SplitMix) -> Event {
        func maybe(_ rng: inout SplitMix) -> String? { Bool.random(using: &rng) ? randomString(&rng) : nil }
        var evidence: [EventEvidence] = []
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            evidence.append(EventEvidence(kind: randomString(&rng), value: maybe(&rng), path: maybe(&rng),
                                          sha256: Bool.random(using: &rng) ? String(repeating: "ab", count: 32) : nil,
                                          bytes: Bool.random(using: &rng) ? Int64.random(in: -1 << 60...1 << 60, using: &rng) : nil,
                                          line: Bool.random(using: &rng) ? Int.random(in: 1...100_000, using: &rng) : nil))
        }
        let body: String? = Bool.random(using: &rng)
            ? String(decoding: try! JSONSerialization.data(withJSONObject: ["z": Int.random(in: -1000...1000, using: &rng), "a": [true, NSNull(), 2.5e3] as [Any],
                                                                           "m": randomString(&rng)] as [String: Any]), as: UTF8.self)
            : nil
        return Event(time: Event.timestamp(Date(timeIntervalSince1970: Double(Int.random(in: 0...2_000_000_000, using: &rng)))),
                     host: maybe(&rng), kind: "k." + randomString(&rng), engine: Event.Engine(rawValue: randomString(&rng)),
                     subject: maybe(&rng), vm: maybe(&rng), interface: maybe(&rng),
                     severity: Bool.random(using: &rng) ? Severity.allCases.randomElement(using: &rng) : nil,
                     threat: Bool.random(using: &rng) ? ThreatClass.allCases.randomElement(using: &rng) : nil,
                     summary: randomString(&rng), evidence: evidence, body: body)
    }

    @Test func canonicalBytesDecodeToTheEventsValues() throws {
        var rng = SplitMix(seed: 8785)
        for _ in 0..<500 {
            let event = Self.randomEvent(&rng)
            let bytes = CanonicalEventEncoder.json(of: event)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
            #expect(object["id"] as? String == event.id)
            #expect(object["time"] as? String == event.time)
            #expect(object["engine"] as? String == event.engine.rawValue)
            #expect(object["kind"] as? String == event.kind)
            #expect(object["summary"] as? String == event.summary)
            #expect(object["host"] as? String == event.host)
            #expect(object["subject"] as? String == event.subject)
            #expect(object["vm"] as? String == event.vm)
            #expect(object["interface"] as? String == event.interface)
            #expect(object["severity"] as? String == event.severity?.rawValue)
            #expect(object["threat"] as? String == event.threat?.rawValue)
            #expect(object["schema_version"] as? Int == 1)
            // nil fields are omitted, not null.
            #expect(!object.values.contains { $0 is NSNull })
            if let body = event.body {
                let expected = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? NSDictionary
                #expect((object["body"] as? NSDictionary) == expected)
            } else {
                #expect(object["body"] == nil)
            }
            let items = object["evidence"] as? [[String: Any]] ?? []
            #expect(items.count == event.evidence.count)
            for (item, e) in zip(items, event.evidence) {
                #expect(item["kind"] as? String == e.kind)
                #expect(item["value"] as? String == e.value)
                #expect(item["path"] as? String == e.path)
                #expect(item["line"] as? Int == e.line)
                // Above 2^53 JCS prints the nearest double's shortest digits (and JSONSerialization
                // reads those back as an integer): equal to a double's precision.
                if let bytes = e.bytes {
                    let read = (item["bytes"] as? NSNumber)?.doubleValue ?? .nan
                    #expect(abs(read - Double(bytes)) <= abs(Double(bytes)) * 1e-15)
                } else {
                    #expect(item["bytes"] == nil)
                }
            }
            // Equal events, equal bytes; the same bytes from the stored columns.
            #expect(CanonicalEventEncoder.json(of: event) == bytes)
            #expect(Self.columnsJSON(event) == bytes)
        }
    }

    /// The event's canonical JSON through the column path, with evidence as the store writes it.
    static func columnsJSON(_ e: Event) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let evidence = e.evidence.isEmpty ? nil : String(decoding: try! encoder.encode(e.evidence), as: UTF8.self)
        let fields: [String?] = [e.id, e.time, e.host, e.engine.rawValue, e.kind, e.severity?.rawValue, e.subject, e.vm, e.interface,
                                 e.threat?.rawValue, e.summary, evidence, e.body]
        let data = fields.map { $0.map { Array($0.utf8) } }
        var encoder2 = CanonicalEventEncoder()
        func with(_ i: Int, _ body: (UnsafeRawBufferPointer?) -> Void) {
            guard let bytes = data[i] else { return body(nil) }
            bytes.withUnsafeBytes { body($0) }
        }
        var result: [UInt8] = []
        // Nested closures: each pointer lives for the call.
        with(0) { id in with(1) { time in with(2) { host in with(3) { engine in with(4) { kind in with(5) { severity in
            with(6) { subject in with(7) { vm in with(8) { interface in with(9) { threat in with(10) { summary in with(11) { evidence in
                with(12) { body in
                    encoder2.encode(EventColumns(id: id!, time: time!, host: host, engine: engine!, kind: kind!, severity: severity,
                                                 subject: subject, vm: vm, interface: interface, threat: threat, summary: summary!,
                                                 evidence: evidence, body: body))
                    result = Array(encoder2.json)
                }
            } } } } } }
        } } } } } }
        return result
    }

    @Test func bodyKeyOrderAndWhitespaceDoNotMatter() {
        let base = Event(id: "00000000-0000-4000-8000-000000000001", time: "2026-01-01T00:00:00.000Z", host: "h", kind: "k", engine: .audit, summary: "s",
                         body: "{\"b\":1,\"a\":{\"y\":[1,2],\"x\":\"é\"}}")
        var other = base
        other.body = "{ \"a\" : { \"x\" : \"\\u00e9\", \"y\" : [ 1 , 2 ] } , \"b\" : 1.0 }"
        #expect(CanonicalEventEncoder.json(of: base) == CanonicalEventEncoder.json(of: other))
        #expect(String(decoding: CanonicalEventEncoder.json(of: base), as: UTF8.self)
                == #"{"body":{"a":{"x":"é","y":[1,2]},"b":1},"engine":"audit","host":"h","id":"00000000-0000-4000-8000-000000000001","kind":"k","schema_version":1,"summary":"s","time":"2026-01-01T00:00:00.000Z"}"#)
        other.body = "{\"b\":2}"
        #expect(CanonicalEventEncoder.json(of: base) != CanonicalEventEncoder.json(of: other))
        // A body that is not JSON is kept, as a string.
        other.body = "{not json"
        #expect(String(decoding: CanonicalEventEncoder.json(of: other), as: UTF8.self).hasPrefix(#"{"body":"{not json","#))
    }

    @Test func theLeafHashIsSHA256OfZeroAndTheJSON() {
        var encoder = CanonicalEventEncoder()
        let event = Event(time: "2026-01-01T00:00:00.000Z", kind: "k", engine: .keys, summary: "x")
        let leaf = encoder.encode(event)
        #expect(leaf == MerkleTree.leafHash(CanonicalEventEncoder.json(of: event)))
    }
}
