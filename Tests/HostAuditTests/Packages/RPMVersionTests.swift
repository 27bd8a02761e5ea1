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

/// Generates RPM EVR strings that stress `rpmvercmp`: separators of every kind, `~`, `^`, leading
/// zeros, long digit runs, odd epochs and releases.
struct RPMVersionGenerator {
    var rng: SeededGenerator

    mutating func segment() -> String {
        switch Int.random(in: 0..<14, using: &rng) {
        case 0...4: return String(Int.random(in: 0...20, using: &rng))
        case 5: return "0" + String(Int.random(in: 0...9, using: &rng))
        case 6: return (0..<Int.random(in: 20...40, using: &rng)).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
        case 7, 8: return rng.pick(["a", "b", "rc", "beta", "el", "fc", "Z", "git", "post", "pre"])
        case 9: return rng.pick(["~", "~~", "^", "^^", "~^", "^~"])
        default: return rng.pick([".", ".", "_", "+", "..", "#", ",", "@"])
        }
    }

    mutating func part() -> String {
        var s = ""
        for _ in 0..<Int.random(in: 1...6, using: &rng) { s += segment() }
        return s
    }

    mutating func version() -> String {
        var s = ""
        if rng.chance(15) { s += rng.pick(["0", "1", "2", "01", "10", ""]) + ":" }
        s += part()
        if rng.chance(50) { s += "-" + (rng.chance(5) ? "" : part()) }
        return s
    }

    mutating func variant(of v: String) -> String {
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: return v + rng.pick(["~", "^", ".", "a", "0", "~rc1", "^git1", "-1"])
        case 1: return "0:" + v
        case 2: return v.replacingOccurrences(of: ".", with: rng.pick(["_", "+", ".."]))
        case 3: return v.replacingOccurrences(of: "1", with: "01")
        case 4: return v.count > 1 ? String(v.dropLast()) : v
        default: return version()
        }
    }
}

@Suite("RPMVersion")
struct RPMVersionTests {
    /// Cases from rpm's own test suite (`tests/rpmvercmp.at`), including `~` and `^`.
    @Test(arguments: [
        ("1.0", "1.0", 0), ("1.0", "2.0", -1), ("2.0", "1.0", 1), ("2.0.1", "2.0.1", 0), ("2.0", "2.0.1", -1),
        ("2.0.1", "2.0", 1), ("2.0.1a", "2.0.1a", 0), ("2.0.1a", "2.0.1", 1), ("2.0.1", "2.0.1a", -1),
        ("5.5p1", "5.5p1", 0), ("5.5p1", "5.5p2", -1), ("5.5p2", "5.5p1", 1), ("5.5p10", "5.5p10", 0),
        ("5.5p1", "5.5p10", -1), ("5.5p10", "5.5p1", 1), ("10xyz", "10.1xyz", -1), ("10.1xyz", "10xyz", 1),
        ("xyz10", "xyz10", 0), ("xyz10", "xyz10.1", -1), ("xyz10.1", "xyz10", 1), ("xyz.4", "xyz.4", 0),
        ("xyz.4", "8", -1), ("8", "xyz.4", 1), ("xyz.4", "2", -1), ("2", "xyz.4", 1), ("5.5p2", "5.6p1", -1),
        ("5.6p1", "5.5p2", 1), ("5.6p1", "6.5p1", -1), ("6.5p1", "5.6p1", 1), ("6.0.rc1", "6.0", 1),
        ("6.0", "6.0.rc1", -1), ("10b2", "10a1", 1), ("10a2", "10b2", -1), ("1.0aa", "1.0aa", 0),
        ("1.0a", "1.0aa", -1), ("1.0aa", "1.0a", 1), ("10.0001", "10.0001", 0), ("10.0001", "10.1", 0),
        ("10.1", "10.0001", 0), ("10.0001", "10.0039", -1), ("10.0039", "10.0001", 1), ("4.999.9", "5.0", -1),
        ("5.0", "4.999.9", 1), ("20101121", "20101121", 0), ("20101121", "20101122", -1),
        ("20101122", "20101121", 1), ("2_0", "2_0", 0), ("2.0", "2_0", 0), ("2_0", "2.0", 0), ("a", "a", 0),
        ("a+", "a+", 0), ("a+", "a_", 0), ("a_", "a+", 0), ("+a", "+a", 0), ("+a", "_a", 0), ("_a", "+a", 0),
        ("+_", "+_", 0), ("_+", "+_", 0), ("_+", "_+", 0), ("+", "_", 0), ("_", "+", 0),
        ("1.0~rc1", "1.0~rc1", 0), ("1.0~rc1", "1.0", -1), ("1.0", "1.0~rc1", 1), ("1.0~rc1", "1.0~rc2", -1),
        ("1.0~rc2", "1.0~rc1", 1), ("1.0~rc1~git123", "1.0~rc1~git123", 0), ("1.0~rc1~git123", "1.0~rc1", -1),
        ("1.0~rc1", "1.0~rc1~git123", 1), ("1.0^", "1.0^", 0), ("1.0^", "1.0", 1), ("1.0", "1.0^", -1),
        ("1.0^git1", "1.0^git1", 0), ("1.0^git1", "1.0", 1), ("1.0", "1.0^git1", -1), ("1.0^git1", "1.0^git2", -1),
        ("1.0^git2", "1.0^git1", 1), ("1.0^git1", "1.01", -1), ("1.01", "1.0^git1", 1),
        ("1.0^20160101", "1.0^20160101", 0), ("1.0^20160101", "1.0.1", -1), ("1.0.1", "1.0^20160101", 1),
        ("1.0^20160101^git1", "1.0^20160101^git1", 0), ("1.0^20160102", "1.0^20160101^git1", 1),
        ("1.0^20160101^git1", "1.0^20160102", -1), ("1.0~rc1^git1", "1.0~rc1^git1", 0),
        ("1.0~rc1^git1", "1.0~rc1", 1), ("1.0~rc1", "1.0~rc1^git1", -1), ("1.0^git1~pre", "1.0^git1~pre", 0),
        ("1.0^git1", "1.0^git1~pre", 1), ("1.0^git1~pre", "1.0^git1", -1),
    ] as [(String, String, Int)])
    func matchesRpmTestSuite(_ a: String, _ b: String, _ expected: Int) {
        #expect(rpmvercmp(a, b) == expected, "\(a) vs \(b)")
    }

