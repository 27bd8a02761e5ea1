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


import Foundation
import HyperwardHost
import Testing

@testable import Sensor

#if canImport(Glibc)
import Glibc

/// A network namespace joined to this one by a veth pair: `outside` stays here with
/// 10.213.N.1/30, `inside` is in the namespace with 10.213.N.2/30. Removed by `close()`.
final class VethNamespace {
    let namespace: String
    let outside: String
    let inside: String
    let outsideAddress: String
    let insideAddress: String

    init() throws {
        let tag = String(UInt32.random(in: 0..<0xFFFFFF), radix: 16)
        let octet = Int.random(in: 1...250)
        namespace = "hwcap-\(tag)"
        outside = "hwc\(tag)o"
        inside = "hwc\(tag)i"
        outsideAddress = "10.213.\(octet).1"
        insideAddress = "10.213.\(octet).2"
        do {
            try CaptureLab.run(["ip", "netns", "add", namespace])
            try CaptureLab.run(["ip", "link", "add", outside, "type", "veth", "peer", "name", inside])
            try CaptureLab.run(["ip", "link", "set", inside, "netns", namespace])
            try CaptureLab.run(["ip", "addr", "add", "\(outsideAddress)/30", "dev", outside])
            try CaptureLab.run(["ip", "link", "set", outside, "up"])
            try CaptureLab.run(["ip", "-n", namespace, "addr", "add", "\(insideAddress)/30", "dev", inside])
            try CaptureLab.run(["ip", "-n", namespace, "link", "set", inside, "up"])
            try CaptureLab.run(["ip", "-n", namespace, "link", "set", "lo", "up"])
        } catch {
            close()
            throw error
        }
    }

    func close() {
        _ = try? CaptureLab.run(["ip", "link", "del", outside], allowFailure: true)
        _ = try? CaptureLab.run(["ip", "netns", "del", namespace], allowFailure: true)
    }
}

@Suite("LiveCapture")
struct CaptureLiveTests {
    static var isRoot: Bool { getuid() == 0 && CaptureLab.has("ip") }

    @Test("pings across a veth pair into a namespace are captured, counted, and decoded", .enabled(if: isRoot))
    func capturesPingsInANamespace() throws {
        let lab = try VethNamespace()
        defer { lab.close() }
        let capture = try LiveCapture(interface: lab.outside, timeout: 0.1)
        let ping = try HostChild(["ip", "netns", "exec", lab.namespace, "ping", "-c", "5", "-i", "0.2", "-W", "1", lab.outsideAddress],
                                 stdout: HostChild.nullDevice, stderr: HostChild.nullDevice)
        defer { if ping.isRunning { ping.signal(SIGTERM) } }

        var decoder = PacketDecoder()
        var requests = 0, replies = 0
        let deadline = Date().addingTimeInterval(15)
        try capture.capture(until: { (requests >= 5 && replies >= 5) || Date() > deadline }) { frame in
            let packet = decoder.decode(frame)
            guard packet.transport == .icmp else { return }
            if packet.icmp.type == 8 && packet.source == IPAddress(lab.insideAddress) { requests += 1 }
            if packet.icmp.type == 0 && packet.source == IPAddress(lab.outsideAddress) { replies += 1 }
            #expect(frame.linkType == .ethernet && frame.bytes.count == frame.originalLength)
            #expect(abs(frame.timestamp.seconds - Date().timeIntervalSince1970) < 5)
        }
        ping.wait()
        #expect(requests == 5 && replies == 5, "saw \(requests) requests and \(replies) replies")
        let statistics = capture.statistics()
        #expect(statistics.framesDelivered == decoder.statistics.packets)
        #expect(statistics.packetsReceived >= statistics.framesDelivered)
        #expect(statistics.packetsDropped == 0)
        // Closing stops delivery; the counters stay.
        capture.close()
        #expect(try capture.next() == nil)
        #expect(capture.statistics().framesDelivered == statistics.framesDelivered)
    }

    @Test("a receive with nothing to read returns after the timeout", .enabled(if: isRoot))
    func timeoutReturnsNil() throws {
        let lab = try VethNamespace()
        defer { lab.close() }
        // Down on the inside: nothing arrives.
        try CaptureLab.run(["ip", "-n", lab.namespace, "link", "set", lab.inside, "down"])
        let capture = try LiveCapture(interface: lab.outside, timeout: 0.2)
        let start = Date()
        var frames = 0
        try capture.capture(until: { Date().timeIntervalSince(start) > 0.5 }) { _ in frames += 1 }
        #expect(Date().timeIntervalSince(start) < 2)
    }

    @Test("an interface that does not exist is a system error naming it")
    func missingInterface() {
        #expect {
            _ = try LiveCapture(interface: "hwnosuchif0")
        } throws: { error in
            (error as? CaptureError)?.code == .system && "\(error)".contains("hwnosuchif0")
        }
    }
}
#endif
