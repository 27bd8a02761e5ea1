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


/// Layer-2 and neighbour-discovery facts the spoofing and rogue-device detectors consume.
///
/// The decoding glue fills these small plain structs from decoded packets; the detectors never see
/// bytes. MAC addresses are 48-bit integers in the low bits of a `UInt64`, first octet most
/// significant (`52:54:00:aa:00:01` is `0x5254_00aa_0001`). `ingress` is the port the frame entered
/// the bridge on (a tap name such as `vnet3`) when the capture knows it, else nil; port names are at
/// most 15 bytes, so they are small strings stored inline (no allocation).
public enum MACText {
    /// `52:54:00:aa:00:01` for a 48-bit MAC value (lower case, zero-padded).
    public static func string(_ mac: UInt64) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(17)
        for index in 0..<6 {
            let byte = Int(truncatingIfNeeded: (mac >> UInt64(40 - 8 * index)) & 0xff)
            if index > 0 { text.append(UInt8(ascii: ":")) }
            text.append(digits[byte >> 4])
            text.append(digits[byte & 0xf])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Parses `52:54:00:aa:00:01` (or `-` separated); nil unless six two-digit hex bytes.
    public static func value(_ text: some StringProtocol) -> UInt64? {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard part.utf8.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(byte)
        }
        return value
    }
}

/// One ARP packet (RFC 826) as the ARP spoofing detector sees it.
public struct ARPObservation: Sendable, Hashable {
    /// The ARP operation.
    public enum Operation: Sendable, Hashable {
        /// `who-has` (operation 1).
        case request
        /// `is-at` (operation 2).
        case reply
    }

    /// When the frame was captured.
    public var time: Timestamp
    /// The bridge port the frame entered on, when known.
    public var ingress: String?
    /// The Ethernet source MAC of the frame.
    public var ethSource: UInt64
    /// Request or reply.
    public var operation: Operation
    /// The ARP sender hardware address: the MAC the packet binds to `senderIP`.
    public var senderMAC: UInt64
    /// The ARP sender protocol address.
    public var senderIP: IPAddress
    /// The ARP target hardware address (zero in most requests).
    public var targetMAC: UInt64
    /// The ARP target protocol address.
    public var targetIP: IPAddress

    /// Creates an observation.
    public init(time: Timestamp, ingress: String? = nil, ethSource: UInt64, operation: Operation,
                senderMAC: UInt64, senderIP: IPAddress, targetMAC: UInt64, targetIP: IPAddress) {
        self.time = time
        self.ingress = ingress
        self.ethSource = ethSource
        self.operation = operation
        self.senderMAC = senderMAC
        self.senderIP = senderIP
        self.targetMAC = targetMAC
        self.targetIP = targetIP
    }

    /// Whether this is a gratuitous ARP (RFC 5227 announcement: sender and target address equal).
    public var isGratuitous: Bool { senderIP == targetIP }
}

/// The source of one IPv4 or IPv6 packet, for the IP source spoofing detector.
public struct IPSourceObservation: Sendable, Hashable {
    /// When the packet was captured.
    public var time: Timestamp
    /// The bridge port the frame entered on, when known.
    public var ingress: String?
    /// The Ethernet source MAC.
    public var ethSource: UInt64
    /// The IP source address.
    public var source: IPAddress
    /// The IP destination address.
    public var destination: IPAddress

    /// Creates an observation.
    public init(time: Timestamp, ingress: String? = nil, ethSource: UInt64, source: IPAddress, destination: IPAddress) {
        self.time = time
        self.ingress = ingress
        self.ethSource = ethSource
        self.source = source
        self.destination = destination
    }
}

/// One ICMPv6 router advertisement (RFC 4861 §4.2).
public struct RouterAdvertisementObservation: Sendable, Hashable {
    /// One advertised on-link/SLAAC prefix (Prefix Information option).
    public struct Prefix: Sendable, Hashable, CustomStringConvertible {
        /// The prefix address.
        public var address: IPAddress
        /// The prefix length, 0...128.
        public var length: UInt8
        /// Creates a prefix.
        public init(address: IPAddress, length: UInt8) {
            self.address = address
            self.length = length
        }
        public var description: String { "\(address)/\(length)" }
    }