    @Test func comparesEpochVersionAndRelease() throws {
        #expect(try RPMVersion("1:1.0") > RPMVersion("2.0"))
        #expect(try RPMVersion("0:1.0") == RPMVersion("1.0"))
        #expect(try RPMVersion("1.0-1") > RPMVersion("1.0"), "a missing release sorts first")
        #expect(try RPMVersion("1.0-1.el9") < RPMVersion("1.0-1.el9_2"))
        let v = try RPMVersion("2:8.2.0-11.el9_4")
        #expect(v.epoch == "2")
        #expect(v.version == "8.2.0")
        #expect(v.release == "11.el9_4")
    }

    @Test func hugeDigitRunsDoNotOverflow() {
        let big = String(repeating: "9", count: 300)
        #expect(rpmvercmp("1.\(big)", "1.1\(big)") == -1)
        #expect(rpmvercmp("000\(big)", big) == 0)
    }

    @Test func rejectsEmptyVersion() {
        #expect(throws: HyperwardError.self) { try RPMVersion("") }
    }

    /// Compares 12,000 generated pairs with rpm's own `rpm.vercmp`, in one rpm process.
    @Test func agreesWithRpmOnGeneratedPairs() throws {
        guard Oracle.which("rpm") != nil else {
            Issue.record("rpm is not installed: the RPM version oracle test cannot run (install the rpm package)")
            return
        }
        var generator = RPMVersionGenerator(rng: SeededGenerator(seed: 0x5250_4D56_4552_434D))
        var pairs: [(String, String)] = []
        while pairs.count < 12_000 {
            let a = generator.version()
            let b = generator.rng.chance(60) ? generator.variant(of: a) : generator.version()
            guard !a.isEmpty, !b.isEmpty else { continue }
            pairs.append((a, b))
        }
        let file = try Oracle.writeTemporary(pairs.map { "\($0.0)\t\($0.1)" })
        defer { try? FileManager.default.removeItem(atPath: file) }
        let lua = "%{lua: for line in io.lines(\"\(file)\") do local a, b = line:match(\"^(.-)\\t(.*)$\"); print(rpm.vercmp(a, b)); print(\"\\n\") end}"
        let result = try Oracle.bash("rpm --eval \"$1\"", arguments: [lua])
        print("rpm oracle: \(pairs.count) pairs in \(String(format: "%.2f", result.seconds)) s (one rpm process)")
        try #require(result.status == 0, "oracle failed: \(result.error)")
        let answers = result.output.split(separator: "\n").compactMap { Int($0) }
        try #require(answers.count == pairs.count, "oracle answered \(answers.count) of \(pairs.count) pairs: \(result.error.prefix(500))")
        var mismatches: [String] = []
        for (i, (a, b)) in pairs.enumerated() {
            let ours = RPMVersion.compare(try RPMVersion(a), try RPMVersion(b))
            if ours != answers[i] { mismatches.append("\(a) vs \(b): rpm \(answers[i]), ours \(ours)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(10))")
        print("rpm oracle: \(answers.filter { $0 == 0 }.count) of the pairs are equal")
    }
}
