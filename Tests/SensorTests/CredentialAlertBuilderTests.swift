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

import Testing
@testable import Sensor

@Suite("CredentialAlertBuilder")
struct CredentialAlertBuilderTests {
    static let secret = "Zq7!unique-Secret"

    static func event(_ outcome: LoginOutcome, user: String = "bob", anonymous: Bool = false,
                      kind: CredentialKind = .ftp) -> CredentialEvent {
        CredentialEvent(kind: kind, user: user, password: CredentialSecret(bytes: Array(secret.utf8)), outcome: outcome,
                        time: Timestamp(nanoseconds: 2_000), credentialTime: Timestamp(nanoseconds: 1_000),
                        isAnonymous: anonymous, mechanism: "USER/PASS", serverReply: "230 ok")
    }

    static func render(_ alert: Alert) -> String {
        "\(alert.summary) \(alert.evidence.map { "\($0.0)=\($0.1)" }.joined(separator: " ")) \(alert.user ?? "")"
    }

    @Test("severity: success high, failure and unknown medium, anonymous low")
    func severity() {
        #expect(CredentialAlertBuilder.severity(for: Self.event(.success)) == .high)
        #expect(CredentialAlertBuilder.severity(for: Self.event(.failure)) == .medium)
        #expect(CredentialAlertBuilder.severity(for: Self.event(.unknown)) == .medium)
        #expect(CredentialAlertBuilder.severity(for: Self.event(.success, user: "anonymous", anonymous: true)) == .low)
    }

    @Test("the password is redacted everywhere unless secrets are shown")
    func redaction() throws {
        let source = try #require(IPAddress("10.0.0.2"))
        let destination = try #require(IPAddress("10.0.0.3"))
        for outcome in LoginOutcome.allCases {
            let alert = CredentialAlertBuilder().alert(for: Self.event(outcome), source: source,
                                                       destination: destination, destinationPort: 21)
            #expect(!Self.render(alert).contains(Self.secret))
            #expect(alert.evidence.first { $0.0 == "password" }?.1 == .string("<redacted, 17 chars>"))
            #expect(alert.detector == .cleartextCredentials)
            #expect(alert.protocolName == "ftp" && alert.user == "bob" && alert.outcome == outcome.rawValue)
            #expect(alert.src == "10.0.0.2" && alert.dst == "10.0.0.3" && alert.dstPort == 21)
            #expect(alert.time == Timestamp(nanoseconds: 2_000))
        }
        let shown = CredentialAlertBuilder(showSecrets: true).alert(for: Self.event(.success), source: source,
                                                                    destination: destination, destinationPort: 21)
        #expect(shown.summary.contains(Self.secret))
        #expect(shown.evidence.first { $0.0 == "password" }?.1 == .string(Self.secret))
    }

    @Test("hostile user names are escaped in the summary; IPv6 endpoints are bracketed")
    func escaping() throws {
        let event = Self.event(.failure, user: "evil\r\n\u{1B}[31mroot\"", kind: .httpBasic)
        let alert = CredentialAlertBuilder().alert(for: event, source: try #require(IPAddress("fd00::2")),
                                                   destination: try #require(IPAddress("fd00::1")),
                                                   destinationPort: 8080)
        #expect(!alert.summary.contains("\r") && !alert.summary.contains("\n") && !alert.summary.contains("\u{1B}"))
        #expect(alert.summary.contains("evil\\x0d\\x0a\\x1b[31mroot\\\""))
        #expect(alert.summary.contains("fd00::2 → [fd00::1]:8080"))
        #expect(alert.protocolName == "http-basic")
        #expect(alert.user == "evil\r\n\u{1B}[31mroot\"")  // the structured field keeps the raw name for JSON
    }

    @Test("one incident per client, service and user")
    func incident() throws {
        let builder = CredentialAlertBuilder()
        let a = try #require(IPAddress("10.0.0.2")), b = try #require(IPAddress("10.0.0.3"))
        let first = builder.alert(for: Self.event(.failure), source: a, destination: b, destinationPort: 21)
        let second = builder.alert(for: Self.event(.success), source: a, destination: b, destinationPort: 21,
                                   occurrence: 2)
        let otherUser = builder.alert(for: Self.event(.success, user: "eve"), source: a, destination: b,
                                      destinationPort: 21)
        #expect(first.incident == second.incident)
        #expect(second.occurrence == 2)
        #expect(first.incident != otherUser.incident)
    }
}
