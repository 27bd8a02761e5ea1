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
import Testing

@testable import HyperwardFuzz
@testable import Sensor

/// Replays the seed corpora and bug-finding inputs of the Sensor's fuzz targets (`capture`,
/// `frame`) through the same property checks the fuzzer applies (docs/fuzzing.md).
@Suite("Capture fuzz regression")
struct CaptureFuzzRegressionTests {
    static let fuzzDirectory = CaptureLab.packageRoot.appendingPathComponent("Fuzz")

    static func inputs(_ kind: String, _ target: FuzzTarget) -> [String] {
        Replay.files(at: fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target.rawValue).path)
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test(arguments: FuzzTarget.sensorTargets)
    func seedCorpusPassesEveryPropertyCheck(_ target: FuzzTarget) throws {
        let files = CaptureFuzzRegressionTests.inputs("Corpus", target)
        #expect(files.count >= 5, "too small a seed corpus for \(target.rawValue)")
        for file in files {
            let bytes = try #require(Replay.read(file), "cannot read \(file)")
            #expect(throws: Never.self, "\(file)") { try target.run(bytes) }
        }
    }

    @Test(arguments: FuzzTarget.sensorTargets)
    func inputsThatFoundBugsPassEveryPropertyCheck(_ target: FuzzTarget) throws {
        for file in CaptureFuzzRegressionTests.inputs("Regressions", target) {
            let bytes = try #require(Replay.read(file), "cannot read \(file)")
            #expect(throws: Never.self, "\(file)") { try target.run(bytes) }
        }
    }

    @Test("the capture seeds cover both formats, both byte orders, cooked and raw link types, and a truncated file")
    func seedsCoverTheFormats() throws {
        var linkTypes = Set<UInt32>()
        var formats = Set<String>()
        var truncated = 0
        for file in CaptureFuzzRegressionTests.inputs("Corpus", .capture) {
            let reader = try CaptureFile(path: file)
            formats.insert("\(reader.format)")
            do {
                try reader.forEachFrame { linkTypes.insert($0.linkType.rawValue) }
            } catch {
                #expect(error.code == .truncated)
                truncated += 1
            }
        }
        #expect(formats == ["pcap", "pcapng"])
        #expect(linkTypes.isSuperset(of: [1, 101, 113, 229, 276]))
        #expect(truncated == 1)
    }

    /// The property checks can fail: a payload range past the frame is caught.
    @Test func packetChecksCatchARangePastTheFrame() {
        var packet = DecodedPacket()
        packet.payloadOffset = 50
        packet.payloadLength = 20
        packet.declaredPayloadLength = 20
        #expect(throws: FuzzFailure.self) { try FuzzTarget.checkPacket(packet, capturedCount: 60, .frame) }
        packet.payloadLength = 10
        #expect(throws: Never.self) { try FuzzTarget.checkPacket(packet, capturedCount: 60, .frame) }
    }
}
