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

@Suite("PacketDecoder")
struct DecodeTests {
    /// One tshark field and the decoder's value for it (nil: the decoder did not decode that layer).
    struct Field: Sendable {
        var name: String
        var value: @Sendable (DecodedPacket, LinkType) -> String?
    }

    static func mac(_ address: EthernetAddress) -> String { address.description }

    static let fields: [Field] = [
        Field(name: "eth.src") { p, l in l == .ethernet && p.capturedLength >= 14 ? mac(p.sourceMAC) : nil },
        Field(name: "eth.dst") { p, l in l == .ethernet && p.capturedLength >= 14 ? mac(p.destinationMAC) : nil },
        Field(name: "sll.src.eth") { p, l in (l == .linuxSLL || l == .linuxSLL2) ? mac(p.sourceMAC) : nil },
        Field(name: "vlan.id") { p, _ in p.vlanCount == 0 ? nil : "\(p.vlanCount == 2 ? p.innerVLAN : p.outerVLAN)" },
        Field(name: "ieee8021ad.id") { p, _ in p.vlanCount == 2 ? "\(p.outerVLAN)" : nil },
        Field(name: "arp.opcode") { p, _ in p.network == .arp ? "\(p.arp.operation)" : nil },
        Field(name: "arp.src.hw_mac") { p, _ in p.network == .arp && p.malformed == nil ? mac(p.arp.senderMAC) : nil },
        Field(name: "arp.src.proto_ipv4") { p, _ in p.network == .arp && p.malformed == nil ? "\(p.arp.senderIP)" : nil },
        Field(name: "arp.dst.hw_mac") { p, _ in p.network == .arp && p.malformed == nil ? mac(p.arp.targetMAC) : nil },
        Field(name: "arp.dst.proto_ipv4") { p, _ in p.network == .arp && p.malformed == nil ? "\(p.arp.targetIP)" : nil },
        Field(name: "ip.src") { p, _ in p.network == .ipv4 ? "\(p.source)" : nil },
        Field(name: "ip.dst") { p, _ in p.network == .ipv4 ? "\(p.destination)" : nil },
        Field(name: "ip.proto") { p, _ in p.network == .ipv4 ? "\(p.ipProtocol)" : nil },
        Field(name: "ip.ttl") { p, _ in p.network == .ipv4 ? "\(p.hopLimit)" : nil },
        Field(name: "ip.len") { p, _ in p.network == .ipv4 ? "\(p.ipLength)" : nil },
        Field(name: "ip.id") { p, _ in p.network == .ipv4 ? "\(p.fragmentID)" : nil },
        Field(name: "ip.frag_offset") { p, _ in p.network == .ipv4 ? "\(p.fragmentOffset / 8)" : nil },
        Field(name: "ipv6.src") { p, _ in p.network == .ipv6 ? "\(p.source)" : nil },
        Field(name: "ipv6.dst") { p, _ in p.network == .ipv6 ? "\(p.destination)" : nil },
        Field(name: "ipv6.hlim") { p, _ in p.network == .ipv6 ? "\(p.hopLimit)" : nil },
        Field(name: "ipv6.plen") { p, _ in p.network == .ipv6 ? "\(p.ipLength - 40)" : nil },
        Field(name: "tcp.srcport") { p, _ in p.transport == .tcp ? "\(p.sourcePort)" : nil },
        Field(name: "tcp.dstport") { p, _ in p.transport == .tcp ? "\(p.destinationPort)" : nil },
        Field(name: "tcp.seq_raw") { p, _ in p.transport == .tcp ? "\(p.sequenceNumber)" : nil },
        Field(name: "tcp.ack_raw") { p, _ in p.transport == .tcp ? "\(p.acknowledgmentNumber)" : nil },
        Field(name: "tcp.flags") { p, _ in p.transport == .tcp ? "\(p.tcpFlags.rawValue)" : nil },
        Field(name: "tcp.window_size_value") { p, _ in p.transport == .tcp ? "\(p.window)" : nil },
        Field(name: "tcp.len") { p, _ in p.transport == .tcp ? "\(p.declaredPayloadLength)" : nil },
        Field(name: "udp.srcport") { p, _ in p.transport == .udp ? "\(p.sourcePort)" : nil },
        Field(name: "udp.dstport") { p, _ in p.transport == .udp ? "\(p.destinationPort)" : nil },
        Field(name: "udp.length") { p, _ in p.transport == .udp ? "\(p.declaredPayloadLength + 8)" : nil },
        Field(name: "icmp.type") { p, _ in p.transport == .icmp ? "\(p.icmp.type)" : nil },
        Field(name: "icmp.code") { p, _ in p.transport == .icmp ? "\(p.icmp.code)" : nil },
        Field(name: "icmp.ident") { p, _ in p.transport == .icmp && [0, 8].contains(p.icmp.type) ? "\(p.icmp.identifier)" : nil },
        Field(name: "icmp.seq") { p, _ in p.transport == .icmp && [0, 8].contains(p.icmp.type) ? "\(p.icmp.sequence)" : nil },
        Field(name: "icmpv6.type") { p, _ in p.transport == .icmpv6 ? "\(p.icmp.type)" : nil },
        Field(name: "icmpv6.code") { p, _ in p.transport == .icmpv6 ? "\(p.icmp.code)" : nil },
        Field(name: "icmpv6.echo.identifier") { p, _ in p.transport == .icmpv6 && [128, 129].contains(p.icmp.type) ? "\(p.icmp.identifier)" : nil },
        Field(name: "icmpv6.echo.sequence_number") { p, _ in p.transport == .icmpv6 && [128, 129].contains(p.icmp.type) ? "\(p.icmp.sequence)" : nil },
        Field(name: "icmpv6.nd.ns.target_address") { p, _ in p.transport == .icmpv6 && p.icmp.type == 135 ? "\(p.neighborDiscovery.target)" : nil },
        Field(name: "icmpv6.nd.na.target_address") { p, _ in p.transport == .icmpv6 && p.icmp.type == 136 ? "\(p.neighborDiscovery.target)" : nil },
        Field(name: "icmpv6.opt.linkaddr") { p, _ in p.transport == .icmpv6 ? p.neighborDiscovery.linkLayerAddress.map(mac) : nil },
        Field(name: "icmpv6.nd.ra.router_lifetime") { p, _ in p.transport == .icmpv6 && p.icmp.type == 134 ? "\(p.neighborDiscovery.routerLifetime)" : nil },
        Field(name: "dhcp.type") { p, _ in p.isDHCP ? "\(p.dhcp.operation)" : nil },
        Field(name: "dhcp.id") { p, _ in p.isDHCP ? "\(p.dhcp.transactionID)" : nil },
        Field(name: "dhcp.hw.mac_addr") { p, _ in p.isDHCP ? mac(p.dhcp.clientMAC) : nil },
        Field(name: "dhcp.ip.client") { p, _ in p.isDHCP ? "\(p.dhcp.clientIP)" : nil },
        Field(name: "dhcp.ip.your") { p, _ in p.isDHCP ? "\(p.dhcp.yourIP)" : nil },
        Field(name: "dhcp.option.dhcp") { p, _ in p.isDHCP && p.dhcp.messageType != 0 ? "\(p.dhcp.messageType)" : nil },
        Field(name: "dhcp.option.dhcp_server_id") { p, _ in p.isDHCP ? p.dhcp.serverID.map { "\($0)" } : nil },
    ]

