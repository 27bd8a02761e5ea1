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

import HyperwardHost
import Foundation
import Sensor

/// Benchmarks the sensor on a generated capture of mixed traffic, beside baselines run in the same
/// process: `tcpdump -r FILE -w /dev/null` (libpcap's bare read and copy) and
/// `tshark -r FILE -T fields -e frame.number` (on a prefix: at ~40 k packets/s tshark would need
/// minutes for millions; its rate per packet is what is compared).
///
/// Usage: `SenseBench [--packets 5000000] [--flows 100000] [--file PATH] [--runs 3] [--max-flows N]
/// [--sensor-only] [--stages]` (release build). `--stages` times reading, decoding and the flow
/// table alone; `--max-flows` sets the flow table's cap (default 262,144).
@main
struct SenseBench {
    static func main() throws {
        var packets = 5_000_000, flows = 100_000, runs = 3, tsharkPackets = 200_000
        var sensorOnly = false, stages = false
        var maxFlows: Int?
        var path = FileManager.default.temporaryDirectory.appendingPathComponent("hyperward-sensebench.pcap").path
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let a = args.next() {
            switch a {
            case "--packets": packets = Int(args.next() ?? "") ?? packets
            case "--flows": flows = Int(args.next() ?? "") ?? flows
            case "--file": path = args.next() ?? path
            case "--runs": runs = Int(args.next() ?? "") ?? runs
            case "--tshark-packets": tsharkPackets = Int(args.next() ?? "") ?? tsharkPackets
            case "--sensor-only": sensorOnly = true
            case "--stages": stages = true
            case "--max-flows": maxFlows = Int(args.next() ?? "")
            default: FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8)); exit(64)
            }
        }
        let generated = try TrafficGenerator(flows: flows).write(packets: packets, to: path)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        print("capture: \(generated.packets) packets (\(generated.flows) TCP flows, scans and a flood mixed in), \(size / 1_048_576) MiB")

        if stages {
            var sink = 0
            let read = try time { let file = try CaptureFile(path: path); while let f = try file.next() { sink &+= f.bytes.count } }
            let decode = try time {
                var d = PacketDecoder(); let file = try CaptureFile(path: path)
                while let f = try file.next() { sink &+= d.decode(f).payloadLength }
            }
            let flowsTime = try time {
                var d = PacketDecoder(); var t = FlowTable(); let file = try CaptureFile(path: path)
                while let f = try file.next() { if let u = t.process(d.decode(f)) { sink &+= u.deliveredLength } }
            }
            print(String(format: "read %.2f s, +decode %.2f s, +flows %.2f s (%d)", read, decode, flowsTime, sink & 1))
            return
        }
        var sensorTimes: [Double] = [], tcpdumpTimes: [Double] = []
        var alerts = 0
        var stats = SensorStatistics()
        for _ in 0..<runs {
            // Alternated, so drift on a shared machine hits both alike.
            if !sensorOnly { tcpdumpTimes.append(try time { try run(["/usr/bin/tcpdump", "-r", path, "-w", "/dev/null"]) }) }
            sensorTimes.append(try time {
                var configuration = SensorConfiguration()
                if let maxFlows { configuration.flows.maxFlows = maxFlows }
                var engine = SensorEngine(configuration: configuration)
                var found: [Alert] = []
                let file = try CaptureFile(path: path)
                var frames: [CapturedFrame] = []
                while true {
                    try file.nextBatch(into: &frames)
                    if frames.isEmpty { break }
                    engine.process(batch: frames, into: &found)
                    if found.count > 4096 { alerts += found.count; found.removeAll(keepingCapacity: true) }
                }
                engine.finish(into: &found)
                alerts += found.count
                stats = engine.statistics
            })
        }
        alerts /= runs
        if sensorOnly {
            print(String(format: "sensor: %.2f M packets/s", Double(stats.packets) / median(sensorTimes) / 1e6))
            return
        }
        let prefix = path + ".prefix.pcap"
        _ = try TrafficGenerator(flows: flows).write(packets: tsharkPackets, to: prefix)
        let tsharkTime = try time { try run(["/usr/bin/tshark", "-r", prefix, "-T", "fields", "-e", "frame.number"]) }
        try? FileManager.default.removeItem(atPath: prefix)

        let sensor = median(sensorTimes), tcpdump = median(tcpdumpTimes)
        let sensorRate = Double(stats.packets) / sensor
        let tcpdumpRate = Double(generated.packets) / tcpdump
        let tsharkRate = Double(tsharkPackets) / tsharkTime
        print(String(format: "sensor (all detectors): %.2f s, %.2f M packets/s, %d alerts, %d flows created, %d evicted",
                     sensor, sensorRate / 1e6, alerts, stats.flows.created, stats.flows.evicted))
        print(String(format: "tcpdump -r -w /dev/null: %.2f s, %.2f M packets/s -> ratio %.2f (target >= 0.25)",
                     tcpdump, tcpdumpRate / 1e6, sensorRate / tcpdumpRate))
        print(String(format: "tshark -T fields (%d-packet prefix): %.1f s, %.0f packets/s -> ratio %.0fx (target >= 50x)",
                     tsharkPackets, tsharkTime, tsharkRate, sensorRate / tsharkRate))
        print("peak memory (VmHWM): \(peakMemoryKiB() / 1024) MiB")
    }

    static func run(_ argv: [String]) throws {
        let result = HostCommand.run(argv, outputLimit: 0)
        guard result.status == 0 else { throw BenchError("\(argv[0]) exited \(result.status)") }
    }

    static func time(_ body: () throws -> Void) throws -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    /// The process's peak resident set (`VmHWM` in /proc/self/status), in KiB.
    static func peakMemoryKiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes a classic pcap of mixed Ethernet traffic: TCP connections (handshake, data both ways,
/// FIN) over a pool of concurrent flows that keeps being renewed, DNS over UDP, pings, ARP, plus a
/// vertical port scan and a burst of SYNs from forged sources, so every detector has work.
struct TrafficGenerator {
    let flows: Int
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    init(flows: Int) { self.flows = max(1, flows) }

    mutating func random() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    struct Written { var packets: Int; var flows: Int }

    func write(packets: Int, to path: String) throws -> Written {
        var generator = self
        return try generator.generate(packets: packets, to: path)
    }

    private struct Conn { var client: UInt32; var server: UInt32; var cport: UInt16; var sport: UInt16; var step: Int; var cseq: UInt32; var sseq: UInt32 }

    private mutating func generate(packets: Int, to path: String) throws -> Written {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let out = FileHandle(forWritingAtPath: path) else { throw BenchError("cannot write \(path)") }
        try out.truncate(atOffset: 0)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 22)
        // pcap header: microsecond magic, v2.4, snaplen 65535, Ethernet.
        append32(&buffer, 0xa1b2_c3d4); append16(&buffer, 2); append16(&buffer, 4)
        append32(&buffer, 0); append32(&buffer, 0); append32(&buffer, 65535); append32(&buffer, 1)
        var pool: [Conn] = []
        pool.reserveCapacity(flows)
        var burstFlow = 0, burstLeft = 0
        var created = 0
        var time: UInt64 = 1_764_000_000_000_000  // microseconds
        var frame = [UInt8](repeating: 0, count: 1514)
        for n in 0..<packets {
            time &+= 2 + random() % 4
            let kind = random() % 100
            var length: Int
            if n % 1000 < 2 {
                // A vertical scan: one source, a new port each time.
                length = tcp(&frame, src: 0x0A63_0001, dst: 0x0A00_0005, sport: 40000, dport: UInt16(truncatingIfNeeded: n / 1000 % 60000 + 1),
                             flags: 0x02, seq: UInt32(truncatingIfNeeded: n), ack: 0, payload: 0)
            } else if n >= packets / 2 && n < packets / 2 + 20_000 && n % 2 == 0 {
                // A SYN flood from forged sources at one victim.
                length = tcp(&frame, src: UInt32(truncatingIfNeeded: random()), dst: 0x0A00_0009, sport: UInt16(truncatingIfNeeded: random()),
                             dport: 80, flags: 0x02, seq: UInt32(truncatingIfNeeded: random()), ack: 0, payload: 0)
            } else if kind < 8 {
                let query = random() & 1 == 0
                length = udp(&frame, src: query ? 0x0A01_0000 | UInt32(random() % 4096) : 0x0A00_0035, dst: query ? 0x0A00_0035 : 0x0A01_0000 | UInt32(random() % 4096),
                             sport: query ? UInt16(1024 + random() % 60000) : 53, dport: query ? 53 : UInt16(1024 + random() % 60000), payload: 40)
            } else if kind < 10 {
                let host = 0x0A01_0000 | UInt32(random() % 4096)
                length = icmpEcho(&frame, src: host, dst: 0x0A00_0001, request: random() & 1 == 0)
            } else if kind < 11 {
                length = arpRequest(&frame, sender: 0x0A01_0000 | UInt32(random() % 4096), target: 0x0A00_0001)
            } else {
                if pool.count < flows || random() % 64 == 0 {
                    let conn = Conn(client: 0x0A02_0000 | UInt32(random() % 65_536), server: 0x0A00_0000 | UInt32(random() % 256),
                                    cport: UInt16(1024 + random() % 60000), sport: [80, 443, 22, 8080, 5432][Int(random() % 5)],
                                    step: 0, cseq: UInt32(truncatingIfNeeded: random()), sseq: UInt32(truncatingIfNeeded: random()))
                    if pool.count < flows { pool.append(conn) } else { pool[Int(random() % UInt64(pool.count))] = conn }
                    created += 1
                }
                // Packets of one connection come in short bursts (a window's worth), as on a wire.
                if burstLeft == 0 || burstFlow >= pool.count {
                    burstFlow = Int(random() % UInt64(pool.count))
                    burstLeft = 1 + Int(random() % 6)
                }
                burstLeft -= 1
                let index = burstFlow
                var c = pool[index]
                switch c.step {
                case 0: length = tcp(&frame, src: c.client, dst: c.server, sport: c.cport, dport: c.sport, flags: 0x02, seq: c.cseq, ack: 0, payload: 0); c.cseq &+= 1
                case 1: length = tcp(&frame, src: c.server, dst: c.client, sport: c.sport, dport: c.cport, flags: 0x12, seq: c.sseq, ack: c.cseq, payload: 0); c.sseq &+= 1
                case 2: length = tcp(&frame, src: c.client, dst: c.server, sport: c.cport, dport: c.sport, flags: 0x10, seq: c.cseq, ack: c.sseq, payload: 0)
                case 30: length = tcp(&frame, src: c.client, dst: c.server, sport: c.cport, dport: c.sport, flags: 0x11, seq: c.cseq, ack: c.sseq, payload: 0); c.step = -1
                default:
                    // Request/response exchanges: on the web ports real HTTP/1.1 (keep-alive), elsewhere
                    // opaque bytes (TLS, SSH, SQL).
                    let toServer = c.step % 3 == 0
                    let web = c.sport == 80 || c.sport == 8080
                    let body: [UInt8] = web ? (toServer ? TrafficGenerator.request : TrafficGenerator.response) : []
                    let size = web ? body.count : (toServer ? 40 : 160)
                    if toServer {
                        length = tcp(&frame, src: c.client, dst: c.server, sport: c.cport, dport: c.sport, flags: 0x18, seq: c.cseq, ack: c.sseq, payload: size, bytes: body)
                        c.cseq &+= UInt32(size)
                    } else {
                        length = tcp(&frame, src: c.server, dst: c.client, sport: c.sport, dport: c.cport, flags: 0x18, seq: c.sseq, ack: c.cseq, payload: size, bytes: body)
                        c.sseq &+= UInt32(size)
                    }
                    if web && !toServer { c.step += 1 }  // one response per request
                }
                c.step += 1
                pool[index] = c
            }
            // Record header, then the frame.
            append32(&buffer, UInt32(truncatingIfNeeded: time / 1_000_000)); append32(&buffer, UInt32(truncatingIfNeeded: time % 1_000_000))
            append32(&buffer, UInt32(length)); append32(&buffer, UInt32(length))
            buffer.append(contentsOf: frame[0..<length])
            if buffer.count > (1 << 22) - 2048 {
                out.write(Data(buffer))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        out.write(Data(buffer))
        try out.close()
        return Written(packets: packets, flows: created)
    }

    private func append16(_ b: inout [UInt8], _ v: UInt16) { b.append(UInt8(v & 0xff)); b.append(UInt8(v >> 8)) }
    private func append32(_ b: inout [UInt8], _ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { b.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }

    private func ethernet(_ f: inout [UInt8], src: UInt32, dst: UInt32, type: UInt16) {
        let d: [UInt8] = [0x52, 0x54, 0x00, UInt8(truncatingIfNeeded: dst >> 16), UInt8(truncatingIfNeeded: dst >> 8), UInt8(truncatingIfNeeded: dst)]
        let s: [UInt8] = [0x52, 0x54, 0x00, UInt8(truncatingIfNeeded: src >> 16), UInt8(truncatingIfNeeded: src >> 8), UInt8(truncatingIfNeeded: src)]
        for i in 0..<6 { f[i] = d[i]; f[6 + i] = s[i] }
        f[12] = UInt8(type >> 8); f[13] = UInt8(type & 0xff)
    }

    private func ipv4(_ f: inout [UInt8], src: UInt32, dst: UInt32, proto: UInt8, length: Int) {
        ethernet(&f, src: src, dst: dst, type: 0x0800)
        f[14] = 0x45; f[15] = 0
        f[16] = UInt8(length >> 8); f[17] = UInt8(length & 0xff)
        f[18] = 0; f[19] = 1; f[20] = 0x40; f[21] = 0; f[22] = 64; f[23] = proto; f[24] = 0; f[25] = 0
        for i in 0..<4 { f[26 + i] = UInt8(truncatingIfNeeded: src >> UInt32(24 - 8 * i)); f[30 + i] = UInt8(truncatingIfNeeded: dst >> UInt32(24 - 8 * i)) }
    }

    static let request = Array("GET /index.html HTTP/1.1\r\nHost: web\r\nUser-Agent: bench\r\n\r\n".utf8)
    static let response = Array(("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n" + String(repeating: "x", count: 100)).utf8)

    private func tcp(_ f: inout [UInt8], src: UInt32, dst: UInt32, sport: UInt16, dport: UInt16, flags: UInt8, seq: UInt32, ack: UInt32, payload: Int, bytes: [UInt8] = []) -> Int {
        ipv4(&f, src: src, dst: dst, proto: 6, length: 40 + payload)
        f[34] = UInt8(sport >> 8); f[35] = UInt8(sport & 0xff); f[36] = UInt8(dport >> 8); f[37] = UInt8(dport & 0xff)
        for i in 0..<4 { f[38 + i] = UInt8(truncatingIfNeeded: seq >> UInt32(24 - 8 * i)); f[42 + i] = UInt8(truncatingIfNeeded: ack >> UInt32(24 - 8 * i)) }
        f[46] = 0x50; f[47] = flags; f[48] = 0xff; f[49] = 0xff; f[50] = 0; f[51] = 0; f[52] = 0; f[53] = 0
        if bytes.count == payload {
            for i in 0..<payload { f[54 + i] = bytes[i] }
        } else {
            for i in 0..<payload { f[54 + i] = 0x41 &+ UInt8(truncatingIfNeeded: i % 26) }
        }
        return max(60, 54 + payload)
    }

    private func udp(_ f: inout [UInt8], src: UInt32, dst: UInt32, sport: UInt16, dport: UInt16, payload: Int) -> Int {
        ipv4(&f, src: src, dst: dst, proto: 17, length: 28 + payload)
        f[34] = UInt8(sport >> 8); f[35] = UInt8(sport & 0xff); f[36] = UInt8(dport >> 8); f[37] = UInt8(dport & 0xff)
        f[38] = UInt8((8 + payload) >> 8); f[39] = UInt8((8 + payload) & 0xff); f[40] = 0; f[41] = 0
        for i in 0..<payload { f[42 + i] = UInt8(truncatingIfNeeded: i) }
        return max(60, 42 + payload)
    }

    private func icmpEcho(_ f: inout [UInt8], src: UInt32, dst: UInt32, request: Bool) -> Int {
        ipv4(&f, src: request ? src : dst, dst: request ? dst : src, proto: 1, length: 28 + 32)
        f[34] = request ? 8 : 0; f[35] = 0; f[36] = 0; f[37] = 0; f[38] = 0; f[39] = 1; f[40] = 0; f[41] = 1
        for i in 0..<32 { f[42 + i] = UInt8(i) }
        return 74
    }

    private func arpRequest(_ f: inout [UInt8], sender: UInt32, target: UInt32) -> Int {
        ethernet(&f, src: sender, dst: 0xFFFF_FFFF, type: 0x0806)
        for i in 0..<6 { f[i] = 0xff }
        let header: [UInt8] = [0, 1, 8, 0, 6, 4, 0, 1]
        for i in 0..<8 { f[14 + i] = header[i] }
        for i in 0..<6 { f[22 + i] = f[6 + i]; f[32 + i] = 0 }
        for i in 0..<4 { f[28 + i] = UInt8(truncatingIfNeeded: sender >> UInt32(24 - 8 * i)); f[38 + i] = UInt8(truncatingIfNeeded: target >> UInt32(24 - 8 * i)) }
        return 60
    }
}
