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

/// The cleartext-credential parser of one TCP connection, fed its in-order payload.
///
/// A state machine: ``feed(_:direction:time:)`` takes the next chunk of one direction (any
/// chunking, down to single bytes, gives the same events) and returns the login attempts whose
/// outcome became known; ``finish(time:)`` reports what still waits for a verdict when the
/// connection ends. The protocol comes from the server port (``CredentialConfiguration/ports``)
/// or, if configured, is guessed from the first banner or request.
///
/// Every session is bounded: lines up to ``CredentialConfiguration/maxLineLength``, buffers up to
/// ``CredentialConfiguration/maxBufferedBytes`` per direction; input beyond a limit, or input that
/// cannot be framed, stops the session (see ``stopReason``) rather than growing or trapping.
/// Sessions also stop, normally, once no further credential can follow (after a successful login
/// on a mail or Telnet session, after STARTTLS).
///
/// One session belongs to one connection: its parser state is held by reference (feeding a
/// segment must not copy it), so copies of a session share that state — make a new session per
/// connection rather than copying one.
public struct CredentialSession: Sendable {
    /// Why a session stopped parsing.
    public enum StopReason: String, Sendable, Hashable, CaseIterable {
        /// No further credential is expected (a successful login, mail data): not an error.
        case completed
        /// The connection switched to TLS (STARTTLS, STLS, AUTH TLS, a CONNECT tunnel).
        case encrypted
        /// A line exceeded the configured limit.
        case lineTooLong = "line-too-long"
        /// An HTTP message had too many header lines.
        case tooManyHeaders = "too-many-headers"
        /// A block to gather (an IMAP literal) exceeded the buffer limit.
        case bodyTooLarge = "body-too-large"
        /// The stream cannot be framed any further (a body until close, an upgrade, bad chunking).
        case unframed
        /// The bytes are not the expected protocol (or no protocol was recognised).
        case unrecognized
        /// Too many requests or credentials awaited an answer at once.
        case tooManyPending = "too-many-pending"

        /// Whether the session stopped because input exceeded a limit (counted as oversize).
        public var isLimitExceeded: Bool {
            switch self {
            case .lineTooLong, .tooManyHeaders, .bodyTooLarge, .tooManyPending: true
            case .completed, .encrypted, .unframed, .unrecognized: false
            }
        }
    }

    enum Engine: Sendable {
        // Parser states live in boxes: feeding a chunk moves a pointer, not the whole state (a
        // few hundred bytes, copied twice per segment otherwise). Copies of a session therefore
        // share its parser state (see the type's documentation).
        case ftp(ParserBox<FramedStream<FTPCredentialParser>>)
        case pop3(ParserBox<FramedStream<POP3CredentialParser>>)
        case imap(ParserBox<FramedStream<IMAPCredentialParser>>)
        case smtp(ParserBox<FramedStream<SMTPCredentialParser>>)
        case http(ParserBox<FramedStream<HTTPCredentialParser>>)
        case telnet(ParserBox<TelnetCredentialParser>)
        case sniffing(ProtocolSniffer)
        case stopped
    }

    private var engine: Engine
    private let limits: CredentialLimits
    /// The protocol being parsed; nil while it is still being guessed.
    public private(set) var service: CredentialService?
    /// Why parsing stopped; nil while the session is active.
    public private(set) var stopReason: StopReason?

    /// A session that parses nothing (the placeholder of a freed slot).
    static let stopped: CredentialSession = {
        var session = CredentialSession(service: .ftp)
        session.engine = .stopped
        session.stopReason = .completed
        return session
    }()

    /// Where the parser's state lives (for a cache prefetch only; never dereferenced).
    var stateAddress: UnsafeRawPointer? {
        switch engine {
        case .ftp(let box): UnsafeRawPointer(Unmanaged.passUnretained(box).toOpaque())
        case .pop3(let box): UnsafeRawPointer(Unmanaged.passUnretained(box).toOpaque())
        case .imap(let box): UnsafeRawPointer(Unmanaged.passUnretained(box).toOpaque())
        case .smtp(let box): UnsafeRawPointer(Unmanaged.passUnretained(box).toOpaque())
        case .http(let box): UnsafeRawPointer(Unmanaged.passUnretained(box).toOpaque())
        case .telnet(let box): UnsafeRawPointer(Unmanaged.passUnretained(box).toOpaque())
        case .sniffing, .stopped: nil
        }
    }

    /// Whether the session still parses input.
    public var isActive: Bool { stopReason == nil }

