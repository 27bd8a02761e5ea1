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

/// Live capture of one interface through a Linux `AF_PACKET` raw socket.
///
/// The socket takes every protocol (`ETH_P_ALL`), is bound to the interface's index, and puts the
/// interface in promiscuous mode through a `PACKET_ADD_MEMBERSHIP` membership (dropped with the
/// socket, so a crash leaves no interface promiscuous). Receiving blocks at most `timeout`, so a
/// capture loop can be stopped. Needs `CAP_NET_RAW` (root).
///
/// Frames are received one per `recvfrom(2)` into one buffer of `snapLength` bytes: no allocation
/// per frame. The kernel's counters (`PACKET_STATISTICS`) say how many packets it queued and how
/// many it dropped because this reader was too slow.
public final class LiveCapture {
    /// Packet counts of a live capture.
    public struct Statistics: Sendable, Hashable {
        /// Packets the kernel handed to the socket, dropped ones included (libpcap's `ps_recv`).
        public var packetsReceived: Int
        /// Packets the kernel dropped because the socket's buffer was full (libpcap's `ps_drop`).
        public var packetsDropped: Int
        /// Frames this reader delivered.
        public var framesDelivered: Int
    }

    /// The interface's name.
    public let interface: String
    /// The interface's index.
    public let interfaceIndex: Int32
    /// The most bytes kept of a frame.
    public let snapLength: Int

    private var fd: Int32
    private let buffer: UnsafeMutableRawPointer
    private var received = 0
    private var dropped = 0
    private var delivered = 0

    // <linux/if_ether.h>, <linux/if_packet.h>, <linux/if_arp.h>: not all exported by the Glibc module.
    private static let ethPAll: UInt16 = 0x0003
    private static let solPacket: Int32 = 263
    private static let packetAddMembership: Int32 = 1
    private static let packetStatistics: Int32 = 6
    private static let packetMRPromisc: UInt16 = 1

    /// `struct sockaddr_ll`.
    private struct LinkLayerAddress {
        var family: UInt16 = UInt16(AF_PACKET)
        var protocolNumber: UInt16 = 0
        var interfaceIndex: Int32 = 0
        var hardwareType: UInt16 = 0
        var packetType: UInt8 = 0
        var addressLength: UInt8 = 0
        var address: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// `struct packet_mreq`.
    private struct Membership {
        var interfaceIndex: Int32 = 0
        var type: UInt16 = 0
        var addressLength: UInt16 = 0
        var address: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// `struct tpacket_stats`.
    private struct PacketStatistics {
        var packets: UInt32 = 0
        var drops: UInt32 = 0
    }

