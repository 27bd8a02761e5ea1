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


/// TCP header flags (RFC 9293 §3.1, RFC 3168).
public struct TCPFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The flags byte.
    public var rawValue: UInt8
    /// Flags from the header's flags byte.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// No more data from sender.
    public static let fin = TCPFlags(rawValue: 0x01)
    /// Synchronize sequence numbers.
    public static let syn = TCPFlags(rawValue: 0x02)
    /// Reset the connection.
    public static let rst = TCPFlags(rawValue: 0x04)
    /// Push function.
    public static let psh = TCPFlags(rawValue: 0x08)
    /// The acknowledgment field is significant.
    public static let ack = TCPFlags(rawValue: 0x10)
    /// The urgent pointer is significant.
    public static let urg = TCPFlags(rawValue: 0x20)
    /// ECN echo.
    public static let ece = TCPFlags(rawValue: 0x40)
    /// Congestion window reduced.
    public static let cwr = TCPFlags(rawValue: 0x80)

    /// tcpdump's notation: `S`, `S.`, `F.`, `R`, `P.` …
    public var description: String {
        var text = ""
        if contains(.fin) { text += "F" }
        if contains(.syn) { text += "S" }
        if contains(.rst) { text += "R" }
        if contains(.psh) { text += "P" }
        if contains(.urg) { text += "U" }
        if contains(.ece) { text += "E" }
        if contains(.cwr) { text += "W" }
        if contains(.ack) { text += "." }
        return text.isEmpty ? "none" : text
    }
}

/// The network layer a packet carries.
public enum NetworkLayer: UInt8, Sendable, Hashable {
    /// None that was decoded (an unknown EtherType, 802.3 LLC, or a malformed link header).
    case none
    /// ARP.
    case arp
    /// IPv4.
    case ipv4
    /// IPv6.
    case ipv6
}

/// The transport layer a packet carries.
public enum TransportLayer: UInt8, Sendable, Hashable {
    /// None (not IP, a non-first fragment, or a protocol the decoder does not read).
    case none
    /// TCP.
    case tcp
    /// UDP.
    case udp
    /// ICMP.
    case icmp
    /// ICMPv6.
    case icmpv6
}

/// One decoded packet: plain integers, addresses and offsets into the frame; no allocation.
///
/// Fields of layers the packet does not have keep their zero values; `network`, `transport` and
/// `isDHCP` say which are set. Offsets are into the frame's captured bytes, and every range they
/// describe lies within them.
public struct DecodedPacket: Sendable {
    /// ARP fields (RFC 826), set when `network == .arp`.
    public struct ARP: Sendable, Hashable {
        /// 1 request, 2 reply.
        public var operation: UInt16 = 0
        /// Sender hardware address.
        public var senderMAC = EthernetAddress.zero
        /// Sender protocol address.
        public var senderIP = IPAddress(ipv4: 0)
        /// Target hardware address.
        public var targetMAC = EthernetAddress.zero
        /// Target protocol address.
        public var targetIP = IPAddress(ipv4: 0)
    }

    /// ICMP and ICMPv6 fields, set when `transport` is `.icmp` or `.icmpv6`.
    public struct ICMP: Sendable, Hashable {
        /// The message type.
        public var type: UInt8 = 0
        /// The message code.
        public var code: UInt8 = 0
        /// Echo request/reply identifier.
        public var identifier: UInt16 = 0
        /// Echo request/reply sequence number.
        public var sequence: UInt16 = 0
    }

    /// IPv6 neighbour discovery fields (RFC 4861), set for types 133–137.
    public struct NeighborDiscovery: Sendable, Hashable {
        /// The target address of a neighbour solicitation/advertisement (or redirect).
        public var target = IPAddress(ipv6High: 0, low: 0)
        /// The source link-layer address option (NS, RS, RA) or target link-layer address option (NA), if present.
        public var linkLayerAddress: EthernetAddress?
        /// Router advertisement: the router lifetime in seconds (0: not a default router).
        public var routerLifetime: UInt16 = 0
        /// Router advertisement: the M and O flags byte; neighbour advertisement: the R/S/O flags (top bits).
        public var flags: UInt8 = 0
        /// Where the options start in the frame (the options end at the packet's `payloadOffset + payloadLength`).
        public var optionsOffset: Int = 0
    }

