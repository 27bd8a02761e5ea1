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


/// Decodes frames into ``DecodedPacket`` values and counts what it saw.
///
/// Link layers: Ethernet with up to two 802.1Q/802.1ad tags, Linux cooked v1 and v2, raw IP.
/// Then ARP, IPv4 (options skipped, fragments: only the first carries the transport header), IPv6
/// (hop-by-hop, routing, fragment, destination options, AH and mobility headers; at most 8), TCP,
/// UDP, ICMP, ICMPv6 with neighbour discovery, and DHCP on UDP ports 67/68.
///
/// Every read is checked against the captured length first. Running out of captured bytes in a
/// frame that the snapshot length cut is not a fault; a header whose own lengths are inconsistent,
/// or that runs past a frame captured whole, is reported in `malformed` and counted.
public struct PacketDecoder: Sendable {
    /// The counters so far.
    public var statistics = DecodeStatistics()

    /// How many IPv6 extension headers are followed before the packet is called malformed.
    public static let maxExtensionHeaders = 8

    /// A decoder with zero counters.
    public init() {}

    /// Decodes one frame and counts it.
    @inline(__always)
    public mutating func decode(_ frame: CapturedFrame) -> DecodedPacket {
        let packet = PacketDecoder.decode(
            frame.bytes, linkType: frame.linkType, originalLength: frame.originalLength,
            timestamp: frame.timestamp, interfaceIndex: frame.interfaceIndex)
        statistics.record(packet)
        return packet
    }

    /// Decodes one frame's bytes without counting.
    public static func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, originalLength: Int? = nil,
                              timestamp: Timestamp = Timestamp(nanoseconds: 0), interfaceIndex: Int = 0) -> DecodedPacket {
        var packet = DecodedPacket()
        packet.timestamp = timestamp
        packet.capturedLength = bytes.count
        packet.frameLength = max(originalLength ?? bytes.count, bytes.count)
        packet.interfaceIndex = interfaceIndex
        guard let base = bytes.baseAddress else {
            packet.malformed = linkType.isRawIP ? .rawIPBadVersion : .ethernetTruncated
            return packet
        }
        var decoder = Walker(base: base, count: bytes.count, wireCount: packet.frameLength)
        decoder.decodeLink(linkType, into: &packet)
        return packet
    }
}

/// The decoding walk over one frame's bytes: every load is preceded by a bounds check.
struct Walker {
    let base: UnsafeRawPointer
    /// Captured bytes.
    let count: Int
    /// Bytes on the wire (≥ count).
    let wireCount: Int

    init(base: UnsafeRawPointer, count: Int, wireCount: Int) {
        self.base = base
        self.count = count
        self.wireCount = wireCount
    }

    var isSnapped: Bool { count < wireCount }