    /// Equal as numbers when both read as integers (decimal or 0x hex), else as lower-case text.
    static func same(_ a: String, _ b: String) -> Bool {
        func number(_ s: String) -> UInt64? { s.hasPrefix("0x") ? UInt64(s.dropFirst(2), radix: 16) : UInt64(s) }
        if let x = number(a), let y = number(b) { return x == y }
        return a.lowercased() == b.lowercased()
    }

    /// Decodes every frame of `path` and compares each field with tshark's (the first occurrence:
    /// tshark also decodes the headers quoted inside ICMP errors, the decoder does not).
    static func expectMatchesTshark(_ path: String) throws -> PacketDecoder {
        let reader = try CaptureFile(path: path)
        var decoder = PacketDecoder()
        var packets: [(DecodedPacket, LinkType)] = []
        try reader.forEachFrame { frame in packets.append((decoder.decode(frame), frame.linkType)) }
        let rows = try CaptureLab.tsharkFields(path, fields.map(\.name))
        let icmpColumn = fields.firstIndex { $0.name == "icmp.type" } ?? 0
        let icmpv6Column = fields.firstIndex { $0.name == "icmpv6.type" } ?? 0
        #expect(rows.count == packets.count, "\(path): tshark reads \(rows.count) frames, the reader \(packets.count)")
        var compared = 0
        for (index, (row, (packet, linkType))) in zip(rows, packets).enumerated() {
            guard row.count == fields.count else {
                Issue.record("\(path) frame \(index + 1): tshark gave \(row.count) columns for \(fields.count) fields")
                continue
            }
            let icmpType = Int(row[icmpColumn].split(separator: ",").first ?? "") ?? -1
            let icmpv6Type = Int(row[icmpv6Column].split(separator: ",").first ?? "") ?? -1
            let quotesHeaders = [3, 4, 5, 11, 12].contains(icmpType) || [1, 2, 3, 4].contains(icmpv6Type)
            for (field, text) in zip(fields, row) {
                let theirs = text.split(separator: ",").first.map(String.init)
                let ours = field.value(packet, linkType)
                switch (ours, theirs) {
                case (nil, nil): continue
                case let (ours?, theirs?):
                    compared += 1
                    #expect(same(ours, theirs), "\(path) frame \(index + 1) \(field.name): decoder \(ours), tshark \(theirs)")
                case let (ours?, nil):
                    Issue.record("\(path) frame \(index + 1) \(field.name): decoder \(ours), tshark has none")
                case let (nil, theirs?):
                    if quotesHeaders && (field.name.hasPrefix("tcp.") || field.name.hasPrefix("udp.")) { continue }
                    if packet.malformed != nil { continue }
                    Issue.record("\(path) frame \(index + 1) \(field.name): tshark \(theirs), the decoder has none")
                }
            }
        }
        #expect(compared > packets.count, "too few fields compared in \(path)")
        return decoder
    }

