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
import HummingbirdTLS
import HyperwardCore
import KeyManagement
import Logging
import NIOCore
import NIOSSL
import X509

/// A request's context: Hummingbird's, and the connection, for the client certificate.
public struct FleetRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// A push of 1,000 events fits; anything larger is refused before it is read whole.
    public var maxUploadSize: Int { 4 << 20 }
}

/// An API error as the client sees it: an RFC 9457 problem document.
public struct FleetProblem: Error, Sendable {
    public var status: HTTPResponse.Status
    public var detail: String
    /// Seconds to wait before trying again (429).
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ detail: String, retryAfter: Int? = nil) {
        self.status = status
        self.detail = detail
        self.retryAfter = retryAfter
    }

    /// The problem for a domain error, by its code.
    init(_ error: HyperwardError) {
        switch error.code {
        case .usage, .invalidInput: self.init(.badRequest, error.message)
        // A field or a list over its bound is a bad request; a body over the limit is 413 (the framework's).
        case .tooLarge: self.init(.badRequest, error.message)
        case .refused: self.init(.forbidden, error.message)
        case .unknownItem, .notFound: self.init(.notFound, error.message)
        case .cannotCreate: self.init(.conflict, error.message)
        default: self.init(.internalServerError, "the server failed; see its log")
        }
    }

    var response: Response {
        let object: [String: Any] = [
            "type": "about:blank", "title": status.reasonPhrase, "status": status.code, "detail": detail,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"hyperward\"" }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error into a problem document (no stack, no internal detail for a 500), and
/// sets the headers every answer carries.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = FleetRequestContext
    let logger: Logger

    /// The methods each of the API's paths takes (docs/api.yaml), for 405 answers.
    static func allowedMethods(_ path: String) -> [HTTPRequest.Method]? {
        switch path {
        case "/healthz", "/openapi.yaml", "/metrics", "/v1/ca", "/v1/hosts", "/v1/events": return [.get, .head]
        case "/v1/enroll", "/v1/agent/events", "/v1/enrollment-tokens": return [.post]
        case "/v1/agent/ledger", "/v1/actions": return [.get, .head, .post]
        case "/v1/agent/actions": return [.get, .head]
        default:
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count == 5, parts[1] == "v1", parts[2] == "hosts", !parts[3].isEmpty, parts[4] == "revoke" { return [.post] }
            if parts.count == 6, parts[1] == "v1", parts[2] == "agent", parts[3] == "actions", !parts[4].isEmpty, parts[5] == "result" { return [.post] }
            return nil
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let redirection as DashboardRedirect {
            response = redirect(redirection.location)
        } catch let problem as FleetProblem {
            response = problem.response
        } catch let error as HyperwardError {
            let problem = FleetProblem(error)
            if problem.status == .internalServerError { logger.error("\(request.method) \(request.uri.path): \(error.description)") }
            response = problem.response
        } catch let error as HTTPError where error.status == .notFound {
            // A known path asked with a method it does not take is 405 with the ones it does.
            if let allowed = Self.allowedMethods(request.uri.path), !allowed.contains(request.method) {
                response = FleetProblem(.methodNotAllowed, "\(request.uri.path) takes \(allowed.map(\.rawValue).joined(separator: ", "))").response
                response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
            } else {
                response = FleetProblem(.notFound, "no such resource").response
            }
        } catch let error as HTTPError {
            response = FleetProblem(error.status, error.body ?? error.status.reasonPhrase).response
        } catch let error as any HTTPResponseError {
            // The framework's own (a body over the upload limit is 413).
            let detail = error.status == .contentTooLarge ? "the body is larger than \(context.maxUploadSize) bytes" : error.status.reasonPhrase
            response = FleetProblem(error.status, detail).response
        } catch {
            logger.error("\(request.method) \(request.uri.path): \(error)")
            response = FleetProblem(.internalServerError, "the server failed; see its log").response
        }
        response.headers[.cacheControl] = "no-store"
        response.headers[.xContentTypeOptions] = "nosniff"
        if response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'" }
        response.headers[.strictTransportSecurity] = "max-age=31536000"
        return response
    }
}

/// The fleet server: its API on Hummingbird over TLS 1.3, agents authenticated by the client
/// certificates its CA issued (mutual TLS), people by bearer tokens with a role.
public struct FleetHTTPServer: Sendable {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        /// Names and addresses the server's certificate is valid for (the listen address is added).
        public var dnsNames: [String]
        public var ipAddresses: [String]

        public init(host: String, port: Int, dnsNames: [String] = [], ipAddresses: [String] = []) {
            self.host = host
            self.port = port
            self.dnsNames = dnsNames
            self.ipAddresses = ipAddresses
        }
    }

    let database: FleetDatabase
    let keystore: Keystore
    let options: Options
    let logger: Logger
    let metrics: FleetMetrics

    public init(database: FleetDatabase, keystore: Keystore, options: Options, logger: Logger, metrics: FleetMetrics = FleetMetrics()) {
        self.database = database
        self.keystore = keystore
        self.options = options
        self.logger = logger
        self.metrics = metrics
    }

    /// The server's TLS identity: a certificate from the fleet CA for this run, its key only in
    /// memory; with the CA itself trusted for client certificates.
    func tlsConfiguration() throws(HyperwardError) -> TLSConfiguration {
        var ipAddresses = options.ipAddresses
        var dnsNames = options.dnsNames
        if (try? IPNetwork(address: options.host)) != nil {
            if options.host != "0.0.0.0" && options.host != "::" { ipAddresses.append(options.host) }
        } else {
            dnsNames.append(options.host)
        }
        if ipAddresses.isEmpty && dnsNames.isEmpty { ipAddresses.append("127.0.0.1") }
        let issued: (record: IssuedCertificate, privateKeyPEM: String)
        let caPEM: String
        do {
            caPEM = try keystore.caCertificatePEM()
            issued = try keystore.issueCertificate(vm: "fleet-server", kind: .server, dnsNames: Array(Set(dnsNames)).sorted(),
                                                   ipAddresses: Array(Set(ipAddresses)).sorted(), validity: 30 * 86_400)
        } catch {
            throw HyperwardError(exitStatus: error.exitCode, "cannot make the server's certificate: \(error.message)")
        }
        do {
            let ca = try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8))
            let leaf = try NIOSSLCertificate.fromPEMBytes(Array(issued.record.certificatePEM.utf8))
            let key = try NIOSSLPrivateKey(bytes: Array(issued.privateKeyPEM.utf8), format: .pem)
            var tls = TLSConfiguration.makeServerConfiguration(certificateChain: (leaf + ca).map { .certificate($0) }, privateKey: .privateKey(key))
            tls.minimumTLSVersion = .tlsv13
            // A client certificate is asked for and, when given, must chain to the fleet CA; the
            // routes that need one (the agents') refuse a connection without it.
            tls.certificateVerification = .optionalVerification
            tls.trustRoots = .certificates(ca)
            return tls
        } catch {
            throw HyperwardError(.software, "cannot load the server's TLS identity: \(error)")
        }
    }


    /// The routes.
    func router() -> Router<FleetRequestContext> {
        let router = Router(context: FleetRequestContext.self)
        router.add(middleware: ProblemMiddleware(logger: logger))
        router.add(middleware: MetricsMiddleware())
        let api = FleetAPI(database: database, keystore: keystore, logger: logger, metrics: metrics, batcher: IngestBatcher(database: database))
        api.register(on: router)
        Dashboard(database: database, logger: logger, addressLimit: api.addressLimit,
                  requestAction: { host, kind, vm, reason, user in try api.requestAction(host: host, kind: kind, vm: vm, reason: reason, by: user) })
            .register(on: router)
        return router
    }

    /// Runs until SIGTERM or SIGINT; `onRunning` gets the bound port (the listen port may be 0).
    public func run(onRunning: @escaping @Sendable (Int) -> Void) async throws {
        metrics.bootstrapSwiftMetrics()
        let tls = try tlsConfiguration()
        let app = Application(
            router: router(),
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await app.runService()
    }
}
