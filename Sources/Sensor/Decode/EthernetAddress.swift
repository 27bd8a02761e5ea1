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


/// A 48-bit IEEE MAC address held in the low bits of an integer: compact and hashable for
/// per-packet work (no allocation).
public struct EthernetAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The address, first octet in bits 47...40.
    public var value: UInt64

    /// An address from its 48-bit value (higher bits are dropped).
    public init(_ value: UInt64) { self.value = value & 0xFFFF_FFFF_FFFF }

    /// Parses `52:54:00:aa:00:01` (or `-` separated); nil when it is not six hex octets.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard part.utf8.count == 2, let octet = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(octet)
        }
        self.value = value
    }

    /// ff:ff:ff:ff:ff:ff.
    public static let broadcast = EthernetAddress(0xFFFF_FFFF_FFFF)
    /// 00:00:00:00:00:00.
    public static let zero = EthernetAddress(0)

    /// Whether the group bit is set (multicast or broadcast).
    public var isMulticast: Bool { value & 0x0100_0000_0000 != 0 }
    /// Whether this is ff:ff:ff:ff:ff:ff.
    public var isBroadcast: Bool { value == 0xFFFF_FFFF_FFFF }

    /// Lower-case colon-separated hex, e.g. `52:54:00:aa:00:01`.
    public var description: String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        var text = ""
        text.reserveCapacity(17)
        for shift in stride(from: 40, through: 0, by: -8) {
            let octet = Int(value >> UInt64(shift) & 0xff)
            if shift != 40 { text.append(":") }
            text.append(digits[octet >> 4])
            text.append(digits[octet & 0xf])
        }
        return text
    }

    public static func < (lhs: EthernetAddress, rhs: EthernetAddress) -> Bool { lhs.value < rhs.value }
}
