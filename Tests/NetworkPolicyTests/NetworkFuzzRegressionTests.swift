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
import HyperwardCore
import HyperwardHost
import Testing

@testable import HyperwardFuzz
@testable import NetworkPolicy

/// Replays the seed corpora and bug-finding inputs of the network fuzz targets (`network-policy`,
/// `libvirt-xml`) through the same property checks the fuzzer applies (docs/fuzzing.md).
@Suite("Network fuzz regression")
struct NetworkFuzzRegressionTests {
    static let fuzzDirectory = Paths.packageRoot.appendingPathComponent("Fuzz")

    static func inputs(_ kind: String, _ target: FuzzTarget) -> [String] {
        Replay.files(at: fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target.rawValue).path)
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test(arguments: FuzzTarget.networkTargets)
    func seedCorpusPassesEveryPropertyCheck(_ target: FuzzTarget) throws {
        let files = NetworkFuzzRegressionTests.inputs("Corpus", target)
        #expect(files.count >= 3, "too small a seed corpus for \(target.rawValue)")
        for file in files {
            let bytes = try #require(Replay.read(file), "cannot read \(file)")
            #expect(throws: Never.self, "\(file)") { try target.run(bytes) }
        }
    }

    @Test(arguments: FuzzTarget.networkTargets)
    func inputsThatFoundBugsPassEveryPropertyCheck(_ target: FuzzTarget) throws {
        for file in NetworkFuzzRegressionTests.inputs("Regressions", target) {
            let bytes = try #require(Replay.read(file), "cannot read \(file)")
            #expect(throws: Never.self, "\(file)") { try target.run(bytes) }
        }
    }

    /// The property checks can fail: a ruleset whose ports set misses a device, or whose quoted
    /// string runs over a line, is told apart from a good one.
    @Test func portsSetIsReadAsWritten() {
        let text = "table bridge x {\n\tset quarantine {\n\t}\n\tset ports {\n\t\ttype ifname\n\t\telements = { \"vnet3\", \"vnet4\" }\n\t}\n"
        #expect(FuzzTarget.setElements("ports", in: text) == ["\"vnet3\"", "\"vnet4\""])
        #expect(FuzzTarget.setElements("quarantine", in: text) == [])
        #expect(FuzzTarget.setElements("missing", in: text) == nil)
    }

    @Test func theXXESeedNamesAFileWhoseTextIsACanary() throws {
        let files = NetworkFuzzRegressionTests.inputs("Corpus", .libvirtXML)
        let xxe = try #require(files.first { $0.hasSuffix("xxe.xml") })
        let text = String(decoding: try #require(Replay.read(xxe)), as: UTF8.self)
        #expect(text.contains("SYSTEM \"file:///etc/passwd\""))
        #expect(!FuzzTarget.leakCanaries.isEmpty)
        // A document type declaration is refused outright, so no entity is ever expanded.
        #expect(throws: HyperwardError.self) { try DomainXML.interfaces(ofDomain: text) }
    }
}