    /// Opens a capture on `interface`.
    /// - Parameters:
    ///   - interface: The interface name (`virbr0`, `vnet3`, …).
    ///   - snapLength: The most bytes kept of a frame (64...262,144).
    ///   - promiscuous: Whether to see frames not addressed to this host.
    ///   - timeout: How long one receive waits before `next()` returns nil, in seconds.
    ///   - receiveBufferSize: The socket's receive buffer in bytes (more absorbs bursts).
    /// - Throws: `CaptureError` with code `system` when the interface does not exist or the socket
    ///   cannot be made (not root, no `CAP_NET_RAW`).
    public init(interface: String, snapLength: Int = 262_144, promiscuous: Bool = true, timeout: Double = 0.25,
                receiveBufferSize: Int = 8 << 20) throws(CaptureError) {
        self.interface = interface
        self.snapLength = min(max(snapLength, 64), 262_144)
        let index = if_nametoindex(interface)
        guard index != 0 else {
            throw CaptureError(.system, "no interface named '\(interface)': \(String(cString: strerror(errno)))")
        }
        self.interfaceIndex = Int32(index)
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(LiveCapture.ethPAll.bigEndian))
        guard fd >= 0 else {
            throw CaptureError(.system, "cannot open a packet socket (needs root or CAP_NET_RAW): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: self.snapLength, alignment: 16)

        func check(_ result: Int32, _ what: String) throws(CaptureError) {
            if result != 0 {
                let message = String(cString: strerror(errno))
                throw CaptureError(.system, "\(what) on \(interface) failed: \(message)")
            }
        }
        do throws(CaptureError) {
            var size = Int32(clamping: receiveBufferSize)
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            let seconds = timeout.isFinite ? min(max(timeout, 0.001), 3600) : 0.25
            var interval = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
            try check(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size)), "setting the receive timeout")
            var address = LinkLayerAddress()
            address.protocolNumber = LiveCapture.ethPAll.bigEndian
            address.interfaceIndex = Int32(index)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<LinkLayerAddress>.size))
                }
            }
            try check(bound, "binding the packet socket")
            if promiscuous {
                var membership = Membership()
                membership.interfaceIndex = Int32(index)
                membership.type = LiveCapture.packetMRPromisc
                try check(setsockopt(fd, LiveCapture.solPacket, LiveCapture.packetAddMembership, &membership,
                                     socklen_t(MemoryLayout<Membership>.size)), "enabling promiscuous mode")
            }
        } catch {
            Glibc.close(fd)
            buffer.deallocate()
            throw error
        }
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
        buffer.deallocate()
    }

    /// Closes the socket; `next()` then returns nil.
    public func close() {
        if fd >= 0 {
            _ = readKernelCounters()
            Glibc.close(fd)
            fd = -1
        }
    }

    /// The next frame, or nil when none arrived within the timeout (or the capture is closed).
    ///
    /// The frame's bytes are valid until the next call.
    /// - Throws: `CaptureError` with code `system` when receiving fails.
    public func next() throws(CaptureError) -> CapturedFrame? {
        guard fd >= 0 else { return nil }
        var address = LinkLayerAddress()
        var addressLength = socklen_t(MemoryLayout<LinkLayerAddress>.size)
        while true {
            // MSG_TRUNC: a packet socket then returns the frame's full length even when cut.
            let n = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(fd, buffer, snapLength, Int32(MSG_TRUNC), $0, &addressLength)
                }
            }
            if n < 0 {
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: return nil
                default: throw CaptureError(.system, "receiving on \(interface) failed: \(String(cString: strerror(errno)))", framesRead: delivered)
                }
            }
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            delivered &+= 1
            // ARPHRD_NONE (tun), ARPHRD_RAWIP and ARPHRD_PPP carry IP without a link header.
            let hardware = address.hardwareType
            let linkType: LinkType = (hardware == 0xFFFE || hardware == 519 || hardware == 512) ? .raw : .ethernet
            return CapturedFrame(
                timestamp: Timestamp(seconds: Int64(now.tv_sec), nanoseconds: Int64(now.tv_nsec)), linkType: linkType,
                interfaceIndex: 0, originalLength: n,
                bytes: UnsafeRawBufferPointer(start: buffer, count: min(n, snapLength)))
        }
    }

    /// Calls `body` with each frame until `shouldStop` returns true (checked at least once per timeout).
    /// - Throws: `CaptureError` when receiving fails.
    public func capture(until shouldStop: () -> Bool, _ body: (CapturedFrame) -> Void) throws(CaptureError) {
        while !shouldStop() {
            if let frame = try next() { body(frame) }
        }
    }

    /// The kernel's counters since the capture opened (reading them resets the kernel's, so they
    /// are accumulated here).
    public func statistics() -> Statistics {
        _ = readKernelCounters()
        return Statistics(packetsReceived: received, packetsDropped: dropped, framesDelivered: delivered)
    }

    private func readKernelCounters() -> Bool {
        guard fd >= 0 else { return false }
        var counters = PacketStatistics()
        var length = socklen_t(MemoryLayout<PacketStatistics>.size)
        guard getsockopt(fd, LiveCapture.solPacket, LiveCapture.packetStatistics, &counters, &length) == 0 else { return false }
        // The kernel counts drops into tp_packets as well (net/packet/af_packet.c), as libpcap reports.
        received &+= Int(counters.packets)
        dropped &+= Int(counters.drops)
        return true
    }
}
#endif
