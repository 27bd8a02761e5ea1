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
import Testing

@testable import Sensor

extension FlowTable {
    /// Processes a packet that must have a flow.
    mutating func must(_ packet: DecodedPacket) throws -> FlowUpdate {
        let update = process(packet)
        return try #require(update, "no flow for the packet")
    }
}

@Suite("FlowTable")
struct FlowTableTests {
    static func tcp(_ source: String, _ sourcePort: UInt16, _ destination: String, _ destinationPort: UInt16, _ flags: TCPFlags,
                    seq: UInt32 = 0, ack: UInt32 = 0, payload: Int = 0, captured: Int? = nil, at seconds: Double = 0) -> DecodedPacket {
        var p = DecodedPacket()
        p.timestamp = Timestamp(nanoseconds: Int64(seconds * 1e9))
        p.network = source.contains(":") ? .ipv6 : .ipv4
        p.source = IPAddress(source) ?? IPAddress(ipv4: 0)
        p.destination = IPAddress(destination) ?? IPAddress(ipv4: 0)
        p.ipProtocol = 6
        p.transport = .tcp
        p.sourcePort = sourcePort
        p.destinationPort = destinationPort
        p.tcpFlags = flags
        p.sequenceNumber = seq
        p.acknowledgmentNumber = ack
        p.payloadOffset = 54
        p.payloadLength = captured ?? payload
        p.declaredPayloadLength = payload
        p.frameLength = 54 + payload
        p.capturedLength = 54 + (captured ?? payload)
        return p
    }

    static func udp(_ source: String, _ sourcePort: UInt16, _ destination: String, _ destinationPort: UInt16, at seconds: Double = 0) -> DecodedPacket {
        var p = tcp(source, sourcePort, destination, destinationPort, [], payload: 10, at: seconds)
        p.ipProtocol = 17
        p.transport = .udp
        p.payloadOffset = 42
        return p
    }

    static let client = "10.0.0.1", server = "10.0.0.2"

    @Test("the three-way handshake, data both ways and the FINs take a flow from new to closed")
    func handshakeLifecycle() throws {
        var table = FlowTable()
        let c = FlowTableTests.client, s = FlowTableTests.server
        let syn = try table.must((FlowTableTests.tcp(c, 40000, s, 80, .syn, seq: 100, at: 1)))
        #expect(syn.event == .started && syn.state == .new && syn.direction == .fromInitiator)
        let synAck = try table.must((FlowTableTests.tcp(s, 80, c, 40000, [.syn, .ack], seq: 900, ack: 101, at: 1.1)))
        #expect(synAck.event == .synAcknowledged && synAck.state == .synReceived && synAck.direction == .toInitiator)
        #expect(synAck.flowID == syn.flowID)
        let ack = try table.must((FlowTableTests.tcp(c, 40000, s, 80, .ack, seq: 101, ack: 901, at: 1.2)))
        #expect(ack.event == .handshakeCompleted && ack.state == .established)
        let request = try table.must((FlowTableTests.tcp(c, 40000, s, 80, [.psh, .ack], seq: 101, ack: 901, payload: 20, at: 1.3)))
        #expect(request.deliveredRange == 54..<74 && request.event == .none)
        let reply = try table.must((FlowTableTests.tcp(s, 80, c, 40000, [.psh, .ack], seq: 901, ack: 121, payload: 300, at: 1.4)))
        #expect(reply.deliveredLength == 300 && reply.direction == .toInitiator)
        let fin1 = try table.must((FlowTableTests.tcp(s, 80, c, 40000, [.fin, .ack], seq: 1201, ack: 121, at: 1.5)))
        #expect(fin1.event == .finishing && fin1.state == .closing)
        let fin2 = try table.must((FlowTableTests.tcp(c, 40000, s, 80, [.fin, .ack], seq: 121, ack: 1202, at: 1.6)))
        #expect(fin2.event == .closed && fin2.state == .closed)
        let record = try #require(table.record(fin2))
        #expect(record.initiator == IPAddress(c) && record.initiatorPort == 40000 && record.responder == IPAddress(s) && record.responderPort == 80)
        #expect(record.packetsFromInitiator == 4 && record.packetsToInitiator == 3)
        #expect(record.bytesFromInitiator == 4 * 54 + 20 && record.bytesToInitiator == 3 * 54 + 300)
        #expect(record.completedHandshake && record.gaps == 0 && record.retransmissions == 0)
        #expect(record.firstSeen == Timestamp(nanoseconds: 1_000_000_000) && record.lastSeen == Timestamp(nanoseconds: 1_600_000_000))
        #expect(table.statistics.created == 1 && table.statistics.active == 1)
    }

