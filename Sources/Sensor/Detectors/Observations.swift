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

// The plain facts the scan, sweep and flood detectors consume. The decoding layer fills them
// from each packet; they hold only integers, addresses and a time, so building one costs nothing
// and the detectors never see packet bytes.

/// The classifications the detectors use (the type itself is the decoder's).
extension TCPFlags {
    /// A connection attempt: SYN without ACK or RST.
    @inlinable public var isConnectionAttempt: Bool { rawValue & 0x16 == 0x02 }
    /// The listener's acceptance: SYN and ACK without RST.
    @inlinable public var isSynAck: Bool { rawValue & 0x16 == 0x12 }
    /// A reset, with or without ACK.
    @inlinable public var isReset: Bool { rawValue & 0x04 != 0 }
    /// A segment without SYN, RST or ACK: never valid in a connection (RFC 9293 §3.10.7 sends ACK
    /// on every segment after the SYN), so it is a stealth probe (nmap's FIN, NULL and Xmas scans).
    @inlinable public var isStealthProbe: Bool { rawValue & 0x16 == 0 }
}

/// One TCP segment, as seen on the wire.
public struct TCPSegmentObservation: Sendable, Hashable {
    /// When it was captured.
    public var time: Timestamp
    /// The IP source.
    public var src: IPAddress
    /// The IP destination.
    public var dst: IPAddress
    /// The TCP source port.
    public var srcPort: UInt16
    /// The TCP destination port.
    public var dstPort: UInt16
    /// The control bits.
    public var flags: TCPFlags
    /// The IP packet length in bytes (header included).
    public var length: UInt32

    /// A segment observation.
    public init(time: Timestamp, src: IPAddress, dst: IPAddress, srcPort: UInt16, dstPort: UInt16,
                flags: TCPFlags, length: UInt32 = 0) {
        self.time = time
        self.src = src
        self.dst = dst
        self.srcPort = srcPort
        self.dstPort = dstPort
        self.flags = flags
        self.length = length
    }
}

/// One ICMP or ICMPv6 echo request or reply.
public struct ICMPEchoObservation: Sendable, Hashable {
    /// When it was captured.
    public var time: Timestamp
    /// The IP source.
    public var src: IPAddress
    /// The IP destination.
    public var dst: IPAddress
    /// True for an echo request (ICMP type 8, ICMPv6 128), false for a reply (0, 129).
    public var isRequest: Bool

    /// An echo observation.
    public init(time: Timestamp, src: IPAddress, dst: IPAddress, isRequest: Bool) {
        self.time = time
        self.src = src
        self.dst = dst
        self.isRequest = isRequest
    }
}

/// One address-resolution request: an ARP who-has (opcode 1), or an IPv6 neighbor solicitation
/// (the sender's link-layer address from its source link-layer address option).
public struct ARPRequestObservation: Sendable, Hashable {
    /// When it was captured.
    public var time: Timestamp
    /// The sender hardware address in its low 48 bits (`0xc42c033b6caa` is c4:2c:03:3b:6c:aa).
    public var senderMAC: UInt64
    /// The sender protocol address (0.0.0.0 for an RFC 5227 probe).
    public var senderIP: IPAddress
    /// The address being asked for.
    public var targetIP: IPAddress

    /// A request observation.
    public init(time: Timestamp, senderMAC: UInt64, senderIP: IPAddress, targetIP: IPAddress) {
        self.time = time
        self.senderMAC = senderMAC
        self.senderIP = senderIP
        self.targetIP = targetIP
    }

    /// Whether it is gratuitous: the sender announces its own address (RFC 5227 §3) and asks
    /// for nobody else's.
    @inlinable public var isGratuitous: Bool { senderIP == targetIP }
}

/// One IP packet of any protocol, for volume accounting.
public struct PacketObservation: Sendable, Hashable {
    /// When it was captured.
    public var time: Timestamp
    /// The IP source.
    public var src: IPAddress
    /// The IP destination.
    public var dst: IPAddress
    /// Its length in bytes on the wire.
    public var bytes: UInt32

    /// A packet observation.
    public init(time: Timestamp, src: IPAddress, dst: IPAddress, bytes: UInt32) {
        self.time = time
        self.src = src
        self.dst = dst
        self.bytes = bytes
    }
}

extension IPAddress {
    /// A cheap 64-bit mix of the address for sketches and direct-mapped tables (not for
    /// dictionaries, which hash with their own seeded hasher).
    var mixed: UInt64 {
        var x = high &* 0x9E37_79B9_7F4A_7C15 ^ low ^ (isIPv6 ? 0x5555 : 0)
        x ^= x >> 31
        x = x &* 0xBF58_476D_1CE4_E5B9
        x ^= x >> 29
        return x
    }
}

/// The text of a MAC address held in the low 48 bits of an integer: `c4:2c:03:3b:6c:aa`.
func macText(_ mac: UInt64) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    var text = ""
    text.reserveCapacity(17)
    for index in 0..<6 {
        let byte = Int(truncatingIfNeeded: (mac >> UInt64(40 - 8 * index)) & 0xff)
        if index > 0 { text.append(":") }
        text.append(digits[byte >> 4])
        text.append(digits[byte & 0xf])
    }
    return text
}
