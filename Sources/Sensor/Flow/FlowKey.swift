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


/// A bidirectional 5-tuple: both directions of a conversation have the same key.
///
/// The endpoint that sorts first (address, then port) is `low`; a packet from `low` to `high` is
/// the key's forward direction.
public struct FlowKey: Sendable, Hashable, CustomStringConvertible {
    /// The endpoint address that sorts first.
    public var lowAddress: IPAddress
    /// The other endpoint address.
    public var highAddress: IPAddress
    /// The port of `lowAddress` (ICMP echo: the identifier; 0 when the protocol has none).
    public var lowPort: UInt16
    /// The port of `highAddress`.
    public var highPort: UInt16
    /// The IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …).
    public var ipProtocol: UInt8

    /// The key of a packet from `source:sourcePort` to `destination:destinationPort`, and
    /// whether that packet goes from `low` to `high`.
    @inline(__always)
    public static func make(source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16,
                            ipProtocol: UInt8) -> (key: FlowKey, isForward: Bool) {
        let sourceFirst: Bool
        if source.isIPv6 != destination.isIPv6 {
            sourceFirst = !source.isIPv6
        } else if source.high != destination.high {
            sourceFirst = source.high < destination.high
        } else if source.low != destination.low {
            sourceFirst = source.low < destination.low
        } else {
            sourceFirst = sourcePort <= destinationPort
        }
        if sourceFirst {
            return (FlowKey(lowAddress: source, highAddress: destination, lowPort: sourcePort, highPort: destinationPort, ipProtocol: ipProtocol), true)
        }
        return (FlowKey(lowAddress: destination, highAddress: source, lowPort: destinationPort, highPort: sourcePort, ipProtocol: ipProtocol), false)
    }

    /// `proto low:port <-> high:port`.
    public var description: String {
        func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
            address.isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
        }
        return "\(ipProtocol) \(endpoint(lowAddress, lowPort)) <-> \(endpoint(highAddress, highPort))"
    }
}

/// Which way a packet goes, relative to the flow's initiator.
public enum FlowDirection: UInt8, Sendable, Hashable {
    /// From the side that opened the flow (the client).
    case fromInitiator
    /// From the other side (the server).
    case toInitiator
}

/// Where a flow is in its life.
public enum FlowState: UInt8, Sendable, Hashable, CustomStringConvertible {
    /// TCP: a SYN seen, no SYN-ACK yet. Other protocols: packets seen one way only.
    case new
    /// TCP: the SYN-ACK seen, the handshake's last ACK not yet.
    case synReceived
    /// TCP: the three-way handshake completed, or picked up mid-stream. Other protocols: packets seen both ways.
    case established
    /// TCP: a FIN seen one way.
    case closing
    /// TCP: FINs seen both ways, or a RST.
    case closed

    /// The state's name (`new`, `syn-received`, …).
    public var description: String {
        switch self {
        case .new: "new"
        case .synReceived: "syn-received"
        case .established: "established"
        case .closing: "closing"
        case .closed: "closed"
        }
    }
}

/// What a packet changed in its flow.
public enum FlowEvent: UInt8, Sendable, Hashable {
    /// Nothing notable.
    case none
    /// The packet opened a new flow.
    case started
    /// TCP: the responder's SYN-ACK.
    case synAcknowledged
    /// TCP: the initiator's ACK of the SYN-ACK completed the three-way handshake.
    case handshakeCompleted
    /// A non-TCP flow saw its first packet in the reverse direction.
    case answered
    /// TCP: the first FIN.
    case finishing
    /// TCP: FINs have now been seen both ways.
    case closed
    /// TCP: a RST closed the flow.
    case reset
}

/// Flow lifetimes by state, in seconds of packet time.
///
/// The defaults follow Suricata's `flow-timeouts` (`default`: new 30, established 300; `tcp`:
/// established 600) with a short closed timeout of 10 s (Suricata's emergency-closed value), so
/// finished connections free their entry soon.
public struct FlowTimeouts: Sendable, Hashable {
    /// A flow not yet established (TCP before the handshake completes; others seen one way).
    public var new: Double = 30
    /// An established TCP flow (also one closing: a half-closed side may still send).
    public var tcpEstablished: Double = 600
    /// An established flow of another protocol.
    public var established: Double = 300
    /// A closed TCP flow.
    public var closed: Double = 10

    /// The defaults.
    public init() {}

    /// Custom timeouts.
    public init(new: Double, tcpEstablished: Double, established: Double, closed: Double) {
        self.new = new
        self.tcpEstablished = tcpEstablished
        self.established = established
        self.closed = closed
    }
}
