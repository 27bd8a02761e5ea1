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

/// A GUID's mixed-endian bytes (little-endian first three fields) as text.
func formatGUID(_ b: [UInt8]) -> String {
    func hex(_ slice: [UInt8]) -> String { slice.map { byte in
        let s = String(byte, radix: 16)
        return s.count == 1 ? "0" + s : s
    }.joined() }
    guard b.count == 16 else { return hex(b) }
    return hex([b[3], b[2], b[1], b[0]]) + "-" + hex([b[5], b[4]]) + "-" + hex([b[7], b[6]]) + "-"
        + hex(Array(b[8..<10])) + "-" + hex(Array(b[10..<16]))
}

/// UTF-16LE text up to its first NUL, with invalid units replaced.
func decodeUTF16(_ bytes: [UInt8]) -> String {
    var units: [UInt16] = []
    units.reserveCapacity(bytes.count / 2)
    var i = 0
    while i + 1 < bytes.count {
        let unit = UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8
        if unit == 0 { break }
        units.append(unit)
        i += 2
    }
    return String(decoding: units, as: UTF16.self)
}

/// 8-bit text up to its first NUL.
func decodeText(_ bytes: [UInt8]) -> String {
    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
}

/// Lowercase hex of bytes, as tpm2-tools prints digests and data.
func hexString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Whether `bytes` are printable ASCII text, allowing NUL padding at the end only.
func isPrintableText(_ bytes: [UInt8]) -> Bool {
    let text = bytes.reversed().drop { $0 == 0 }
    return !text.isEmpty && text.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
}

/// `value` in lowercase hex with a `0x` prefix, as libefivar and tpm2-tools print addresses.
func hex0x<T: BinaryInteger>(_ value: T) -> String {
    "0x" + String(value, radix: 16)
}
