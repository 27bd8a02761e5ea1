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

@Suite("CaptureFile")
struct CaptureFileTests {
    /// Frame lengths and times as tshark reads them, one tuple per frame.
    static func oracle(_ path: String) throws -> [(length: Int, captured: Int, time: Int64, interface: Int, encapsulation: Int)] {
        try CaptureLab.tsharkFields(path, ["frame.len", "frame.cap_len", "frame.time_epoch", "frame.interface_id", "frame.encap_type"]).map { f in
            (Int(f[0]) ?? -1, Int(f[1]) ?? -1, nanoseconds(f[2]), Int(f[3]) ?? 0, Int(f[4]) ?? -1)
        }
    }

    /// `1700000000.250000000` as nanoseconds, exactly.
    static func nanoseconds(_ text: String) -> Int64 {
        let parts = text.split(separator: ".")
        let seconds = Int64(parts.first ?? "") ?? 0
        var fraction = parts.count > 1 ? String(parts[1]) : "0"
        fraction = String((fraction + "000000000").prefix(9))
        return seconds * 1_000_000_000 + (Int64(fraction) ?? 0)
    }

    /// Wireshark's encapsulation numbers for the link types used here.
    static func encapsulation(_ linkType: LinkType) -> Int {
        switch linkType {
        case .ethernet: 1
        case .raw, .rawBSD12, .rawBSD14: 7
        case .ipv4: 129
        case .ipv6: 130
        case .linuxSLL: 25
        case .linuxSLL2: 210
        default: -1
        }
    }

    static func expectMatchesOracle(_ path: String, _ frames: [(frame: CapturedFrame, bytes: [UInt8])]) throws {
        let expected = try oracle(path)
        #expect(frames.count == expected.count, "\(path): \(frames.count) frames, tshark reads \(expected.count)")
        #expect(!expected.isEmpty)
        for (index, (frame, _)) in zip(frames, expected).map({ ($0.0, $0.1) }).enumerated() {
            let oracle = expected[index]
            #expect(frame.frame.originalLength == oracle.length, "\(path) frame \(index + 1) length")
            #expect(frame.bytes.count == oracle.captured, "\(path) frame \(index + 1) captured length")
            #expect(frame.frame.timestamp.nanoseconds == oracle.time, "\(path) frame \(index + 1) time")
            #expect(frame.frame.interfaceIndex == oracle.interface, "\(path) frame \(index + 1) interface")
            #expect(encapsulation(frame.frame.linkType) == oracle.encapsulation, "\(path) frame \(index + 1) link type \(frame.frame.linkType)")
        }
    }