    /// DHCP/BOOTP fields (RFC 2131), set when `isDHCP`.
    public struct DHCP: Sendable, Hashable {
        /// 1 BOOTREQUEST, 2 BOOTREPLY.
        public var operation: UInt8 = 0
        /// The transaction id.
        public var transactionID: UInt32 = 0
        /// The client hardware address (when `hlen` is 6).
        public var clientMAC = EthernetAddress.zero
        /// `ciaddr`.
        public var clientIP = IPAddress(ipv4: 0)
        /// `yiaddr`: the address offered or assigned.
        public var yourIP = IPAddress(ipv4: 0)
        /// Option 53, the DHCP message type (1 DISCOVER … 8 INFORM); 0 when absent (plain BOOTP).
        public var messageType: UInt8 = 0
        /// Option 54, the server identifier, if present.
        public var serverID: IPAddress?
    }

    /// When the frame was captured.
    public var timestamp = Timestamp(nanoseconds: 0)
    /// The frame's length on the wire.
    public var frameLength: Int = 0
    /// How many bytes of it were captured.
    public var capturedLength: Int = 0
    /// The capturing interface (pcapng interface index; 0 otherwise).
    public var interfaceIndex: Int = 0
    /// Why the packet could not be fully decoded; nil when it could. The layers decoded before the
    /// fault stay set.
    public var malformed: MalformedReason?

    /// Ethernet (or cooked-capture) source address; zero for raw IP.
    public var sourceMAC = EthernetAddress.zero
    /// Ethernet destination address; zero for raw IP and cooked captures.
    public var destinationMAC = EthernetAddress.zero
    /// How many VLAN tags (0–2).
    public var vlanCount: UInt8 = 0
    /// The outer VLAN id (when `vlanCount >= 1`).
    public var outerVLAN: UInt16 = 0
    /// The inner VLAN id (when `vlanCount == 2`).
    public var innerVLAN: UInt16 = 0
    /// The EtherType after the tags (0x0800, 0x86DD, 0x0806, …); for raw IP, 0x0800 or 0x86DD.
    public var etherType: UInt16 = 0

    /// The network layer.
    public var network = NetworkLayer.none
    /// ARP fields.
    public var arp = ARP()
    /// Where the IP header starts in the frame.
    public var networkOffset: Int = 0
    /// The IP source address.
    public var source = IPAddress(ipv4: 0)
    /// The IP destination address.
    public var destination = IPAddress(ipv4: 0)
    /// The upper-layer protocol number (after IPv6 extension headers).
    public var ipProtocol: UInt8 = 0
    /// IPv4 TTL or IPv6 hop limit.
    public var hopLimit: UInt8 = 0
    /// The IP packet's length per its header (IPv4 total length; IPv6 40 + payload length).
    public var ipLength: Int = 0
    /// Whether this is a fragment (IPv4 MF or offset, or an IPv6 fragment header).
    public var isFragment = false
    /// The fragment offset in bytes.
    public var fragmentOffset: Int = 0
    /// IPv4 identification or IPv6 fragment identification.
    public var fragmentID: UInt32 = 0
    /// How many IPv6 extension headers were walked.
    public var extensionHeaderCount: UInt8 = 0

    /// The transport layer.
    public var transport = TransportLayer.none
    /// Where the transport header starts in the frame.
    public var transportOffset: Int = 0
    /// TCP/UDP source port.
    public var sourcePort: UInt16 = 0
    /// TCP/UDP destination port.
    public var destinationPort: UInt16 = 0
    /// TCP flags.
    public var tcpFlags = TCPFlags()
    /// TCP sequence number.
    public var sequenceNumber: UInt32 = 0
    /// TCP acknowledgment number.
    public var acknowledgmentNumber: UInt32 = 0
    /// TCP window (unscaled).
    public var window: UInt16 = 0
    /// ICMP/ICMPv6 fields.
    public var icmp = ICMP()
    /// Neighbour discovery fields (ICMPv6 133–137).
    public var neighborDiscovery = NeighborDiscovery()
    /// Whether the UDP payload was read as DHCP/BOOTP (ports 67/68).
    public var isDHCP = false
    /// DHCP fields.
    public var dhcp = DHCP()

    /// Where the transport payload starts in the frame (TCP/UDP data, ICMP body).
    public var payloadOffset: Int = 0
    /// How many payload bytes were captured (within the frame).
    public var payloadLength: Int = 0
    /// How many payload bytes the headers announce (more than `payloadLength` when snapped).
    public var declaredPayloadLength: Int = 0

    /// Creates an empty packet (every field zero).
    public init() {}

    /// The payload's range in the frame's bytes.
    public var payloadRange: Range<Int> { payloadOffset..<(payloadOffset + payloadLength) }
    /// Whether the packet decoded without fault.
    public var isMalformed: Bool { malformed != nil }
    /// Whether the IP packet carries the first (or only) part of its transport header.
    public var isLaterFragment: Bool { isFragment && fragmentOffset != 0 }
}
