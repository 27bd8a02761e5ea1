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
import HyperwardCore
import HyperwardHost
import HyperwardStore
import KeyManagement
import Ledger
import NIOHTTP1
import SwiftASN1
import X509

/// A host's link to the fleet server, kept in `<state>/fleet/`:
/// - `host.key`: the host's ECDSA P-256 key (0600; made here, never sent);
/// - `host.crt`: its client certificate from the server's CA;
/// - `ca.crt`: the server's CA, pinned at enrollment by its SHA-256 fingerprint;
/// - `enrollment.json`: the server's address, the host's name and group (written last: a link
///   without it is not enrolled);
/// - `cursor.json`: the last event row the server acknowledged and how many were dropped.
public struct FleetLink: Sendable {
    public static let directoryName = "fleet"

    /// Events sent in one request.
    public static let batchSize = 500
    /// The most events waiting to be pushed: past it the oldest are skipped, counted and
    /// reported to the server (`dropped_total`), never silently.
    public static let defaultMaxPending = 200_000

    public var server: FleetServerAddress
    public var host: String
    public var group: String
    public var caFingerprint: String
    var caPEM: String
    var certificatePEM: String
    var privateKeyPEM: String

    var credentials: FleetHTTP.Credentials {
        FleetHTTP.Credentials(trustedCAPEM: caPEM, certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
    }

    static func directory(_ stateDirectory: String) -> String { stateDirectory + "/" + directoryName }

    /// The SHA-256 of a certificate's DER, lowercase hex: how an operator pins the server's CA.
    public static func fingerprint(pem: String) throws(HyperwardError) -> String {
        do {
            let document = try PEMDocument(pemString: pem)
            return Hex.encode(SHA256.hash(data: document.derBytes))
        } catch {
            throw HyperwardError(.invalidInput, "not a PEM certificate: \(error)")
        }
    }

    /// A fingerprint as operators write it (`SHA256:AB:CD…`, `ab cd…`) in the one form compared.
    public static func normalizedFingerprint(_ text: String) throws(HyperwardError) -> String {
        var hex = text.lowercased()
        if hex.hasPrefix("sha256:") { hex.removeFirst("sha256:".count) }
        hex = String(hex.filter { $0 != ":" && $0 != " " })
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw HyperwardError(.usage, "--ca-fingerprint must be the CA certificate's SHA-256: 64 hex digits (colons allowed)")
        }
        return hex
    }

    // MARK: Enrollment