    @Test("an ACK that does not acknowledge the SYN-ACK does not complete the handshake")
    func blindAckDoesNotComplete() throws {
        var table = FlowTable()
        let c = FlowTableTests.client, s = FlowTableTests.server
        _ = table.process(FlowTableTests.tcp(c, 1, s, 2, .syn, seq: 10))
        _ = table.process(FlowTableTests.tcp(s, 2, c, 1, [.syn, .ack], seq: 5000, ack: 11))
        let blind = try table.must((FlowTableTests.tcp(c, 1, s, 2, .ack, seq: 11, ack: 1234)))
        #expect(blind.event == .none && blind.state == .synReceived)
        let real = try table.must((FlowTableTests.tcp(c, 1, s, 2, .ack, seq: 11, ack: 5001)))
        #expect(real.event == .handshakeCompleted)
    }

    @Test("a RST resets; a SYN-ACK seen first makes its receiver the initiator; mid-stream pickup is established")
    func resetsAndPickups() throws {
        var table = FlowTable()
        let c = FlowTableTests.client, s = FlowTableTests.server
        _ = table.process(FlowTableTests.tcp(c, 1, s, 25, .syn, seq: 1))
        let rst = try table.must((FlowTableTests.tcp(s, 25, c, 1, [.rst, .ack], ack: 2)))
        #expect(rst.event == .reset && rst.state == .closed && rst.direction == .toInitiator)
        // Port reuse: a new SYN on the closed 5-tuple is a new flow.
        let again = try table.must((FlowTableTests.tcp(c, 1, s, 25, .syn, seq: 77)))
        #expect(again.event == .started && again.flowID != rst.flowID && table.statistics.reused == 1)

        let synAck = try table.must((FlowTableTests.tcp(s, 443, c, 5555, [.syn, .ack], seq: 1, ack: 2)))
        #expect(synAck.event == .started && synAck.direction == .toInitiator && synAck.state == .synReceived)
        let record = try #require(table.record(synAck))
        #expect(record.initiator == IPAddress(c) && record.initiatorPort == 5555)

        let mid = try table.must((FlowTableTests.tcp(s, 22, c, 6000, [.psh, .ack], seq: 50, payload: 10)))
        #expect(mid.state == .established && mid.direction == .fromInitiator && mid.deliveredLength == 10)
        #expect(table.record(mid)?.completedHandshake == false)
    }

    @Test("both directions of UDP, IPv6 and ICMP echo share one flow", arguments: [false, true])
    func bothDirectionsOneFlow(ipv6: Bool) throws {
        var table = FlowTable()
        let a = ipv6 ? "2001:db8::1" : "192.0.2.1", b = ipv6 ? "2001:db8::2" : "192.0.2.2"
        let out = try table.must((FlowTableTests.udp(b, 5353, a, 53)))
        let back = try table.must((FlowTableTests.udp(a, 53, b, 5353)))
        #expect(out.flowID == back.flowID && out.direction == .fromInitiator && back.direction == .toInitiator)
        #expect(out.event == .started && back.event == .answered && back.state == .established)
        var request = FlowTableTests.udp(a, 0, b, 0)
        request.transport = ipv6 ? .icmpv6 : .icmp
        request.ipProtocol = ipv6 ? 58 : 1
        request.icmp.type = ipv6 ? 128 : 8
        request.icmp.identifier = 99
        var reply = request
        reply.source = request.destination
        reply.destination = request.source
        reply.icmp.type = ipv6 ? 129 : 0
        let r1 = try table.must((request))
        let r2 = try table.must((reply))
        #expect(r1.flowID == r2.flowID && r2.event == .answered)
        #expect(table.statistics.active == 2)
        // Not IP, or a later fragment: no flow.
        var arp = DecodedPacket()
        arp.network = .arp
        #expect(table.process(arp) == nil)
        var fragment = request
        fragment.isFragment = true
        fragment.fragmentOffset = 1480
        #expect(table.process(fragment) == nil)
        #expect(table.statistics.skipped == 2)
    }