    @Test("every fixture capture reads fully, as tshark reads it", .needsFixtures("pcaps"), arguments: CaptureLab.fixtureNames)
    func fixtureReadsFully(name: String) throws {
        let path = try CaptureLab.fixture(name)
        let reader = try CaptureFile(path: path)
        let frames = try CaptureLab.readAll(reader)
        #expect(reader.format == (name.hasSuffix(".pcapng") ? .pcapng : .pcap))
        try CaptureFileTests.expectMatchesOracle(path, frames)
        // The same bytes read from memory give the same frames.
        let memory = try CaptureFile(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let again = try CaptureLab.readAll(memory)
        #expect(again.map(\.bytes) == frames.map(\.bytes))
    }

    @Test("generated captures (cooked v1/v2, raw IP 101/228/229/12) read as tshark reads them",
          arguments: ["mix.pcap", "sll.pcap", "sll2.pcap", "raw101.pcap", "raw228.pcap", "raw229.pcap", "raw12.pcap"])
    func generatedCapturesRead(name: String) throws {
        let path = try CaptureLab.generatedCapture(name)
        let reader = try CaptureFile(path: path)
        try CaptureFileTests.expectMatchesOracle(path, try CaptureLab.readAll(reader))
    }

    @Test("pcap in both byte orders, micro- and nanosecond magic", arguments: [(false, false), (true, false), (false, true), (true, true)])
    func byteOrdersAndResolutions(bigEndian: Bool, nanoseconds: Bool) throws {
        let mix = try CaptureLab.readAll(try CaptureFile(path: try CaptureLab.generatedCapture("mix.pcap")))
        var builder = PCAPBuilder(bigEndian: bigEndian, nanoseconds: nanoseconds)
        for (index, (_, bytes)) in mix.enumerated() {
            let fraction = UInt32(nanoseconds ? 123_456_789 &+ index : 654_321 &+ index)
            builder.add(seconds: 1_700_000_000 + UInt32(index), fraction: fraction, frame: bytes)
        }
        let directory = try CaptureLab.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("order.pcap").path
        try Data(builder.bytes).write(to: URL(fileURLWithPath: path))
        let frames = try CaptureLab.readAll(try CaptureFile(path: path))
        try CaptureFileTests.expectMatchesOracle(path, frames)
        #expect(frames.map(\.bytes) == mix.map(\.bytes))
        let first = try #require(frames.first)
        #expect(first.frame.timestamp.nanoseconds == 1_700_000_000 * 1_000_000_000 + (nanoseconds ? 123_456_789 : 654_321_000))
    }

    @Test("pcapng with two interfaces of different link types (mergecap)")
    func pcapngTwoInterfaces() throws {
        guard CaptureLab.has("mergecap") else { throw CaptureLab.Failure(description: "mergecap (wireshark-common) is not installed") }
        let directory = try CaptureLab.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("two.pcapng").path
        try CaptureLab.run(["mergecap", "-F", "pcapng", "-w", path,
                            try CaptureLab.generatedCapture("mix.pcap"), try CaptureLab.generatedCapture("raw101.pcap")])
        let reader = try CaptureFile(path: path)
        let frames = try CaptureLab.readAll(reader)
        #expect(reader.format == .pcapng)
        #expect(reader.interfaces.map(\.linkType) == [.ethernet, .raw])
        #expect(Set(frames.map(\.frame.interfaceIndex)) == [0, 1])
        try CaptureFileTests.expectMatchesOracle(path, frames)
    }

    @Test("hand-built pcapng: both byte orders, if_tsresol 10^-9 and 2^-20, if_tsoffset, SPB, unknown blocks, two sections",
          arguments: [false, true])
    func pcapngFeatures(bigEndian: Bool) throws {
        let frame = Frames.ethernet(0x0800, Frames.ipv4(proto: 6, Frames.tcp()))
        var b = PCAPNGBuilder(bigEndian: bigEndian)
        b.section()
        b.interface(linkType: 1, snapLength: UInt32(frame.count), resolution: 9)
        b.interface(linkType: 101, resolution: 0x80 | 20, offsetSeconds: 100)
        b.block(0x0000_0777, [1, 2, 3, 4, 5, 6, 7, 8])  // an unknown block type: skipped
        b.enhanced(interface: 0, ticks: 1_700_000_000_123_456_789, frame: frame)
        b.enhanced(interface: 1, ticks: (1_700_000_000 << 20) | (1 << 19), frame: Array(frame.dropFirst(14)))
        b.block(5, [UInt8](repeating: 0, count: 16))  // an interface statistics block: skipped
        b.simple(frame: frame, originalLength: 1514)
        b.section()
        b.interface(linkType: 113)
        b.enhanced(interface: 0, ticks: 1_700_000_001_000_000, frame: [UInt8](repeating: 0, count: 14) + [0x08, 0x00] + Array(frame.dropFirst(14)))
        let directory = try CaptureLab.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("features.pcapng").path
        try Data(b.bytes).write(to: URL(fileURLWithPath: path))
        let reader = try CaptureFile(path: path)
        let frames = try CaptureLab.readAll(reader)
        #expect(frames.count == 4)
        #expect(frames.map(\.frame.linkType) == [.ethernet, .raw, .ethernet, .linuxSLL])
        #expect(frames.map(\.frame.interfaceIndex) == [0, 1, 0, 0])
        #expect(frames[0].frame.timestamp.nanoseconds == 1_700_000_000_123_456_789)
        #expect(frames[1].frame.timestamp.nanoseconds == 1_700_000_100_500_000_000)
        #expect(frames[2].frame.originalLength == 1514 && frames[2].bytes == frame)
        #expect(frames[3].frame.timestamp.nanoseconds == 1_700_000_001_000_000_000)
        #expect(reader.interfaces.count == 1, "a new section starts a new interface list")
        // tshark agrees on every length, time and interface (it ignores the SPB's time: it has none).
        let oracle = try CaptureFileTests.oracle(path)
        #expect(oracle.count == 4)
        for index in [0, 1, 3] where index < oracle.count {
            #expect(frames[index].frame.timestamp.nanoseconds == oracle[index].time, "frame \(index + 1)")
            #expect(frames[index].frame.interfaceIndex == oracle[index].interface)
        }
    }

    @Test("a frame cut by the snapshot length keeps its original length and is not malformed")
    func snappedFrame() throws {
        let full = Frames.ethernet(0x0800, Frames.ipv4(proto: 6, Frames.tcp(payload: [UInt8](repeating: 0x41, count: 1400))))
        var builder = PCAPBuilder(snapLength: 96)
        builder.add(seconds: 1, fraction: 0, frame: Array(full.prefix(60)), originalLength: full.count)
        let frames = try CaptureLab.readAll(try CaptureFile(bytes: builder.bytes))
        let frame = try #require(frames.first)
        #expect(frame.frame.isTruncated && frame.frame.originalLength == full.count && frame.bytes.count == 60)
        var decoder = PacketDecoder()
        let packet = frame.bytes.withUnsafeBytes {
            decoder.decode(CapturedFrame(timestamp: frame.frame.timestamp, linkType: .ethernet, originalLength: full.count, bytes: $0))
        }
        #expect(packet.malformed == nil)
        #expect(packet.transport == .tcp && packet.declaredPayloadLength == 1400 && packet.payloadLength == 60 - 54)
        #expect(decoder.statistics.snappedPackets == 1)
    }

    @Test("a file cut anywhere delivers the frames before the cut, then a truncation error at the record's offset",
          arguments: ["mix.pcap", "two.pcapng"])
    func truncatedFiles(name: String) throws {
        var bytes: [UInt8]
        if name == "two.pcapng" {
            var b = PCAPNGBuilder()
            b.section()
            b.interface(linkType: 1)
            for i in 0..<5 { b.enhanced(interface: 0, ticks: UInt64(i), frame: Frames.ethernet(0x0800, Frames.ipv4(proto: 6, Frames.tcp(seq: UInt32(i))))) }
            bytes = b.bytes
        } else {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try CaptureLab.generatedCapture(name))))
        }
        // Where each record or block starts, and which of them are frames, from the file's own lengths.
        let isNG = name.hasSuffix(".pcapng")
        var starts: [Int] = []
        var frameEnds: [Int] = []
        var cursor = isNG ? 0 : 24
        func le32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        while cursor < bytes.count {
            starts.append(cursor)
            let length = isNG ? le32(cursor + 4) : 16 + le32(cursor + 8)
            if !isNG || le32(cursor) == 6 { frameEnds.append(cursor + length) }
            cursor += length
        }
        let headerLength = isNG ? 0 : 24
        for cut in 0..<bytes.count {
            let reader: CaptureFile
            do {
                reader = try CaptureFile(bytes: Array(bytes.prefix(cut)))
            } catch {
                #expect(cut < max(headerLength, 4), "header error at cut \(cut): \(error)")
                #expect(error.code == (cut == 0 ? .notACapture : .truncated))
                continue
            }
            var count = 0
            do {
                while try reader.next() != nil { count += 1 }
                #expect(starts.contains(cut), "cut \(cut) inside a record read without error")
                #expect(count == frameEnds.filter { $0 <= cut }.count)
            } catch {
                let recordStart = starts.last(where: { $0 <= cut }) ?? 0
                #expect(error.code == .truncated, "cut \(cut): \(error)")
                #expect(error.framesRead == count && count == frameEnds.filter { $0 <= cut }.count, "cut \(cut)")
                #expect(error.offset == Int64(recordStart), "cut \(cut): error offset \(error.offset), record at \(recordStart)")
                #expect(error.description.contains("byte offset \(recordStart)"))
                // Reading on repeats the error.
                #expect(throws: CaptureError.self) { try reader.next() }
            }
        }
    }

    @Test("garbage is not a capture", arguments: [
        [UInt8](), [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0], Array("hello world, not a pcap".utf8), [0xD4, 0xC3, 0xB2],
    ])
    func garbage(bytes: [UInt8]) {
        #expect {
            _ = try CaptureFile(bytes: bytes)
        } throws: { error in
            guard let error = error as? CaptureError else { return false }
            return error.code == .notACapture || error.code == .truncated
        }
    }

    @Test("random bytes after a valid header never trap and stop with an error or the end")
    func randomBodies() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = PCAPBuilder(bigEndian: round % 4 == 0).bytes
            } else {
                var b = PCAPNGBuilder(bigEndian: round % 3 == 0)
                b.section()
                b.interface(linkType: 1)
                bytes = b.bytes
            }
            bytes += (0..<Int.random(in: 0..<600, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let reader = try CaptureFile(bytes: bytes)
            var frames = 0
            do {
                while let frame = try reader.next() {
                    frames += 1
                    #expect(frame.bytes.count <= bytes.count)
                }
            } catch {
                #expect(error.framesRead == frames)
                #expect(error.offset >= 0 && error.offset <= Int64(bytes.count))
            }
        }
    }

    @Test("a huge captured length is an error, not an allocation")
    func hugeCapturedLength() throws {
        for length: UInt32 in [300_000, 0x7FFF_FFFF, 0xFFFF_FFFF] {
            var builder = PCAPBuilder()
            builder.add(seconds: 1, fraction: 0, frame: [1, 2, 3], capturedLength: 3)
            builder.add(seconds: 2, fraction: 0, frame: [1, 2, 3, 4], capturedLength: length)
            let reader = try CaptureFile(bytes: builder.bytes)
            #expect(try reader.next() != nil)
            #expect {
                _ = try reader.next()
            } throws: { error in
                (error as? CaptureError)?.code == .tooLarge && (error as? CaptureError)?.offset == 24 + 19
            }
        }
        // pcapng: a packet block longer than the limit.
        var b = PCAPNGBuilder()
        b.section()
        b.interface(linkType: 1)
        let start = b.bytes.count
        b.bytes += b.encode32(6) + b.encode32(0xFFFF_FFF0)
        #expect {
            _ = try CaptureLab.readAll(try CaptureFile(bytes: b.bytes))
        } throws: { error in
            (error as? CaptureError)?.code == .tooLarge && (error as? CaptureError)?.offset == Int64(start)
        }
        // A limit can be lowered: a 2,000-byte frame over a 1,500-byte limit.
        var small = PCAPBuilder()
        small.add(seconds: 1, fraction: 0, frame: [UInt8](repeating: 0, count: 2000))
        var options = CaptureFile.Options()
        options.maxFrameLength = 1500
        #expect(throws: CaptureError.self) { _ = try CaptureLab.readAll(try CaptureFile(bytes: small.bytes, options: options)) }
    }

    @Test("a large block of an unknown type is skipped without being buffered")
    func largeUnknownBlockIsSkipped() throws {
        var b = PCAPNGBuilder()
        b.section()
        b.interface(linkType: 1)
        b.block(0x0000_0BAD, [UInt8](repeating: 7, count: 600_000))
        let frame = Frames.ethernet(0x0800, Frames.ipv4(proto: 6, Frames.tcp()))
        b.enhanced(interface: 0, ticks: 5, frame: frame)
        let directory = try CaptureLab.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("big.pcapng").path
        try Data(b.bytes).write(to: URL(fileURLWithPath: path))
        var options = CaptureFile.Options()
        options.chunkSize = 4096
        let frames = try CaptureLab.readAll(try CaptureFile(path: path, options: options))
        #expect(frames.map(\.bytes) == [frame])
    }

    @Test("inconsistent pcapng blocks are malformed", arguments: ["trailing", "interface", "first", "short"])
    func malformedBlocks(kind: String) throws {
        var b = PCAPNGBuilder()
        let frame = Frames.ethernet(0x0806, [UInt8](repeating: 0, count: 28))
        switch kind {
        case "trailing":
            b.section()
            b.interface(linkType: 1)
            b.block(6, b.encode32(0) + b.encode32(0) + b.encode32(0) + b.encode32(UInt32(frame.count)) + b.encode32(UInt32(frame.count)) + b.padded(frame),
                    trailingLength: 4)
        case "interface":
            b.section()
            b.interface(linkType: 1)
            b.enhanced(interface: 3, ticks: 0, frame: frame)
        case "first":
            b.interface(linkType: 1)
            b.bytes = [0x0A, 0x0D, 0x0D, 0x0A] + b.encode32(12) + b.encode32(0x1A2B_3C4D)  // SHB too short
        default:
            b.section()
            b.bytes += b.encode32(6) + b.encode32(10) + b.encode32(10)
        }
        #expect {
            _ = try CaptureLab.readAll(try CaptureFile(bytes: b.bytes))
        } throws: { error in
            (error as? CaptureError)?.code == .malformed
        }
    }

    @Test("an unsupported pcap version is refused")
    func unsupportedVersion() {
        #expect {
            _ = try CaptureFile(bytes: PCAPBuilder(major: 3).bytes)
        } throws: { error in
            (error as? CaptureError)?.code == .unsupported
        }
    }

    @Test("a missing file is a system error naming it")
    func missingFile() {
        #expect {
            _ = try CaptureFile(path: "/nonexistent/capture.pcap")
        } throws: { error in
            (error as? CaptureError)?.code == .system && "\(error)".contains("/nonexistent/capture.pcap")
        }
    }

    @Test("reading a file in small chunks gives the same frames as reading it in memory")
    func smallChunks() throws {
        var builder = PCAPBuilder()
        var generator = SystemRandomNumberGenerator()
        var expected: [[UInt8]] = []
        for i in 0..<3000 {
            let frame = (0..<Int.random(in: 14...1600, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            expected.append(frame)
            builder.add(seconds: UInt32(i), fraction: 0, frame: frame)
        }
        let directory = try CaptureLab.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("many.pcap").path
        try Data(builder.bytes).write(to: URL(fileURLWithPath: path))
        var options = CaptureFile.Options()
        options.chunkSize = 4096
        let reader = try CaptureFile(path: path, options: options)
        let frames = try CaptureLab.readAll(reader)
        #expect(frames.map(\.bytes) == expected)
        #expect(reader.framesRead == 3000 && reader.offset == Int64(builder.bytes.count))
    }
}
