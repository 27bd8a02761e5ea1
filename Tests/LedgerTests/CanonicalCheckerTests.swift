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

/// The copying fast path (text already canonical, or canonical but for its top-level member
/// order) against the parser it bypasses: the same answer and the same bytes for everything.
@Suite("Canonical JSON copied when already canonical")
struct CanonicalCheckerTests {
    /// `json` through one path: whether it was accepted, and the bytes written.
    static func written(_ json: [UInt8], copying: Bool) -> (Bool, [UInt8]) {
        var writer = CanonicalJSONWriter()
        writer.isCopyingCanonicalText = copying
        let accepted = json.withUnsafeBytes { writer.appendCanonicalized(json: $0) }
        return (accepted, writer.bytes)
    }

    static func randomName(_ rng: inout SplitMix) -> String {
        // Mostly short ASCII names, which collide and sort; sometimes escapes and non-ASCII.
        let pool = ["a", "b", "c", "z", "A", "_", "1", "ab", "ba", "aa", "detector", "ports", "é", "€", "😀", "\\u0061", "\\n", "\\\"", "\u{7F}", "דּ"]
        var name = ""
        for _ in 0..<Int.random(in: 1...3, using: &rng) { name += pool[Int.random(in: 0..<pool.count, using: &rng)] }
        return name
    }

    static func randomNumber(_ rng: inout SplitMix) -> String {
        let forms = ["0", "-0", "7", "-42", "123456789012345", "1234567890123456", "-999999999999999", "-9999999999999999",
                     "1.5", "2.50", "1e3", "1E+2", "-0.0", "0.000001", "1e-7", "01", "1.", "-", "9007199254740993"]
        if Bool.random(using: &rng) { return String(Int.random(in: -1_000_000...1_000_000, using: &rng)) }
        return forms[Int.random(in: 0..<forms.count, using: &rng)]
    }

    static func randomStringLiteral(_ rng: inout SplitMix) -> String {
        let pool = ["a", "Z", " ", "/", "é", "€", "😀", "\u{7F}", "\\\"", "\\\\", "\\/", "\\n", "\\u0041", "\\u00e9", "\\ud83d\\ude00", "\t", "\u{01}", "\\x"]
        var text = "\""
        for _ in 0..<Int.random(in: 0...6, using: &rng) { text += pool[Int.random(in: 0..<pool.count, using: &rng)] }
        return text + "\""
    }

