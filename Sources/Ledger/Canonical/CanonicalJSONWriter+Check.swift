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


extension CanonicalJSONWriter {
    /// Whether `json` is JSON text that ``appendCanonicalized(json:)`` would write unchanged, so
    /// that it can be copied instead of parsed and written again.
    static func isCanonical(_ json: UnsafeRawBufferPointer) -> Bool {
        var members: [Member] = []
        return CanonicalChecker.check(json, members: &members) == .canonical
    }

    /// Appends `json` when it is canonical but for the order of its top-level object's members
    /// (Hyperward writes its bodies so): those copied in sorted order, everything else as it is.
    /// - Returns: false, with nothing appended, for anything else (the parser's case).
    mutating func appendCopyingCanonical(_ json: UnsafeRawBufferPointer) -> Bool {
        let base = members.count
        defer { members.removeSubrange(base...) }
        switch CanonicalChecker.check(json, members: &members) {
        case .notCanonical:
            return false
        case .canonical:
            appendBytes(json)
            return true
        case .unsortedTopLevel:
            // Insertion sort by name: a body has a handful of members.
            var k = base + 1
            while k < members.count {
                let member = members[k]
                var j = k
                while j > base, CanonicalChecker.isBefore(json, member.nameStart..<member.nameEnd,
                                                          members[j - 1].nameStart..<members[j - 1].nameEnd) {
                    members[j] = members[j - 1]
                    j -= 1
                }
                members[j] = member
                k += 1
            }
            // The names were distinct (a repeat is refused while checking), so the order is strict.
            bytes.append(0x7B)
            for m in base..<members.count {
                if m > base { bytes.append(0x2C) }
                appendBytes(UnsafeRawBufferPointer(rebasing: json[members[m].start..<members[m].end]))
            }
            bytes.append(0x7D)
            return true
        }
    }
}

/// The scanner behind ``CanonicalJSONWriter/appendCopyingCanonical(_:)``: it reads without
/// writing, and tells whether the text is what ``CanonicalJSONWriter/appendCanonicalized(json:)``
/// would write, or would be once its top-level object's members were sorted.
///
/// Conservative: it accepts only text with no whitespace outside strings, no escape sequence in
/// any string, valid UTF-8, ASCII member names (RFC 8785 §3.2.3 orders names by UTF-16 code
/// units, which for ASCII is byte order), no repeated name, nested objects' members strictly
/// ascending, integers of at most 15 digits other than `-0`, and nesting within
/// ``CanonicalJSONWriter/maximumDepth``. Anything else — canonical or not — is left to the parser,
/// which writes the same bytes for all this accepts (a property test holds them equal).
struct CanonicalChecker {
    enum Verdict { case canonical, unsortedTopLevel, notCanonical }

    let input: UnsafeRawBufferPointer
    var i = 0
    var depth = 0
    var isTopLevelSorted = true

    init(input: UnsafeRawBufferPointer) { self.input = input }

    /// Checks `json`; the members of a top-level object (input offsets of each member and its
    /// name) are appended to `members`.
    static func check(_ json: UnsafeRawBufferPointer, members: inout [CanonicalJSONWriter.Member]) -> Verdict {
        guard json.count > 0 else { return .notCanonical }
        var checker = CanonicalChecker(input: json)
        let isValid: Bool
        if json[0] == 0x7B {
            // Moved in and out of the optional, not copied.
            var recorded: [CanonicalJSONWriter.Member]? = members
            members = []
            isValid = checker.object(recording: &recorded)
            members = recorded!
        } else {
            var none: [CanonicalJSONWriter.Member]? = nil
            isValid = checker.value(&none)
        }
        guard isValid, checker.i == json.count else { return .notCanonical }
        return checker.isTopLevelSorted ? .canonical : .unsortedTopLevel
    }

    mutating func value(_ none: inout [CanonicalJSONWriter.Member]?) -> Bool {
        guard i < input.count else { return false }
        switch input[i] {
        case 0x7B: return object(recording: &none)
        case 0x5B: return array()
        case 0x22: return string(isName: false)
        case 0x74: return literal("true")
        case 0x66: return literal("false")
        case 0x6E: return literal("null")
        default: return integer()
        }
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard i + count <= input.count else { return false }
        for k in 0..<count where input[i + k] != word.utf8Start[k] { return false }
        i += count
        return true
    }

