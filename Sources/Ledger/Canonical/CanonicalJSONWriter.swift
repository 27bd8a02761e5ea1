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


/// Canonical JSON written byte by byte into a reusable buffer, as RFC 8785 (JCS) specifies it:
/// object members sorted by their names' UTF-16 code units, no insignificant whitespace,
/// strings with only `"`, `\` and the control characters escaped (`\b \t \n \f \r`, others as
/// `\u00xx`), numbers in ECMAScript's shortest form. No `JSONEncoder`, no intermediate tree:
/// JSON text given to ``appendCanonicalized(json:)`` is parsed and written in one pass, and an
/// object's members are reordered in place only when they were not already sorted.
///
/// Bounded: nesting deeper than ``maximumDepth`` is refused, as is anything that is not RFC 8259
/// JSON (duplicate member names included, which JCS forbids).
public struct CanonicalJSONWriter: Sendable {
    /// The canonical bytes written so far.
    public internal(set) var bytes: [UInt8] = []
    /// Decoded member names of the objects being written (a stack), to sort them.
    var names: [UInt8] = []
    var members: [Member] = []
    /// Whether text already canonical (but for its top-level member order) is copied rather than
    /// parsed; off only in tests, to compare the two paths.
    var isCopyingCanonicalText = true

    struct Member {
        var start: Int, end: Int, nameStart: Int, nameEnd: Int
    }

    /// How deeply arrays and objects may nest.
    public static let maximumDepth = 64

    /// An empty writer.
    public init() {
        bytes.reserveCapacity(4096)
    }

    /// Appends raw bytes with one copy: as an `UnsafeBufferPointer<UInt8>` the append is a
    /// `memcpy`, where an `UnsafeRawBufferPointer` is appended byte by byte.
    @inline(__always)
    mutating func appendBytes(_ raw: UnsafeRawBufferPointer) {
        raw.withMemoryRebound(to: UInt8.self) { bytes.append(contentsOf: $0) }
    }

    /// Empties the buffer, keeping its capacity.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    // MARK: Strings