    /// Random JSON text, mostly valid; `sorted` writes members in byte order (as Hyperward's
    /// writers do), otherwise in the order drawn (repeats included).
    static func randomJSON(_ rng: inout SplitMix, depth: Int = 0, sorted: Bool, spaced: Bool) -> String {
        func gap(_ rng: inout SplitMix) -> String { spaced && Int.random(in: 0..<4, using: &rng) == 0 ? [" ", "\n", "\t", "\r\n "].randomElement(using: &rng)! : "" }
        let kind = depth >= 4 ? Int.random(in: 2..<6, using: &rng) : Int.random(in: 0..<6, using: &rng)
        switch kind {
        case 0:
            var names = (0..<Int.random(in: 0...6, using: &rng)).map { _ in randomName(&rng) }
            if sorted { names = Array(Set(names)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) } }
            let members = names.map { "\(gap(&rng))\"\($0)\"\(gap(&rng)):\(randomJSON(&rng, depth: depth + 1, sorted: sorted, spaced: spaced))" }
            return "{" + members.joined(separator: ",") + gap(&rng) + "}"
        case 1:
            let items = (0..<Int.random(in: 0...4, using: &rng)).map { _ in gap(&rng) + randomJSON(&rng, depth: depth + 1, sorted: sorted, spaced: spaced) + gap(&rng) }
            return "[" + items.joined(separator: ",") + "]"
        case 2: return randomStringLiteral(&rng)
        case 3: return randomNumber(&rng)
        case 4: return ["true", "false", "null", "nul", "True"].randomElement(using: &rng)!
        default: return String(Int.random(in: 0...99, using: &rng))
        }
    }

    @Test func copiedBytesEqualParsedBytesForRandomJSON() {
        var rng = SplitMix(seed: 2026)
        var copied = 0
        for round in 0..<20_000 {
            let sorted = round % 3 != 0, spaced = round % 5 == 0
            var text = Self.randomJSON(&rng, sorted: sorted, spaced: spaced)
            if round % 7 == 0 { text = " " + text }
            if round % 11 == 0 { text += ["", " ", "x", ",", "}"].randomElement(using: &rng)! }
            let json = Array(text.utf8)
            let fast = Self.written(json, copying: true), full = Self.written(json, copying: false)
            #expect(fast.0 == full.0, "\(text.debugDescription): accepted \(fast.0) copying, \(full.0) parsing")
            #expect(fast.1 == full.1, "\(text.debugDescription): \(String(decoding: fast.1, as: UTF8.self)) copying, \(String(decoding: full.1, as: UTF8.self)) parsing")
            var writer = CanonicalJSONWriter()
            if json.withUnsafeBytes({ writer.appendCopyingCanonical($0) }) { copied += 1 }
        }
        // The fast path is taken, not only ever refused.
        #expect(copied > 5_000)
    }

    @Test func bodiesAsHyperwardWritesThemAreCopied() {
        for (body, expected) in [
            (#"{"detector":"port-scan","probes":0,"ports":[22,80,443],"first":"2026-01-01T00:00:00.000Z"}"#,
             #"{"detector":"port-scan","first":"2026-01-01T00:00:00.000Z","ports":[22,80,443],"probes":0}"#),
            (#"[{"kind":"src","value":"10.0.0.0"},{"kind":"probes","value":"0"}]"#, #"[{"kind":"src","value":"10.0.0.0"},{"kind":"probes","value":"0"}]"#),
            (#"{"b":{"a":1},"a":[]}"#, #"{"a":[],"b":{"a":1}}"#),
        ] {
            var writer = CanonicalJSONWriter()
            #expect(Array(body.utf8).withUnsafeBytes { writer.appendCopyingCanonical($0) })
            #expect(String(decoding: writer.bytes, as: UTF8.self) == expected)
            #expect(Self.written(Array(body.utf8), copying: false).1 == Array(expected.utf8))
        }
        // Left to the parser: a repeated name, an unsorted nested object, whitespace, an escape.
        for body in [#"{"b":1,"a":2,"b":3}"#, #"{"a":{"c":1,"b":2}}"#, #"{"a": 1}"#, #"{"a":"\u0041"}"#] {
            var writer = CanonicalJSONWriter()
            #expect(!Array(body.utf8).withUnsafeBytes { writer.appendCopyingCanonical($0) }, "\(body) copied")
            #expect(writer.bytes.isEmpty)
        }
    }

    @Test func eventLeavesAreTheSameCopyingOrParsing() {
        var rng = SplitMix(seed: 9162)
        for round in 0..<2_000 {
            var event = CanonicalJSONTests.randomEvent(&rng)
            if round % 2 == 0 { event.body = Self.randomJSON(&rng, sorted: round % 4 == 0, spaced: round % 8 == 2) }
            let texts = StoredEventTexts(event, evidenceText: event.evidence.isEmpty ? nil : Self.evidenceText(event.evidence))
            var fast = CanonicalEventEncoder(), full = CanonicalEventEncoder()
            full.writer.isCopyingCanonicalText = false
            let fastLeaf = fast.encode(texts), fullLeaf = full.encode(texts)
            #expect(Array(fast.json) == Array(full.json), "\(event.body.debugDescription)")
            #expect(fastLeaf == fullLeaf)
            #expect(fast.encode(event) == full.encode(event))
        }
    }

    static func evidenceText(_ evidence: [EventEvidence]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(evidence), as: UTF8.self)
    }
}