    /// Enrolls this host: fetches the server's CA and checks it against `fingerprint` before
    /// anything is sent; then, on a connection verified against that CA, sends the one-time
    /// `token` and a CSR for a new key, and keeps the certificate the server's CA issues. The key
    /// never leaves the host and is written (0600) only once the certificate came back.
    public static func enroll(stateDirectory: String, server: FleetServerAddress, token: String, fingerprint: String,
                              host: String) async throws -> FleetLink {
        let pinned = try normalizedFingerprint(fingerprint)
        let directory = directory(stateDirectory)
        do { try PrivateDirectory.ensure(directory, parents: true) } catch { throw HyperwardError(.storage, "\(error)") }
        let lock: StateLock
        do { lock = try StateLock.acquire(stateDirectory, .fleet, wait: .seconds(30), holder: "agent enroll") } catch {
            throw HyperwardError(.busy, error.message)
        }
        defer { withExtendedLifetime(lock) {} }
        if FileManager.default.fileExists(atPath: directory + "/enrollment.json") {
            throw HyperwardError(.cannotCreate, "this host is already enrolled (\(directory)/enrollment.json); remove \(directory) to enroll it again")
        }

        // 1. The CA, over a connection nothing is trusted on yet: only its fingerprint decides.
        let caResponse = try await FleetHTTP.withConnection(to: server, credentials: .init(trustedCAPEM: nil)) { connection in
            try await connection.request(.GET, "/v1/ca")
        }
        guard caResponse.status == 200 else {
            throw HyperwardError(.unavailable, "\(server) did not give its CA (HTTP \(caResponse.status)): \(caResponse.problemDetail.terminalSafe)")
        }
        let caPEM = caResponse.text
        let seen = try FleetLink.fingerprint(pem: caPEM)
        guard seen == pinned else {
            throw HyperwardError(.refused, "the server's CA has fingerprint \(seen), not the pinned \(pinned): not enrolling (nothing was sent)")
        }

        // 2. The key and its request; the token only over a connection verified against that CA.
        let key = P256.Signing.PrivateKey()
        let csrPEM: String
        do {
            let request = try CertificateSigningRequest(
                version: .v1, subject: try DistinguishedName { CommonName(host) }, privateKey: Certificate.PrivateKey(key),
                attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256)
            csrPEM = try request.serializeAsPEM().pemString
        } catch {
            throw HyperwardError(.software, "cannot make the certificate request: \(error)")
        }
        let body = try JSONSerialization.data(withJSONObject: [
            "token": token, "host": host, "hostname": Event.localHost ?? host, "csr": csrPEM,
        ], options: [.sortedKeys])
        let answer = try await FleetHTTP.withConnection(to: server, credentials: .init(trustedCAPEM: caPEM)) { connection in
            try await connection.request(.POST, "/v1/enroll", json: Array(body))
        }
        guard answer.status == 200, let object = answer.json, let certificate = object["certificate"] as? String,
              let group = object["group"] as? String else {
            throw HyperwardError(answer.status == 403 || answer.status == 401 ? .refused : .unavailable,
                                 "enrollment refused (HTTP \(answer.status)): \(answer.problemDetail.terminalSafe)")
        }
        let issued: Certificate
        do { issued = try Certificate(pemEncoded: certificate) } catch {
            throw HyperwardError(.invalidInput, "the server's certificate does not parse: \(error)")
        }
        guard issued.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw HyperwardError(.invalidInput, "the server's certificate is not for this host's key")
        }

