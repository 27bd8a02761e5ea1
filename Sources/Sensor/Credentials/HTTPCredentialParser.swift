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

/// HTTP/1.x (RFC 9112) credentials: `Authorization: Basic` / `Proxy-Authorization: Basic`
/// (RFC 7617) and `application/x-www-form-urlencoded` POST bodies with a password field.
///
/// Requests and responses are framed per RFC 9112 §6 (Content-Length, chunked, no body for HEAD,
/// 1xx, 204, 304), so keep-alive and pipelined requests pair with their responses in order.
/// Verdicts:
/// - Basic: 2xx/3xx success, 401/403/407 failure, anything else unknown.
/// - Form: 401/403 failure, anything else unknown. A 200 or a 302 is what applications answer to
///   both right and wrong passwords (the error is in the page or the redirect target), so
///   claiming success there would be a guess.
///
/// Basic credentials split at the first colon (RFC 7617 §2: the user-id cannot contain one, the
/// password can). A response body delimited by connection close, a protocol upgrade, or a
/// CONNECT tunnel end parsing (nothing after it can be framed).
struct HTTPCredentialParser: LineProtocolParser {
    enum MessageState: Sendable { case startLine, headers, chunkSize, chunkDataEnd, trailers }

    /// Most header lines in one message.
    static let headerLimit = 128
    /// Most requests sent ahead of their responses (pipelining depth).
    static let pipelineLimit: UInt64 = 64
    /// Most credentials awaiting a response at once.
    static let pendingLimit = 16

    var limits: CredentialLimits

    // Request side.
    var requestState: MessageState = .startLine
    var requestIsPOST = false
    var requestIsHEAD = false
    var requestIsCONNECT = false
    var requestContentLength: Int? = nil
    var requestChunked = false
    var requestIsForm = false
    var requestHeaderCount = 0
    var requestBasic: (user: [UInt8], password: [UInt8], proxy: Bool)? = nil
    var formRequestIndex: UInt64 = 0

    // Response side.
    var responseState: MessageState = .startLine
    var responseStatus = 0
    var responseContentLength: Int? = nil
    var responseChunked = false
    var responseHeaderCount = 0

    var requestsSent: UInt64 = 0
    var responsesReceived: UInt64 = 0
    /// Bit `i % 64` set when request `i` was HEAD / CONNECT (its response has no body / opens a tunnel).
    var headMask: UInt64 = 0
    var connectMask: UInt64 = 0
    var pending: [PendingCredential] = []

    init(limits: CredentialLimits) { self.limits = limits }

    mutating func line(_ line: UnsafeRawBufferPointer, direction: StreamDirection, time: Timestamp,
                       events: inout [CredentialEvent]) -> FramingDirective {
        switch direction {
        case .toServer: return requestLine(line, time: time, events: &events)
        case .toClient: return responseLine(line, time: time, events: &events)
        }
    }

    mutating func block(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection, time: Timestamp,
                        events: inout [CredentialEvent]) -> FramingDirective {
        guard direction == .toServer, let (user, password) = Self.formCredential(bytes) else { return .lines }
        addPending(PendingCredential(kind: .httpForm, user: user, password: password, time: time,
                                     mechanism: "form POST", replyIndex: formRequestIndex), events: &events)
        return .lines
    }

    mutating func finish(time: Timestamp, events: inout [CredentialEvent]) {
        for credential in pending { events.append(credential.unknownEvent) }
        pending.removeAll()
    }

    // MARK: Requests

    private mutating func requestLine(_ line: UnsafeRawBufferPointer, time: Timestamp,
                                      events: inout [CredentialEvent]) -> FramingDirective {
        switch requestState {
        case .startLine:
            if line.isEmpty { return .lines }  // RFC 9112 §2.2: ignore empty lines before a request
            // request-line = method SP request-target SP HTTP-version
            let trimmed = line.trimmingWhitespace()
            guard let methodEnd = line.firstIndex(of: ASCII.space), methodEnd > 0, trimmed.count >= 8,
                  trimmed.dropping(trimmed.count - 8).hasPrefixIgnoringCase("http/1.") else {
                return .stop(.unrecognized)
            }
            let method = line.slice(0, methodEnd)
            requestIsPOST = method.equalsIgnoringCase("post")
            requestIsHEAD = method.equalsIgnoringCase("head")
            requestIsCONNECT = method.equalsIgnoringCase("connect")
            requestContentLength = nil
            requestChunked = false
            requestIsForm = false
            requestHeaderCount = 0
            requestBasic = nil
            requestState = .headers
            return .lines
        case .headers:
            if line.isEmpty { return endOfRequestHeaders(time: time, events: &events) }
            requestHeaderCount += 1
            guard requestHeaderCount <= Self.headerLimit else { return .stop(.tooManyHeaders) }
            guard let (name, value) = Self.header(line) else { return .lines }
            if name.equalsIgnoringCase("authorization") || name.equalsIgnoringCase("proxy-authorization") {
                if let (user, password) = Self.basicCredential(value) {
                    requestBasic = (user, password, name.count > 13)
                }
            } else if name.equalsIgnoringCase("content-length") {
                guard let length = value.decimalValue(),
                      requestContentLength == nil || requestContentLength == length else { return .stop(.unframed) }
                requestContentLength = length
            } else if name.equalsIgnoringCase("transfer-encoding") {
                requestChunked = value.containsIgnoringCase("chunked")
            } else if name.equalsIgnoringCase("content-type") {
                requestIsForm = value.hasPrefixIgnoringCase("application/x-www-form-urlencoded")
            }
            return .lines
        case .chunkSize, .chunkDataEnd, .trailers:
            return Self.chunkLine(line, state: &requestState)
        }
    }