    /// A session for a connection to `serverPort`; nil when the port is not mapped and sniffing
    /// is off (the caller then keeps no state for the connection).
    public init?(serverPort: UInt16, configuration: CredentialConfiguration = .default) {
        if let service = configuration.ports[serverPort] {
            self.init(service: service, configuration: configuration)
        } else if configuration.sniffsUnmappedPorts {
            self.init(service: nil, configuration: configuration)
        } else {
            return nil
        }
    }

    /// A session parsing `service`, or guessing the protocol when `service` is nil.
    public init(service: CredentialService?, configuration: CredentialConfiguration = .default) {
        self.limits = configuration.limits
        self.service = service
        if let service {
            self.engine = Self.makeEngine(service, limits: configuration.limits)
        } else {
            self.engine = .sniffing(ProtocolSniffer(limit: configuration.maxSniffBytes))
        }
    }

    /// Feeds the next in-order payload chunk of one direction; returns the login attempts decided by it.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection,
                              time: Timestamp) -> [CredentialEvent] {
        var events: [CredentialEvent] = []
        feed(bytes, direction: direction, time: time, events: &events)
        return events
    }

    /// Feeds the next in-order payload chunk of one direction; returns the login attempts decided by it.
    public mutating func feed(_ bytes: some Collection<UInt8>, direction: StreamDirection,
                              time: Timestamp) -> [CredentialEvent] {
        var events: [CredentialEvent] = []
        let fed: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            feed(UnsafeRawBufferPointer(buffer), direction: direction, time: time, events: &events)
        }
        if fed == nil {
            Array(bytes).withUnsafeBytes { feed($0, direction: direction, time: time, events: &events) }
        }
        return events
    }

    /// Feeds the next chunk, appending decided login attempts to `events` (no array per call).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection, time: Timestamp,
                              events: inout [CredentialEvent]) {
        guard !bytes.isEmpty else { return }
        var reason: StopReason?
        switch engine {
        case .ftp(let box): reason = box.value.feed(bytes, direction: direction, time: time, events: &events)
        case .pop3(let box): reason = box.value.feed(bytes, direction: direction, time: time, events: &events)
        case .imap(let box): reason = box.value.feed(bytes, direction: direction, time: time, events: &events)
        case .smtp(let box): reason = box.value.feed(bytes, direction: direction, time: time, events: &events)
        case .http(let box): reason = box.value.feed(bytes, direction: direction, time: time, events: &events)
        case .telnet(let box): reason = box.value.feed(bytes, direction: direction, time: time, events: &events)
        case .sniffing(var sniffer):
            engine = .stopped
            sniffer.observe(bytes, direction: direction)
            switch sniffer.decision() {
            case .undecided:
                // Undecided implies every byte so far fits the sniffing limit: keep them for replay.
                sniffer.segments.append(.init(direction: direction, time: time, bytes: Array(bytes)))
                engine = .sniffing(sniffer)
            case .unrecognized:
                stopReason = .unrecognized
            case .service(let service):
                self.service = service
                engine = Self.makeEngine(service, limits: limits)
                for segment in sniffer.segments where isActive {
                    segment.bytes.withUnsafeBytes {
                        feed($0, direction: segment.direction, time: segment.time, events: &events)
                    }
                }
                if isActive { feed(bytes, direction: direction, time: time, events: &events) }
            }
        case .stopped:
            return
        }
        if let reason { stop(reason, time: time, events: &events) }
    }

    /// The connection ended (FIN, RST, or evicted from the flow table): reports every credential
    /// still waiting for a verdict as `unknown` (Telnet: decided from the output seen so far).
    public mutating func finish(time: Timestamp) -> [CredentialEvent] {
        var events: [CredentialEvent] = []
        flush(time: time, events: &events)
        engine = .stopped
        if stopReason == nil { stopReason = .completed }
        return events
    }

    private mutating func stop(_ reason: StopReason, time: Timestamp, events: inout [CredentialEvent]) {
        flush(time: time, events: &events)
        engine = .stopped
        stopReason = reason
    }

    private mutating func flush(time: Timestamp, events: inout [CredentialEvent]) {
        switch engine {
        case .ftp(let box): box.value.parser.finish(time: time, events: &events)
        case .pop3(let box): box.value.parser.finish(time: time, events: &events)
        case .imap(let box): box.value.parser.finish(time: time, events: &events)
        case .smtp(let box): box.value.parser.finish(time: time, events: &events)
        case .http(let box): box.value.parser.finish(time: time, events: &events)
        case .telnet(let box): box.value.finish(time: time, events: &events)
        case .sniffing, .stopped: break
        }
    }

    private static func makeEngine(_ service: CredentialService, limits: CredentialLimits) -> Engine {
        switch service {
        case .ftp: .ftp(ParserBox(FramedStream(parser: FTPCredentialParser(), limits: limits)))
        case .pop3: .pop3(ParserBox(FramedStream(parser: POP3CredentialParser(), limits: limits)))
        case .imap: .imap(ParserBox(FramedStream(parser: IMAPCredentialParser(), limits: limits)))
        case .smtp: .smtp(ParserBox(FramedStream(parser: SMTPCredentialParser(), limits: limits)))
        case .http: .http(ParserBox(FramedStream(parser: HTTPCredentialParser(limits: limits), limits: limits)))
        case .telnet: .telnet(ParserBox(TelnetCredentialParser()))
        }
    }
}