    @Test("the cap holds: the flow idle longest is evicted and counted")
    func capAndEviction() throws {
        var table = FlowTable(configuration: .init(maxFlows: 8))
        for i in 0..<20 {
            _ = table.process(FlowTableTests.udp("10.0.0.1", UInt16(1000 + i), "10.0.0.2", 53, at: Double(i) * 0.01))
            if i >= 1 {
                // Flow 0 stays busy, so it is never the one idle longest.
                _ = table.process(FlowTableTests.udp("10.0.0.1", 1000, "10.0.0.2", 53, at: Double(i) * 0.01 + 0.001))
            }
        }
        #expect(table.statistics.active == 8 && table.statistics.evicted == 12 && table.statistics.created == 20)
        #expect(table.statistics.peak == 8)
        let ports = Set(table.records.map(\.initiatorPort))
        #expect(ports == Set([1000] + (13...19).map { UInt16(1000 + $0) }))
    }

    @Test("each state has its timeout, driven by packet time")
    func timeouts() throws {
        var table = FlowTable()
        let c = FlowTableTests.client, s = FlowTableTests.server
        // new (30 s): a lone SYN.
        _ = table.process(FlowTableTests.tcp(c, 1, s, 80, .syn, at: 0))
        // TCP established (600 s).
        _ = table.process(FlowTableTests.tcp(c, 2, s, 80, .syn, seq: 0, at: 0))
        _ = table.process(FlowTableTests.tcp(s, 80, c, 2, [.syn, .ack], seq: 0, ack: 1, at: 0))
        _ = table.process(FlowTableTests.tcp(c, 2, s, 80, .ack, seq: 1, ack: 1, at: 0))
        // UDP established (300 s).
        _ = table.process(FlowTableTests.udp(c, 3, s, 53, at: 0))
        _ = table.process(FlowTableTests.udp(s, 53, c, 3, at: 0))
        // closed (10 s).
        _ = table.process(FlowTableTests.tcp(c, 4, s, 80, .syn, at: 0))
        _ = table.process(FlowTableTests.tcp(s, 80, c, 4, .rst, at: 0))
        #expect(table.statistics.active == 4)
        table.expire(now: Timestamp(nanoseconds: 9_000_000_000))
        #expect(table.statistics.active == 4)
        table.expire(now: Timestamp(nanoseconds: 10_000_000_000))
        #expect(table.statistics.active == 3)
        table.expire(now: Timestamp(nanoseconds: 30_000_000_000))
        #expect(table.statistics.active == 2)
        table.expire(now: Timestamp(nanoseconds: 300_000_000_000))
        #expect(table.statistics.active == 1)
        #expect(table.records.first?.initiatorPort == 2)
        // Activity pushes the deadline: a packet at 550 s keeps it until 1150 s.
        _ = table.process(FlowTableTests.tcp(c, 2, s, 80, .ack, seq: 1, ack: 1, at: 550))
        table.expire(now: Timestamp(nanoseconds: 1_149_000_000_000))
        #expect(table.statistics.active == 1)
        // A packet of another flow moves time too.
        _ = table.process(FlowTableTests.udp("10.9.9.9", 1, "10.9.9.8", 2, at: 1150))
        #expect(table.statistics.active == 1 && table.statistics.expired == 4)
        // Custom timeouts.
        var short = FlowTable(configuration: .init(maxFlows: 10, timeouts: FlowTimeouts(new: 1, tcpEstablished: 2, established: 2, closed: 0.5)))
        _ = short.process(FlowTableTests.udp(c, 3, s, 53, at: 0))
        short.expire(now: Timestamp(nanoseconds: 999_000_000))
        #expect(short.statistics.active == 1)
        short.expire(now: Timestamp(nanoseconds: 1_000_000_000))
        #expect(short.statistics.active == 0)
    }

