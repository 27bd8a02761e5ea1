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


/// Big-endian reads for TPM 2.0 wire structures (TPM 2.0 Part 1 §18: every integer is
/// big-endian), built on ``ByteReader``'s bounds-checked reads.
extension ByteReader {
    mutating func readUInt16BigEndian() -> UInt16? {
        guard let b = readBytes(2) else { return nil }
        return UInt16(b[0]) << 8 | UInt16(b[1])
    }

    mutating func readUInt32BigEndian() -> UInt32? {
        guard let b = readBytes(4) else { return nil }
        return b.reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func readUInt64BigEndian() -> UInt64? {
        guard let b = readBytes(8) else { return nil }
        return b.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A TPM2B: a 16-bit big-endian size, then that many bytes (at most `limit`).
    mutating func readSized(limit: Int) -> [UInt8]? {
        guard let size = readUInt16BigEndian(), Int(size) <= limit else { return nil }
        return readBytes(Int(size))
    }
}
