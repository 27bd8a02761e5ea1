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

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An IPv4 or IPv6 network in CIDR form, normalised (host bits must be zero).
public struct IPNetwork: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }

    public var family: Family
    /// The network address bytes (4 or 16).
    public var bytes: [UInt8]
    public var prefixLength: Int

    /// Parses `10.0.0.0/8`, `fd00::/64`, or a bare address (a /32 or /128).
    /// - Throws: a message saying what is wrong (the caller adds the location).
    public init(parsing text: String) throws(PolicyMessage) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = parts.first.map(String.init) else {
            throw PolicyMessage("'\(text)' is not an address or CIDR")
        }
        guard let (family, bytes) = IPNetwork.parseAddress(address) else {
            throw PolicyMessage("'\(text)' is not a valid IPv4 or IPv6 address")
        }
        let maxPrefix = family == .ipv4 ? 32 : 128
        var prefix = maxPrefix
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...maxPrefix).contains(p) else {
                throw PolicyMessage("'\(text)': prefix length must be 0...\(maxPrefix)")
            }
            prefix = p
        }
        // Host bits set ("10.1.2.3/8") usually mean a typo: refuse rather than guess.
        for (index, byte) in bytes.enumerated() {
            let bitsBefore = index * 8
            let keep = max(0, min(8, prefix - bitsBefore))
            let mask: UInt8 = keep == 8 ? 0xff : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
            if byte & ~mask != 0 {
                throw PolicyMessage("'\(text)' has host bits set beyond /\(prefix)")
            }
        }
        self.family = family
        self.bytes = bytes
        self.prefixLength = prefix
    }

    /// A single host address.
    public init(address text: String) throws(PolicyMessage) {
        guard !text.contains("/") else { throw PolicyMessage("'\(text)' must be a single address, not a network") }
        try self.init(parsing: text)
    }

    static func parseAddress(_ text: String) -> (Family, [UInt8])? {
        if text.contains(":") {
            var addr = in6_addr()
            guard inet_pton(AF_INET6, text, &addr) == 1 else { return nil }
            return (.ipv6, withUnsafeBytes(of: &addr) { Array($0) })
        }
        var addr = in_addr()
        guard text.split(separator: ".").count == 4, inet_pton(AF_INET, text, &addr) == 1 else { return nil }
        return (.ipv4, withUnsafeBytes(of: &addr) { Array($0) })
    }

    /// Whether this is one host address.
    public var isHost: Bool { prefixLength == (family == .ipv4 ? 32 : 128) }

    /// The address in canonical text form (RFC 5952 for IPv6).
    public var addressText: String {
        if family == .ipv4 && bytes.count == 4 {
            return "\(bytes[0]).\(bytes[1]).\(bytes[2]).\(bytes[3])"
        }
        var buffer = [CChar](repeating: 0, count: 64)
        var copy = bytes
        let af = family == .ipv4 ? AF_INET : AF_INET6
        _ = copy.withUnsafeMutableBytes { inet_ntop(af, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { isHost ? addressText : "\(addressText)/\(prefixLength)" }

    public static func < (a: IPNetwork, b: IPNetwork) -> Bool {
        if a.family != b.family { return a.family == .ipv4 }
        if a.bytes != b.bytes { return a.bytes.lexicographicallyPrecedes(b.bytes) }
        return a.prefixLength < b.prefixLength
    }

    /// The whole address space of a family: `0.0.0.0/0` or `::/0`.
    public static func everything(_ family: Family) -> IPNetwork {
        IPNetwork(family: family, bytes: [UInt8](repeating: 0, count: family == .ipv4 ? 4 : 16), prefixLength: 0)
    }

    /// Whether `address` (a host) lies in this network.
    public func contains(_ address: IPNetwork) -> Bool {
        guard address.family == family else { return false }
        for (index, byte) in bytes.enumerated() {
            let keep = max(0, min(8, prefixLength - index * 8))
            let mask: UInt8 = keep == 8 ? 0xff : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
            if address.bytes[index] & mask != byte { return false }
        }
        return true
    }

    /// The EUI-64 link-local address (fe80::/64) a guest derives from `mac` by default (RFC 4291 App. A).
    public static func linkLocal(for mac: MACAddress) -> IPNetwork {
        let m = mac.bytes
        let bytes: [UInt8] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]]
        return IPNetwork(family: .ipv6, bytes: bytes, prefixLength: 128)
    }

    public init(family: Family, bytes: [UInt8], prefixLength: Int) {
        self.family = family
        self.bytes = bytes
        self.prefixLength = prefixLength
    }
}

/// An Ethernet MAC address.
public struct MACAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var bytes: [UInt8]

    /// Parses `52:54:00:aa:00:01` (also `-` separated); multicast addresses are refused (a VM's own
    /// address is unicast).
    public init(parsing text: String) throws(PolicyMessage) {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { throw PolicyMessage("MAC '\(text)' must be six hex bytes like 52:54:00:aa:00:01") }
        var bytes: [UInt8] = []
        for part in parts {
            guard part.count == 2, let b = UInt8(part, radix: 16) else {
                throw PolicyMessage("MAC '\(text)' must be six hex bytes like 52:54:00:aa:00:01")
            }
            bytes.append(b)
        }
        guard bytes[0] & 0x01 == 0 else { throw PolicyMessage("MAC '\(text)' is a multicast address") }
        guard bytes != [0, 0, 0, 0, 0, 0] else { throw PolicyMessage("MAC '\(text)' is all zeros") }
        self.bytes = bytes
    }

    public var description: String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":") }

    public static func < (a: MACAddress, b: MACAddress) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// An address problem's text, before a parser (a network policy, an inventory) attaches its
/// file:line:column.
public struct PolicyMessage: Error, Sendable {
    public var text: String
    public init(_ text: String) { self.text = text }
}