    @Test("generated captures decode as tshark decodes them",
          arguments: ["mix.pcap", "sll.pcap", "sll2.pcap", "raw101.pcap", "raw228.pcap", "raw229.pcap", "raw12.pcap"])
    func generatedCaptures(name: String) throws {
        let decoder = try DecodeTests.expectMatchesTshark(try CaptureLab.generatedCapture(name))
        #expect(decoder.statistics.malformed == 0, "\(decoder.statistics.malformedByReason)")
        if name == "mix.pcap" {
            let s = decoder.statistics
            #expect(s.packets == 27 && s.arp == 2 && s.dhcp == 2 && s.icmpv6 == 6 && s.fragments == 5)
        }
    }

    @Test("fixture captures decode as tshark decodes them", .needsFixtures("pcaps"), arguments: CaptureLab.fixtureNames)
    func fixtures(name: String) throws {
        let decoder = try DecodeTests.expectMatchesTshark(try CaptureLab.fixture(name))
        let s = decoder.statistics
        if name == "arp_malformed_hln255.pcap" {
            // README ground truth: 6 ARP packets with bogus lengths, each reported malformed.
            #expect(s.packets == 6 && s.arp == 6)
            #expect(s.malformed == 6 && s.malformed(.arpUnsupportedAddresses) == 6)
        } else {
            #expect(s.malformed == 0, "\(name): \(s.malformedByReason)")
        }
    }

