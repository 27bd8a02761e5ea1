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
import Hummingbird
import HyperwardCore
import KeyManagement
import Ledger
import Logging
import ServiceLifecycle
import NIOCore
import NIOSSL
import X509

/// The API's operations (docs/api.yaml): what each needs (nothing, a host's client certificate,
/// or a person's bearer token with a role) is checked first in each handler.
struct FleetAPI: Sendable {
    let database: FleetDatabase
    let keystore: Keystore
    let logger: Logger
    let metrics: FleetMetrics
    /// Per API user, per host, and per client address for what needs no credential (and for
    /// failed authentication).
    let userLimit = RateLimiter(rate: 50, burst: 100)
    let hostLimit = RateLimiter(rate: 50, burst: 200)
    let addressLimit = RateLimiter(rate: 20, burst: 60)
    let actionSignal = ActionSignal()
    let batcher: IngestBatcher

    func register(on router: Router<FleetRequestContext>) {
        router.get("/healthz") { _, _ in json(["status": "ok"]) }
        router.get("/openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: FleetOpenAPI.document)))
        }
        router.get("/metrics") { request, context in
            _ = try user(request, context, atLeast: .viewer)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        router.get("/v1/ca") { _, context in
            try limit(addressLimit, address(context))
            let pem: String
            do { pem = try keystore.caCertificatePEM() } catch { throw FleetProblem(.serviceUnavailable, "the server has no CA") }
            var headers = HTTPFields()
            headers[.contentType] = "application/x-pem-file"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: pem)))
        }
        router.post("/v1/enroll") { request, context in try await enroll(request, context) }
        router.post("/v1/agent/events") { request, context in try await pushEvents(request, context) }
        router.get("/v1/agent/ledger") { _, context in
            let host = try await authenticatedHost(context)
            guard let held = try database.heldCheckpoint(host: host) else { return json(["size": 0, "root": NSNull()]) }
            return json(["size": held.size, "root": held.root])
        }
        router.post("/v1/agent/ledger") { request, context in try await offerCheckpoint(request, context) }
        router.get("/v1/agent/actions") { request, context in try await pollActions(request, context) }
        router.post("/v1/agent/actions/:id/result") { request, context in
            let host = try await authenticatedHost(context)
            let report = try await decode(ActionReport.self, request, context)
            try database.finishAction(id: context.parameters.get("id") ?? "", host: host, succeeded: report.succeeded, message: report.message)
            logger.notice("action finished", metadata: ["fleet.host": "\(host)", "fleet.succeeded": "\(report.succeeded)"])
            return json(["recorded": true])
        }
        router.post("/v1/actions") { request, context in
            let caller = try user(request, context, atLeast: .operator)
            let asked = try await decode(ActionRequest.self, request, context)
            let action = try requestAction(host: asked.host, kind: asked.kind, vm: asked.vm, reason: asked.reason, by: caller.name)
            return json(Self.actionObject(action), status: .created)
        }
        router.get("/v1/actions") { request, context in
            _ = try user(request, context, atLeast: .viewer)
            let host = request.uri.queryParameters.get("host").map { String($0) }
            return json(["actions": try database.actions(host: host, limit: 200).map(Self.actionObject)])
        }
        router.get("/v1/hosts") { request, context in
            _ = try user(request, context, atLeast: .viewer)
            let hosts = try database.hosts().map { host -> [String: Any] in
                var object: [String: Any] = ["name": host.name, "group": host.group, "enrolled_at": host.enrolledAt,
                                             "dropped_total": host.droppedTotal]
                object["last_seen"] = host.lastSeen ?? NSNull()
                object["revoked_at"] = host.revokedAt ?? NSNull()
                object["hostname"] = host.hostname ?? NSNull()
                return object
            }
            return json(["hosts": hosts])
        }
        router.get("/v1/events") { request, context in try listEvents(request, context) }
        router.post("/v1/enrollment-tokens") { request, context in
            let caller = try user(request, context, atLeast: .admin)
            let asked = try await decode(TokenRequest.self, request, context)
            let made = try database.createToken(group: asked.group, lifetime: TimeInterval(asked.expiresInSeconds ?? 3600), by: "api:" + caller.name)
            logger.notice("enrollment token for group \(asked.group) made by \(caller.name)")
            return json(["token": made.token, "group": made.group, "expires_at": Event.timestamp(made.expiresAt)], status: .created)
        }
        router.post("/v1/hosts/:name/revoke") { request, context in
            let caller = try user(request, context, atLeast: .admin)
            guard let name = context.parameters.get("name"), try database.isEnrolled(name) else {
                throw FleetProblem(.notFound, "no enrolled host by that name")
            }
            let serials = try revokeCertificates(host: name)
            try database.revokeHost(name)
            logger.notice("host \(name) revoked by \(caller.name)")
            return json(["host": name, "revoked_certificates": serials.count])
        }
    }

    // MARK: Who is asking

    /// The person a bearer token names, with at least `role`: 401 without a valid token, 403
    /// with a weaker role.
    func user(_ request: Request, _ context: FleetRequestContext, atLeast role: Role) throws -> FleetDatabase.APIUser {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              let user = try database.apiUser(token: String(header.dropFirst("Bearer ".count))) else {
            try limit(addressLimit, address(context))
            throw FleetProblem(.unauthorized, "a valid API token is required (Authorization: Bearer hwk_…)")
        }
        try limit(userLimit, "user:" + user.name)
        guard user.role >= role else {
            throw FleetProblem(.forbidden, "this needs the \(role.rawValue) role; \(user.name) is \(user.role.rawValue)")
        }
        return user
    }

    /// The enrolled host whose client certificate this connection presented (already verified
    /// against the fleet CA by TLS): 401 without one, 403 for a certificate that is not a host's
    /// current one (revoked, replaced, or a VM's).
    func authenticatedHost(_ context: FleetRequestContext) async throws -> String {
        let presented: NIOSSLCertificate?
        do { presented = try await context.channel.nioSSL_peerCertificate().get() } catch { presented = nil }
        guard let presented else {
            metrics.refusedHosts.increment()
            try limit(addressLimit, address(context))
            throw FleetProblem(.unauthorized, "this needs the host's client certificate (mutual TLS)")
        }
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: try presented.toDERBytes()) } catch {
            throw FleetProblem(.forbidden, "the client certificate does not parse")
        }
        var commonName: String?
        var unit: String?
        for rdn in certificate.subject {
            for attribute in rdn {
                if attribute.type == .RDNAttributeType.commonName { commonName = String(attribute.value) }
                if attribute.type == .RDNAttributeType.organizationalUnitName { unit = String(attribute.value) }
            }
        }
        guard let commonName, unit == "host" else {
            throw FleetProblem(.forbidden, "the client certificate is not a host's")
        }
        let serial = certificate.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()
        if let refusal = try database.hostRefusal(name: commonName, certificateSerial: serial) {
            metrics.refusedHosts.increment()
            logger.warning("refused a host certificate: \(refusal)")
            throw FleetProblem(.forbidden, refusal)
        }
        try limit(hostLimit, "host:" + commonName)
        return commonName
    }

    /// The client's address, the key of the limit on what needs no credential.
    func address(_ context: FleetRequestContext) -> String {
        "address:" + (context.channel.remoteAddress?.ipAddress ?? "unknown")
    }

    /// 429 when `key` has used up its requests.
    func limit(_ limiter: RateLimiter, _ key: String) throws(FleetProblem) {
        if let wait = limiter.take(key) {
            metrics.rateLimited.increment()
            throw FleetProblem(.tooManyRequests, "too many requests; try again in \(wait) s", retryAfter: wait)
        }
    }

    // MARK: Operations

    /// `POST /v1/enrollment-tokens`.
    struct TokenRequest: Decodable {
        var group: String
        var expiresInSeconds: Int?

        enum CodingKeys: String, CodingKey {
            case group
            case expiresInSeconds = "expires_in_seconds"
        }
    }

    /// `POST /v1/enroll`.
    struct EnrollRequest: Decodable {
        var token: String
        var host: String
        var hostname: String?
        var csr: String
    }

    func enroll(_ request: Request, _ context: FleetRequestContext) async throws -> Response {
        try limit(addressLimit, address(context))
        let asked = try await decode(EnrollRequest.self, request, context)
        let host = asked.host
        let hostname = asked.hostname.flatMap { FleetDatabase.isValidName($0) ? $0 : nil }
        guard FleetDatabase.isValidName(host) else {
            throw FleetProblem(.badRequest, "host name must be 1-64 letters, digits, '.', '_' or '-'")
        }
        // The request is checked before the token is used up: a malformed one does not burn it.
        try checkRequest(asked.csr)
        if try database.isEnrolled(host) {
            throw FleetProblem(.conflict, "a host named \(host) is already enrolled; a name is enrolled once")
        }
        let group = try database.consumeToken(asked.token, host: host)
        let issued = try issueCertificate(csrPEM: asked.csr, host: host)
        try database.recordEnrollment(host: host, group: group, certificateSerial: issued.serial, hostname: hostname)
        metrics.enrollments.increment()
        logger.notice("host \(host) enrolled in group \(group), certificate \(issued.serial)")
        return json(["host": host, "group": group, "certificate": issued.certificatePEM, "ca": try keystore.caCertificatePEM()])
    }

    func checkRequest(_ csrPEM: String) throws(FleetProblem) {
        do { _ = try Keystore.checkHostCertificateRequest(csrPEM) } catch { throw FleetProblem(.badRequest, error.message) }
    }

    /// The CA's certificate for a host's CSR (a bad request is 400). Synchronous: the keystore's
    /// typed errors are mapped here, outside the async handlers.
    func issueCertificate(csrPEM: String, host: String) throws(FleetProblem) -> IssuedCertificate {
        do { return try keystore.issueHostCertificate(csrPEM: csrPEM, host: host) } catch {
            throw FleetProblem(error.code == .invalidArgument ? .badRequest : .internalServerError, error.message)
        }
    }

    func revokeCertificates(host: String) throws(FleetProblem) -> [String] {
        do { return try keystore.revokeCertificates(vm: host) } catch {
            throw FleetProblem(.internalServerError, "cannot revoke the host's certificates: \(error.message)")
        }
    }

    /// `POST /v1/agent/ledger`: a host's latest signed checkpoint, the key it is signed by, and a
    /// consistency proof (hex hashes) from the size the server holds.
    struct CheckpointOffer: Decodable {
        var note: String
        var verifierKey: String
        var proof: [String]

        enum CodingKeys: String, CodingKey {
            case note, proof
            case verifierKey = "verifier_key"
        }
    }

    func offerCheckpoint(_ request: Request, _ context: FleetRequestContext) async throws -> Response {
        let host = try await authenticatedHost(context)
        let offer = try await decode(CheckpointOffer.self, request, context)
        guard offer.proof.count <= 128 else { throw FleetProblem(.badRequest, "a consistency proof has at most 128 hashes") }
        var proof: [MerkleHash] = []
        for text in offer.proof {
            guard let hash = MerkleHash(hex: text) else { throw FleetProblem(.badRequest, "the proof holds something that is not a SHA-256 hash") }
            proof.append(hash)
        }
        switch try database.offerCheckpoint(host: host, noteText: offer.note, verifierKey: offer.verifierKey, proof: proof) {
        case .accepted(let message):
            return json(["accepted": true, "message": message])
        case .refused(let reason, let alert):
            logger.critical("host \(host)'s ledger checkpoint refused: \(reason)", metadata: ["fleet.alert": "\(alert)"])
            throw FleetProblem(.conflict, "the checkpoint is not a consistent extension of the one held: \(reason) (fleet alert \(alert))")
        }
    }

    /// `POST /v1/actions`.
    struct ActionRequest: Decodable {
        var host: String
        var kind: FleetActionKind
        var vm: String?
        var reason: String
    }

    /// `POST /v1/agent/actions/{id}/result`.
    struct ActionReport: Decodable {
        var succeeded: Bool
        var message: String
    }

    /// Records an operator's request and wakes the host's long-poll in this process.
    func requestAction(host: String, kind: FleetActionKind, vm: String?, reason: String, by user: String) throws -> FleetAction {
        let action = try database.requestAction(host: host, kind: kind, vm: vm, reason: reason, by: user)
        actionSignal.notify(host)
        logger.notice("action requested", metadata: ["fleet.host": "\(host)", "fleet.action": "\(kind.rawValue)", "fleet.user": "\(user)"])
        return action
    }

    static func actionObject(_ action: FleetAction) -> [String: Any] {
        ["id": action.id, "host": action.host, "kind": action.kind.rawValue, "vm": action.vm ?? NSNull(), "reason": action.reason,
         "requested_by": action.requestedBy, "requested_at": action.requestedAt, "state": action.state.rawValue,
         "result": action.result ?? NSNull(), "finished_at": action.finishedAt ?? NSNull()]
    }

    /// `GET /v1/agent/actions?wait=SECONDS`: the host's pending actions, waiting up to `wait`
    /// (0-50 s) for one to be requested. The database is looked at every 2 s (another server
    /// process may have taken the request); a request in this process wakes the poll at once.
    func pollActions(_ request: Request, _ context: FleetRequestContext) async throws -> Response {
        let host = try await authenticatedHost(context)
        var wait = 0
        if let text = request.uri.queryParameters.get("wait") {
            guard let value = Int(text), (0...50).contains(value) else { throw FleetProblem(.badRequest, "wait is 0 to 50 seconds") }
            wait = value
        }
        let deadline = ContinuousClock.now + .seconds(wait)
        while true {
            let actions = try database.takePendingActions(host: host)
            if !actions.isEmpty || ContinuousClock.now >= deadline || Task.isCancelled || Task.isShuttingDownGracefully {
                return json(["actions": actions.map(Self.actionObject)])
            }
            await actionSignal.wait(host, timeout: min(.seconds(2), deadline - ContinuousClock.now))
        }
    }

    /// What an agent pushes: its events since its cursor, and how many it had to drop.
    struct PushBody: Decodable {
        var events: [Event]
        var droppedTotal: Int64?

        enum CodingKeys: String, CodingKey {
            case events
            case droppedTotal = "dropped_total"
        }
    }

    func pushEvents(_ request: Request, _ context: FleetRequestContext) async throws -> Response {
        let host = try await authenticatedHost(context)
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let push: PushBody
        do { push = try JSONDecoder().decode(PushBody.self, from: Data(buffer.readableBytesView)) } catch {
            throw FleetProblem(.badRequest, "the body is not a push of events: \(Self.decodingProblem(error))")
        }
        if let dropped = push.droppedTotal, dropped < 0 { throw FleetProblem(.badRequest, "dropped_total cannot be negative") }
        let started = ContinuousClock.now
        let result = try await batcher.ingest(FleetDatabase.Push(events: push.events, host: host, droppedTotal: push.droppedTotal))
        metrics.ingestSeconds.record(ContinuousClock.now - started)
        metrics.eventsStored.increment(by: Int64(result.stored))
        metrics.eventsDuplicate.increment(by: Int64(result.duplicates))
        return json(["stored": result.stored, "duplicates": result.duplicates])
    }

    func listEvents(_ request: Request, _ context: FleetRequestContext) throws -> Response {
        _ = try user(request, context, atLeast: .viewer)
        let query = request.uri.queryParameters
        var limit = 100
        if let text = query.get("limit") {
            guard let value = Int(text), (1...1000).contains(value) else { throw FleetProblem(.badRequest, "limit is 1 to 1000") }
            limit = value
        }
        var before: Int64?
        if let text = query.get("before") {
            guard let value = Int64(text), value > 0 else { throw FleetProblem(.badRequest, "before is a positive sequence number") }
            before = value
        }
        let severity = query.get("severity")
        if let severity, Severity(rawValue: severity) == nil { throw FleetProblem(.badRequest, "severity is info, low, medium, high or critical") }
        let page = try database.events(host: query.get("host"), kind: query.get("kind"), severity: severity, before: before, limit: limit)
        var text = #"{"events":["#
        for (index, item) in page.events.enumerated() {
            if index > 0 { text += "," }
            text += #"{"seq":\#(item.seq),"host":\#(JSONText.quoted(item.host)),"event":\#(item.envelope)}"#
        }
        text += "]"
        if page.events.count == limit, let last = page.events.last { text += #","next_before":\#(last.seq)"# }
        text += "}"
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A JSON body as `T`, strictly (a missing field or a wrong type is 400), bounded by the
    /// context's upload size.
    func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: FleetRequestContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        do { return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView)) } catch {
            throw FleetProblem(.badRequest, "the body is not what this operation takes: \(Self.decodingProblem(error))")
        }
    }

    /// A decoding error in a sentence, without the decoder's internals.
    static func decodingProblem(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not JSON" }
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingPrefix(".").description
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context.codingPath)) has the wrong type"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not JSON" : "\(path(context.codingPath)) is not valid"
        @unknown default: return "not valid"
        }
    }
}

/// A JSON answer.
func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