    private mutating func endOfRequestHeaders(time: Timestamp, events: inout [CredentialEvent]) -> FramingDirective {
        let index = requestsSent
        requestsSent &+= 1
        guard requestsSent &- responsesReceived <= Self.pipelineLimit else { return .stop(.tooManyPending) }
        let bit: UInt64 = 1 << (index % 64)
        headMask = requestIsHEAD ? headMask | bit : headMask & ~bit
        connectMask = requestIsCONNECT ? connectMask | bit : connectMask & ~bit
        if let basic = requestBasic {
            addPending(PendingCredential(kind: .httpBasic, user: basic.user, password: basic.password, time: time,
                                         mechanism: basic.proxy ? "Proxy-Authorization" : "Authorization",
                                         replyIndex: index), events: &events)
        }
        requestState = .startLine
        if requestIsCONNECT { return .skip(Int.max) }  // tunnel bytes follow
        if requestChunked {
            requestState = .chunkSize
            return .lines
        }
        guard let length = requestContentLength, length > 0 else { return .lines }
        if requestIsPOST && requestIsForm && length <= limits.maxBufferedBytes {
            formRequestIndex = index
            return .collect(length)
        }
        return .skip(length)
    }

    // MARK: Responses

    private mutating func responseLine(_ line: UnsafeRawBufferPointer, time: Timestamp,
                                       events: inout [CredentialEvent]) -> FramingDirective {
        switch responseState {
        case .startLine:
            if line.isEmpty { return .lines }
            // status-line = HTTP-version SP status-code SP [ reason-phrase ]
            guard line.count >= 12, line.hasPrefixIgnoringCase("http/1."), line[8] == ASCII.space,
                  let status = line.slice(9, 12).decimalValue() else {
                return .stop(.unrecognized)
            }
            responseStatus = status
            responseContentLength = nil
            responseChunked = false
            responseHeaderCount = 0
            responseState = .headers
            return .lines
        case .headers:
            if line.isEmpty { return endOfResponseHeaders(time: time, events: &events) }
            responseHeaderCount += 1
            guard responseHeaderCount <= Self.headerLimit else { return .stop(.tooManyHeaders) }
            guard let (name, value) = Self.header(line) else { return .lines }
            if name.equalsIgnoringCase("content-length") {
                guard let length = value.decimalValue(),
                      responseContentLength == nil || responseContentLength == length else { return .stop(.unframed) }
                responseContentLength = length
            } else if name.equalsIgnoringCase("transfer-encoding") {
                responseChunked = value.containsIgnoringCase("chunked")
            }
            return .lines
        case .chunkSize, .chunkDataEnd, .trailers:
            return Self.chunkLine(line, state: &responseState)
        }
    }

    private mutating func endOfResponseHeaders(time: Timestamp, events: inout [CredentialEvent]) -> FramingDirective {
        responseState = .startLine
        let status = responseStatus
        if status < 200 {
            // 1xx is interim (RFC 9110 §15.2); 101 switches to another protocol.
            return status == 101 ? .stop(.unframed) : .lines
        }
        var isHEAD = false
        var isCONNECT = false
        if responsesReceived < requestsSent {
            let index = responsesReceived
            responsesReceived &+= 1
            let bit: UInt64 = 1 << (index % 64)
            isHEAD = headMask & bit != 0
            isCONNECT = connectMask & bit != 0
            decide(responseIndex: index, status: status, time: time, events: &events)
        }
        if isCONNECT && status < 300 { return .stop(.encrypted) }
        if isHEAD || status == 204 || status == 304 { return .lines }
        if responseChunked {
            responseState = .chunkSize
            return .lines
        }
        if let length = responseContentLength { return .skip(length) }
        // RFC 9112 §6.3 rule 8: the body runs until the connection closes.
        return .stop(.unframed)
    }

