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

/// A Debian package version, `[epoch:]upstream[-revision]`, ordered exactly as dpkg orders it.
///
/// The grammar and the ordering are deb-version(7); the ordering is dpkg's `verrevcmp` in
/// `lib/dpkg/version.c`: within each part, non-digit runs compare character by character with `~`
/// before everything (even the end of the string), letters before non-letters; digit runs compare
/// as numbers. Digit runs are compared as strings with leading zeros dropped, so a 400-digit run
/// neither overflows nor loses precision. Values that differ only in spelling (`1.01`/`1.1`,
/// `0:1.0`/`1.0`, `1.0`/`1.0-0`) compare equal, and `==` follows the ordering, not the text.
public struct DebianVersion: Sendable, Comparable, Hashable, CustomStringConvertible {
    /// The epoch (0 when absent).
    public let epoch: Int
    /// The upstream version: everything between the epoch and the last hyphen.
    public let upstream: String
    /// The Debian revision after the last hyphen (empty when absent, which orders like `0`).
    public let revision: String
    /// The version as written (trimmed).
    public let text: String

    /// The largest epoch dpkg accepts (`INT_MAX`).
    public static let maxEpoch = Int(Int32.max)

    /// Parses `string` the way dpkg's `parseversion` does.
    ///
    /// dpkg refuses some malformed versions outright (empty, embedded spaces, bad epoch, empty
    /// revision) and only warns about others (an upstream version not starting with a digit,
    /// characters outside the allowed set). Both are refused unless `allowingWarnings` is set, in
    /// which case the warning-level ones are accepted and ordered as dpkg would order them.
    /// Non-ASCII and control characters are always refused.
    /// - Throws: `HyperwardError(.invalidInput)` naming the version and what is wrong with it.
    public init(_ string: String, allowingWarnings: Bool = false) throws(HyperwardError) {
        func invalid(_ why: String) -> HyperwardError {
            HyperwardError(.invalidInput, "invalid Debian version '\(Evidence(path: "", value: string).value)': \(why)")
        }
        var bytes = Array(string.utf8)
        // dpkg trims blanks at the start and white space at the end; inner white space is an error.
        // One removal, not one per blank: a feed can put a megabyte of blanks before a version.
        bytes.removeFirst(bytes.prefix(while: { $0 == 0x20 || $0 == 0x09 }).count)
        while let last = bytes.last, DebianVersion.isSpace(last) { bytes.removeLast() }
        if bytes.isEmpty { throw invalid("version string is empty") }
        if bytes.contains(where: DebianVersion.isSpace) { throw invalid("version string has embedded spaces") }
        if bytes.contains(where: { $0 < 0x21 || $0 > 0x7E }) {
            throw invalid("version string has non-ASCII or control characters")
        }
        var epoch = 0
        var rest = bytes[...]
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            let digits = bytes[..<colon]
            if digits.isEmpty { throw invalid("epoch in version is empty") }
            if !digits.allSatisfy(DebianVersion.isDigit) { throw invalid("epoch in version is not number") }
            let significant = digits.drop(while: { $0 == UInt8(ascii: "0") })
            if significant.count > 10 { throw invalid("epoch in version is too big") }
            let value = significant.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            if value > DebianVersion.maxEpoch { throw invalid("epoch in version is too big") }
            epoch = value
            rest = bytes[(colon + 1)...]
            if rest.isEmpty { throw invalid("nothing after colon in version number") }
        }
        var upstream = rest
        var revision: ArraySlice<UInt8> = []
        if let hyphen = rest.lastIndex(of: UInt8(ascii: "-")) {
            upstream = rest[..<hyphen]
            revision = rest[(hyphen + 1)...]
            if revision.isEmpty { throw invalid("revision number is empty") }
        }
        if upstream.isEmpty { throw invalid("version number is empty") }
        if !allowingWarnings {
            if let first = upstream.first, !DebianVersion.isDigit(first) {
                throw invalid("version number does not start with digit")
            }
            if upstream.contains(where: { !DebianVersion.isAlnum($0) && !Array(".-+~:".utf8).contains($0) }) {
                throw invalid("invalid character in version number")
            }
            if revision.contains(where: { !DebianVersion.isAlnum($0) && !Array(".+~".utf8).contains($0) }) {
                throw invalid("invalid character in revision number")
            }
        }
        self.epoch = epoch
        self.upstream = String(decoding: upstream, as: UTF8.self)
        self.revision = String(decoding: revision, as: UTF8.self)
        self.text = String(decoding: bytes, as: UTF8.self)
    }

    /// The version as written.
    public var description: String { text }

    /// dpkg's comparison: negative, zero or positive as `lhs` sorts before, with or after `rhs`.
    public static func compare(_ lhs: DebianVersion, _ rhs: DebianVersion) -> Int {
        if lhs.epoch != rhs.epoch { return lhs.epoch < rhs.epoch ? -1 : 1 }
        let upstream = verrevcmp(Array(lhs.upstream.utf8), Array(rhs.upstream.utf8))
        if upstream != 0 { return upstream }
        return verrevcmp(Array(lhs.revision.utf8), Array(rhs.revision.utf8))
    }

    /// Whether `lhs` sorts before `rhs` in dpkg's order.
    public static func < (lhs: DebianVersion, rhs: DebianVersion) -> Bool { compare(lhs, rhs) < 0 }
    /// Whether the two are equal in dpkg's order (`1.01` == `1.1`).
    public static func == (lhs: DebianVersion, rhs: DebianVersion) -> Bool { compare(lhs, rhs) == 0 }

    /// Hashes the value, not the spelling, so equal versions hash alike.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(epoch)
        DebianVersion.hashPart(upstream, into: &hasher)
        DebianVersion.hashPart(revision, into: &hasher)
    }

    /// Hashes a part in a canonical form: digit runs without leading zeros, a trailing zero run dropped.
    private static func hashPart(_ part: String, into hasher: inout Hasher) {
        var canonical: [UInt8] = []
        var index = 0
        let bytes = Array(part.utf8)
        while index < bytes.count {
            if isDigit(bytes[index]) {
                var end = index
                while end < bytes.count && isDigit(bytes[end]) { end += 1 }
                let run = bytes[index..<end].drop(while: { $0 == UInt8(ascii: "0") })
                canonical.append(0)
                canonical.append(contentsOf: run)
                index = end
            } else {
                canonical.append(bytes[index])
                index += 1
            }
        }
        // Only a trailing run of zeros orders like no run at all ("1.0" = "1.", "" = "0"); the
        // marker is NUL, which a parsed version never contains.
        while canonical.last == 0 { canonical.removeLast() }
        hasher.combine(canonical)
    }

    /// The weight of a non-digit character: `~` lowest, then the end of the string (and digits),
    /// then letters, then everything else.
    private static func order(_ c: UInt8?) -> Int {
        guard let c else { return 0 }
        if isDigit(c) { return 0 }
        if isAlpha(c) { return Int(c) }
        if c == UInt8(ascii: "~") { return -1 }
        return Int(c) + 256
    }

    /// dpkg's `verrevcmp`, on bytes.
    static func verrevcmp(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0
        var j = 0
        func at(_ s: [UInt8], _ k: Int) -> UInt8? { k < s.count ? s[k] : nil }
        while i < a.count || j < b.count {
            while (at(a, i).map { !isDigit($0) } ?? false) || (at(b, j).map { !isDigit($0) } ?? false) {
                let ac = order(at(a, i))
                let bc = order(at(b, j))
                if ac != bc { return ac < bc ? -1 : 1 }
                i += 1
                j += 1
            }
            while at(a, i) == UInt8(ascii: "0") { i += 1 }
            while at(b, j) == UInt8(ascii: "0") { j += 1 }
            var firstDiff = 0
            while let x = at(a, i), let y = at(b, j), isDigit(x), isDigit(y) {
                if firstDiff == 0 && x != y { firstDiff = x < y ? -1 : 1 }
                i += 1
                j += 1
            }
            if let x = at(a, i), isDigit(x) { return 1 }
            if let y = at(b, j), isDigit(y) { return -1 }
            if firstDiff != 0 { return firstDiff }
        }
        return 0
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isAlpha(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
    static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }
}
