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

/// rpm's `rpmvercmp` (rpm 4.18, `rpmio/rpmvercmp.c`): compares two version or release strings.
///
/// Both strings are split into maximal runs of ASCII digits or ASCII letters; every other character
/// only separates runs, except `~` (sorts before everything, even the end) and `^` (sorts after the
/// end but before anything else). A numeric run beats an alphabetic one; numeric runs compare by
/// value (leading zeros dropped, then length, then digits, so no run can overflow); alphabetic runs
/// compare bytewise. A NUL ends a string, as it would in C.
/// - Returns: -1, 0 or 1 as `a` is older than, equal to or newer than `b`.
public func rpmvercmp(_ a: String, _ b: String) -> Int {
    RPMVersion.vercmp(Array(a.utf8.prefix(while: { $0 != 0 })), Array(b.utf8.prefix(while: { $0 != 0 })))
}

/// An RPM `[epoch:]version[-release]` value ordered as rpm 4.18's `rpmverCmp` orders it (this is
/// what `rpm.vercmp()` and dependency resolution use).
///
/// Parsing follows `rpmverParse`: leading digits followed by `:` are the epoch (an empty epoch is
/// `0`), the last `-` after them starts the release. A missing epoch orders as `0`; a missing
/// release orders *before* any release, so `1.0` < `1.0-1`. Epochs compare with `rpmvercmp`, like
/// every other part.
public struct RPMVersion: Sendable, Comparable, Hashable, CustomStringConvertible {
    /// The epoch as written (`nil` when absent).
    public let epoch: String?
    /// The version.
    public let version: String
    /// The release (`nil` when absent).
    public let release: String?
    /// The value as written.
    public let text: String

    /// Parses an EVR string.
    /// - Throws: `HyperwardError(.invalidInput)` for an empty string or one containing NUL (rpm
    ///   refuses the first and cannot see past the second).
    public init(_ string: String) throws(HyperwardError) {
        let bytes = Array(string.utf8)
        if bytes.isEmpty { throw HyperwardError(.invalidInput, "invalid RPM version '': the version is empty") }
        if bytes.contains(0) {
            throw HyperwardError(.invalidInput, "invalid RPM version '\(Evidence(path: "", value: string).value)': contains NUL")
        }
        var s = 0
        while s < bytes.count && DebianVersion.isDigit(bytes[s]) { s += 1 }
        let hyphen = bytes[s...].lastIndex(of: UInt8(ascii: "-"))
        var versionStart = 0
        if s < bytes.count && bytes[s] == UInt8(ascii: ":") {
            epoch = s == 0 ? "0" : String(decoding: bytes[..<s], as: UTF8.self)
            versionStart = s + 1
        } else {
            epoch = nil
        }
        if let hyphen {
            version = String(decoding: bytes[versionStart..<hyphen], as: UTF8.self)
            release = String(decoding: bytes[(hyphen + 1)...], as: UTF8.self)
        } else {
            version = String(decoding: bytes[versionStart...], as: UTF8.self)
            release = nil
        }
        text = string
    }

    /// The value as written.
    public var description: String { text }

    /// `rpmverCmp`: -1, 0 or 1.
    public static func compare(_ lhs: RPMVersion, _ rhs: RPMVersion) -> Int {
        let e = rpmvercmp(lhs.epoch ?? "0", rhs.epoch ?? "0")
        if e != 0 { return e }
        let v = rpmvercmp(lhs.version, rhs.version)
        if v != 0 { return v }
        switch (lhs.release, rhs.release) {
        case (nil, nil): return 0
        case (.some, nil): return 1
        case (nil, .some): return -1
        case (.some(let l), .some(let r)): return rpmvercmp(l, r)
        }
    }

