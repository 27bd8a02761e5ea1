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
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The fleet server's address as an agent is given it: `https://HOST[:PORT]` (port 8443 when
/// absent). Only https: there is no clear-text mode.
public struct FleetServerAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `https://HOST[:PORT][/]`, IPv6 literals in brackets.
    public init(parsing text: String) throws(HyperwardError) {
        let bad = HyperwardError(.usage, "\(text.debugDescription) is not a server address (https://HOST[:PORT])")
        guard text.hasPrefix("https://") else {
            throw HyperwardError(.usage, "\(text.debugDescription): the server is reached over https:// only")
        }
        var rest = Substring(text.dropFirst("https://".count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@"), rest.utf8.count <= 260 else { throw bad }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad }
                portText = after.dropFirst()
            }
        } else if let colon = rest.firstIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty, host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw bad }
        var port = 8443
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { throw bad }
            port = value
        }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)" }

    /// Whether the host is an IP literal (then no SNI is sent, and the certificate's IP
    /// addresses are checked against the peer's address).
    var isIPAddress: Bool { (try? IPNetwork(address: host)) != nil }
}

/// An HTTP/1.1 response, whole (its body bounded).
public struct FleetHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object, or nil.
    public var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }

    /// A problem document's `detail` (RFC 9457), or the body's start.
    public var problemDetail: String {
        if let detail = json?["detail"] as? String { return detail }
        return String(text.prefix(200))
    }
}

/// A minimal HTTPS client on SwiftNIO for the agent's calls to the fleet server: TLS 1.3 only,
/// one connection reused for sequential requests, bounded responses, a deadline on every call.
public enum FleetHTTP {
    /// The largest response body read (the CA, a certificate, a push's answer are small).
    public static let maxResponseBytes = 4 << 20

    /// One open connection: requests are sent one after another on it.
    public final class Connection: @unchecked Sendable {
        let address: FleetServerAddress
        var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

        init(address: FleetServerAddress, inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator,
             outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>) {
            self.address = address
            self.inbound = inbound
            self.outbound = outbound
        }

        /// Sends one request and reads its whole response.
        public func request(_ method: HTTPMethod, _ path: String, json body: [UInt8]? = nil, contentType: String = "application/json",
                            headers extra: [(String, String)] = []) async throws -> FleetHTTPResponse {
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: address.host.contains(":") ? "[\(address.host)]:\(address.port)" : "\(address.host):\(address.port)")
            headers.add(name: "User-Agent", value: "hyperward-agent")
            headers.add(name: "Accept", value: "application/json")
            for (name, value) in extra { headers.add(name: name, value: value) }
            if let body {
                headers.add(name: "Content-Type", value: contentType)
                headers.add(name: "Content-Length", value: String(body.count))
            } else if method == .POST || method == .PUT {
                headers.add(name: "Content-Length", value: "0")
            }
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)))
            if let body, !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            try await outbound.write(.end(nil))

            var status = 0
            var responseHeaders: [(String, String)] = []
            var collected: [UInt8] = []
            while let part = try await inbound.next() {
                switch part {
                case .head(let head):
                    status = Int(head.status.code)
                    responseHeaders = head.headers.map { ($0.name, $0.value) }
                case .body(let buffer):
                    guard collected.count + buffer.readableBytes <= FleetHTTP.maxResponseBytes else {
                        throw HyperwardError(.unavailable, "the server's answer is larger than \(FleetHTTP.maxResponseBytes) bytes")
                    }
                    collected.append(contentsOf: buffer.readableBytesView)
                case .end:
                    return FleetHTTPResponse(status: status, headers: responseHeaders, body: collected)
                }
            }
            throw HyperwardError(.unavailable, "the server closed the connection before answering")
        }
    }

    /// How the client proves itself and checks the server.
    public struct Credentials: Sendable {
        /// The CA the server's certificate must chain to (nil: none checked, only to fetch the CA
        /// itself, whose fingerprint the caller then checks).
        public var trustedCAPEM: String?
        /// The host's certificate and key, PEM (nil before enrollment).
        public var certificatePEM: String?
        public var privateKeyPEM: String?

        public init(trustedCAPEM: String?, certificatePEM: String? = nil, privateKeyPEM: String? = nil) {
            self.trustedCAPEM = trustedCAPEM
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
        }
    }

    static func tlsConfiguration(_ credentials: Credentials) throws(HyperwardError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        do {
            if let ca = credentials.trustedCAPEM {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
                tls.certificateVerification = .fullVerification
            } else {
                tls.certificateVerification = .none
            }
            if let certificate = credentials.certificatePEM, let key = credentials.privateKeyPEM {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.utf8)).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
            }
        } catch {
            throw HyperwardError(.configuration, "the fleet credentials do not load: \(error)")
        }
        return tls
    }

    /// Connects to `address` over TLS with `credentials`, runs `body` with the connection, and
    /// closes it. The whole call, TLS handshake included, ends by `timeout`.
    public static func withConnection<T: Sendable>(
        to address: FleetServerAddress, credentials: Credentials, timeout: Duration = .seconds(30),
        _ body: @Sendable @escaping (Connection) async throws -> T
    ) async throws -> T {
        let tls = try tlsConfiguration(credentials)
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: tls) } catch {
            throw HyperwardError(.configuration, "cannot make the TLS context: \(error)")
        }
        let sniName = address.isIPAddress ? nil : address.host
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask {
                let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
                do {
                    channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .connectTimeout(.seconds(10))
                        .connect(host: address.host, port: address.port) { channel in
                            channel.eventLoop.makeCompletedFuture {
                                let handler = try NIOSSLClientHandler(context: context, serverHostname: sniName)
                                try channel.pipeline.syncOperations.addHandler(handler)
                                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                                return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                            }
                        }
                } catch {
                    throw HyperwardError(.unavailable, "cannot connect to \(address): \(error)")
                }
                return try await channel.executeThenClose { inbound, outbound in
                    do {
                        return try await body(Connection(address: address, inbound: inbound.makeAsyncIterator(), outbound: outbound))
                    } catch let error as HyperwardError {
                        throw error
                    } catch let error as NIOSSLError {
                        throw HyperwardError(.unavailable, "TLS with \(address) failed: \(error)")
                    } catch {
                        throw HyperwardError(.unavailable, "the exchange with \(address) failed: \(error)")
                    }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw HyperwardError(.unavailable, "\(address) did not answer within \(timeout.components.seconds) s")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }
}

extension HyperwardError.Code {
    /// The fleet server cannot be reached or did not answer (69, as libvirt out of reach).
    public static let unavailable = HyperwardError.Code("unavailable", exitStatus: ExitStatus.refused)
}