    private mutating func decide(responseIndex: UInt64, status: Int, time: Timestamp,
                                 events: inout [CredentialEvent]) {
        guard !pending.isEmpty else { return }
        let reply = "HTTP \(status)"
        var kept: [PendingCredential] = []
        for credential in pending {
            if credential.replyIndex > responseIndex {
                kept.append(credential)
                continue
            }
            guard credential.replyIndex == responseIndex else {
                events.append(credential.unknownEvent)
                continue
            }
            let outcome: LoginOutcome
            switch (credential.kind, status) {
            case (.httpBasic, 200..<400): outcome = .success
            case (.httpBasic, 401), (.httpBasic, 403), (.httpBasic, 407): outcome = .failure
            case (.httpForm, 401), (.httpForm, 403): outcome = .failure
            default: outcome = .unknown
            }
            events.append(credential.event(outcome: outcome, at: time, replyText: reply))
        }
        pending = kept
    }

    private mutating func addPending(_ credential: PendingCredential, events: inout [CredentialEvent]) {
        if pending.count >= Self.pendingLimit { events.append(pending.removeFirst().unknownEvent) }
        pending.append(credential)
    }

    // MARK: Shared framing

    /// Chunked transfer coding (RFC 9112 §7.1): size line, data (skipped), CRLF, ..., 0, trailers.
    static func chunkLine(_ line: UnsafeRawBufferPointer, state: inout MessageState) -> FramingDirective {
        switch state {
        case .chunkSize:
            let sizeText = line.slice(0, line.firstIndex(of: 0x3B) ?? line.count).trimmingWhitespace()
            guard !sizeText.isEmpty, sizeText.count <= 15 else { return .stop(.unframed) }
            var size = 0
            for byte in sizeText {
                guard let digit = ASCII.hexValue(byte) else { return .stop(.unframed) }
                size = size << 4 | Int(digit)
            }
            if size == 0 {
                state = .trailers
                return .lines
            }
            state = .chunkDataEnd
            return .skip(size)
        case .chunkDataEnd:
            guard line.isEmpty else { return .stop(.unframed) }
            state = .chunkSize
            return .lines
        case .trailers:
            if line.isEmpty { state = .startLine }
            return .lines
        case .startLine, .headers:
            return .lines
        }
    }

    /// A header field's name and trimmed value; nil for an obs-fold continuation or a line
    /// without a colon.
    static func header(_ line: UnsafeRawBufferPointer)
        -> (name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)?
    {
        guard let first = line.first, !ASCII.isWhitespace(first),
              let colon = line.firstIndex(of: ASCII.colon) else { return nil }
        return (line.slice(0, colon).trimmingWhitespace(), line.dropping(colon + 1).trimmingWhitespace())
    }

    /// The user and password of a `Basic` credential (any amount of whitespace after the scheme).
    static func basicCredential(_ value: UnsafeRawBufferPointer) -> (user: [UInt8], password: [UInt8])? {
        guard value.count > 6, value.hasPrefixIgnoringCase("basic"), ASCII.isWhitespace(value[5]),
              let decoded = Base64.decode(value.dropping(6).trimmingWhitespace()),
              let colon = decoded.firstIndex(of: ASCII.colon) else { return nil }
        return (Array(decoded[..<colon]), Array(decoded[(colon + 1)...]))
    }

    /// The user and password fields of a urlencoded form body, when it has a password field.
    static func formCredential(_ body: UnsafeRawBufferPointer) -> (user: [UInt8], password: [UInt8])? {
        var user: [UInt8]? = nil
        var password: [UInt8]? = nil
        var start = 0
        while start <= body.count {
            let end = body.firstIndex(of: 0x26, from: start) ?? body.count
            let pair = body.slice(start, end)
            start = end + 1
            guard !pair.isEmpty else { continue }
            let equals = pair.firstIndex(of: 0x3D) ?? pair.count
            let name = FormDecoding.percentDecode(pair.slice(0, equals))
            switch fieldRole(name) {
            case .password? where password == nil:
                password = FormDecoding.percentDecode(pair.dropping(equals + 1))
            case .user? where user == nil:
                user = FormDecoding.percentDecode(pair.dropping(equals + 1))
            default:
                break
            }
        }
        guard let password else { return nil }
        return (user ?? [], password)
    }

    enum FieldRole { case user, password }

    /// Classifies a form field name: the name itself, the part inside its last `[...]`
    /// (`login[password]`), or its last `_`/`-`/`.`-separated word (`j_password`, `user-email`).
    static func fieldRole(_ name: [UInt8]) -> FieldRole? {
        var base = name.map(ASCII.lowercased)
        if let open = base.lastIndex(of: 0x5B) {
            base = Array(base[(open + 1)...].prefix { $0 != 0x5D })
        }
        let candidates: [ArraySlice<UInt8>] = [
            base[...],
            base.lastIndex(where: { $0 == 0x5F || $0 == 0x2D || $0 == 0x2E }).map { base[($0 + 1)...] } ?? base[...],
        ]
        for candidate in candidates {
            switch String(decoding: candidate, as: UTF8.self) {
            case "password", "passwd", "pass", "pwd": return .password
            case "user", "username", "login", "email", "log", "userid": return .user
            default: continue
            }
        }
        return nil
    }
}
