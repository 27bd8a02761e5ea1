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

/// Replays the fuzz seed corpora (`Fuzz/Corpus/<target>`) and the inputs the fuzzer found bugs
/// with (`Fuzz/Regressions/<target>`) through the fuzz targets, so every test run exercises them
/// with the same property checks the fuzzer applies (docs/fuzzing.md). The network targets are
/// replayed by the network policy tests.
@Suite("FuzzRegression")
struct FuzzRegressionTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(_ kind: String, _ target: FuzzTarget) -> [String] {
        Replay.files(at: fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target.rawValue).path)
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    static let targets = FuzzTarget.allCases.filter { !FuzzTarget.networkTargets.contains($0) }

    @Test(arguments: FuzzRegressionTests.targets)
    func seedCorpusPassesEveryPropertyCheck(_ target: FuzzTarget) throws {
        let files = FuzzRegressionTests.inputs("Corpus", target)
        #expect(!files.isEmpty, "no seed corpus for \(target.rawValue)")
        for file in files {
            let bytes = try #require(Replay.read(file), "cannot read \(file)")
            #expect(throws: Never.self, "\(file)") { try target.run(bytes) }
        }
    }

    @Test(arguments: FuzzRegressionTests.targets)
    func inputsThatFoundBugsPassEveryPropertyCheck(_ target: FuzzTarget) throws {
        for file in FuzzRegressionTests.inputs("Regressions", target) {
            let bytes = try #require(Replay.read(file), "cannot read \(file)")
            #expect(throws: Never.self, "\(file)") { try target.run(bytes) }
        }
    }

    @Test func versionInputsSplitIntoAtMostThreeVersions() {
        #expect(FuzzTarget.versionFields(Array("1.0\n2.0\u{0}3.0\n4.0".utf8)) == ["1.0", "2.0", "3.0"])
        #expect(FuzzTarget.versionFields([]) == [""])
    }

    @Test func everyTargetHasASeedCorpusDirectory() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: FuzzRegressionTests.fuzzDirectory.appendingPathComponent("Corpus").path)) ?? []
        #expect(Set(names) == Set(FuzzTarget.allCases.map(\.rawValue)))
    }
}
