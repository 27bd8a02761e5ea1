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
import HostAudit
import HyperwardCore
import Testing

/// Generates valid Debian versions that stress every rule of deb-version(7).
struct DebianVersionGenerator {
    var rng: SeededGenerator

    mutating func digits() -> String {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return String(repeating: "0", count: Int.random(in: 1...3, using: &rng)) + String(Int.random(in: 0...9, using: &rng))
        case 1: // A long run, beyond any integer type.
            return (0..<Int.random(in: 19...45, using: &rng)).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
        case 2: return "0"
        default: return String(Int.random(in: 0...30, using: &rng))
        }
    }

    mutating func piece(allowing separators: [String]) -> String {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0...3: return digits()
        case 4, 5: return rng.pick(["a", "b", "z", "A", "Z", "rc", "beta", "dfsg", "ds", "deb", "bpo", "ubuntu", "git"])
        default: return rng.pick(separators)
        }
    }

    mutating func upstream(hasEpoch: Bool, hasRevision: Bool) -> String {
        var separators = [".", ".", "+", "~", "~~", "+~", ".~"]
        if hasRevision { separators.append("-") }
        if hasEpoch { separators.append(":") }
        var s = digits()
        for _ in 0..<Int.random(in: 0...6, using: &rng) { s += piece(allowing: separators) }
        return s
    }

    mutating func revision() -> String {
        var s = rng.chance(80) ? digits() : rng.pick(["a", "b", "~", "0", "1"])
        for _ in 0..<Int.random(in: 0...4, using: &rng) { s += piece(allowing: [".", "+", "~", "+b", "~bpo12+", "+deb12u"]) }
        return s
    }

    mutating func version() -> String {
        let hasEpoch = rng.chance(20)
        let hasRevision = rng.chance(60)
        var s = ""
        if hasEpoch { s += rng.pick(["0", "1", "2", "00", "01", "10", "2147483647"]) + ":" }
        s += upstream(hasEpoch: hasEpoch, hasRevision: hasRevision)
        if hasRevision { s += "-" + revision() }
        return s
    }

    /// A version near `v`: equal by value or one small edit away.
    mutating func variant(of v: String) -> String {
        switch Int.random(in: 0..<9, using: &rng) {
        case 0: return v.contains(":") ? v : "0:" + v
        case 1: return v.contains("-") ? v : v + "-0"
        case 2: // Leading zeros on the first number.
            return "0" + v
        case 3: return v + rng.pick(["~", "~~", "+", ".", "a", "0", ".0", "~rc1"])
        case 4: return v.contains("-") ? v + rng.pick(["~", "+b1", ".1", "0"]) : v + "-" + rng.pick(["0", "1", "~1", "a"])
        case 5: return String(v.dropLast()).isEmpty || v.hasSuffix(":") || v.dropLast().hasSuffix(":") || v.dropLast().hasSuffix("-") ? v : String(v.dropLast())
        case 6: // Bump one digit.
            var chars = Array(v)
            if let i = chars.indices.filter({ chars[$0].isNumber }).randomElement(using: &rng), let d = chars[i].wholeNumberValue {
                chars[i] = Character(String((d + 1) % 10))
            }
            return String(chars)
        default: return version()
        }
    }
}

@Suite("DebianVersion")
struct DebianVersionTests {
    @Test func parsesEpochUpstreamAndRevision() throws {
        let v = try DebianVersion("1:2.30-2+deb12u1")
        #expect(v.epoch == 1)
        #expect(v.upstream == "2.30")
        #expect(v.revision == "2+deb12u1")
        let w = try DebianVersion("2:1.0-rc1-3")
        #expect(w.upstream == "1.0-rc1")
        #expect(w.revision == "3")
    }

    @Test func equalByValueSpellingsCompareEqualAndHashAlike() throws {
        for (a, b) in [("1.01", "1.1"), ("0:1.0", "1.0"), ("1.0", "1.0-0"), ("1.0", "1.00"), ("1.0.", "1.0.0")] {
            let x = try DebianVersion(a)
            let y = try DebianVersion(b)
            #expect(x == y, "\(a) = \(b)")
            #expect(Set([x, y]).count == 1, "\(a) and \(b) hash alike")
        }
    }

    @Test func hugeDigitRunsCompareAsNumbersWithoutOverflow() throws {
        let big = String(repeating: "9", count: 400)
        #expect(try DebianVersion("1.\(big)") < DebianVersion("1.1\(big)"))
        #expect(try DebianVersion("1.000\(big)") == DebianVersion("1.\(big)"))
        #expect(try DebianVersion("99999999999999999999999") > DebianVersion("99999999999999999999998"))
    }

