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
import Logging
import NIOCore
import NIOSSL
import X509

/// The API's operations (docs/api.yaml): what each needs (nothing, a host's client certificate,
/// or a person's bearer token with a role) is checked first in each handler.
struct FleetAPI: Sendable {
    let database: FleetDatabase
    let keystore: Keystore
    let logger: Logger

    func register(on router: Router<FleetRequestContext>) {
        router.get("/healthz") { _, _ in json(["status": "ok"]) }
        router.get("/openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: FleetOpenAPI.document)))
        }
        router.get("/v1/ca") { _, _ in
            let pem: String
            do { pem = try keystore.caCertificatePEM() } catch { throw FleetProblem(.serviceUnavailable, "the server has no CA") }
            var headers = HTTPFields()
            headers[.contentType] = "application/x-pem-file"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: pem)))
        }
        router.post("/v1/enroll") { request, context in try await enroll(request, context) }
        router.post("/v1/agent/events") { request, context in try await pushEvents(request, context) }
        router.get("/v1/hosts") { request, _ in
            _ = try user(request, atLeast: .viewer)
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
        router.get("/v1/events") { request, _ in try listEvents(request) }
        router.post("/v1/enrollment-tokens") { request, context in
            let caller = try user(request, atLeast: .admin)
            let object = try await body(request, context)
            guard let group = object["group"] as? String else { throw FleetProblem(.badRequest, "the body needs \"group\"") }
            let lifetime = (object["expires_in_seconds"] as? Int) ?? 3600
            let made = try database.createToken(group: group, lifetime: TimeInterval(lifetime), by: "api:" + caller.name)
            logger.notice("enrollment token for group \(group) made by \(caller.name)")
            return json(["token": made.token, "group": made.group, "expires_at": Event.timestamp(made.expiresAt)], status: .created)
        }
        router.post("/v1/hosts/:name/revoke") { request, context in
            let caller = try user(request, atLeast: .admin)
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
    func user(_ request: Request, atLeast role: FleetRole) throws -> FleetDatabase.APIUser {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              let user = try database.apiUser(token: String(header.dropFirst("Bearer ".count))) else {
            throw FleetProblem(.unauthorized, "a valid API token is required (Authorization: Bearer hwk_…)")
        }
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
            logger.warning("refused a host certificate: \(refusal)")
            throw FleetProblem(.forbidden, refusal)
        }
        return commonName
    }

    // MARK: Operations

    func enroll(_ request: Request, _ context: FleetRequestContext) async throws -> Response {
        let object = try await body(request, context)
        guard let token = object["token"] as? String, let host = object["host"] as? String, let csr = object["csr"] as? String else {
            throw FleetProblem(.badRequest, "the body needs \"token\", \"host\" and \"csr\"")
        }
        let hostname = (object["hostname"] as? String).flatMap { FleetDatabase.isValidName($0) ? $0 : nil }
        guard FleetDatabase.isValidName(host) else {
            throw FleetProblem(.badRequest, "host name must be 1-64 letters, digits, '.', '_' or '-'")
        }
        if try database.isEnrolled(host) {
            throw FleetProblem(.conflict, "a host named \(host) is already enrolled; a name is enrolled once")
        }
        let group = try database.consumeToken(token, host: host)
        let issued = try issueCertificate(csrPEM: csr, host: host)
        try database.recordEnrollment(host: host, group: group, certificateSerial: issued.serial, hostname: hostname)
        logger.notice("host \(host) enrolled in group \(group), certificate \(issued.serial)")
        return json(["host": host, "group": group, "certificate": issued.certificatePEM, "ca": try keystore.caCertificatePEM()])
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
            throw FleetProblem(.badRequest, "the body is not a push of events: \(String(describing: error).prefix(300))")
        }
        let result = try database.ingest(push.events, from: host, droppedTotal: push.droppedTotal)
        return json(["stored": result.stored, "duplicates": result.duplicates])
    }

    func listEvents(_ request: Request) throws -> Response {
        _ = try user(request, atLeast: .viewer)
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

    /// A JSON object body, bounded by the context's upload size.
    func body(_ request: Request, _ context: FleetRequestContext) async throws -> [String: Any] {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw FleetProblem(.badRequest, "the body must be a JSON object")
        }
        return object
    }
}

/// A JSON answer.
func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