    @Test("TCP payload is delivered in order: retransmissions dropped, overlaps trimmed, gaps counted and resynchronised")
    func inOrderDelivery() throws {
        var table = FlowTable()
        let c = FlowTableTests.client, s = FlowTableTests.server
        func send(_ seq: UInt32, _ length: Int, flags: TCPFlags = [.ack, .psh], captured: Int? = nil) throws -> FlowUpdate {
            try table.must((FlowTableTests.tcp(c, 40000, s, 21, flags, seq: seq, payload: length, captured: captured)))
        }
        _ = table.process(FlowTableTests.tcp(c, 40000, s, 21, .syn, seq: 999))
        let first = try send(1000, 10)
        #expect(first.deliveredRange == 54..<64 && !first.isRetransmission && !first.followsGap)
        let duplicate = try send(1000, 10)
        #expect(duplicate.deliveredLength == 0 && duplicate.isRetransmission)
        let overlap = try send(1005, 10)  // 1005..<1015: 5 old, 5 new
        #expect(overlap.deliveredRange == 59..<64)
        let gap = try send(1100, 10)  // 1015..<1100 never seen
        #expect(gap.followsGap && gap.deliveredLength == 10)
        let next = try send(1110, 5)
        #expect(next.deliveredLength == 5 && !next.followsGap)
        let late = try send(1050, 10)  // from inside the gap, arriving after the resync
        #expect(late.isRetransmission && late.deliveredLength == 0)
        // A segment cut by the snapshot length: what was captured is delivered, the rest is a gap.
        let snapped = try send(1115, 100, captured: 40)
        #expect(snapped.deliveredLength == 40 && snapped.followsGap)
        let after = try send(1215, 3)
        #expect(after.deliveredLength == 3 && !after.followsGap)
        // FIN consumes one sequence number; its retransmission delivers nothing.
        _ = try send(1218, 0, flags: [.fin, .ack])
        let finAgain = try send(1218, 0, flags: [.fin, .ack])
        #expect(finAgain.deliveredLength == 0 && !finAgain.followsGap)
        // Sequence wrap-around.
        _ = table.process(FlowTableTests.tcp(c, 40001, s, 21, .syn, seq: 0xFFFF_FFF0))
        let wrapped = try table.must((FlowTableTests.tcp(c, 40001, s, 21, .ack, seq: 0xFFFF_FFF1, payload: 32)))
        let wrappedNext = try table.must((FlowTableTests.tcp(c, 40001, s, 21, .ack, seq: 17, payload: 4)))
        #expect(wrapped.deliveredLength == 32 && wrappedNext.deliveredLength == 4 && !wrappedNext.followsGap)
        #expect(table.statistics.gaps == 2 && table.statistics.retransmissions == 2)
    }