    @Test(arguments: [
        "", " ", "1.0 beta", ":1.0", "a:1.0", "1:", "1.0-", "-1", "1:-1", "99999999999:1.0", "abc",
        "1.0_1", "1.0-1_2", "1.0-a-b_", "1.0\u{00E9}", "1.0\u{0}",
    ])
    func rejectsInvalidVersions(_ text: String) {
        #expect(throws: HyperwardError.self) { try DebianVersion(text) }
        do {
            _ = try DebianVersion(text)
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.contains("invalid Debian version"))
        }
    }

    /// Found with the fuzz target's large-input check (docs/fuzzing.md): blanks were removed from
    /// the front one at a time, quadratic in their number, so a feed's version behind megabytes of
    /// blanks stalled the audit.
    @Test(.timeLimit(.minutes(1)))
    func leadingBlanksAreTrimmedInLinearTime() throws {
        let blanks = String(repeating: " \t", count: 2 << 20)
        let version = try DebianVersion(blanks + "1:2.0-1 \n")
        #expect(version.text == "1:2.0-1")
        #expect(version == (try DebianVersion("1:2.0-1")))
        #expect(VersionOrdering.dpkg.compare(blanks + "1.0", "1.0") == 0)
    }

    @Test func warningLevelVersionsParseWhenAllowed() throws {
        // Letters sort after digits and the end, as dpkg (which only warns) orders them.
        #expect(try DebianVersion("abc", allowingWarnings: true) > DebianVersion("1", allowingWarnings: true))
        #expect(throws: HyperwardError.self) { try DebianVersion("", allowingWarnings: true) }
    }

    @Test(.needsFixtures("dpkg"))
    func agreesWithSharedVersionOrderFixture() throws {
        let text = try String(contentsOf: try Fixtures.file("version-order.txt", in: "dpkg"), encoding: .utf8)
        var checked = 0
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            let parts = line.split(separator: " ")
            try #require(parts.count == 3, "malformed fixture line: \(line)")
            let a = try DebianVersion(String(parts[0]))
            let b = try DebianVersion(String(parts[2]))
            let expected = ["<": -1, "=": 0, ">": 1][String(parts[1])]
            #expect(DebianVersion.compare(a, b).signum() == expected, "\(line)")
            checked += 1
        }
        #expect(checked >= 20)
    }

    /// Compares 12,000 generated pairs with `dpkg --compare-versions`, two shell workers, one run.
    @Test func agreesWithDpkgOnGeneratedPairs() throws {
        guard Oracle.which("dpkg") != nil else {
            Issue.record("dpkg is not installed: the Debian version oracle test cannot run (install the dpkg package)")
            return
        }
        var generator = DebianVersionGenerator(rng: SeededGenerator(seed: 0x4859_5045_5257_4152))
        var pairs: [(String, String)] = []
        while pairs.count < 12_000 {
            let a = generator.version()
            let b = generator.rng.chance(60) ? generator.variant(of: a) : generator.version()
            // Only pairs both sides of which are valid: the oracle is about ordering, not parsing.
            guard (try? DebianVersion(a)) != nil, (try? DebianVersion(b)) != nil else { continue }
            pairs.append((a, b))
        }
        let file = try Oracle.writeTemporary(pairs.map { "\($0.0)\t\($0.1)" })
        defer { try? FileManager.default.removeItem(atPath: file) }
        // Each worker takes every other line; lines are tagged with their index so order is restored.
        let script = """
            work() {
              n=0
              while IFS=$'\\t' read -r a b; do
                if [ $((n % 2)) -eq $1 ]; then
                  if dpkg --compare-versions "$a" lt "$b"; then r=-1
                  elif dpkg --compare-versions "$a" eq "$b"; then r=0
                  else r=1; fi
                  echo "$n $r"
                fi
                n=$((n + 1))
              done < "$2"
            }
            work 0 "$1" > "$1.0" & work 1 "$1" > "$1.1" & wait
            cat "$1.0" "$1.1"; rm -f "$1.0" "$1.1"
            """
        let result = try Oracle.bash(script, arguments: [file])
        print("dpkg oracle: \(pairs.count) pairs in \(String(format: "%.1f", result.seconds)) s (2 workers)")
        try #require(result.status == 0, "oracle failed: \(result.error)")
        var answers: [Int: Int] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let i = Int(parts[0]), let r = Int(parts[1]) { answers[i] = r }
        }
        try #require(answers.count == pairs.count, "oracle answered \(answers.count) of \(pairs.count) pairs: \(result.error.prefix(500))")
        var mismatches: [String] = []
        for (i, (a, b)) in pairs.enumerated() {
            let ours = DebianVersion.compare(try DebianVersion(a), try DebianVersion(b)).signum()
            if ours != answers[i] { mismatches.append("\(a) vs \(b): dpkg \(answers[i] ?? 99), ours \(ours)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(10))")
        let equalCount = answers.values.filter { $0 == 0 }.count
        print("dpkg oracle: \(equalCount) of the pairs are equal by value")
        #expect(equalCount > 200, "the generator should produce many equal-by-value pairs")
    }
}
