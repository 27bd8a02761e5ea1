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
import Testing

@testable import Attestation

/// IMA logs replayed to PCR 10 against the values `evmctl ima_measurement` confirms (fixtures README).
@Suite("IMA runtime measurement logs", .needsFixtures("eventlogs"))
struct IMALogTests {
    static let expected: [String: (sha1: String, sha256: String)] = [
        "keylime-ima-log-sha1": ("62e5bdf4783228f7deec959f0a89a4739af79ac5", "37c153b0a390c91993992d79eb0b9b05b5cb9085c6179528e1b71694ed19896c"),
        "keylime-ima-log-sha256": ("8adcb4304b78ee782bbba3733b191591e75dc83d", "8dcd5e7eb63e363377ec19b0d358601ccc19f25a30486f35784c5288dbb91d9d"),
    ]

    @Test(arguments: ["keylime-ima-log-sha1", "keylime-ima-log-sha256"])
    func asciiAndBinaryReplayToPCR10(_ name: String) throws {
        let expected = try #require(Self.expected[name])
        let text = try String(contentsOf: try Fixtures.file(name, in: "eventlogs/ima"), encoding: .utf8)
        let binary = try readLog(name + ".binary_runtime_measurements", in: "eventlogs/ima")
        let ascii = IMALog(parsingASCII: text)
        let decoded = IMALog(parsingBinary: binary)
        for log in [ascii, decoded] {
            #expect(log.problem == nil)
            #expect(log.entries.count == 2)
            #expect(log.replay(bank: .sha1).map(hex) == expected.sha1)
            #expect(log.replay(bank: .sha256).map(hex) == expected.sha256)
        }
        // The ASCII fields rebuild the binary template data byte for byte.
        #expect(ascii.entries == decoded.entries)
        // The SHA-1 template hash is the hash of the rebuilt data, for entries that are not violations.
        for entry in ascii.entries where !entry.isViolation {
            #expect(PCRHash.digest(.sha1, ascii.hashInput(of: entry) ?? []) == entry.templateHash)
        }
    }

    @Test func imaTemplateHashesPaddedName() throws {
        let digest = [UInt8](repeating: 0x42, count: 20)
        let data = try #require(IMALog.templateData(template: "ima", digestField: hex(digest), path: "/bin/sh", signature: nil))
        let hash = try #require(PCRHash.digest(.sha1, digest + Array("/bin/sh".utf8) + [UInt8](repeating: 0, count: 249)))
        let log = IMALog(parsingASCII: "10 \(hex(hash)) ima \(hex(digest)) /bin/sh\n")
        #expect(log.entries.first?.templateData == data)
        #expect(log.hashInput(of: log.entries[0]).flatMap { PCRHash.digest(.sha1, $0) } == hash)
    }

    @Test func truncatedBinaryLogKeepsWholeEntries() throws {
        let binary = try readLog("keylime-ima-log-sha256.binary_runtime_measurements", in: "eventlogs/ima")
        let full = IMALog(parsingBinary: binary)
        for length in 0..<binary.count {
            let log = IMALog(parsingBinary: Array(binary.prefix(length)))
            #expect(Array(full.entries.prefix(log.entries.count)) == log.entries)
            #expect(log.entries.count < full.entries.count || length == binary.count)
        }
    }

    @Test func malformedASCIILineIsReported() {
        let log = IMALog(parsingASCII: "10 zz ima-ng sha1:00 /x\n")
        #expect(log.problem?.location?.line == 1)
    }
}
