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


/// Why a packet could not be decoded: each is counted in ``DecodeStatistics`` and reported by the
/// caller as a `malformed` alert.
public enum MalformedReason: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The capture's link type is not one the decoder reads.
    case unsupportedLinkType
    /// Shorter than an Ethernet header (14 bytes).
    case ethernetTruncated
    /// A Linux cooked header (16 or 20 bytes) is cut short.
    case cookedHeaderTruncated
    /// An 802.1Q/802.1ad tag is cut short.
    case vlanTruncated
    /// More than two stacked VLAN tags.
    case tooManyVLANTags
    /// Raw IP whose first nibble is neither 4 nor 6.
    case rawIPBadVersion
    /// ARP shorter than its fixed part or its addresses.
    case arpTruncated
    /// ARP that is not Ethernet/IPv4 (hardware length 6, protocol length 4, protocol 0x0800).
    case arpUnsupportedAddresses
    /// IPv4 header cut short.
    case ipv4Truncated
    /// An IPv4 header with version other than 4 or header length under 20 bytes.
    case ipv4BadHeader
    /// An IPv4 total length shorter than the header, or longer than the frame (not snapped).
    case ipv4BadTotalLength
    /// IPv6 header cut short.
    case ipv6Truncated
    /// An IPv6 header whose version is not 6.
    case ipv6BadHeader
    /// An IPv6 payload length longer than the frame (not snapped).
    case ipv6BadPayloadLength
    /// An IPv6 extension header runs past the packet.
    case ipv6ExtensionTruncated
    /// More IPv6 extension headers than the decoder follows (8).
    case ipv6ExtensionChainTooLong
    /// TCP header cut short.
    case tcpTruncated
    /// A TCP data offset under 5 words or past the packet.
    case tcpBadDataOffset
    /// UDP header cut short.
    case udpTruncated
    /// A UDP length under 8 or past the packet.
    case udpBadLength
    /// ICMP header cut short.
    case icmpTruncated
    /// ICMPv6 header or its fixed message part cut short.
    case icmpv6Truncated
    /// A neighbour discovery option of length 0 or past the message.
    case ndBadOption
    /// A DHCP/BOOTP message shorter than its 236-byte fixed part.
    case dhcpTruncated
    /// DHCP options run past the message.
    case dhcpBadOptions

    /// The reason's stable name, e.g. `arp-unsupported-addresses`.
    public var description: String {
        switch self {
        case .unsupportedLinkType: "unsupported-link-type"
        case .ethernetTruncated: "ethernet-truncated"
        case .cookedHeaderTruncated: "cooked-header-truncated"
        case .vlanTruncated: "vlan-truncated"
        case .tooManyVLANTags: "too-many-vlan-tags"
        case .rawIPBadVersion: "raw-ip-bad-version"
        case .arpTruncated: "arp-truncated"
        case .arpUnsupportedAddresses: "arp-unsupported-addresses"
        case .ipv4Truncated: "ipv4-truncated"
        case .ipv4BadHeader: "ipv4-bad-header"
        case .ipv4BadTotalLength: "ipv4-bad-total-length"
        case .ipv6Truncated: "ipv6-truncated"
        case .ipv6BadHeader: "ipv6-bad-header"
        case .ipv6BadPayloadLength: "ipv6-bad-payload-length"
        case .ipv6ExtensionTruncated: "ipv6-extension-truncated"
        case .ipv6ExtensionChainTooLong: "ipv6-extension-chain-too-long"
        case .tcpTruncated: "tcp-truncated"
        case .tcpBadDataOffset: "tcp-bad-data-offset"
        case .udpTruncated: "udp-truncated"
        case .udpBadLength: "udp-bad-length"
        case .icmpTruncated: "icmp-truncated"
        case .icmpv6Truncated: "icmpv6-truncated"
        case .ndBadOption: "nd-bad-option"
        case .dhcpTruncated: "dhcp-truncated"
        case .dhcpBadOptions: "dhcp-bad-options"
        }
    }
}