        // 3. Written: key, certificate, CA, and last the enrollment that makes them count.
        let link = FleetLink(server: server, host: host, group: group, caFingerprint: seen, caPEM: caPEM,
                             certificatePEM: certificate, privateKeyPEM: key.pemRepresentation)
        do {
            try SafeFile.write(Array(link.privateKeyPEM.utf8), to: directory + "/host.key", mode: 0o600, replace: true)
            try SafeFile.write(Array(certificate.utf8), to: directory + "/host.crt", mode: 0o644, replace: true)
            try SafeFile.write(Array(caPEM.utf8), to: directory + "/ca.crt", mode: 0o644, replace: true)
            let enrollment = try JSONSerialization.data(withJSONObject: [
                "server": server.description, "host": host, "group": group, "ca_fingerprint": seen,
                "enrolled_at": Event.timestamp(Date()),
            ], options: [.sortedKeys, .prettyPrinted])
            try SafeFile.write(Array(enrollment), to: directory + "/enrollment.json", mode: 0o600, replace: true)
        } catch {
            throw HyperwardError(.ioError, "cannot keep the enrollment in \(directory): \(error)")
        }
        return link
    }

    /// Whether `stateDirectory` holds an enrollment.
    public static func isEnrolled(stateDirectory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory(stateDirectory) + "/enrollment.json")
    }

    /// The link recorded in `stateDirectory`; `.notFound` when this host is not enrolled.
    public static func load(stateDirectory: String) throws(HyperwardError) -> FleetLink {
        let directory = directory(stateDirectory)
        func read(_ name: String) throws(HyperwardError) -> String {
            do { return try String(contentsOfFile: directory + "/" + name, encoding: .utf8) } catch {
                throw HyperwardError(.notFound, "this host is not enrolled with a fleet server (\(directory)/\(name): \(error.localizedDescription)); run `hyperward agent enroll`")
            }
        }
        let enrollment = try read("enrollment.json")
        guard let object = try? JSONSerialization.jsonObject(with: Data(enrollment.utf8)) as? [String: Any],
              let serverText = object["server"] as? String, let host = object["host"] as? String,
              let group = object["group"] as? String, let fingerprint = object["ca_fingerprint"] as? String else {
            throw HyperwardError(.corrupted, "\(directory)/enrollment.json is not a valid enrollment")
        }
        let link = FleetLink(server: try FleetServerAddress(parsing: serverText), host: host, group: group, caFingerprint: fingerprint,
                             caPEM: try read("ca.crt"), certificatePEM: try read("host.crt"), privateKeyPEM: try read("host.key"))
        guard try Self.fingerprint(pem: link.caPEM) == fingerprint else {
            throw HyperwardError(.corrupted, "\(directory)/ca.crt is not the CA pinned at enrollment")
        }
        return link
    }

    // MARK: Pushing events

    /// What one push did.
    public struct PushResult: Sendable, Equatable {
        public var sent = 0
        public var stored = 0
        public var duplicates = 0
        /// Events skipped because more than the bound were waiting (all pushes so far).
        public var droppedTotal: Int64 = 0
        /// Events still waiting (the push stopped at `maxBatches`).
        public var remaining: Int64 = 0
        /// What the server said of this host's latest ledger checkpoint (nil: none sent).
        public var checkpoint: String?
    }

    /// Offers the ledger's latest signed checkpoint to the server (its witness), with a
    /// consistency proof from the size the server holds. Nothing when there is no checkpoint yet,
    /// or when the server holds this one. A refusal (this host's history does not extend what the
    /// server saw) is `.corrupted`: the server has raised a fleet alert.
    static func offerCheckpoint(store: StateStore, stateDirectory: String, connection: FleetHTTP.Connection) async throws -> String? {
        guard let latest = try store.latestCheckpoint() else { return nil }
        let key: (name: String, publicKey: [UInt8])?
        do { key = try Keystore.ledgerPublicKey(directory: stateDirectory) } catch {
            throw HyperwardError(exitStatus: error.exitCode, error.message)
        }
        guard let key else { return nil }
        let verifierKey = try NoteVerifier(name: key.name, publicKey: key.publicKey).verifierKey
        let heldAnswer = try await connection.request(.GET, "/v1/agent/ledger")
        guard heldAnswer.status == 200, let held = heldAnswer.json, let heldSize = (held["size"] as? NSNumber)?.uint64Value else {
            throw HyperwardError(.unavailable, "the server did not say which checkpoint it holds (HTTP \(heldAnswer.status))")
        }
        if heldSize == latest.size, held["root"] as? String == latest.root.hex { return "the server holds this checkpoint (size \(heldSize))" }
        var proof: [MerkleHash] = []
        if heldSize > 0, heldSize < latest.size {
            proof = try store.consistencyProof(oldSize: heldSize, newSize: latest.size).proof
        }
        let body = try JSONSerialization.data(withJSONObject: [
            "note": latest.note, "verifier_key": verifierKey, "proof": proof.map(\.hex),
        ], options: [.sortedKeys])
        let answer = try await connection.request(.POST, "/v1/agent/ledger", json: Array(body))
        if answer.status == 409 {
            throw HyperwardError(.corrupted, "the server refused this host's ledger checkpoint: \(answer.problemDetail.terminalSafe)")
        }
        guard answer.status == 200, let message = answer.json?["message"] as? String else {
            throw HyperwardError(.unavailable, "the server did not take the checkpoint (HTTP \(answer.status)): \(answer.problemDetail.terminalSafe)")
        }
        return message
    }

    /// The acknowledged position: the last row the server stored, and the events dropped.
    struct Cursor: Codable {
        var row: Int64
        var droppedTotal: Int64

        enum CodingKeys: String, CodingKey {
            case row
            case droppedTotal = "dropped_total"
        }
    }

    static func readCursor(_ directory: String) -> Cursor {
        guard let data = FileManager.default.contents(atPath: directory + "/cursor.json"),
              let cursor = try? JSONDecoder().decode(Cursor.self, from: data), cursor.row >= 0, cursor.droppedTotal >= 0 else {
            return Cursor(row: 0, droppedTotal: 0)
        }
        return cursor
    }

    static func writeCursor(_ cursor: Cursor, _ directory: String) throws(HyperwardError) {
        do {
            let data = try JSONEncoder().encode(cursor)
            try SafeFile.write(Array(data), to: directory + "/cursor.json", mode: 0o600, replace: true)
        } catch {
            throw HyperwardError(.ioError, "cannot record the push position in \(directory): \(error)")
        }
    }

    /// Pushes the events recorded since the last acknowledged one, in batches, on one
    /// connection. The position moves only when the server acknowledged a batch, so a push cut
    /// off anywhere (the server killed, this process killed) resends from there, and the server
    /// stores each event once (by id). The store is the buffer: while the server is away events
    /// wait in it; past `maxPending` the oldest are skipped and counted.
    public func push(stateDirectory: String, maxPending: Int64 = Int64(FleetLink.defaultMaxPending),
                     maxBatches: Int = .max) async throws -> PushResult {
        let directory = Self.directory(stateDirectory)
        let lock: StateLock
        do { lock = try StateLock.acquire(stateDirectory, .fleet, wait: .seconds(60), holder: "agent push") } catch {
            throw HyperwardError(.busy, error.message)
        }
        defer { withExtendedLifetime(lock) {} }
        // No store yet (nothing recorded): the push is a heartbeat with no events.
        let store: StateStore? = FileManager.default.fileExists(atPath: stateDirectory + "/" + StateStore.fileName)
            ? try StateStore.openExisting(stateDirectory: stateDirectory) : nil
        var cursor = Self.readCursor(directory)
        let last = try store?.lastEventRow() ?? 0
        if last < cursor.row {
            // The store was replaced (restored or recreated): start again; the server keeps each id once.
            cursor.row = 0
        }
        if last - cursor.row > maxPending {
            cursor.droppedTotal += last - cursor.row - maxPending
            cursor.row = last - maxPending
            try Self.writeCursor(cursor, directory)
        }
        let start = cursor
        return try await FleetHTTP.withConnection(to: server, credentials: credentials, timeout: .seconds(300)) { connection in
            var result = PushResult(droppedTotal: start.droppedTotal)
            var cursor = start
            var batches = 0
            while batches < maxBatches {
                let batch = try store?.events(afterRow: cursor.row, limit: Self.batchSize) ?? []
                if batch.isEmpty && batches > 0 { break }
                var body = Array(#"{"dropped_total":\#(cursor.droppedTotal),"events":["#.utf8)
                for (index, item) in batch.enumerated() {
                    if index > 0 { body.append(0x2C) }
                    body.append(contentsOf: item.event.jsonLine().utf8)
                }
                body.append(contentsOf: "]}".utf8)
                var answer = try await connection.request(.POST, "/v1/agent/events", json: body)
                // Rate-limited: wait as the server says (at most 10 s, five times), then the same batch again.
                var retries = 0
                while answer.status == 429, retries < 5 {
                    let wait = answer.headers.first { $0.0.lowercased() == "retry-after" }.flatMap { Int($0.1) } ?? 1
                    try await Task.sleep(for: .seconds(min(max(wait, 1), 10)))
                    answer = try await connection.request(.POST, "/v1/agent/events", json: body)
                    retries += 1
                }
                guard answer.status == 200, let object = answer.json,
                      let stored = object["stored"] as? Int, let duplicates = object["duplicates"] as? Int else {
                    throw HyperwardError(answer.status == 401 || answer.status == 403 ? .refused : .unavailable,
                                         "the server refused the events (HTTP \(answer.status)): \(answer.problemDetail.terminalSafe)")
                }
                result.sent += batch.count
                result.stored += stored
                result.duplicates += duplicates
                batches += 1
                guard let lastRow = batch.last?.row else { break }
                cursor.row = lastRow
                try Self.writeCursor(cursor, directory)
                if batch.count < Self.batchSize { break }
            }
            result.remaining = max(0, (try store?.lastEventRow() ?? 0) - cursor.row)
            if result.remaining == 0, let store {
                result.checkpoint = try await Self.offerCheckpoint(store: store, stateDirectory: stateDirectory, connection: connection)
            }
            return result
        }
    }
}
