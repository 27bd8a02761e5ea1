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


import HyperwardCore

/// CVSS v3.x base scores from vector strings, and the severity bands advisories are mapped to.
public enum CVSS {
    /// The base score of a `CVSS:3.0/…` or `CVSS:3.1/…` vector (FIRST CVSS v3.1 specification §7.1),
    /// or `nil` if the vector is not a complete v3 base vector.
    public static func baseScore(v3 vector: String) -> Double? {
        let parts = vector.split(separator: "/")
        guard let head = parts.first, head == "CVSS:3.0" || head == "CVSS:3.1" else { return nil }
        var m: [String: String] = [:]
        for part in parts.dropFirst() {
            let kv = part.split(separator: ":", maxSplits: 1)
            guard kv.count == 2 else { return nil }
            m[String(kv[0])] = String(kv[1])
        }
        guard let av = ["N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2][m["AV"] ?? ""],
              let ac = ["L": 0.77, "H": 0.44][m["AC"] ?? ""],
              let ui = ["N": 0.85, "R": 0.62][m["UI"] ?? ""],
              let scope = m["S"], scope == "U" || scope == "C",
              let c = ["H": 0.56, "L": 0.22, "N": 0.0][m["C"] ?? ""],
              let i = ["H": 0.56, "L": 0.22, "N": 0.0][m["I"] ?? ""],
              let a = ["H": 0.56, "L": 0.22, "N": 0.0][m["A"] ?? ""]
        else { return nil }
        let changed = scope == "C"
        let prTable = changed ? ["N": 0.85, "L": 0.68, "H": 0.5] : ["N": 0.85, "L": 0.62, "H": 0.27]
        guard let pr = prTable[m["PR"] ?? ""] else { return nil }
        let iss = 1 - (1 - c) * (1 - i) * (1 - a)
        let impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow15(iss - 0.02) : 6.42 * iss
        let exploitability = 8.22 * av * ac * pr * ui
        if impact <= 0 { return 0 }
        return roundUp(min((changed ? 1.08 : 1) * (impact + exploitability), 10))
    }

    /// The severity band of a score: 9.0+ critical, 7.0+ high, 4.0+ medium, 0.1+ low, else info
    /// (the CVSS v3.1 qualitative rating scale).
    public static func severity(score: Double) -> Severity {
        switch score {
        case 9.0...: .critical
        case 7.0..<9.0: .high
        case 4.0..<7.0: .medium
        case 0.1..<4.0: .low
        default: .info
        }
    }

    private static func pow15(_ x: Double) -> Double {
        var r = 1.0
        for _ in 0..<15 { r *= x }
        return r
    }

    /// CVSS v3.1 Appendix A "Roundup": the smallest one-decimal number ≥ the input, immune to
    /// floating-point noise.
    private static func roundUp(_ x: Double) -> Double {
        let scaled = Int((x * 100_000).rounded())
        if scaled % 10_000 == 0 { return Double(scaled) / 100_000 }
        return Double(scaled / 10_000 + 1) / 10
    }
}