    /// When the packet was captured.
    public var time: Timestamp
    /// The bridge port the frame entered on, when known.
    public var ingress: String?
    /// The Ethernet source MAC.
    public var ethSource: UInt64
    /// The IPv6 source address (link-local for a conforming router).
    public var source: IPAddress
    /// The Source Link-Layer Address option, if present.
    public var sourceLinkLayer: UInt64?
    /// The router lifetime in seconds (0: "not a default router").
    public var routerLifetime: UInt16
    /// The Prefix Information options.
    public var prefixes: [Prefix]

    /// Creates an observation.
    public init(time: Timestamp, ingress: String? = nil, ethSource: UInt64, source: IPAddress,
                sourceLinkLayer: UInt64? = nil, routerLifetime: UInt16, prefixes: [Prefix] = []) {
        self.time = time
        self.ingress = ingress
        self.ethSource = ethSource
        self.source = source
        self.sourceLinkLayer = sourceLinkLayer
        self.routerLifetime = routerLifetime
        self.prefixes = prefixes
    }
}

/// One ICMPv6 neighbour advertisement (RFC 4861 §4.4): IPv6's equivalent of an ARP reply.
public struct NeighborAdvertisementObservation: Sendable, Hashable {
    /// When the packet was captured.
    public var time: Timestamp
    /// The bridge port the frame entered on, when known.
    public var ingress: String?
    /// The Ethernet source MAC.
    public var ethSource: UInt64
    /// The advertised target address.
    public var target: IPAddress
    /// The Target Link-Layer Address option; when absent the binding is the Ethernet source.
    public var targetLinkLayer: UInt64?

    /// Creates an observation.
    public init(time: Timestamp, ingress: String? = nil, ethSource: UInt64, target: IPAddress, targetLinkLayer: UInt64? = nil) {
        self.time = time
        self.ingress = ingress
        self.ethSource = ethSource
        self.target = target
        self.targetLinkLayer = targetLinkLayer
    }

    /// The MAC the advertisement binds to `target`.
    public var claimedMAC: UInt64 { targetLinkLayer ?? ethSource }
}

/// One DHCP server message: DHCPv4 (UDP 67 to 68) OFFER/ACK/NAK, or DHCPv6 (UDP 547 to 546)
/// ADVERTISE/REPLY.
public struct DHCPServerObservation: Sendable, Hashable {
    /// The server message type.
    public enum MessageType: String, Sendable, Hashable {
        /// DHCPOFFER (2).
        case offer
        /// DHCPACK (5).
        case ack
        /// DHCPNAK (6).
        case nak
        /// DHCPv6 ADVERTISE (2).
        case advertise
        /// DHCPv6 REPLY (7).
        case reply
    }

    /// When the packet was captured.
    public var time: Timestamp
    /// The bridge port the frame entered on, when known.
    public var ingress: String?
    /// The Ethernet source MAC.
    public var ethSource: UInt64
    /// The IP source address of the server (or relay).
    public var source: IPAddress
    /// The message type.
    public var messageType: MessageType
    /// The Server Identifier option (54), if present.
    public var serverIdentifier: IPAddress?
    /// The offered address (`yiaddr`; for DHCPv6 the IA address, or unspecified).
    public var offeredAddress: IPAddress
    /// The client hardware address (`chaddr`), 0 when unknown.
    public var clientMAC: UInt64

    /// Creates an observation.
    public init(time: Timestamp, ingress: String? = nil, ethSource: UInt64, source: IPAddress, messageType: MessageType,
                serverIdentifier: IPAddress? = nil, offeredAddress: IPAddress, clientMAC: UInt64) {
        self.time = time
        self.ingress = ingress
        self.ethSource = ethSource
        self.source = source
        self.messageType = messageType
        self.serverIdentifier = serverIdentifier
        self.offeredAddress = offeredAddress
        self.clientMAC = clientMAC
    }
}
