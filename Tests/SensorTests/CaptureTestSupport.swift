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
import HyperwardHost
import Testing

@testable import Sensor

/// Shared helpers of the capture, decode and flow tests: the real captures, external tools as
/// oracles, captures generated with scapy, and hand-built pcap/pcapng bytes.
enum CaptureLab {
    /// The package root (two levels above this file's folder).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The real captures of the corpus folder `pcaps`, each with its ground truth in its README.
    static let fixtureNames = [
        "portscan_nmap_syn_top1000.pcapng", "sweep_nmap_arp_hostdiscovery.pcap", "synflood_single_source_200.pcap",
        "ftp_login_ok_bob_password.pcap", "http_basic_auth_test_1234.pcap", "benign_arp_ping.pcap",
        "benign_ipv6_nd_ping.pcapng", "arp_malformed_hln255.pcap",
    ]

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The path of a real capture; records an issue and throws when the corpus lacks it (a test
    /// that reads it carries `.needsFixtures("pcaps")`, so it is skipped without the corpus).
    static func fixture(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try Fixtures.file(name, in: "pcaps", sourceLocation: sourceLocation).path
    }

    /// Runs a program and returns its standard output; throws when it exits non-zero.
    @discardableResult
    static func run(_ arguments: [String], allowFailure: Bool = false) throws -> String {
        let result = HostCommand.run(arguments, outputLimit: .max)
        if result.status != 0 && !allowFailure {
            throw Failure(description: "\(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr.suffix(2000))")
        }
        return result.stdout
    }

    /// Whether a program is on the PATH.
    static func has(_ tool: String) -> Bool {
        (try? run(["sh", "-c", "command -v \(tool)"])) != nil
    }

    /// tshark's fields for every frame (IP reassembly off, so each fragment shows its own
    /// headers), one array per frame. Throws when tshark is missing: it is the oracle.
    static func tsharkFields(_ path: String, _ fields: [String]) throws -> [[String]] {
        guard has("tshark") else { throw Failure(description: "tshark is not installed (apt-get install -y tshark): it is the decoders' oracle") }
        var arguments = ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
                         "-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]
        for field in fields { arguments += ["-e", field] }
        let output = try run(arguments)
        return output.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// A fresh scratch directory.
    static func scratchDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hw-capture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Captures built by scapy once per test process: `mix.pcap` (Ethernet: ARP, TCP with options,
    /// UDP, ICMP, VLAN and QinQ, IPv6 with extension headers and fragments, IPv4 fragments, ND
    /// NS/NA/RA/RS, DHCP discover/offer, IPv4 options, GRE, 802.3), the same as Linux cooked v1
    /// (`sll.pcap`) and v2 (`sll2.pcap`), and raw IP (`raw101.pcap`, `raw228.pcap`,
    /// `raw229.pcap`, `raw12.pcap`).
    static let generated: Result<URL, Failure> = {
        do {
            let directory = try scratchDirectory()
            let script = directory.appendingPathComponent("gen.py")
            try generatorScript.write(to: script, atomically: true, encoding: .utf8)
            try run(["/usr/bin/python3", script.path, directory.path])
            return .success(directory)
        } catch let error as Failure {
            return .failure(error)
        } catch {
            return .failure(Failure(description: "cannot generate captures with scapy: \(error)"))
        }
    }()

    /// The path of a generated capture.
    static func generatedCapture(_ name: String) throws -> String {
        try generated.get().appendingPathComponent(name).path
    }

    /// Reads every frame of a capture file, copying the bytes.
    static func readAll(_ reader: CaptureFile) throws(CaptureError) -> [(frame: CapturedFrame, bytes: [UInt8])] {
        var frames: [(CapturedFrame, [UInt8])] = []
        try reader.forEachFrame { frame in frames.append((frame, Array(frame.bytes))) }
        return frames
    }

    /// Decodes a copied frame.
    static func decode(_ bytes: [UInt8], _ linkType: LinkType, originalLength: Int? = nil) -> DecodedPacket {
        bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: linkType, originalLength: originalLength) }
    }

    static let generatorScript = #"""
    import sys, logging
    logging.getLogger("scapy").setLevel(logging.ERROR)
    from scapy.all import *
    from scapy.layers.l2 import CookedLinux, CookedLinuxV2, Dot1AD
    from scapy.layers.dhcp import DHCP, BOOTP
    from scapy.layers.inet6 import *
    out = sys.argv[1]
    A, B = "52:54:00:12:34:56", "52:54:00:ab:cd:ef"
    pl = []
    pl.append(Ether(src=A, dst="ff:ff:ff:ff:ff:ff")/ARP(op=1, hwsrc=A, psrc="10.0.0.1", pdst="10.0.0.2"))
    pl.append(Ether(src=B, dst=A)/ARP(op=2, hwsrc=B, psrc="10.0.0.2", hwdst=A, pdst="10.0.0.1"))
    pl.append(Ether(src=A, dst=B)/IP(src="10.0.0.1", dst="10.0.0.2", ttl=64)/TCP(sport=40000, dport=80, flags="S", seq=1000, window=64240, options=[("MSS",1460),("SAckOK",b""),("Timestamp",(1,0)),("NOP",None),("WScale",7)]))
    pl.append(Ether(src=B, dst=A)/IP(src="10.0.0.2", dst="10.0.0.1")/TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001, window=65160))
    pl.append(Ether(src=A, dst=B)/IP(src="10.0.0.1", dst="10.0.0.2")/TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001)/Raw(b"GET / HTTP/1.0\r\n\r\n"))
    pl.append(Ether(src=A, dst=B)/IP(src="10.0.0.1", dst="10.0.0.53")/UDP(sport=5353, dport=53)/Raw(b"\x12\x34"+b"\x00"*10))
    pl.append(Ether(src=A, dst=B)/IP(src="10.0.0.1", dst="10.0.0.2")/ICMP(type=8, id=0x1234, seq=7)/Raw(b"ping"*8))
    pl.append(Ether(src=B, dst=A)/IP(src="10.0.0.2", dst="10.0.0.1")/ICMP(type=0, id=0x1234, seq=7)/Raw(b"ping"*8))
    pl.append(Ether(src=A, dst=B)/Dot1Q(vlan=10)/IP(src="10.1.0.1", dst="10.1.0.2")/TCP(sport=1234, dport=22, flags="S", seq=42))
    pl.append(Ether(src=A, dst=B)/Dot1AD(vlan=100)/Dot1Q(vlan=20)/IP(src="10.2.0.1", dst="10.2.0.2")/UDP(sport=1000, dport=2000)/Raw(b"x"*5))
    pl.append(Ether(src=A, dst=B)/IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=60)/TCP(sport=50000, dport=443, flags="S", seq=77))
    pl.append(Ether(src=A, dst=B)/IPv6(src="2001:db8::1", dst="2001:db8::2")/IPv6ExtHdrHopByHop()/IPv6ExtHdrRouting(addresses=["2001:db8::99"])/IPv6ExtHdrDestOpt()/UDP(sport=7, dport=9)/Raw(b"abc"))
    pl.append(Ether(src=A, dst=B)/IPv6(src="2001:db8::1", dst="2001:db8::2")/IPv6ExtHdrFragment(offset=0, m=1, id=0xdeadbeef)/ICMPv6EchoRequest(id=5, seq=6, data=b"q"*40))
    pl.append(Ether(src=A, dst=B)/IPv6(src="2001:db8::1", dst="2001:db8::2")/IPv6ExtHdrFragment(offset=6, m=0, id=0xdeadbeef, nh=58)/Raw(b"r"*16))
    for f in fragment(IP(src="10.0.0.1", dst="10.0.0.2", id=777)/ICMP(type=8, id=9, seq=1)/Raw(b"z"*100), fragsize=48):
        pl.append(Ether(src=A, dst=B)/f)
    pl.append(Ether(src=A, dst="33:33:ff:00:00:02")/IPv6(src="fe80::1", dst="ff02::1:ff00:2", hlim=255)/ICMPv6ND_NS(tgt="2001:db8::2")/ICMPv6NDOptSrcLLAddr(lladdr=A))
    pl.append(Ether(src=B, dst=A)/IPv6(src="2001:db8::2", dst="fe80::1", hlim=255)/ICMPv6ND_NA(tgt="2001:db8::2", R=0, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr=B))
    pl.append(Ether(src=B, dst="33:33:00:00:00:01")/IPv6(src="fe80::2", dst="ff02::1", hlim=255)/ICMPv6ND_RA(routerlifetime=1800, M=1)/ICMPv6NDOptSrcLLAddr(lladdr=B)/ICMPv6NDOptPrefixInfo(prefix="2001:db8::", prefixlen=64))
    pl.append(Ether(src=A, dst="33:33:00:00:00:02")/IPv6(src="fe80::1", dst="ff02::2", hlim=255)/ICMPv6ND_RS()/ICMPv6NDOptSrcLLAddr(lladdr=A))
    pl.append(Ether(src=A, dst="ff:ff:ff:ff:ff:ff")/IP(src="0.0.0.0", dst="255.255.255.255")/UDP(sport=68, dport=67)/BOOTP(op=1, xid=0x11223344, chaddr=bytes.fromhex("525400123456"))/DHCP(options=[("message-type","discover"),"end"]))
    pl.append(Ether(src=B, dst=A)/IP(src="10.0.0.254", dst="10.0.0.50")/UDP(sport=67, dport=68)/BOOTP(op=2, xid=0x11223344, yiaddr="10.0.0.50", chaddr=bytes.fromhex("525400123456"))/DHCP(options=[("message-type","offer"),("server_id","10.0.0.254"),("lease_time",3600),"end"]))
    pl.append(Ether(src=A, dst=B)/IP(src="10.0.0.1", dst="10.0.0.2", options=[IPOption_RR(routers=["1.2.3.4"])])/TCP(sport=2222, dport=3333, flags="A", seq=1, ack=2)/Raw(b"data"))
    pl.append(Ether(src=B, dst=A)/IPv6(src="2001:db8::2", dst="2001:db8::1")/ICMPv6EchoReply(id=5, seq=6))
    pl.append(Ether(src=A, dst=B)/IP(src="10.0.0.1", dst="10.0.0.2", proto=47)/Raw(b"\x00\x00\x08\x00"))
    pl.append(Dot3(src=A, dst="01:80:c2:00:00:00")/LLC()/STP())
    for i, p in enumerate(pl):
        p.time = 1700000000 + i * 0.25
    wrpcap(out + "/mix.pcap", pl)
    ethernet = [p for p in pl if Ether in p and p[Ether].type in (0x0800, 0x86dd, 0x0806)]
    cooked = [CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=bytes.fromhex("525400123456")+b"\x00\x00", proto=p.type)/p.payload for p in ethernet]
    for i, p in enumerate(cooked): p.time = 1700000100 + i
    wrpcap(out + "/sll.pcap", cooked, linktype=113)
    cooked2 = [CookedLinuxV2(proto=p.type, ifindex=3, pkttype=0, lladdrtype=1, lladdrlen=6, src=bytes.fromhex("525400abcdef")+b"\x00\x00")/p.payload for p in ethernet]
    for i, p in enumerate(cooked2): p.time = 1700000200 + i
    wrpcap(out + "/sll2.pcap", cooked2, linktype=276)
    ips = [p[IP] for p in ethernet if p[Ether].type == 0x0800]
    ip6s = [p[IPv6] for p in ethernet if p[Ether].type == 0x86dd]
    for i, p in enumerate(ips + ip6s): p.time = 1700000300 + i
    wrpcap(out + "/raw101.pcap", ips + ip6s, linktype=101)
    wrpcap(out + "/raw228.pcap", ips, linktype=228)
    wrpcap(out + "/raw229.pcap", ip6s, linktype=229)
    wrpcap(out + "/raw12.pcap", ips, linktype=12)
    """#
}

/// Builds classic pcap bytes by hand, in either byte order and resolution.
struct PCAPBuilder {
    var bigEndian: Bool
    var nanoseconds: Bool
    var bytes: [UInt8] = []

    init(bigEndian: Bool = false, nanoseconds: Bool = false, linkType: UInt32 = 1, snapLength: UInt32 = 65535, major: UInt16 = 2) {
        self.bigEndian = bigEndian
        self.nanoseconds = nanoseconds
        put32(nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        put16(major)
        put16(4)
        put32(0)
        put32(0)
        put32(snapLength)
        put32(linkType)
    }

    mutating func put16(_ v: UInt16) {
        let value = bigEndian ? v.bigEndian : v.littleEndian
        withUnsafeBytes(of: value) { bytes += $0 }
    }

    mutating func put32(_ v: UInt32) {
        let value = bigEndian ? v.bigEndian : v.littleEndian
        withUnsafeBytes(of: value) { bytes += $0 }
    }

    mutating func add(seconds: UInt32, fraction: UInt32, frame: [UInt8], originalLength: Int? = nil, capturedLength: UInt32? = nil) {
        put32(seconds)
        put32(fraction)
        put32(capturedLength ?? UInt32(frame.count))
        put32(UInt32(originalLength ?? frame.count))
        bytes += frame
    }
}

/// Builds pcapng bytes by hand: sections, interfaces with options, and packet blocks.
struct PCAPNGBuilder {
    var bigEndian: Bool
    var bytes: [UInt8] = []

    init(bigEndian: Bool = false) { self.bigEndian = bigEndian }

    func encode16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian) { Array($0) } }
    func encode32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian) { Array($0) } }
    func padded(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (4 - b.count % 4) % 4) }

    mutating func block(_ type: UInt32, _ body: [UInt8], trailingLength: UInt32? = nil) {
        let length = UInt32(12 + body.count)
        bytes += encode32(type) + encode32(length) + body + encode32(trailingLength ?? length)
    }

    mutating func section() {
        block(0x0A0D_0D0A, encode32(0x1A2B_3C4D) + encode16(1) + encode16(0) + [UInt8](repeating: 0xFF, count: 8))
    }

    mutating func interface(linkType: UInt16, snapLength: UInt32 = 0, resolution: UInt8? = nil, offsetSeconds: Int64? = nil) {
        var body = encode16(linkType) + encode16(0) + encode32(snapLength)
        body += encode16(2) + encode16(4) + Array("eth0".utf8)  // if_name
        if let resolution { body += encode16(9) + encode16(1) + padded([resolution]) }
        if let offsetSeconds {
            let v = UInt64(bitPattern: offsetSeconds)
            body += encode16(14) + encode16(8) + withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian) { Array($0) }
        }
        body += encode16(0) + encode16(0)
        block(1, body)
    }

    mutating func enhanced(interface: UInt32, ticks: UInt64, frame: [UInt8], originalLength: Int? = nil) {
        var body = encode32(interface) + encode32(UInt32(ticks >> 32)) + encode32(UInt32(ticks & 0xFFFF_FFFF))
        body += encode32(UInt32(frame.count)) + encode32(UInt32(originalLength ?? frame.count)) + padded(frame)
        block(6, body)
    }

    mutating func simple(frame: [UInt8], originalLength: Int? = nil) {
        block(3, encode32(UInt32(originalLength ?? frame.count)) + padded(frame))
    }
}

/// Hand-made frames for malformed-input tests.
enum Frames {
    static let a: [UInt8] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]
    static let b: [UInt8] = [0x52, 0x54, 0x00, 0xAB, 0xCD, 0xEF]

    static func ethernet(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        b + a + [UInt8(type >> 8), UInt8(type & 0xFF)] + payload
    }

    static func ipv4(proto: UInt8, _ payload: [UInt8], totalLength: Int? = nil, headerWords: UInt8 = 5, fragment: UInt16 = 0,
                     source: [UInt8] = [10, 0, 0, 1], destination: [UInt8] = [10, 0, 0, 2]) -> [UInt8] {
        let length = totalLength ?? (20 + payload.count)
        var header: [UInt8] = [0x40 | headerWords, 0, UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), 0, 1,
                               UInt8(fragment >> 8), UInt8(fragment & 0xFF), 64, proto, 0, 0]
        header += source + destination
        return header + payload
    }

    static func tcp(sport: UInt16 = 40000, dport: UInt16 = 80, seq: UInt32 = 0, ack: UInt32 = 0, flags: UInt8 = 0x02,
                    dataOffsetWords: UInt8 = 5, payload: [UInt8] = []) -> [UInt8] {
        var header: [UInt8] = [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF)]
        header += withUnsafeBytes(of: seq.bigEndian) { Array($0) }
        header += withUnsafeBytes(of: ack.bigEndian) { Array($0) }
        header += [dataOffsetWords << 4, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        return header + payload
    }
}