    @Test("the mix's details: QinQ, IPv6 extension chain, fragments, ND options, DHCP")
    func mixDetails() throws {
        let frames = try CaptureLab.readAll(try CaptureFile(path: try CaptureLab.generatedCapture("mix.pcap")))
        let packets = frames.map { CaptureLab.decode($0.bytes, $0.frame.linkType) }
        #expect(packets[9].vlanCount == 2 && packets[9].outerVLAN == 100 && packets[9].innerVLAN == 20)
        #expect(packets[11].extensionHeaderCount == 3 && packets[11].transport == .udp && packets[11].payloadLength == 3)
        #expect(packets[12].isFragment && packets[12].fragmentOffset == 0 && packets[12].transport == .icmpv6 && packets[12].fragmentID == 0xDEAD_BEEF)
        #expect(packets[13].isLaterFragment && packets[13].transport == .none && packets[13].fragmentOffset == 48)
        #expect(packets[14].isFragment && packets[14].transport == .icmp && packets[15].transport == .none && packets[16].transport == .none)
        #expect(packets[19].neighborDiscovery.routerLifetime == 1800 && packets[19].neighborDiscovery.flags & 0x80 != 0)
        #expect(packets[21].dhcp.messageType == 1 && packets[22].dhcp.messageType == 2 && packets[22].dhcp.serverID == IPAddress("10.0.0.254"))
        let payload = Array(frames[4].bytes[packets[4].payloadRange])
        #expect(String(decoding: payload, as: UTF8.self) == "GET / HTTP/1.0\r\n\r\n")
        #expect(packets[26].network == .none && packets[26].malformed == nil)
    }

