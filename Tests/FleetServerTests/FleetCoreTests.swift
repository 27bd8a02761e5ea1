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


import Crypto
import Foundation
import GRDB
import HyperwardCore
import KeyManagement
import Synchronization
import SwiftASN1
import Testing
import X509

@testable import FleetServer

@Suite("Fleet server: enrollment tokens, host certificates, event ingest")
struct FleetCoreTests {
    static func database() throws -> (FleetDatabase, String) {
        let directory = FileManager.default.temporaryDirectory.path + "/hw-fleet-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return (try FleetDatabase(directory: directory), directory)
    }

    /// The database's bytes on disk: the file and its write-ahead log (where the latest commits are).
    static func databaseBytes(_ directory: String) throws -> Data {
        let path = directory + "/" + FleetDatabase.fileName
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        if let wal = FileManager.default.contents(atPath: path + "-wal") { bytes.append(wal) }
        return bytes
    }

    @Test func aTokenWorksOnceAndIsStoredOnlyAsItsHash() throws {
        let (db, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let made = try db.createToken(group: "rack-7", lifetime: 3600, by: "root")
        #expect(made.token.hasPrefix("hwt_") && made.token.count == 47)
        // The token itself is nowhere in the database file; its SHA-256 is.
        let file = try FleetCoreTests.databaseBytes(directory)
        #expect(file.range(of: Data(made.token.utf8)) == nil)
        #expect(file.range(of: Data(FleetDatabase.digest(made.token).utf8)) != nil)
        var st = stat()
        #expect(stat(directory + "/" + FleetDatabase.fileName, &st) == 0 && st.st_mode & 0o077 == 0, "the database is private")

        #expect(try db.consumeToken(made.token, host: "kvm-01") == "rack-7")
        #expect(throws: HyperwardError.self) { try db.consumeToken(made.token, host: "kvm-02") }
    }

    @Test func expiredUnknownAndMalformedTokensGetOneRefusal() throws {
        let (db, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let start = Date()
        let made = try db.createToken(group: "g", lifetime: 60, by: "root", now: start)
        var messages: Set<String> = []
        for (token, at) in [(made.token, start.addingTimeInterval(61)), ("hwt_" + String(repeating: "A", count: 43), start),
                            ("not-a-token", start), (made.token + "x", start)] {
            do {
                _ = try db.consumeToken(token, host: "h1", now: at)
                Issue.record("accepted \(token)")
            } catch {
                #expect(error.code == .refused)
                messages.insert(error.message)
            }
        }
        #expect(messages.count == 1, "the same answer whatever was wrong: \(messages)")
        // Lifetimes outside a minute to a week, and odd group names, are usage errors.
        #expect(throws: HyperwardError.self) { try db.createToken(group: "g", lifetime: 30, by: "root") }
        #expect(throws: HyperwardError.self) { try db.createToken(group: "g", lifetime: 8 * 86_400, by: "root") }
        #expect(throws: HyperwardError.self) { try db.createToken(group: "a b", lifetime: 3600, by: "root") }
    }

    @Test func racingEnrollmentsWithOneTokenHaveOneWinner() throws {
        let (db, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let made = try db.createToken(group: "g", lifetime: 3600, by: "root")
        let wins = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            if (try? db.consumeToken(made.token, host: "h\(i)")) != nil { wins.withLock { $0 += 1 } }
        }
        #expect(wins.withLock { $0 } == 1)
    }

    @Test func aRevokedHostCannotEnrollAgainUnderItsName() throws {
        let (db, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try db.recordEnrollment(host: "kvm-01", group: "g", certificateSerial: "01")
        #expect(try db.hosts().map(\.name) == ["kvm-01"])
        try db.revokeHost("kvm-01")
        #expect(try db.hosts().first?.revokedAt != nil)
        #expect(throws: HyperwardError.self) { try db.recordEnrollment(host: "kvm-01", group: "g", certificateSerial: "02") }
        do {
            try db.revokeHost("kvm-99")
            Issue.record("an unknown host was revoked")
        } catch {
            #expect(error.code == .unknownItem)
        }
    }

    @Test func eventsAreStoredOnceHowEverOftenTheyArePushed() throws {
        let (db, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try db.recordEnrollment(host: "kvm-01", group: "g", certificateSerial: "01")
        let events = (0..<50).map { i in
            Event(time: Event.timestamp(), host: "kvm-01", kind: "alert.port-scan", engine: .sense, severity: .high, summary: "scan \(i)")
        }
        #expect(try db.ingest(events, from: "kvm-01") == .init(stored: 50, duplicates: 0))
        // The agent did not hear the answer and sends the last 20 again with 10 new ones.
        let more = (0..<10).map { i in Event(time: Event.timestamp(), host: "kvm-01", kind: "audit.run", engine: .audit, summary: "run \(i)") }
        #expect(try db.ingest(Array(events.suffix(20)) + more, from: "kvm-01") == .init(stored: 10, duplicates: 20))
        #expect(try db.eventCount(host: "kvm-01") == 60)
        // A host speaks only for itself.
        let forged = Event(time: Event.timestamp(), host: "kvm-02", kind: "audit.run", engine: .audit, summary: "forged")
        #expect(throws: HyperwardError.self) { try db.ingest([forged], from: "kvm-01") }
        #expect(try db.eventCount() == 60)
    }

    @Test func aHostCertificateIsIssuedOnlyForAKeyTheSenderHolds() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/hw-fleet-ca-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Keystore.initialize(directory: directory, unlocker: .passphrase(Array("fleet test passphrase".utf8)),
                                            kdf: KDFParameters(logN: 10, r: 8, p: 1))
        let caPEM = try store.initializeCA(commonName: "Hyperward fleet CA")
        let key = P256.Signing.PrivateKey()
        let request = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("root-please") }, privateKey: .init(key),
            attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256)
        let pem = try request.serializeAsPEM().pemString
        let record = try store.issueHostCertificate(csrPEM: pem, host: "kvm-01")
        let certificate = try Certificate(pemEncoded: record.certificatePEM)
        // The subject is the server's choice; the key is the host's; the CA signed it for client auth.
        #expect(certificate.subject.description.contains("CN=kvm-01") && !certificate.subject.description.contains("root-please"))
        #expect(certificate.publicKey == Certificate.PublicKey(key.publicKey))
        let ca = try Certificate(pemEncoded: caPEM)
        #expect(ca.publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(try certificate.extensions.extendedKeyUsage?.contains(.clientAuth) == true)

        // A request whose signature does not verify (the sender lacks the key) is refused.
        var der = try request.serializeAsPEM().derBytes
        der[der.count - 5] ^= 0x01
        let broken = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: der).pemString
        #expect(throws: KeyError.self) { try store.issueHostCertificate(csrPEM: broken, host: "kvm-02") }
        #expect(throws: KeyError.self) { try store.issueHostCertificate(csrPEM: "not a csr", host: "kvm-02") }
    }
}
