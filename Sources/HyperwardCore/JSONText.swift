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


/// JSON text written by hand where a serializer would be slower or reorder keys.
public enum JSONText {
    /// `s` as a JSON string literal: quotes, backslashes and every control character escaped
    /// (`\n`, `\r`, `\t`, else `\u00XX`), and U+2028/U+2029, which end lines in JavaScript, so
    /// a string from the wire or a log can never break a line or forge another record. Byte-wise:
    /// a string that needs no escape is returned without a copy of its bytes.
    public static func quoted(_ s: String) -> String {
        let utf8 = s.utf8
        // Most strings (names, GUIDs) need no escape: one scan, no copy.
        if !utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xE2 }) {
            return "\"" + s + "\""
        }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        let bytes = Array(utf8)
        var out: [UInt8] = [0x22]
        out.reserveCapacity(bytes.count + 16)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 0x22, 0x5C: out += [0x5C, b]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0x00..<0x20, 0x7F: out += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                // U+2028 and U+2029 end lines in JavaScript.
                out += Array("\\u202".utf8) + [bytes[i + 2] == 0xA8 ? 0x38 : 0x39]
                i += 2
            default: out.append(b)
            }
            i += 1
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }
}