    static let malformedCases: [(String, [UInt8], LinkType, MalformedReason)] = {
        let tcp = Frames.tcp()
        var cases: [(String, [UInt8], LinkType, MalformedReason)] = [
            ("short ethernet", [1, 2, 3], .ethernet, .ethernetTruncated),
            ("three VLAN tags", Frames.ethernet(0x8100, [0, 1, 0x81, 0x00, 0, 2, 0x81, 0x00, 0, 3, 0x08, 0x00] + Frames.ipv4(proto: 6, tcp)), .ethernet, .tooManyVLANTags),
            ("cut VLAN tag", Frames.ethernet(0x8100, [0, 1]), .ethernet, .vlanTruncated),
            ("ARP hln 255", Frames.ethernet(0x0806, [0, 1, 8, 0, 255, 4, 0, 1] + [UInt8](repeating: 0, count: 20)), .ethernet, .arpUnsupportedAddresses),
            ("ARP cut", Frames.ethernet(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, 1, 2]), .ethernet, .arpTruncated),
            ("IPv4 IHL 4", Frames.ethernet(0x0800, Frames.ipv4(proto: 6, tcp, headerWords: 4)), .ethernet, .ipv4BadHeader),
            ("IPv4 total length past the frame", Frames.ethernet(0x0800, Frames.ipv4(proto: 6, tcp, totalLength: 1500)), .ethernet, .ipv4BadTotalLength),
            ("IPv4 total length under the header", Frames.ethernet(0x0800, Frames.ipv4(proto: 6, tcp, totalLength: 12)), .ethernet, .ipv4BadTotalLength),
            ("IPv4 cut", Frames.ethernet(0x0800, [0x45, 0, 0, 40]), .ethernet, .ipv4Truncated),
            ("IPv4 options past the frame", Frames.ethernet(0x0800, Array(Frames.ipv4(proto: 6, [], headerWords: 15).prefix(20))), .ethernet, .ipv4BadTotalLength),
            ("TCP data offset 4", Frames.ethernet(0x0800, Frames.ipv4(proto: 6, Frames.tcp(dataOffsetWords: 4))), .ethernet, .tcpBadDataOffset),
            ("TCP data offset past the packet", Frames.ethernet(0x0800, Frames.ipv4(proto: 6, Frames.tcp(dataOffsetWords: 15))), .ethernet, .tcpBadDataOffset),
            ("TCP cut", Frames.ethernet(0x0800, Frames.ipv4(proto: 6, Array(tcp.prefix(10)))), .ethernet, .tcpTruncated),
            ("UDP length 3", Frames.ethernet(0x0800, Frames.ipv4(proto: 17, [0, 1, 0, 2, 0, 3, 0, 0])), .ethernet, .udpBadLength),
            ("UDP length past the packet", Frames.ethernet(0x0800, Frames.ipv4(proto: 17, [0, 1, 0, 2, 0, 200, 0, 0])), .ethernet, .udpBadLength),
            ("ICMP cut", Frames.ethernet(0x0800, Frames.ipv4(proto: 1, [8, 0, 0])), .ethernet, .icmpTruncated),
            ("raw IP version 5", [0x50] + [UInt8](repeating: 0, count: 30), .raw, .rawIPBadVersion),
            ("an unknown link type", [1, 2, 3, 4], LinkType(rawValue: 147), .unsupportedLinkType),
            ("cooked v2 cut", [UInt8](repeating: 0, count: 10), .linuxSLL2, .cookedHeaderTruncated),
        ]
        func ipv6(_ next: UInt8, _ payload: [UInt8], payloadLength: Int? = nil) -> [UInt8] {
            let length = payloadLength ?? payload.count
            return [0x60, 0, 0, 0, UInt8(length >> 8), UInt8(length & 0xFF), next, 64] + [UInt8](repeating: 0x20, count: 32) + payload
        }
        let destinationOptions: [UInt8] = [60, 0, 1, 4, 0, 0, 0, 0]
        cases.append(("nine IPv6 extension headers", Frames.ethernet(0x86DD, ipv6(60, Array([[UInt8]](repeating: destinationOptions, count: 9).joined()) + [6, 0, 0, 0, 0, 0, 0, 0])), .ethernet, .ipv6ExtensionChainTooLong))
        cases.append(("IPv6 extension past the packet", Frames.ethernet(0x86DD, ipv6(0, [6, 4, 0, 0, 0, 0, 0, 0])), .ethernet, .ipv6ExtensionTruncated))
        cases.append(("IPv6 payload length past the frame", Frames.ethernet(0x86DD, ipv6(6, tcp, payloadLength: 400)), .ethernet, .ipv6BadPayloadLength))
        cases.append(("IPv6 version 4 in an IPv6 EtherType", Frames.ethernet(0x86DD, [0x40] + Array(ipv6(6, tcp).dropFirst())), .ethernet, .ipv6BadHeader))
        let ns: [UInt8] = [135, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0x20, count: 16)
        cases.append(("ND option of length 0", Frames.ethernet(0x86DD, ipv6(58, ns + [1, 0, 1, 2, 3, 4, 5, 6])), .ethernet, .ndBadOption))
        cases.append(("ND option past the message", Frames.ethernet(0x86DD, ipv6(58, ns + [1, 2, 1, 2, 3, 4, 5, 6])), .ethernet, .ndBadOption))
        cases.append(("NS cut", Frames.ethernet(0x86DD, ipv6(58, Array(ns.prefix(12)))), .ethernet, .icmpv6Truncated))
        var bootp = [UInt8](repeating: 0, count: 236) + [0x63, 0x82, 0x53, 0x63, 53, 1, 1, 54, 9, 1]
        bootp[0] = 1
        let udpLength = 8 + bootp.count
        let dhcp = [0, 68, 0, 67, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0] + bootp
        cases.append(("DHCP option past the message", Frames.ethernet(0x0800, Frames.ipv4(proto: 17, dhcp)), .ethernet, .dhcpBadOptions))
        let shortBOOTP: [UInt8] = [0, 68, 0, 67, 0, 20, 0, 0] + [UInt8](repeating: 1, count: 12)
        cases.append(("DHCP under 236 bytes", Frames.ethernet(0x0800, Frames.ipv4(proto: 17, shortBOOTP)), .ethernet, .dhcpTruncated))
        return cases
    }()

    @Test("malformed packets are reported with their reason and counted", arguments: 0..<DecodeTests.malformedCases.count)
    func malformed(index: Int) throws {
        let (name, bytes, linkType, reason) = DecodeTests.malformedCases[index]
        var decoder = PacketDecoder()
        let packet = bytes.withUnsafeBytes { decoder.decode(CapturedFrame(timestamp: Timestamp(nanoseconds: 0), linkType: linkType, originalLength: bytes.count, bytes: $0)) }
        #expect(packet.malformed == reason, "\(name): \(packet.malformed.map(\.description) ?? "not malformed")")
        #expect(decoder.statistics.malformed == 1 && decoder.statistics.malformed(reason) == 1)
        #expect(packet.payloadOffset + packet.payloadLength <= bytes.count)
    }

    @Test("a frame the snapshot length cut is decoded as far as it goes, not malformed")
    func snappedIsNotMalformed() {
        let frame = Frames.ethernet(0x0800, Frames.ipv4(proto: 6, Frames.tcp(payload: [UInt8](repeating: 1, count: 100))))
        for cut in 0..<frame.count {
            let packet = CaptureLab.decode(Array(frame.prefix(cut)), .ethernet, originalLength: frame.count)
            #expect(packet.malformed == nil, "cut at \(cut): \(packet.malformed.map(\.description) ?? "")")
            #expect(packet.payloadOffset + packet.payloadLength <= cut)
        }
        // The same cuts without a larger original length are malformed (or too short to say).
        for cut in [10, 20, 40, 60] {
            #expect(CaptureLab.decode(Array(frame.prefix(cut)), .ethernet).malformed != nil, "cut at \(cut)")
        }
    }

    @Test("random and mutated frames never trap, and every range stays inside the frame",
          arguments: [LinkType.ethernet, .linuxSLL, .linuxSLL2, .raw, .ipv4, .ipv6])
    func randomFrames(linkType: LinkType) throws {
        var generator = SystemRandomNumberGenerator()
        let seeds = try CaptureLab.readAll(try CaptureFile(path: try CaptureLab.generatedCapture("mix.pcap"))).map(\.bytes)
        var decoder = PacketDecoder()
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0, let seed = seeds.randomElement(using: &generator) {
                bytes = seed
                for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
            } else {
                bytes = (0..<Int.random(in: 0..<400, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            let original = Bool.random(using: &generator) ? bytes.count : bytes.count + Int.random(in: 0...2000, using: &generator)
            let packet = bytes.withUnsafeBytes {
                decoder.decode(CapturedFrame(timestamp: Timestamp(nanoseconds: 0), linkType: linkType, originalLength: original, bytes: $0))
            }
            #expect(packet.payloadOffset >= 0 && packet.payloadLength >= 0 && packet.payloadOffset + packet.payloadLength <= bytes.count)
            #expect(packet.declaredPayloadLength >= packet.payloadLength)
            #expect(packet.networkOffset <= bytes.count && packet.transportOffset <= bytes.count && packet.neighborDiscovery.optionsOffset <= bytes.count)
        }
        #expect(decoder.statistics.packets == 20_000)
    }

    @Test("EthernetAddress prints and parses colon hex")
    func ethernetAddressText() {
        #expect(EthernetAddress("52:54:00:AB:cd:0f")?.description == "52:54:00:ab:cd:0f")
        #expect(EthernetAddress("52:54:00:ab:cd") == nil && EthernetAddress("52:54:00:ab:cd:zz") == nil)
        #expect(EthernetAddress.broadcast.isBroadcast && EthernetAddress("33:33:00:00:00:01")?.isMulticast == true)
    }
}
