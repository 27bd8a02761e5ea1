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


/// Counts of what the decoder saw: packets, bytes, layers, and malformed packets by reason.
public struct DecodeStatistics: Sendable, Hashable {
    /// Packets decoded.
    public var packets: Int = 0
    /// Bytes on the wire (the frames' original lengths).
    public var bytes: Int = 0
    /// Bytes captured.
    public var capturedBytes: Int = 0
    /// Packets whose snapshot length cut them.
    public var snappedPackets: Int = 0
    /// ARP packets (decoded or not).
    public var arp: Int = 0
    /// IPv4 packets.
    public var ipv4: Int = 0
    /// IPv6 packets.
    public var ipv6: Int = 0
    /// TCP segments.
    public var tcp: Int = 0
    /// UDP datagrams.
    public var udp: Int = 0
    /// ICMP messages.
    public var icmp: Int = 0
    /// ICMPv6 messages.
    public var icmpv6: Int = 0
    /// DHCP messages.
    public var dhcp: Int = 0
    /// IP fragments.
    public var fragments: Int = 0
    /// Malformed packets, all reasons.
    public var malformed: Int = 0
    /// Malformed packets by reason, indexed by `MalformedReason.rawValue`.
    private var byReason = [Int](repeating: 0, count: MalformedReason.allCases.count)

    /// Empty counters.
    public init() {}

    /// How many packets were malformed for `reason`.
    public func malformed(_ reason: MalformedReason) -> Int {
        let index = Int(reason.rawValue)
        return index < byReason.count ? byReason[index] : 0
    }

    /// The reasons seen, with their counts, in declaration order.
    public var malformedByReason: [(reason: MalformedReason, count: Int)] {
        MalformedReason.allCases.compactMap { reason in
            let count = malformed(reason)
            return count > 0 ? (reason, count) : nil
        }
    }

    /// Adds one packet's outcome.
    @inline(__always)
    public mutating func record(_ packet: DecodedPacket) {
        packets &+= 1
        bytes &+= packet.frameLength
        capturedBytes &+= packet.capturedLength
        if packet.capturedLength < packet.frameLength { snappedPackets &+= 1 }
        switch packet.network {
        case .none: break
        case .arp: arp &+= 1
        case .ipv4: ipv4 &+= 1
        case .ipv6: ipv6 &+= 1
        }
        switch packet.transport {
        case .none: break
        case .tcp: tcp &+= 1
        case .udp: udp &+= 1
        case .icmp: icmp &+= 1
        case .icmpv6: icmpv6 &+= 1
        }
        if packet.isDHCP { dhcp &+= 1 }
        if packet.isFragment { fragments &+= 1 }
        if let reason = packet.malformed {
            malformed &+= 1
            let index = Int(reason.rawValue)
            if index < byReason.count { byReason[index] &+= 1 }
        }
    }

    /// Adds another set of counters (for several decoders on several threads).
    public mutating func merge(_ other: DecodeStatistics) {
        packets &+= other.packets
        bytes &+= other.bytes
        capturedBytes &+= other.capturedBytes
        snappedPackets &+= other.snappedPackets
        arp &+= other.arp
        ipv4 &+= other.ipv4
        ipv6 &+= other.ipv6
        tcp &+= other.tcp
        udp &+= other.udp
        icmp &+= other.icmp
        icmpv6 &+= other.icmpv6
        dhcp &+= other.dhcp
        fragments &+= other.fragments
        malformed &+= other.malformed
        for index in 0..<min(byReason.count, other.byReason.count) { byReason[index] &+= other.byReason[index] }
    }
}