    /// Whether `lhs` is older than `rhs` in rpm's order.
    public static func < (lhs: RPMVersion, rhs: RPMVersion) -> Bool { compare(lhs, rhs) < 0 }
    /// Whether the two are equal in rpm's order (`1.01` == `1.1`).
    public static func == (lhs: RPMVersion, rhs: RPMVersion) -> Bool { compare(lhs, rhs) == 0 }

    /// Hashes the parts in a canonical form (separators dropped, numbers without leading zeros),
    /// so versions that compare equal hash alike.
    public func hash(into hasher: inout Hasher) {
        RPMVersion.hashPart(epoch ?? "0", into: &hasher)
        RPMVersion.hashPart(version, into: &hasher)
        hasher.combine(release == nil)
        if let release { RPMVersion.hashPart(release, into: &hasher) }
    }

    private static func hashPart(_ part: String, into hasher: inout Hasher) {
        var segments: [[UInt8]] = []
        let bytes = Array(part.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "~") || c == UInt8(ascii: "^") {
                segments.append([c]); i += 1
            } else if DebianVersion.isDigit(c) {
                var end = i
                while end < bytes.count && DebianVersion.isDigit(bytes[end]) { end += 1 }
                segments.append([0] + Array(bytes[i..<end].drop(while: { $0 == UInt8(ascii: "0") })))
                i = end
            } else if DebianVersion.isAlpha(c) {
                var end = i
                while end < bytes.count && DebianVersion.isAlpha(bytes[end]) { end += 1 }
                segments.append([1] + Array(bytes[i..<end]))
                i = end
            } else {
                i += 1
            }
        }
        hasher.combine(segments)
    }

    /// The body of `rpmvercmp`, on bytes.
    static func vercmp(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a == b { return 0 }
        func at(_ s: [UInt8], _ k: Int) -> UInt8? { k < s.count ? s[k] : nil }
        let tilde = UInt8(ascii: "~")
        let caret = UInt8(ascii: "^")
        func isSeparator(_ c: UInt8) -> Bool { !DebianVersion.isAlnum(c) && c != tilde && c != caret }
        var one = 0
        var two = 0
        while one < a.count || two < b.count {
            while one < a.count && isSeparator(a[one]) { one += 1 }
            while two < b.count && isSeparator(b[two]) { two += 1 }

            // A tilde sorts before everything else, the end included.
            if at(a, one) == tilde || at(b, two) == tilde {
                if at(a, one) != tilde { return 1 }
                if at(b, two) != tilde { return -1 }
                one += 1
                two += 1
                continue
            }
            // A caret sorts like a tilde, except that the end of a string sorts before it.
            if at(a, one) == caret || at(b, two) == caret {
                if one >= a.count { return -1 }
                if two >= b.count { return 1 }
                if a[one] != caret { return 1 }
                if b[two] != caret { return -1 }
                one += 1
                two += 1
                continue
            }
            if !(one < a.count && two < b.count) { break }

            var end1 = one
            var end2 = two
            let isNumber = DebianVersion.isDigit(a[one])
            func inRun(_ c: UInt8) -> Bool { isNumber ? DebianVersion.isDigit(c) : DebianVersion.isAlpha(c) }
            while end1 < a.count && inRun(a[end1]) { end1 += 1 }
            while end2 < b.count && inRun(b[end2]) { end2 += 1 }

            // The other side's segment is of the other kind: numbers are newer than letters.
            if end2 == two { return isNumber ? 1 : -1 }

            var s1 = a[one..<end1]
            var s2 = b[two..<end2]
            if isNumber {
                s1 = s1.drop(while: { $0 == UInt8(ascii: "0") })
                s2 = s2.drop(while: { $0 == UInt8(ascii: "0") })
                if s1.count != s2.count { return s1.count > s2.count ? 1 : -1 }
            }
            if !s1.elementsEqual(s2) {
                return s1.lexicographicallyPrecedes(s2) ? -1 : 1
            }
            one = end1
            two = end2
        }
        if one >= a.count && two >= b.count { return 0 }
        return one >= a.count ? -1 : 1
    }
}
