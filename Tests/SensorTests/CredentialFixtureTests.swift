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

/// The real captures' ground truth (the corpus's `pcaps/README.md`), with the TCP streams
/// reassembled by tshark so the parser is checked independently of our own decoders.
@Suite("Credential fixtures", .needsFixtures("pcaps"))
struct CredentialFixtureTests {
    static func transcript(_ name: String, serverPort: UInt16) throws -> Transcript {
        let file = try Fixtures.file(name, in: "pcaps")
        guard (try? CredentialFixtures.run(["tshark", "--version"])) != nil else {
            throw CredentialFixtures.ToolError(description: "tshark is needed as the stream oracle: apt-get install -y tshark")
        }
        return try CredentialFixtures.tsharkStream(file, serverPort: serverPort)
    }

    @Test("ftp_login_ok_bob_password.pcap: user bob, login succeeded, password redacted")
    func ftpFixture() throws {
        let transcript = try Self.transcript("ftp_login_ok_bob_password.pcap", serverPort: 21)
        for chunking in CredentialHarness.allChunkings(randomRuns: 4) {
            let (events, _) = CredentialHarness.run(transcript, service: .ftp, chunking: chunking)
            #expect(events.map(Seen.init) == [Seen(.ftp, "bob", "password", .success)], "\(chunking)")
        }
        let (events, _) = CredentialHarness.run(transcript, service: .ftp)
        let event = try #require(events.first)
        let alert = CredentialAlertBuilder().alert(for: event, source: try #require(IPAddress("172.23.0.3")),
                                                   destination: try #require(IPAddress("172.23.0.2")),
                                                   destinationPort: 21)
        #expect(alert.user == "bob")
        #expect(alert.outcome == "success")
        #expect(alert.severity == .high)
        #expect(alert.evidence.first { $0.0 == "password" }?.1 == .string("<redacted, 8 chars>"))
        #expect(!alert.summary.contains("password\""))
    }

    @Test("http_basic_auth_test_1234.pcap: user test, password 1234, 200 OK (two spaces after Basic)")
    func httpFixture() throws {
        let transcript = try Self.transcript("http_basic_auth_test_1234.pcap", serverPort: 8000)
        #expect(transcript.segments.contains { segment in
            String(decoding: segment.bytes, as: UTF8.self).contains("Basic  dGVzdDoxMjM0")
        })
        for chunking in CredentialHarness.allChunkings(randomRuns: 4) {
            let (events, _) = CredentialHarness.run(transcript, service: .http, chunking: chunking)
            #expect(events.map(Seen.init) == [Seen(.httpBasic, "test", "1234", .success)], "\(chunking)")
        }
        // The port map alone picks HTTP for 8000.
        #expect(CredentialSession(serverPort: 8000)?.service == .http)
    }
}
