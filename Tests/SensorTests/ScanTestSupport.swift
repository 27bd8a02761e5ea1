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

import FixtureSupport
import Foundation
import HyperwardCore
import HyperwardHost
import Testing
@testable import Sensor

/// One observation of any kind, in capture order.
enum DetectorEvent {
    case tcp(TCPSegmentObservation)
    case icmp(ICMPEchoObservation)
    case arp(ARPRequestObservation)
    case packet(PacketObservation)

    var time: Timestamp {
        switch self {
        case .tcp(let o): o.time
        case .icmp(let o): o.time
        case .arp(let o): o.time
        case .packet(let o): o.time
        }
    }
}

/// The scan, sweep and flood detectors side by side, as the sensor runs them.
struct DetectorBench {
    var scan = ScanDetector()
    var sweep = SweepDetector()
    var synFlood = SynFloodDetector()
    var flood = FloodDetector()
    var alerts: [Alert] = []
    var lastTime = Timestamp(nanoseconds: 0)

    mutating func feed(_ event: DetectorEvent) {
        lastTime = max(lastTime, event.time)
        switch event {
        case .tcp(let segment):
            scan.observe(segment, into: &alerts)
            synFlood.observe(segment, into: &alerts)
        case .icmp(let echo):
            sweep.observe(echo, into: &alerts)
        case .arp(let request):
            sweep.observe(request, into: &alerts)
        case .packet(let packet):
            flood.observe(packet, into: &alerts)
        }
    }

    mutating func feed(_ events: [DetectorEvent]) {
        for event in events { feed(event) }
    }

    /// Ends the input: lets every pending timeout expire, as the end of a capture does.
    mutating func finish() {
        scan.advance(to: lastTime.adding(seconds: 10), into: &alerts)
    }

    func incidents(_ detector: DetectorKind) -> Set<String> {
        Set(alerts.filter { $0.detector == detector }.map(\.incident))
    }
}

/// Building blocks for synthetic traffic.
enum Traffic {
    static func ip(_ text: String) -> IPAddress {
        IPAddress(text) ?? IPAddress(ipv4: 0)
    }

    static func time(_ seconds: Double) -> Timestamp {
        Timestamp(nanoseconds: 1_700_000_000_000_000_000 + Int64(seconds * 1e9))
    }

    static func segment(_ t: Double, _ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16,
                        _ flags: TCPFlags) -> DetectorEvent {
        .tcp(TCPSegmentObservation(time: time(t), src: ip(src), dst: ip(dst), srcPort: sport, dstPort: dport,
                                   flags: flags, length: 60))
    }

    /// A full handshake (SYN, SYN/ACK, ACK) starting at `t`, with 1 ms steps.
    static func handshake(_ t: Double, client: String, port: UInt16, server: String, serverPort: UInt16) -> [DetectorEvent] {
        [
            segment(t, client, port, server, serverPort, .syn),
            segment(t + 0.001, server, serverPort, client, port, [.syn, .ack]),
            segment(t + 0.002, client, port, server, serverPort, .ack),
        ]
    }
}

/// A tshark reader for the real captures of the corpus.
enum CaptureFixtures {

    static func tsharkPath() -> String? {
        ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The fixture's observations as tshark decodes them (the oracle for the decoders to come).
    static func events(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [DetectorEvent] {
        let file = try Fixtures.file(name, in: "pcaps", sourceLocation: sourceLocation)
        let tshark = try #require(tsharkPath(), "tshark is required (apt-get install -y tshark)")
        let result = HostCommand.run([tshark, "-r", file.path, "-T", "fields", "-E", "occurrence=f", "-E", "separator=\t",
                                      "-e", "frame.time_epoch", "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src",
                                      "-e", "ipv6.dst", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.flags",
                                      "-e", "arp.opcode", "-e", "arp.src.hw_mac", "-e", "arp.src.proto_ipv4",
                                      "-e", "arp.dst.proto_ipv4", "-e", "icmp.type", "-e", "icmpv6.type", "-e", "frame.len"],
                                     outputLimit: .max)
        try #require(result.status == 0, "tshark failed on \(name)")
        let text = result.stdout
        var events: [DetectorEvent] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 15, let time = parseTime(f[0]) else { continue }
            let src = IPAddress(f[1]) ?? IPAddress(f[3])
            let dst = IPAddress(f[2]) ?? IPAddress(f[4])
            let length = UInt32(f[14]) ?? 0
            if let src, let dst {
                events.append(.packet(PacketObservation(time: time, src: src, dst: dst, bytes: length)))
                if let sport = UInt16(f[5]), let dport = UInt16(f[6]), let flags = parseHex(f[7]) {
                    events.append(.tcp(TCPSegmentObservation(time: time, src: src, dst: dst, srcPort: sport,
                                                             dstPort: dport, flags: TCPFlags(rawValue: UInt8(flags & 0xff)),
                                                             length: length)))
                }
                if let type = Int(f[12]), type == 8 || type == 0 {
                    events.append(.icmp(ICMPEchoObservation(time: time, src: src, dst: dst, isRequest: type == 8)))
                } else if let v6 = Int(f[13]), v6 == 128 || v6 == 129 {
                    events.append(.icmp(ICMPEchoObservation(time: time, src: src, dst: dst, isRequest: v6 == 128)))
                }
            } else if f[8] == "1", let sender = IPAddress(f[10]), let target = IPAddress(f[11]),
                      let mac = parseMAC(f[9]) {
                events.append(.arp(ARPRequestObservation(time: time, senderMAC: mac, senderIP: sender, targetIP: target)))
            }
        }
        return events
    }

    static func parseTime(_ text: String) -> Timestamp? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard let seconds = Int64(parts[0]) else { return nil }
        var fraction: Int64 = 0
        if parts.count > 1 {
            let digits = String(parts[1].prefix(9)).padding(toLength: 9, withPad: "0", startingAt: 0)
            fraction = Int64(digits) ?? 0
        }
        return Timestamp(seconds: seconds, nanoseconds: fraction)
    }

    static func parseHex(_ text: String) -> UInt32? {
        UInt32(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text, radix: 16)
    }

    static func parseMAC(_ text: String) -> UInt64? {
        let bytes = text.split(separator: ":")
        guard bytes.count == 6 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard let b = UInt8(byte, radix: 16) else { return nil }
            value = value << 8 | UInt64(b)
        }
        return value
    }
}