/// Guesses the protocol of a connection on an unmapped port from its first bytes.
///
/// Telnet opens with `IAC` negotiation; HTTP with a request line; POP3 greets `+OK`, IMAP
/// `* OK`/`* PREAUTH`; FTP and SMTP both greet `220`, told apart by the banner (`FTP`, `SMTP`/
/// `ESMTP`/`mail`) or else by the client's first command (`EHLO`/`HELO` is SMTP).
struct ProtocolSniffer: Sendable {
    enum Decision: Sendable, Equatable { case undecided, unrecognized, service(CredentialService) }

    struct Segment: Sendable {
        var direction: StreamDirection
        var time: Timestamp
        var bytes: [UInt8]
    }

    let limit: Int
    var segments: [Segment] = []
    var server: [UInt8] = []
    var client: [UInt8] = []

    init(limit: Int) { self.limit = limit }

    /// Adds the first bytes of a chunk, up to the limit, to what the decision looks at.
    mutating func observe(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection) {
        let room = max(0, limit - server.count - client.count)
        let kept = Array(bytes.slice(0, room))
        switch direction {
        case .toServer: client += kept
        case .toClient: server += kept
        }
    }

    func decision() -> Decision {
        if server.first == TelnetCredentialParser.IAC || client.first == TelnetCredentialParser.IAC {
            return .service(.telnet)
        }
        let clientLine = firstLine(client)
        let serverLine = firstLine(server)
        if let clientLine {
            for method in ["GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT "]
            where clientLine.starts(with: Array(method.utf8)) {
                return .service(.http)
            }
        }
        if let serverLine {
            let lowered = serverLine.map(ASCII.lowercased)
            if lowered.starts(with: Array("+ok".utf8)) { return .service(.pop3) }
            if lowered.starts(with: Array("* ok".utf8)) || lowered.starts(with: Array("* preauth".utf8)) {
                return .service(.imap)
            }
            if lowered.starts(with: Array("220".utf8)) {
                let text = String(decoding: lowered, as: UTF8.self)
                if text.contains("ftp") { return .service(.ftp) }
                if text.contains("smtp") || text.contains("mail") { return .service(.smtp) }
                if let clientLine {
                    let verb = clientLine.prefix(4).map(ASCII.lowercased)
                    return verb == Array("ehlo".utf8) || verb == Array("helo".utf8) ? .service(.smtp) : .service(.ftp)
                }
                return server.count + client.count >= limit ? .unrecognized : .undecided
            }
            return .unrecognized
        }
        if clientLine != nil || server.count + client.count >= limit { return .unrecognized }
        return .undecided
    }

    private func firstLine(_ bytes: [UInt8]) -> ArraySlice<UInt8>? {
        guard let end = bytes.firstIndex(of: ASCII.lf) else { return nil }
        return bytes[..<end]
    }
}

/// Running totals over many sessions, for the sensor's statistics line.
public struct CredentialStatistics: Sendable, Hashable {
    /// Sessions started.
    public var sessions = 0
    /// Login attempts reported, by outcome.
    public var events: [LoginOutcome: Int] = [:]
    /// Sessions stopped, by reason.
    public var stops: [CredentialSession.StopReason: Int] = [:]

    /// Empty totals.
    public init() {}

    /// Sessions stopped because input exceeded a limit.
    public var oversizeStops: Int { stops.filter { $0.key.isLimitExceeded }.reduce(0) { $0 + $1.value } }

    /// Counts the events of one `feed` or `finish`.
    public mutating func record(_ events: [CredentialEvent]) {
        for event in events { self.events[event.outcome, default: 0] += 1 }
    }

    /// Counts a stopped session (call once, when it is discarded).
    public mutating func record(stop reason: CredentialSession.StopReason?) {
        guard let reason else { return }
        stops[reason, default: 0] += 1
    }
}

/// A parser's state behind a reference (a session's copies share it).
/// A parser state held by reference. Used by one thread at a time (the session's owner), so the
/// per-access exclusivity check, a thread-local lookup on every segment, is left out.
final class ParserBox<Value: Sendable>: @unchecked Sendable {
    @exclusivity(unchecked)
    var value: Value
    init(_ value: Value) { self.value = value }
}