    @inline(__always) func u8(_ at: Int) -> UInt8 { base.load(fromByteOffset: at, as: UInt8.self) }
    @inline(__always) func u16(_ at: Int) -> UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
    @inline(__always) func u32(_ at: Int) -> UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    @inline(__always) func u64(_ at: Int) -> UInt64 { UInt64(bigEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
    @inline(__always) func mac(_ at: Int) -> EthernetAddress { EthernetAddress(UInt64(u16(at)) << 32 | UInt64(u32(at + 2))) }
    @inline(__always) func ipv6(_ at: Int) -> IPAddress { IPAddress(ipv6High: u64(at), low: u64(at + 8)) }

    /// Whether `length` bytes from `offset` were captured.
    @inline(__always) func has(_ offset: Int, _ length: Int) -> Bool { offset >= 0 && length >= 0 && length <= count &- offset }

    /// Sets `reason` unless the bytes are missing only because the snapshot length cut the frame.
    @inline(__always) func short(_ reason: MalformedReason, _ packet: inout DecodedPacket) {
        if !isSnapped { packet.malformed = reason }
    }

    // MARK: Link layer

    mutating func decodeLink(_ linkType: LinkType, into packet: inout DecodedPacket) {
        switch linkType {
        case .ethernet:
            guard has(0, 14) else { return short(.ethernetTruncated, &packet) }
            packet.destinationMAC = mac(0)
            packet.sourceMAC = mac(6)
            decodeEtherType(u16(12), at: 14, into: &packet)
        case .linuxSLL:
            guard has(0, 16) else { return short(.cookedHeaderTruncated, &packet) }
            if u16(4) == 6 { packet.sourceMAC = mac(6) }
            decodeEtherType(u16(14), at: 16, into: &packet)
        case .linuxSLL2:
            guard has(0, 20) else { return short(.cookedHeaderTruncated, &packet) }
            if u8(11) == 6 { packet.sourceMAC = mac(12) }
            decodeEtherType(u16(0), at: 20, into: &packet)
        case .ipv4:
            packet.etherType = 0x0800
            decodeIPv4(at: 0, into: &packet)
        case .ipv6:
            packet.etherType = 0x86DD
            decodeIPv6(at: 0, into: &packet)
        default:
            guard linkType.isRawIP else {
                packet.malformed = .unsupportedLinkType
                return
            }
            guard has(0, 1) else { return short(.rawIPBadVersion, &packet) }
            switch u8(0) >> 4 {
            case 4:
                packet.etherType = 0x0800
                decodeIPv4(at: 0, into: &packet)
            case 6:
                packet.etherType = 0x86DD
                decodeIPv6(at: 0, into: &packet)
            default:
                packet.malformed = .rawIPBadVersion
            }
        }
    }

    mutating func decodeEtherType(_ first: UInt16, at start: Int, into packet: inout DecodedPacket) {
        var type = first
        var offset = start
        // 802.1Q (0x8100), 802.1ad (0x88A8) and the pre-standard QinQ 0x9100.
        while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
            guard packet.vlanCount < 2 else {
                packet.malformed = .tooManyVLANTags
                return
            }
            guard has(offset, 4) else { return short(.vlanTruncated, &packet) }
            let id = u16(offset) & 0x0FFF
            if packet.vlanCount == 0 { packet.outerVLAN = id } else { packet.innerVLAN = id }
            packet.vlanCount &+= 1
            type = u16(offset + 2)
            offset &+= 4
        }
        packet.etherType = type
        switch type {
        case 0x0800: decodeIPv4(at: offset, into: &packet)
        case 0x86DD: decodeIPv6(at: offset, into: &packet)
        case 0x0806: decodeARP(at: offset, into: &packet)
        default: break
        }
    }

    // MARK: ARP

    mutating func decodeARP(at offset: Int, into packet: inout DecodedPacket) {
        packet.network = .arp
        guard has(offset, 8) else { return short(.arpTruncated, &packet) }
        let protocolType = u16(offset + 2)
        let hardwareLength = u8(offset + 4)
        let protocolLength = u8(offset + 5)
        packet.arp.operation = u16(offset + 6)
        // Only Ethernet/IPv4 ARP is decoded (RFC 826 with hln 6, pln 4); what else carries
        // other lengths (arp-leak style hln 255) is reported rather than guessed at.
        guard hardwareLength == 6, protocolLength == 4, protocolType == 0x0800 else {
            packet.malformed = .arpUnsupportedAddresses
            return
        }
        guard has(offset + 8, 20) else { return short(.arpTruncated, &packet) }
        packet.arp.senderMAC = mac(offset + 8)
        packet.arp.senderIP = IPAddress(ipv4: u32(offset + 14))
        packet.arp.targetMAC = mac(offset + 18)
        packet.arp.targetIP = IPAddress(ipv4: u32(offset + 24))
    }

    // MARK: IP

    mutating func decodeIPv4(at offset: Int, into packet: inout DecodedPacket) {
        packet.network = .ipv4
        packet.networkOffset = offset
        guard has(offset, 20) else { return short(.ipv4Truncated, &packet) }
        let first = u8(offset)
        let headerLength = Int(first & 0x0F) &* 4
        guard first >> 4 == 4, headerLength >= 20 else {
            packet.malformed = .ipv4BadHeader
            return
        }
        let totalLength = Int(u16(offset + 2))
        packet.ipLength = totalLength
        packet.hopLimit = u8(offset + 8)
        packet.ipProtocol = u8(offset + 9)
        packet.source = IPAddress(ipv4: u32(offset + 12))
        packet.destination = IPAddress(ipv4: u32(offset + 16))
        let fragmentField = u16(offset + 6)
        packet.fragmentID = UInt32(u16(offset + 4))
        packet.fragmentOffset = Int(fragmentField & 0x1FFF) &* 8
        packet.isFragment = fragmentField & 0x3FFF != 0
        guard totalLength >= headerLength, totalLength <= wireCount &- offset else {
            packet.malformed = .ipv4BadTotalLength
            return
        }
        guard has(offset, headerLength) else { return short(.ipv4Truncated, &packet) }
        guard packet.fragmentOffset == 0 else { return }
        decodeTransport(packet.ipProtocol, at: offset &+ headerLength, end: offset &+ totalLength, into: &packet)
    }

    mutating func decodeIPv6(at offset: Int, into packet: inout DecodedPacket) {
        packet.network = .ipv6
        packet.networkOffset = offset
        guard has(offset, 40) else { return short(.ipv6Truncated, &packet) }
        guard u8(offset) >> 4 == 6 else {
            packet.malformed = .ipv6BadHeader
            return
        }
        let payloadLength = Int(u16(offset + 4))
        packet.ipLength = 40 &+ payloadLength
        packet.hopLimit = u8(offset + 7)
        packet.source = ipv6(offset + 8)
        packet.destination = ipv6(offset + 24)
        guard payloadLength <= wireCount &- offset &- 40 else {
            packet.malformed = .ipv6BadPayloadLength
            return
        }
        let end = offset &+ 40 &+ payloadLength
        var next = u8(offset + 6)
        var cursor = offset &+ 40
        // RFC 8200 §4: walk the extension headers to the upper layer, at most maxExtensionHeaders.
        while true {
            switch next {
            case 0, 43, 60, 51, 135, 139, 140, 44:
                guard Int(packet.extensionHeaderCount) < PacketDecoder.maxExtensionHeaders else {
                    packet.ipProtocol = next
                    packet.malformed = .ipv6ExtensionChainTooLong
                    return
                }
                packet.extensionHeaderCount &+= 1
                guard cursor &+ 8 <= end else {
                    packet.ipProtocol = next
                    packet.malformed = .ipv6ExtensionTruncated
                    return
                }
                guard has(cursor, 8) else {
                    packet.ipProtocol = next
                    return short(.ipv6ExtensionTruncated, &packet)
                }
                let length: Int
                if next == 44 {
                    length = 8
                    let field = u16(cursor + 2)
                    packet.isFragment = true
                    packet.fragmentOffset = Int(field >> 3) &* 8
                    packet.fragmentID = u32(cursor + 4)
                } else if next == 51 {
                    length = (Int(u8(cursor + 1)) &+ 2) &* 4
                } else {
                    length = (Int(u8(cursor + 1)) &+ 1) &* 8
                }
                guard length <= end &- cursor else {
                    packet.ipProtocol = next
                    packet.malformed = .ipv6ExtensionTruncated
                    return
                }
                next = u8(cursor)
                cursor &+= length
                if packet.fragmentOffset != 0 {
                    packet.ipProtocol = next
                    return
                }
            default:
                packet.ipProtocol = next
                decodeTransport(next, at: cursor, end: end, into: &packet)
                return
            }
        }
    }

    // MARK: Transport

    /// Decodes the transport header at `offset` of an IP packet that ends at `end` on the wire.
    mutating func decodeTransport(_ proto: UInt8, at offset: Int, end: Int, into packet: inout DecodedPacket) {
        switch proto {
        case 6: decodeTCP(at: offset, end: end, into: &packet)
        case 17: decodeUDP(at: offset, end: end, into: &packet)
        case 1: decodeICMP(at: offset, end: end, into: &packet)
        case 58: decodeICMPv6(at: offset, end: end, into: &packet)
        default: break
        }
    }

    /// Sets the payload range `[offset, end)`, clipped to the captured bytes.
    @inline(__always)
    func setPayload(from offset: Int, to end: Int, into packet: inout DecodedPacket) {
        // In a snapped frame the payload may start past the captured bytes: the range is then
        // empty at the frame's end, so it never points outside the frame.
        packet.payloadOffset = min(offset, count)
        packet.declaredPayloadLength = max(0, end &- offset)
        packet.payloadLength = max(0, min(end, count) &- offset)
    }

    mutating func decodeTCP(at offset: Int, end: Int, into packet: inout DecodedPacket) {
        packet.transport = .tcp
        packet.transportOffset = min(offset, count)
        guard end &- offset >= 20 else {
            packet.malformed = .tcpTruncated
            return
        }
        guard has(offset, 20) else { return short(.tcpTruncated, &packet) }
        packet.sourcePort = u16(offset)
        packet.destinationPort = u16(offset + 2)
        packet.sequenceNumber = u32(offset + 4)
        packet.acknowledgmentNumber = u32(offset + 8)
        let dataOffset = Int(u8(offset + 12) >> 4) &* 4
        packet.tcpFlags = TCPFlags(rawValue: u8(offset + 13))
        packet.window = u16(offset + 14)
        guard dataOffset >= 20, dataOffset <= end &- offset else {
            packet.malformed = .tcpBadDataOffset
            return
        }
        setPayload(from: offset &+ dataOffset, to: end, into: &packet)
    }

    mutating func decodeUDP(at offset: Int, end: Int, into packet: inout DecodedPacket) {
        packet.transport = .udp
        packet.transportOffset = min(offset, count)
        guard end &- offset >= 8 else {
            packet.malformed = .udpTruncated
            return
        }
        guard has(offset, 8) else { return short(.udpTruncated, &packet) }
        packet.sourcePort = u16(offset)
        packet.destinationPort = u16(offset + 2)
        let length = Int(u16(offset + 4))
        // Length 0 is legal for IPv6 jumbograms only (RFC 2675); elsewhere too short.
        guard length >= 8, length <= end &- offset else {
            packet.malformed = .udpBadLength
            return
        }
        setPayload(from: offset &+ 8, to: offset &+ length, into: &packet)
        let sport = packet.sourcePort, dport = packet.destinationPort
        if (sport == 67 || sport == 68) && (dport == 67 || dport == 68) {
            decodeDHCP(into: &packet)
        }
    }

    mutating func decodeICMP(at offset: Int, end: Int, into packet: inout DecodedPacket) {
        packet.transport = .icmp
        packet.transportOffset = min(offset, count)
        guard end &- offset >= 8 else {
            packet.malformed = .icmpTruncated
            return
        }
        guard has(offset, 8) else { return short(.icmpTruncated, &packet) }
        packet.icmp.type = u8(offset)
        packet.icmp.code = u8(offset + 1)
        switch packet.icmp.type {
        case 0, 8, 13, 14, 15, 16:
            packet.icmp.identifier = u16(offset + 4)
            packet.icmp.sequence = u16(offset + 6)
        default: break
        }
        setPayload(from: offset &+ 8, to: end, into: &packet)
    }

    mutating func decodeICMPv6(at offset: Int, end: Int, into packet: inout DecodedPacket) {
        packet.transport = .icmpv6
        packet.transportOffset = min(offset, count)
        guard end &- offset >= 4 else {
            packet.malformed = .icmpv6Truncated
            return
        }
        guard has(offset, 4) else { return short(.icmpv6Truncated, &packet) }
        let type = u8(offset)
        packet.icmp.type = type
        packet.icmp.code = u8(offset + 1)
        // The fixed part of each message (RFC 4443, RFC 4861 §4).
        let fixed: Int
        switch type {
        case 128, 129: fixed = 8
        case 133: fixed = 8
        case 134: fixed = 16
        case 135, 136: fixed = 24
        case 137: fixed = 40
        default: fixed = 8
        }
        let isND = type >= 133 && type <= 137
        guard end &- offset >= (isND || type == 128 || type == 129 ? fixed : 4) else {
            packet.malformed = .icmpv6Truncated
            return
        }
        let bodyStart = min(offset &+ fixed, end)
        setPayload(from: bodyStart, to: end, into: &packet)
        guard has(offset, min(fixed, end &- offset)) else { return short(.icmpv6Truncated, &packet) }
        if type == 128 || type == 129 {
            packet.icmp.identifier = u16(offset + 4)
            packet.icmp.sequence = u16(offset + 6)
            return
        }
        guard isND else { return }
        switch type {
        case 134:
            packet.neighborDiscovery.flags = u8(offset + 5)
            packet.neighborDiscovery.routerLifetime = u16(offset + 6)
        case 135, 136, 137:
            packet.neighborDiscovery.target = ipv6(offset + 8)
            if type == 136 { packet.neighborDiscovery.flags = u8(offset + 4) }
        default: break
        }
        packet.neighborDiscovery.optionsOffset = min(bodyStart, count)
        // Options (RFC 4861 §4.6): type, length in 8-octet units (0 is invalid), bounded by the message.
        var cursor = bodyStart
        while cursor < end {
            guard end &- cursor >= 2 else {
                packet.malformed = .ndBadOption
                return
            }
            guard has(cursor, 2) else { return short(.ndBadOption, &packet) }
            let optionType = u8(cursor)
            let length = Int(u8(cursor + 1)) &* 8
            guard length > 0, length <= end &- cursor else {
                packet.malformed = .ndBadOption
                return
            }
            let wantsSource = type == 133 || type == 134 || type == 135
            if length == 8 && ((optionType == 1 && wantsSource) || (optionType == 2 && type == 136)) {
                guard has(cursor, 8) else { return short(.ndBadOption, &packet) }
                packet.neighborDiscovery.linkLayerAddress = mac(cursor + 2)
            }
            cursor &+= length
        }
    }

    // MARK: DHCP

    mutating func decodeDHCP(into packet: inout DecodedPacket) {
        let offset = packet.payloadOffset
        let end = offset &+ packet.declaredPayloadLength
        packet.isDHCP = true
        // RFC 2131 §2: 236 bytes of fixed fields, then the magic cookie and options.
        guard end &- offset >= 236 else {
            packet.malformed = .dhcpTruncated
            return
        }
        guard has(offset, 236) else { return short(.dhcpTruncated, &packet) }
        packet.dhcp.operation = u8(offset)
        packet.dhcp.transactionID = u32(offset + 4)
        packet.dhcp.clientIP = IPAddress(ipv4: u32(offset + 12))
        packet.dhcp.yourIP = IPAddress(ipv4: u32(offset + 16))
        if u8(offset + 1) == 1 && u8(offset + 2) == 6 { packet.dhcp.clientMAC = mac(offset + 28) }
        guard end &- offset >= 240, has(offset + 236, 4), u32(offset + 236) == 0x6382_5363 else { return }
        var cursor = offset &+ 240
        let limit = min(end, count)
        while cursor < limit {
            let code = u8(cursor)
            if code == 255 { return }
            if code == 0 {
                cursor &+= 1
                continue
            }
            guard cursor &+ 2 <= limit else { return short(.dhcpBadOptions, &packet) }
            let length = Int(u8(cursor + 1))
            let value = cursor &+ 2
            guard length <= end &- value else {
                packet.malformed = .dhcpBadOptions
                return
            }
            guard length <= limit &- value else { return short(.dhcpBadOptions, &packet) }
            if code == 53 && length == 1 { packet.dhcp.messageType = u8(value) }
            if code == 54 && length == 4 { packet.dhcp.serverID = IPAddress(ipv4: u32(value)) }
            cursor = value &+ length
        }
    }
}
