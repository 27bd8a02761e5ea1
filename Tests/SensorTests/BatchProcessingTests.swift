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

/// Batched reading and processing (the fast path of `hyperward sense --pcap`) must give exactly
/// what frame-by-frame processing gives, on the captures scapy makes and on the corpus's real ones.
@Suite("Batch processing")
struct BatchProcessingTests {
    static let generated = ["mix.pcap", "sll.pcap", "sll2.pcap", "raw101.pcap", "raw228.pcap", "raw229.pcap", "raw12.pcap"]

    /// Small chunks make the reader refill often, so batches end early at buffer boundaries.
    static var smallChunks: CaptureFile.Options {
        var options = CaptureFile.Options()
        options.chunkSize = 4096
        return options
    }

    @Test("every frame of a batch stays valid until the next call", arguments: generated)
    func framesStayValid(name: String) throws {
        try Self.expectFramesStayValid(try CaptureLab.generatedCapture(name))
    }

    @Test("every frame of a batch of a real capture stays valid until the next call", .needsFixtures("pcaps"),
          arguments: CaptureLab.fixtureNames)
    func framesStayValidOnRealCaptures(name: String) throws {
        try Self.expectFramesStayValid(try CaptureLab.fixture(name))
    }

    static func expectFramesStayValid(_ path: String) throws {
        let expected = try CaptureLab.readAll(try CaptureFile(path: path)).map(\.bytes)
        let file = try CaptureFile(path: path, options: smallChunks)
        var frames: [CapturedFrame] = []
        var seen: [[UInt8]] = []
        var batches = 0
        while true {
            try file.nextBatch(into: &frames, limit: 16)
            if frames.isEmpty { break }
            batches += 1
            // Read only now, after the whole batch was gathered: an earlier frame whose bytes were
            // moved by a refill would show up as a mismatch.
            seen += frames.map { Array($0.bytes) }
        }
        #expect(seen == expected)
        #expect(batches >= (expected.count + 15) / 16)
    }

