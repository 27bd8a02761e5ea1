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

import FleetClient
import Foundation
import HyperwardCore
import Testing

@testable import FleetServer

@Suite("Fleet server: API users, host certificates, pushes; the agent's addresses and fingerprints")
struct FleetAccessTests {
    @Test func anAPITokenNamesItsUserAndRoleUntilRevoked() throws {
        let (db, directory) = try FleetCoreTests.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let token = try db.createAPIToken(name: "vera", role: .operator, by: "root")
        #expect(token.hasPrefix("hwk_") && token.count == 47)
        let file = try FleetCoreTests.databaseBytes(directory)
        #expect(file.range(of: Data(token.utf8)) == nil, "only the token's hash is stored")
        #expect(try db.apiUser(token: token) == FleetDatabase.APIUser(name: "vera", role: .operator))
        for bad in [token + "x", "hwk_", "Bearer " + token, String(token.dropLast())] {
            #expect(try db.apiUser(token: bad) == nil, "\(bad)")
        }
        #expect(throws: HyperwardError.self) { try db.createAPIToken(name: "vera", role: .admin, by: "root") }
        try db.revokeAPIToken(name: "vera")
        #expect(try db.apiUser(token: token) == nil)
        #expect(throws: HyperwardError.self) { try db.revokeAPIToken(name: "vera") }
        #expect(Role.viewer < .operator && Role.operator < .admin && !(Role.admin < .viewer))
    }

    @Test func onlyTheEnrolledCurrentCertificateOfAnUnrevokedHostIsAccepted() throws {
        let (db, directory) = try FleetCoreTests.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try db.hostRefusal(name: "kvm-1", certificateSerial: "aa")?.contains("not enrolled") == true)
        try db.recordEnrollment(host: "kvm-1", group: "g", certificateSerial: "aa", hostname: "node1")
        #expect(try db.hostRefusal(name: "kvm-1", certificateSerial: "aa") == nil)
        #expect(try db.hostRefusal(name: "kvm-1", certificateSerial: "bb")?.contains("not the one") == true)
        try db.revokeHost("kvm-1")
        #expect(try db.hostRefusal(name: "kvm-1", certificateSerial: "aa")?.contains("revoked") == true)
    }

    @Test func aPushIsBoundedValidatedAndSpeaksOnlyForItsHost() throws {
        let (db, directory) = try FleetCoreTests.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try db.recordEnrollment(host: "kvm-1", group: "g", certificateSerial: "aa", hostname: "node1")
        func event(host: String?, id: String = Event.makeID(), kind: String = "test.kind", time: String = Event.timestamp(Date())) -> Event {
            Event(id: id, time: time, host: host, kind: kind, engine: "audit", summary: "s")
        }
        // Its enrolled name, its declared system host name, or none: accepted.
        #expect(try db.ingest([event(host: "kvm-1"), event(host: "node1"), event(host: nil)], from: "kvm-1", droppedTotal: 3).stored == 3)
        #expect(try db.hosts().first?.droppedTotal == 3)
        // Another host's name: the whole push refused, nothing stored.
        #expect(throws: HyperwardError.self) { try db.ingest([event(host: "kvm-1"), event(host: "kvm-2")], from: "kvm-1") }
        #expect(try db.eventCount(host: "kvm-1") == 3)
        // No id, an over-long kind, a time that is not one: refused.
        for bad in [event(host: nil, id: ""), event(host: nil, kind: String(repeating: "k", count: 129)), event(host: nil, time: "now")] {
            #expect(throws: HyperwardError.self) { try db.ingest([bad], from: "kvm-1") }
        }
        // Over the bound of one push.
        let many = (0...FleetDatabase.maxEventsPerPush).map { _ in event(host: nil) }
        #expect(throws: HyperwardError.self) { try db.ingest(many, from: "kvm-1") }
        // A dropped count never goes back.
        _ = try db.ingest([], from: "kvm-1", droppedTotal: 1)
        #expect(try db.hosts().first?.droppedTotal == 3)
    }

    @Test func serverAddressesAreHTTPSOnly() throws {
        #expect(try FleetServerAddress(parsing: "https://fleet.example:9443") == FleetServerAddress(host: "fleet.example", port: 9443))
        #expect(try FleetServerAddress(parsing: "https://10.0.0.1/") == FleetServerAddress(host: "10.0.0.1", port: 8443))
        #expect(try FleetServerAddress(parsing: "https://[fd00::1]:8443") == FleetServerAddress(host: "fd00::1", port: 8443))
        #expect(FleetServerAddress(host: "fd00::1", port: 8443).description == "https://[fd00::1]:8443")
        for bad in ["http://fleet:8443", "fleet:8443", "https://", "https://a:0", "https://a:70000", "https://user@a", "https://a/path",
                    "https://[fd00::1", "https://a b"] {
            #expect(throws: HyperwardError.self, "\(bad)") { try FleetServerAddress(parsing: bad) }
        }
    }

    @Test func fingerprintsAreComparedInOneForm() throws {
        let hex = String(repeating: "ab", count: 32)
        let colons = stride(from: 0, to: 64, by: 2).map { i -> String in
            let start = hex.index(hex.startIndex, offsetBy: i)
            return String(hex[start..<hex.index(start, offsetBy: 2)]).uppercased()
        }.joined(separator: ":")
        #expect(try FleetLink.normalizedFingerprint("sha256:" + hex) == hex)
        #expect(try FleetLink.normalizedFingerprint("SHA256:" + colons) == hex)
        for bad in ["", "sha256:", String(hex.dropLast()), hex + "0", String(repeating: "zz", count: 32)] {
            #expect(throws: HyperwardError.self) { try FleetLink.normalizedFingerprint(bad) }
        }
    }
}