    @Test("lookups stay correct through growth, expiry and eviction of many flows")
    func manyFlows() throws {
        var table = FlowTable(configuration: .init(maxFlows: 3000, timeouts: FlowTimeouts(new: 5, tcpEstablished: 5, established: 5, closed: 5)))
        var generator = SystemRandomNumberGenerator()
        for step in 0..<40_000 {
            let a = UInt32.random(in: 0..<64, using: &generator), port = UInt16.random(in: 1...200, using: &generator)
            // A dense first half (the cap evicts), then a sparse one (timeouts expire).
            let time = step < 20_000 ? Double(step) * 0.0001 : 2 + Double(step - 20_000) * 0.01
            var p = FlowTableTests.udp("10.0.0.1", port, "10.0.0.2", 53, at: time)
            p.source = IPAddress(ipv4: 0x0A00_0000 | a)
            _ = try table.must((p))
        }
        let records = table.records
        #expect(records.count == table.statistics.active && records.count <= 3000)
        for record in records { #expect(table.record(for: record.key)?.id == record.id) }
        #expect(table.statistics.created == table.statistics.active + table.statistics.expired + table.statistics.evicted)
        #expect(table.statistics.expired > 0 && table.statistics.evicted > 0)
    }

    /// The in-order bytes of each TCP connection of a capture, per direction, keyed by the
    /// initiator's and responder's endpoints.
    static func reassemble(_ path: String) throws -> [String: (Data, Data)] {
        var table = FlowTable()
        var decoder = PacketDecoder()
        var streams: [String: (Data, Data)] = [:]
        try CaptureFile(path: path).forEachFrame { frame in
            let packet = decoder.decode(frame)
            guard packet.transport == .tcp, let update = table.process(packet), let record = table.record(update) else { return }
            let key = "\(record.initiator):\(record.initiatorPort) \(record.responder):\(record.responderPort)"
            var entry = streams[key] ?? (Data(), Data())
            if let range = update.deliveredRange {
                let bytes = Data(frame.bytes[range])
                if update.direction == .fromInitiator { entry.0 += bytes } else { entry.1 += bytes }
            }
            streams[key] = entry
        }
        return streams
    }

    /// tshark's `follow,tcp,raw` of every TCP stream, keyed the same way.
    static func follow(_ path: String) throws -> [String: (Data, Data)] {
        let streamIDs = Set(try CaptureLab.tsharkFields(path, ["tcp.stream"]).compactMap { Int($0.first ?? "") })
        var result: [String: (Data, Data)] = [:]
        for id in streamIDs.sorted() {
            let text = try CaptureLab.run(["tshark", "-n", "-r", path, "-q", "-z", "follow,tcp,raw,\(id)"])
            var nodes: [String] = []
            var first = Data(), second = Data()
            for line in text.split(separator: "\n") {
                if line.hasPrefix("Node 0: ") || line.hasPrefix("Node 1: ") {
                    nodes.append(String(line.dropFirst(8)))
                    continue
                }
                let isSecond = line.hasPrefix("\t")
                let hex = line.trimmingCharacters(in: .whitespaces)
                guard !hex.isEmpty, hex.count % 2 == 0, hex.allSatisfy(\.isHexDigit) else { continue }
                var bytes = Data()
                var index = hex.startIndex
                while index < hex.endIndex {
                    let next = hex.index(index, offsetBy: 2)
                    bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
                    index = next
                }
                if isSecond { second += bytes } else { first += bytes }
            }
            guard nodes.count == 2 else { continue }
            result["\(nodes[0]) \(nodes[1])"] = (first, second)
        }
        return result
    }

    @Test("in-order payload matches tshark's TCP stream reassembly on real captures", .needsFixtures("pcaps"),
          arguments: ["ftp_login_ok_bob_password.pcap", "http_basic_auth_test_1234.pcap"])
    func reassemblyMatchesTshark(name: String) throws {
        let path = try CaptureLab.fixture(name)
        let ours = try FlowTableTests.reassemble(path)
        let theirs = try FlowTableTests.follow(path)
        #expect(!theirs.isEmpty)
        for (key, (toServer, toClient)) in theirs where !(toServer.isEmpty && toClient.isEmpty) {
            let mine = try #require(ours[key], "no flow \(key); flows: \(ours.keys.sorted())")
            #expect(mine.0 == toServer, "\(key) client to server: \(mine.0.count) bytes, tshark \(toServer.count)")
            #expect(mine.1 == toClient, "\(key) server to client: \(mine.1.count) bytes, tshark \(toClient.count)")
        }
        if name.hasPrefix("ftp") {
            let control = try #require(ours.first { $0.key.hasSuffix(":21") }?.value)
            #expect(String(decoding: control.0, as: UTF8.self).hasPrefix("USER bob\r\nPASS password\r\n"))
        }
    }

    @Test("the nmap SYN scan: one flow per probed port, SYN-ACKs from the open ports, RSTs from the closed", .needsFixtures("pcaps"))
    func synScanFixture() throws {
        let path = try CaptureLab.fixture("portscan_nmap_syn_top1000.pcapng")
        var table = FlowTable()
        var decoder = PacketDecoder()
        var synAcked = Set<UInt16>(), reset = Set<UInt16>(), probed = Set<UInt16>()
        try CaptureFile(path: path).forEachFrame { frame in
            let packet = decoder.decode(frame)
            guard let update = table.process(packet), let record = table.record(update), record.initiator == IPAddress("172.16.0.8") else { return }
            if update.event == .started && record.responder == IPAddress("64.13.134.52") { probed.insert(record.responderPort) }
            if update.event == .synAcknowledged { synAcked.insert(record.responderPort) }
            if update.event == .reset && update.direction == .toInitiator { reset.insert(record.responderPort) }
        }
        // Ground truth (fixture README): open 22, 53, 80; closed 25, 70, 113, 31337.
        #expect(synAcked == [22, 53, 80])
        #expect(reset.isSuperset(of: [25, 70, 113, 31337]))
        #expect(probed.count == 1000, "README: 1000 distinct ports probed")
    }
}