    mutating func array() -> Bool {
        depth += 1
        guard depth <= CanonicalJSONWriter.maximumDepth else { return false }
        i += 1
        guard i < input.count else { return false }
        if input[i] == 0x5D {
            i += 1
            depth -= 1
            return true
        }
        while true {
            var none: [CanonicalJSONWriter.Member]? = nil
            guard value(&none), i < input.count else { return false }
            let c = input[i]
            i += 1
            if c == 0x5D { break }
            guard c == 0x2C else { return false }
        }
        depth -= 1
        return true
    }

    /// An object; its members recorded when `recorded` is not `nil` (the top level), where an
    /// unsorted order is allowed (it is sorted when copied) but a repeated name is not.
    mutating func object(recording recorded: inout [CanonicalJSONWriter.Member]?) -> Bool {
        depth += 1
        guard depth <= CanonicalJSONWriter.maximumDepth else { return false }
        i += 1
        guard i < input.count else { return false }
        if input[i] == 0x7D {
            i += 1
            depth -= 1
            return true
        }
        var previous: Range<Int>? = nil
        let firstRecorded = recorded?.count ?? 0
        while true {
            guard i < input.count, input[i] == 0x22 else { return false }
            let start = i
            guard string(isName: true) else { return false }
            let name = (start + 1)..<(i - 1)
            if let previous, !CanonicalChecker.isBefore(input, previous, name) {
                guard recorded != nil, depth == 1 else { return false }
                isTopLevelSorted = false
            }
            previous = name
            guard i < input.count, input[i] == 0x3A else { return false }
            i += 1
            var none: [CanonicalJSONWriter.Member]? = nil
            guard value(&none), i < input.count else { return false }
            if recorded != nil {
                recorded!.append(CanonicalJSONWriter.Member(start: start, end: i, nameStart: name.lowerBound, nameEnd: name.upperBound))
            }
            let c = input[i]
            i += 1
            if c == 0x7D { break }
            guard c == 0x2C else { return false }
        }
        if !isTopLevelSorted, let recorded {
            // Unsorted: a repeated name is refused here (JCS forbids it; the parser refuses it).
            for a in firstRecorded..<recorded.count {
                for b in (a + 1)..<recorded.count {
                    let x = recorded[a], y = recorded[b]
                    if !CanonicalChecker.isBefore(input, x.nameStart..<x.nameEnd, y.nameStart..<y.nameEnd),
                       !CanonicalChecker.isBefore(input, y.nameStart..<y.nameEnd, x.nameStart..<x.nameEnd) {
                        return false
                    }
                }
            }
        }
        depth -= 1
        return true
    }

    /// Whether the ASCII name at `a` sorts strictly before the one at `b` (byte order).
    static func isBefore(_ input: UnsafeRawBufferPointer, _ a: Range<Int>, _ b: Range<Int>) -> Bool {
        var x = a.lowerBound, y = b.lowerBound
        while x < a.upperBound && y < b.upperBound {
            if input[x] != input[y] { return input[x] < input[y] }
            x += 1
            y += 1
        }
        return x == a.upperBound && y < b.upperBound
    }

    /// A string without escapes; a member name also ASCII only.
    mutating func string(isName: Bool) -> Bool {
        i += 1
        while i < input.count {
            let b = input[i]
            if b == 0x22 {
                i += 1
                return true
            }
            if b == 0x5C || b < 0x20 { return false }
            if b < 0x80 {
                i += 1
            } else {
                guard !isName else { return false }
                let length = CanonicalJSONWriter.sequenceLength(input, at: i)
                guard length > 0 else { return false }
                i += length
            }
        }
        return false
    }

    /// An integer the writer keeps as it is: up to 15 digits, no leading zero, not `-0`.
    mutating func integer() -> Bool {
        let start = i
        if input[i] == 0x2D { i += 1 }
        let digitsStart = i
        while i < input.count, input[i] >= 0x30, input[i] <= 0x39 { i += 1 }
        let digits = i - digitsStart
        guard digits > 0, digits <= 15 else { return false }
        // A leading zero only as the number 0 itself, and not negative.
        if input[digitsStart] == 0x30 && (digits > 1 || digitsStart > start) { return false }
        if i < input.count, input[i] == 0x2E || input[i] == 0x65 || input[i] == 0x45 { return false }
        return true
    }
}
