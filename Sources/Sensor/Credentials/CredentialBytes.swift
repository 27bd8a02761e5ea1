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

/// Byte-level helpers for the credential parsers. Everything works on `UnsafeRawBufferPointer`
/// views of payload (no `String` until an event is made), checks every index, and is linear.
enum ASCII {
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let colon: UInt8 = 0x3A

    @inline(__always) static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    @inline(__always) static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    @inline(__always) static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes in `range` clamped to this buffer, as a buffer.
    @inline(__always) func slice(_ lower: Int, _ upper: Int) -> UnsafeRawBufferPointer {
        let low = Swift.max(0, Swift.min(lower, count))
        let high = Swift.max(low, Swift.min(upper, count))
        return UnsafeRawBufferPointer(rebasing: self[low..<high])
    }

    /// The bytes from `lower` to the end.
    @inline(__always) func dropping(_ lower: Int) -> UnsafeRawBufferPointer { slice(lower, count) }

    /// Whether the buffer starts with `lowercaseKeyword`, comparing ASCII letters case-insensitively.
    func hasPrefixIgnoringCase(_ lowercaseKeyword: StaticString) -> Bool {
        lowercaseKeyword.withUTF8Buffer { keyword in
            guard keyword.count <= count else { return false }
            for index in 0..<keyword.count where ASCII.lowercased(self[index]) != keyword[index] { return false }
            return true
        }
    }

    /// Whether the buffer equals `lowercaseKeyword`, comparing ASCII letters case-insensitively.
    func equalsIgnoringCase(_ lowercaseKeyword: StaticString) -> Bool {
        lowercaseKeyword.utf8CodeUnitCount == count && hasPrefixIgnoringCase(lowercaseKeyword)
    }

    /// Whether the buffer contains `lowercaseNeedle` case-insensitively (naive scan; callers
    /// bound the haystack, so this stays linear in practice: needles are a few bytes).
    func containsIgnoringCase(_ lowercaseNeedle: StaticString) -> Bool {
        lowercaseNeedle.withUTF8Buffer { needle in
            guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
            var start = 0
            while start + needle.count <= count {
                var matched = true
                for index in 0..<needle.count where ASCII.lowercased(self[start + index]) != needle[index] {
                    matched = false
                    break
                }
                if matched { return true }
                start += 1
            }
            return false
        }
    }

    /// The buffer without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> UnsafeRawBufferPointer {
        var low = 0
        var high = count
        while low < high, ASCII.isWhitespace(self[low]) { low += 1 }
        while high > low, ASCII.isWhitespace(self[high - 1]) { high -= 1 }
        return slice(low, high)
    }

    /// Index of the first byte equal to `byte` at or after `start`, if any.
    func firstIndex(of byte: UInt8, from start: Int = 0) -> Int? {
        var index = Swift.max(0, start)
        while index < count {
            if self[index] == byte { return index }
            index += 1
        }
        return nil
    }

    /// Splits a command line into its first word and the rest after exactly one space (the rest
    /// is kept verbatim: FTP and POP3 passwords may contain spaces).
    func splitCommand() -> (command: UnsafeRawBufferPointer, argument: UnsafeRawBufferPointer) {
        guard let space = firstIndex(of: ASCII.space) else { return (self, slice(count, count)) }
        return (slice(0, space), dropping(space + 1))
    }

    /// A non-negative decimal number of at most 18 digits, or nil.
    func decimalValue() -> Int? {
        guard !isEmpty, count <= 18 else { return nil }
        var value = 0
        for byte in self {
            guard ASCII.isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// The bytes, copied, at most `limit` of them.
    func prefixArray(_ limit: Int) -> [UInt8] { Array(slice(0, limit)) }
}

/// RFC 4648 base64 decoding, tolerant of missing padding (clients omit it) and strict otherwise.
enum Base64 {
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        return table
    }()

    /// Decodes `text`, or nil when it is not base64 or would decode to more than `limit` bytes.
    static func decode(_ text: UnsafeRawBufferPointer, limit: Int = 4096) -> [UInt8]? {
        var end = text.count
        var padding = 0
        while end > 0, text[end - 1] == 0x3D, padding < 2 { end -= 1; padding += 1 }
        guard end / 4 * 3 <= limit else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(end / 4 * 3 + 2)
        var accumulator: UInt32 = 0
        var bits = 0
        for index in 0..<end {
            let value = table[Int(text[index])]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // Six leftover bits cannot encode a byte: the input was cut.
        guard bits < 6 else { return nil }
        return out
    }

    /// Encodes bytes (used by tests and evidence, never on the packet path).
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 63)])
            out.append(alphabet[Int(triple >> 12 & 63)])
            out.append(index + 1 < bytes.count ? alphabet[Int(triple >> 6 & 63)] : 0x3D)
            out.append(index + 2 < bytes.count ? alphabet[Int(triple & 63)] : 0x3D)
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// `application/x-www-form-urlencoded` decoding (WHATWG URL §5.1): `+` is a space, `%XX` a byte,
/// a malformed `%` stays literal.
enum FormDecoding {
    static func percentDecode(_ text: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte == 0x2B {
                out.append(ASCII.space)
            } else if byte == 0x25, index + 2 < text.count,
                      let high = ASCII.hexValue(text[index + 1]), let low = ASCII.hexValue(text[index + 2]) {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }
}
