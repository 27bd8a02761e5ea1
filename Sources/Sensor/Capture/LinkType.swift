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


/// A capture's link-layer header type (the LINKTYPE_ values of pcap and pcapng).
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The LINKTYPE_ number.
    public var rawValue: UInt32
    /// A link type from its LINKTYPE_ number.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IEEE 802.3 Ethernet (LINKTYPE_ETHERNET, 1).
    public static let ethernet = LinkType(rawValue: 1)
    /// Raw IP, version from the first nibble (LINKTYPE_RAW, 101).
    public static let raw = LinkType(rawValue: 101)
    /// Raw IP as some BSDs number it in pcap files (DLT_RAW, 12).
    public static let rawBSD12 = LinkType(rawValue: 12)
    /// Raw IP as OpenBSD numbers it in pcap files (DLT_RAW, 14).
    public static let rawBSD14 = LinkType(rawValue: 14)
    /// Raw IPv4 (LINKTYPE_IPV4, 228).
    public static let ipv4 = LinkType(rawValue: 228)
    /// Raw IPv6 (LINKTYPE_IPV6, 229).
    public static let ipv6 = LinkType(rawValue: 229)
    /// Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113), what `tcpdump -i any` wrote before libpcap 1.10.
    public static let linuxSLL = LinkType(rawValue: 113)
    /// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276), what `tcpdump -i any` writes now.
    public static let linuxSLL2 = LinkType(rawValue: 276)

    /// The link types the packet decoder reads; any other makes every frame malformed.
    public static let decodable: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .raw, .rawBSD12, .rawBSD14, .ipv4, .ipv6]

    /// `EN10MB (1), LINUX_SLL (113), …`: the decodable link types, for error messages.
    public static var decodableList: String {
        decodable.map { "\($0) (\($0.rawValue))" }.joined(separator: ", ")
    }

    /// Whether the frame starts with an IP header (101, 12, 14, 228, 229).
    public var isRawIP: Bool {
        self == .raw || self == .rawBSD12 || self == .rawBSD14 || self == .ipv4 || self == .ipv6
    }

    /// The name tcpdump uses (`EN10MB`, `RAW`, `LINUX_SLL`, …) or the number.
    public var description: String {
        switch rawValue {
        case 1: "EN10MB"
        case 12, 14, 101: "RAW"
        case 228: "IPV4"
        case 229: "IPV6"
        case 113: "LINUX_SLL"
        case 276: "LINUX_SLL2"
        default: "LINKTYPE_\(rawValue)"
        }
    }
}