    @Test("an error after a batch's first frame is thrown by the next call, after the frames before it")
    func errorEndsTheBatch() throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: try CaptureLab.generatedCapture("mix.pcap"))))
        let cut = Array(bytes.prefix(bytes.count - 7))  // the last record loses its tail
        let reference = try CaptureFile(bytes: cut)
        var before = 0
        #expect(throws: CaptureError.self) { while try reference.next() != nil { before += 1 } }
        let file = try CaptureFile(bytes: cut)
        var frames: [CapturedFrame] = []
        var delivered = 0
        var failure: CaptureError?
        while failure == nil {
            do throws(CaptureError) {
                try file.nextBatch(into: &frames, limit: 1000)
                if frames.isEmpty { break }
                delivered += frames.count
            } catch {
                failure = error
            }
        }
        #expect(delivered == before && before > 0)
        #expect(failure?.code == .truncated)
    }

    @Test("the prefetch key of a frame is the flow key of its decoded packet", arguments: generated)
    func prefetchKeyMatchesDecoder(name: String) throws {
        try Self.expectPrefetchKeyMatchesDecoder(name, try CaptureLab.generatedCapture(name))
    }

    @Test("the prefetch key of a frame of a real capture is the flow key of its decoded packet", .needsFixtures("pcaps"),
          arguments: CaptureLab.fixtureNames)
    func prefetchKeyMatchesDecoderOnRealCaptures(name: String) throws {
        try Self.expectPrefetchKeyMatchesDecoder(name, try CaptureLab.fixture(name))
    }

    static func expectPrefetchKeyMatchesDecoder(_ name: String, _ path: String) throws {
        var decoder = PacketDecoder()
        var matched = 0, withKey = 0
        for (frame, bytes) in try CaptureLab.readAll(try CaptureFile(path: path)) {
            try bytes.withUnsafeBytes { raw in
                let copy = CapturedFrame(timestamp: frame.timestamp, linkType: frame.linkType, interfaceIndex: frame.interfaceIndex,
                                         originalLength: frame.originalLength, bytes: raw)
                let packet = decoder.decode(copy)
                let peeked = FlowTable.peekKey(copy)
                let hasFlowKey = (packet.transport == .tcp || packet.transport == .udp) && packet.malformed == nil && !packet.isLaterFragment
                if hasFlowKey { withKey += 1 }
                if hasFlowKey, let peeked {
                    #expect(peeked == FlowTable.key(of: packet).key, "\(name): \(peeked) vs \(FlowTable.key(of: packet).key)")
                    matched += 1
                } else if let peeked, packet.malformed == nil {
                    // A key guessed for a packet without ports (an IPv6 extension chain ends in TCP) is only a wasted prefetch,
                    // but it must not be guessed where the decoder sees a flow with other ports.
                    throw CaptureLab.Failure(description: "\(name): peeked \(peeked) for a packet the decoder gives no TCP/UDP key")
                }
            }
        }
        // Cooked captures are left to the decoder; elsewhere every TCP/UDP packet but those behind
        // IPv6 extension headers or a third VLAN tag gets its key peeked.
        if !name.contains("sll") && withKey > 0 { #expect(matched > 0 && matched * 2 >= withKey, "\(name): \(matched) of \(withKey) keys peeked") }
    }

    @Test("mutated and random frames never make the prefetch read out of bounds")
    func prefetchKeyOnHostileBytes() throws {
        var generator = SystemRandomNumberGenerator()
        let seeds = try CaptureLab.readAll(try CaptureFile(path: try CaptureLab.generatedCapture("mix.pcap"))).map(\.bytes)
        var table = FlowTable()
        for round in 0..<20_000 {
            var bytes = seeds.randomElement(using: &generator) ?? []
            if round % 2 == 0 {
                for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
            // Exact-size heap copies: an over-read past the end is what the address sanitizer of
            // the fuzz build reports; here the bounds are also checked by the result.
            let linkType: LinkType = [.ethernet, .raw, .ipv4, .ipv6][round % 4]
            bytes.withUnsafeBytes { raw in
                let frame = CapturedFrame(timestamp: Timestamp(nanoseconds: Int64(round)), linkType: linkType, originalLength: raw.count, bytes: raw)
                let hash = table.prefetchSlot(for: frame)
                table.prefetchEntry(hash: hash)
                _ = table.process(PacketDecoder.decode(raw, linkType: linkType, timestamp: frame.timestamp))
            }
        }
        #expect(table.statistics.created > 0)
    }

    static func run(_ path: String, batched: Bool) throws -> (alerts: [String], statistics: SensorStatistics) {
        var configuration = SensorConfiguration()
        configuration.showSecrets = true
        var engine = SensorEngine(configuration: configuration)
        var alerts: [Alert] = []
        let file = try CaptureFile(path: path, options: smallChunks)
        if batched {
            var frames: [CapturedFrame] = []
            while true {
                try file.nextBatch(into: &frames)
                if frames.isEmpty { break }
                engine.process(batch: frames, into: &alerts)
            }
        } else {
            while let frame = try file.next() { engine.process(frame, into: &alerts) }
        }
        engine.finish(into: &alerts)
        return (alerts.map(AlertRendering.json), engine.statistics)
    }

    @Test("batched processing raises the same alerts and counts as frame by frame", arguments: generated)
    func sameResults(name: String) throws {
        try Self.expectSameResults(name, try CaptureLab.generatedCapture(name))
    }

    @Test("batched processing of a real capture raises the same alerts and counts as frame by frame", .needsFixtures("pcaps"),
          arguments: CaptureLab.fixtureNames)
    func sameResultsOnRealCaptures(name: String) throws {
        try Self.expectSameResults(name, try CaptureLab.fixture(name))
    }

    static func expectSameResults(_ name: String, _ path: String) throws {
        let single = try run(path, batched: false)
        let batched = try run(path, batched: true)
        #expect(batched.alerts == single.alerts)
        #expect(batched.statistics.packets == single.statistics.packets && batched.statistics.packets > 0)
        #expect(batched.statistics.flows == single.statistics.flows)
        #expect(batched.statistics.decode == single.statistics.decode)
        #expect(batched.statistics.alerts == single.statistics.alerts)
        #expect(batched.statistics.credentialSessions == single.statistics.credentialSessions)
        if name.contains("ftp") || name.contains("http_basic") {
            #expect(batched.alerts.contains { $0.contains("cleartext-credentials") }, "\(name): no credential alert")
        }
    }
}