    /// Appends `utf8` as a JSON string. Bytes that are not UTF-8 become U+FFFD, as every reader
    /// of the string sees them.
    public mutating func appendString(_ utf8: UnsafeRawBufferPointer) {
        bytes.append(0x22)
        let n = utf8.count
        var i = 0
        while i < n {
            let b = utf8[i]
            if b >= 0x20 && b < 0x80 && b != 0x22 && b != 0x5C {
                var j = i + 1
                while j < n {
                    let c = utf8[j]
                    guard c >= 0x20 && c < 0x80 && c != 0x22 && c != 0x5C else { break }
                    j += 1
                }
                appendBytes(UnsafeRawBufferPointer(rebasing: utf8[i..<j]))
                i = j
            } else if b < 0x80 {
                appendEscaped(b)
                i += 1
            } else {
                let length = CanonicalJSONWriter.sequenceLength(utf8, at: i)
                if length == 0 {
                    bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])
                    i += 1
                } else {
                    appendBytes(UnsafeRawBufferPointer(rebasing: utf8[i..<i + length]))
                    i += length
                }
            }
        }
        bytes.append(0x22)
    }

    /// Appends a Swift string as a JSON string.
    public mutating func appendString(_ string: String) {
        var string = string
        string.withUTF8 { appendString(UnsafeRawBufferPointer($0)) }
    }

    /// An ASCII byte inside a string: itself, or its JCS escape (RFC 8785 §3.2.2.2).
    mutating func appendEscaped(_ b: UInt8) {
        switch b {
        case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
        case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
        case 0x08: bytes.append(contentsOf: [0x5C, 0x62])
        case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
        case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
        case 0x0C: bytes.append(contentsOf: [0x5C, 0x66])
        case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
        case 0..<0x20:
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
        default: bytes.append(b)
        }
    }

    /// The length of the valid UTF-8 sequence starting at `i` (a byte ≥ 0x80), 0 when invalid
    /// (Unicode 15 Table 3-7: no overlongs, surrogates or values above U+10FFFF).
    static func sequenceLength(_ p: UnsafeRawBufferPointer, at i: Int) -> Int {
        let n = p.count
        let b0 = p[i]
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool { k < n && range.contains(p[k]) }
        switch b0 {
        case 0xC2...0xDF: return continuation(i + 1) ? 2 : 0
        case 0xE0: return continuation(i + 1, 0xA0...0xBF) && continuation(i + 2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(i + 1) && continuation(i + 2) ? 3 : 0
        case 0xED: return continuation(i + 1, 0x80...0x9F) && continuation(i + 2) ? 3 : 0
        case 0xF0: return continuation(i + 1, 0x90...0xBF) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        case 0xF1...0xF3: return continuation(i + 1) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        case 0xF4: return continuation(i + 1, 0x80...0x8F) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
        default: return 0
        }
    }

    // MARK: Numbers

    /// Appends an integer.
    public mutating func appendInteger(_ value: Int64) {
        // The decimal digits on the stack, not through a String (one per leaf in verification).
        withUnsafeTemporaryAllocation(byteCount: 20, alignment: 1) { buffer in
            var magnitude = value.magnitude
            var start = 20
            repeat {
                start -= 1
                buffer[start] = UInt8(0x30 + magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                buffer[start] = 0x2D
            }
            _ = appendNumber(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[start..<20]), isInteger: true)
        }
    }

    /// Appends a number given as JSON number text, in ECMAScript's form (RFC 8785 §3.2.2.3):
    /// integers of up to 15 digits as they are (`-0` as `0`), anything else through its double
    /// value printed shortest. - Returns: false when it is not finite.
    mutating func appendNumber(_ text: UnsafeRawBufferPointer, isInteger: Bool) -> Bool {
        let negative = text.first == 0x2D
        if isInteger && text.count - (negative ? 1 : 0) <= 15 {
            if negative && text.count == 2 && text[1] == 0x30 {
                bytes.append(0x30)
            } else {
                appendBytes(text)
            }
            return true
        }
        guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { return false }
        appendDouble(value)
        return true
    }

    /// A double as ECMAScript's Number::toString prints it (ECMA-262 §6.1.6.1.20), from Swift's
    /// shortest round-tripping digits.
    mutating func appendDouble(_ value: Double) {
        if value == 0 {
            bytes.append(0x30)
            return
        }
        if value < 0 { bytes.append(0x2D) }
        // Swift prints the shortest digits that round-trip: "123.456", "1e-07", "1.5e+300".
        let text = Array(String(describing: value.magnitude).utf8)
        var digits: [UInt8] = []
        var pointPosition = 0
        var exponent = 0
        var seenPoint = false
        var index = 0
        while index < text.count {
            let c = text[index]
            if c == 0x2E {
                seenPoint = true
            } else if c == 0x65 || c == 0x45 {
                exponent = Int(String(decoding: text[(index + 1)...], as: UTF8.self)) ?? 0
                break
            } else {
                digits.append(c)
                if !seenPoint { pointPosition += 1 }
            }
            index += 1
        }
        // value = 0.d1d2… × 10^n, with no leading or trailing zero digits.
        var n = pointPosition + exponent
        while digits.first == 0x30 {
            digits.removeFirst()
            n -= 1
        }
        while digits.last == 0x30 { digits.removeLast() }
        let k = digits.count
        if k <= n && n <= 21 {
            bytes.append(contentsOf: digits)
            bytes.append(contentsOf: repeatElement(0x30, count: n - k))
        } else if 0 < n && n <= 21 {
            bytes.append(contentsOf: digits[0..<n])
            bytes.append(0x2E)
            bytes.append(contentsOf: digits[n...])
        } else if -6 < n && n <= 0 {
            bytes.append(contentsOf: [0x30, 0x2E])
            bytes.append(contentsOf: repeatElement(0x30, count: -n))
            bytes.append(contentsOf: digits)
        } else {
            bytes.append(digits[0])
            if k > 1 {
                bytes.append(0x2E)
                bytes.append(contentsOf: digits[1...])
            }
            bytes.append(0x65)
            bytes.append(n - 1 < 0 ? 0x2D : 0x2B)
            bytes.append(contentsOf: Array(String((n - 1).magnitude).utf8))
        }
    }

    // MARK: JSON text

    /// Appends the JSON text `json` canonicalised.
    /// - Returns: false, with nothing appended, when it is not JSON (RFC 8259), nests deeper than
    ///   ``maximumDepth``, repeats a member name, or holds a number that is not finite.
    @discardableResult
    public mutating func appendCanonicalized(json: UnsafeRawBufferPointer) -> Bool {
        // Hyperward writes its JSON canonical already, but for the order of a body's members:
        // such text is copied (the verifier re-derives every leaf, and parsing each body again
        // dominated it). Anything else is parsed; both give the same bytes.
        if isCopyingCanonicalText, appendCopyingCanonical(json) { return true }
        return appendCanonicalizedByParsing(json: json)
    }

    /// The full path of ``appendCanonicalized(json:)``: parses `json` and writes it canonical.
    mutating func appendCanonicalizedByParsing(json: UnsafeRawBufferPointer) -> Bool {
        let mark = bytes.count
        var parser = Parser(input: json)
        let memberMark = members.count, nameMark = names.count
        if parser.value(&self), parser.atEnd() { return true }
        bytes.removeSubrange(mark...)
        members.removeSubrange(memberMark...)
        names.removeSubrange(nameMark...)
        return false
    }

    /// Appends the JSON text `json` canonicalised (see ``appendCanonicalized(json:)``).
    @discardableResult
    public mutating func appendCanonicalized(json: String) -> Bool {
        var json = json
        return json.withUTF8 { appendCanonicalized(json: UnsafeRawBufferPointer($0)) }
    }

    /// Orders two member names by their UTF-16 code units (RFC 8785 §3.2.3).
    func compareNames(_ a: Member, _ b: Member) -> Int {
        let x = names[a.nameStart..<a.nameEnd], y = names[b.nameStart..<b.nameEnd]
        if x.allSatisfy({ $0 < 0x80 }) && y.allSatisfy({ $0 < 0x80 }) {
            for (p, q) in zip(x, y) where p != q { return p < q ? -1 : 1 }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        }
        let u = Array(String(decoding: x, as: UTF8.self).utf16), v = Array(String(decoding: y, as: UTF8.self).utf16)
        for (p, q) in zip(u, v) where p != q { return p < q ? -1 : 1 }
        return u.count == v.count ? 0 : (u.count < v.count ? -1 : 1)
    }

    /// Sorts the members of the object written since `regionStart` (members from `memberBase`).
    /// - Returns: false on a repeated name.
    mutating func finishObject(regionStart: Int, memberBase: Int) -> Bool {
        var sorted = true
        var index = memberBase + 1
        while index < members.count {
            let order = compareNames(members[index - 1], members[index])
            if order == 0 { return false }
            if order > 0 { sorted = false }
            index += 1
        }
        if !sorted {
            var list = Array(members[memberBase...])
            list.sort { compareNames($0, $1) < 0 }
            for i in 1..<list.count where compareNames(list[i - 1], list[i]) == 0 { return false }
            let region = Array(bytes[regionStart...])
            bytes.removeSubrange(regionStart...)
            for (i, member) in list.enumerated() {
                if i > 0 { bytes.append(0x2C) }
                bytes.append(contentsOf: region[(member.start - regionStart)..<(member.end - regionStart)])
            }
        }
        return true
    }

    /// A one-pass RFC 8259 parser that writes what it reads in canonical form.
    struct Parser {
        let input: UnsafeRawBufferPointer
        var i = 0
        var depth = 0

        init(input: UnsafeRawBufferPointer) { self.input = input }

        mutating func skipWhitespace() {
            while i < input.count {
                let c = input[i]
                guard c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D else { return }
                i += 1
            }
        }

        mutating func atEnd() -> Bool {
            skipWhitespace()
            return i == input.count
        }

        mutating func value(_ w: inout CanonicalJSONWriter) -> Bool {
            skipWhitespace()
            guard i < input.count else { return false }
            switch input[i] {
            case 0x7B: return object(&w)
            case 0x5B: return array(&w)
            case 0x22: return string(&w, isName: false)
            case 0x74: return literal("true", &w)
            case 0x66: return literal("false", &w)
            case 0x6E: return literal("null", &w)
            default: return number(&w)
            }
        }

        mutating func literal(_ word: StaticString, _ w: inout CanonicalJSONWriter) -> Bool {
            let count = word.utf8CodeUnitCount
            guard i + count <= input.count else { return false }
            for k in 0..<count where input[i + k] != word.utf8Start[k] { return false }
            w.bytes.append(contentsOf: UnsafeRawBufferPointer(start: word.utf8Start, count: count))
            i += count
            return true
        }

        mutating func array(_ w: inout CanonicalJSONWriter) -> Bool {
            depth += 1
            guard depth <= CanonicalJSONWriter.maximumDepth else { return false }
            i += 1
            w.bytes.append(0x5B)
            skipWhitespace()
            if i < input.count && input[i] == 0x5D {
                i += 1
            } else {
                while true {
                    guard value(&w) else { return false }
                    skipWhitespace()
                    guard i < input.count else { return false }
                    if input[i] == 0x2C {
                        w.bytes.append(0x2C)
                        i += 1
                    } else if input[i] == 0x5D {
                        i += 1
                        break
                    } else {
                        return false
                    }
                }
            }
            w.bytes.append(0x5D)
            depth -= 1
            return true
        }

        mutating func object(_ w: inout CanonicalJSONWriter) -> Bool {
            depth += 1
            guard depth <= CanonicalJSONWriter.maximumDepth else { return false }
            i += 1
            w.bytes.append(0x7B)
            let regionStart = w.bytes.count
            let memberBase = w.members.count
            let nameBase = w.names.count
            skipWhitespace()
            if i < input.count && input[i] == 0x7D {
                i += 1
            } else {
                while true {
                    skipWhitespace()
                    guard i < input.count, input[i] == 0x22 else { return false }
                    if w.members.count > memberBase { w.bytes.append(0x2C) }
                    let start = w.bytes.count
                    let nameStart = w.names.count
                    guard string(&w, isName: true) else { return false }
                    let nameEnd = w.names.count
                    w.bytes.append(0x3A)
                    skipWhitespace()
                    guard i < input.count, input[i] == 0x3A else { return false }
                    i += 1
                    guard value(&w) else { return false }
                    w.members.append(Member(start: start, end: w.bytes.count, nameStart: nameStart, nameEnd: nameEnd))
                    skipWhitespace()
                    guard i < input.count else { return false }
                    if input[i] == 0x2C {
                        i += 1
                    } else if input[i] == 0x7D {
                        i += 1
                        break
                    } else {
                        return false
                    }
                }
                guard w.finishObject(regionStart: regionStart, memberBase: memberBase) else { return false }
            }
            w.members.removeSubrange(memberBase...)
            w.names.removeSubrange(nameBase...)
            w.bytes.append(0x7D)
            depth -= 1
            return true
        }

        mutating func hex4() -> UInt32? {
            guard i + 4 <= input.count else { return nil }
            var value: UInt32 = 0
            for k in 0..<4 {
                guard let nibble = MerkleHash.nibble(input[i + k]) else { return nil }
                value = value << 4 | UInt32(nibble)
            }
            i += 4
            return value
        }

        /// A string: its canonical form to the output, and when it is a member name, its
        /// decoded UTF-8 to the name stack.
        mutating func string(_ w: inout CanonicalJSONWriter, isName: Bool) -> Bool {
            i += 1
            w.bytes.append(0x22)
            while true {
                guard i < input.count else { return false }
                let b = input[i]
                if b == 0x22 {
                    i += 1
                    break
                } else if b == 0x5C {
                    i += 1
                    guard i < input.count else { return false }
                    let e = input[i]
                    i += 1
                    var scalar: UInt32
                    switch e {
                    case 0x22: scalar = 0x22
                    case 0x5C: scalar = 0x5C
                    case 0x2F: scalar = 0x2F
                    case 0x62: scalar = 0x08
                    case 0x66: scalar = 0x0C
                    case 0x6E: scalar = 0x0A
                    case 0x72: scalar = 0x0D
                    case 0x74: scalar = 0x09
                    case 0x75:
                        guard let u = hex4() else { return false }
                        scalar = u
                        if (0xD800...0xDBFF).contains(u) {
                            guard i + 2 <= input.count, input[i] == 0x5C, input[i + 1] == 0x75 else { return false }
                            i += 2
                            guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return false }
                            scalar = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(u) {
                            return false
                        }
                    default: return false
                    }
                    if scalar < 0x80 {
                        w.appendEscaped(UInt8(scalar))
                        if isName { w.names.append(UInt8(scalar)) }
                    } else {
                        let encoded = Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
                        w.bytes.append(contentsOf: encoded)
                        if isName { w.names.append(contentsOf: encoded) }
                    }
                } else if b < 0x20 {
                    return false
                } else if b < 0x80 {
                    var j = i + 1
                    while j < input.count {
                        let c = input[j]
                        guard c >= 0x20 && c < 0x80 && c != 0x22 && c != 0x5C else { break }
                        j += 1
                    }
                    let run = UnsafeRawBufferPointer(rebasing: input[i..<j])
                    w.bytes.append(contentsOf: run)
                    if isName { w.names.append(contentsOf: run) }
                    i = j
                } else {
                    let length = CanonicalJSONWriter.sequenceLength(input, at: i)
                    guard length > 0 else { return false }
                    let run = UnsafeRawBufferPointer(rebasing: input[i..<i + length])
                    w.bytes.append(contentsOf: run)
                    if isName { w.names.append(contentsOf: run) }
                    i += length
                }
            }
            w.bytes.append(0x22)
            return true
        }

        mutating func number(_ w: inout CanonicalJSONWriter) -> Bool {
            let start = i
            func isDigit(_ k: Int) -> Bool { k < input.count && input[k] >= 0x30 && input[k] <= 0x39 }
            if i < input.count && input[i] == 0x2D { i += 1 }
            guard isDigit(i) else { return false }
            if input[i] == 0x30 {
                i += 1
            } else {
                while isDigit(i) { i += 1 }
            }
            var isInteger = true
            if i < input.count && input[i] == 0x2E {
                i += 1
                guard isDigit(i) else { return false }
                while isDigit(i) { i += 1 }
                isInteger = false
            }
            if i < input.count && (input[i] == 0x65 || input[i] == 0x45) {
                i += 1
                if i < input.count && (input[i] == 0x2B || input[i] == 0x2D) { i += 1 }
                guard isDigit(i) else { return false }
                while isDigit(i) { i += 1 }
                isInteger = false
            }
            return w.appendNumber(UnsafeRawBufferPointer(rebasing: input[start..<i]), isInteger: isInteger)
        }
    }
}
