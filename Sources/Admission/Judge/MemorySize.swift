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

/// libvirt's scaled sizes (`<memory unit='GiB'>4</memory>`), read as libvirt reads them
/// (formatdomain "Memory Allocation"; `virScaleInteger`): no unit is KiB; `b`/`byte`/`bytes`
/// are bytes; a letter `k m g t p e` alone or followed by `iB` is a power of 1024, followed by
/// `B` a power of 1000; units are case-insensitive; the value is a decimal integer.
enum MemorySize {
    /// The size in bytes, or why it cannot be read (not a number, an unknown unit, beyond 2^64).
    static func bytes(_ value: String, unit: String?) -> Result<UInt64, Problem> {
        let digits = value
        guard !digits.isEmpty, digits.utf8.count <= 20, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let number = UInt64(digits) else {
            return .failure(Problem("'\(value.prefix(40))' is not a decimal number"))
        }
        guard let scale = scale(unit) else { return .failure(Problem("unit '\(unit?.prefix(16) ?? "")' is not a libvirt unit (b, KiB, MiB, GiB, KB, MB, GB, k, M, G, …)")) }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: scale)
        if overflow { return .failure(Problem("\(number) \(unit ?? "KiB") is larger than 2^64 bytes")) }
        return .success(bytes)
    }

    /// Why a size could not be read.
    struct Problem: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The bytes per unit; nil for an unknown unit.
    static func scale(_ unit: String?) -> UInt64? {
        guard let unit, !unit.isEmpty else { return 1024 }
        let lower = unit.lowercased()
        if ["b", "byte", "bytes"].contains(lower) { return 1 }
        let letters = Array(lower)
        let base: UInt64
        if letters.count == 1 || lower.dropFirst() == "ib" {
            base = 1024
        } else if letters.count == 2, letters[1] == "b" {
            base = 1000
        } else {
            return nil
        }
        guard let power = ["k", "m", "g", "t", "p", "e"].firstIndex(of: letters[0]) else { return nil }
        var scale: UInt64 = 1
        for _ in 0...power { scale *= base }
        return scale
    }

    /// A size for messages: whole MiB when exact, else bytes.
    static func describe(_ bytes: UInt64) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}
