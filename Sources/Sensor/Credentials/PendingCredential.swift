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

/// A credential seen on the wire, waiting for the server's verdict.
struct PendingCredential: Sendable {
    /// Longest user name or password kept; longer ones are cut (they are still reported).
    static let fieldLimit = 1024

    var kind: CredentialKind
    var user: [UInt8]
    var password: [UInt8]
    var time: Timestamp
    var mechanism: String
    /// The index of the reply (or request/response pair) that decides it.
    var replyIndex: UInt64

    init(kind: CredentialKind, user: some Collection<UInt8>, password: some Collection<UInt8>, time: Timestamp,
         mechanism: String, replyIndex: UInt64) {
        self.kind = kind
        self.user = Array(user.prefix(Self.fieldLimit))
        self.password = Array(password.prefix(Self.fieldLimit))
        self.time = time
        self.mechanism = mechanism
        self.replyIndex = replyIndex
    }

    /// The event for this credential with the given verdict, decided at `time` (pass the
    /// credential's own time when no verdict was seen).
    func event(outcome: LoginOutcome, at time: Timestamp, reply: UnsafeRawBufferPointer? = nil,
               replyText: String? = nil) -> CredentialEvent {
        var replyString = replyText
        if replyString == nil, let reply {
            replyString = CredentialText.displaySafe(String(decoding: reply.slice(0, 64), as: UTF8.self), limit: 64)
        }
        return CredentialEvent(kind: kind, user: String(decoding: user, as: UTF8.self),
                               password: CredentialSecret(bytes: password), outcome: outcome,
                               time: time,
                               credentialTime: self.time,
                               isAnonymous: CredentialText.isAnonymous(user: user, kind: kind),
                               mechanism: mechanism, serverReply: replyString)
    }
}

/// Pairs commands with replies on protocols where every command gets exactly one final reply
/// in order (FTP, POP3, SMTP): command *n* is answered by the *n*-th final reply. A reply that
/// arrives while no command is outstanding (the greeting) is unsolicited and not counted.
struct ReplySequencer: Sendable {
    private(set) var commandsSent: UInt64 = 0
    private(set) var repliesReceived: UInt64 = 0

    /// Records a command; returns the index of the reply that will answer it.
    mutating func commandSent() -> UInt64 {
        let index = commandsSent
        commandsSent &+= 1
        return index
    }

    /// Records a final reply; returns its index, or nil for an unsolicited reply.
    mutating func replyReceived() -> UInt64? {
        guard repliesReceived < commandsSent else { return nil }
        let index = repliesReceived
        repliesReceived &+= 1
        return index
    }
}

/// A SASL exchange of the PLAIN (RFC 4616) or LOGIN (draft-murchison-sasl-login) mechanism,
/// fed the base64 client responses; other mechanisms (CRAM-MD5, SCRAM, ...) carry no cleartext
/// password and are not followed.
struct SASLExchange: Sendable {
    enum Mechanism: Sendable { case plain, login }

    enum Step {
        /// More client responses are expected.
        case needMore
        /// User and password are known.
        case credential(user: [UInt8], password: [UInt8])
        /// The response was not valid base64 or not a PLAIN message: the exchange is abandoned.
        case invalid
    }

    var mechanism: Mechanism
    var user: [UInt8]? = nil

    /// The mechanism named by an `AUTH`/`AUTHENTICATE` argument, if it is one we follow.
    static func mechanism(named name: UnsafeRawBufferPointer) -> Mechanism? {
        if name.equalsIgnoringCase("plain") { return .plain }
        if name.equalsIgnoringCase("login") { return .login }
        return nil
    }

    var mechanismName: String { mechanism == .plain ? "PLAIN" : "LOGIN" }

    /// Feeds one base64 client response (`=` is the empty response, RFC 4954 §4).
    mutating func respond(_ response: UnsafeRawBufferPointer) -> Step {
        let trimmed = response.trimmingWhitespace()
        let decoded: [UInt8]
        if trimmed.count == 1, trimmed[0] == 0x3D {
            decoded = []
        } else {
            guard let bytes = Base64.decode(trimmed) else { return .invalid }
            decoded = bytes
        }
        switch mechanism {
        case .plain:
            // message = [authzid] NUL authcid NUL passwd
            guard let first = decoded.firstIndex(of: 0),
                  let second = decoded[(first + 1)...].firstIndex(of: 0) else { return .invalid }
            return .credential(user: Array(decoded[(first + 1)..<second]), password: Array(decoded[(second + 1)...]))
        case .login:
            if let user {
                return .credential(user: user, password: decoded)
            }
            user = decoded
            return .needMore
        }
    }
}

/// A completed SASL login: who, with what, by which mechanism (`AUTH PLAIN`, `AUTH LOGIN`).
struct SASLCredential {
    var user: [UInt8]
    var password: [UInt8]
    var mechanism: String
}

extension SASLExchange {
    /// One client line while an untagged exchange (POP3, SMTP) is open: `*` cancels it
    /// (RFC 5034 §4, RFC 4954 §4); the exchange stays open while it needs more.
    static func continueExchange(_ state: inout SASLExchange?, with line: UnsafeRawBufferPointer) -> SASLCredential? {
        guard var exchange = state else { return nil }
        state = nil
        if line.count == 1, line[0] == 0x2A { return nil }
        return exchange.advance(line, keepingIn: &state)
    }

    /// `AUTH <mechanism> [initial-response]`: opens an exchange for a mechanism we follow and
    /// feeds it the initial response, if any.
    static func begin(_ state: inout SASLExchange?, argument: UnsafeRawBufferPointer) -> SASLCredential? {
        let (name, initial) = argument.splitCommand()
        guard let mechanism = SASLExchange.mechanism(named: name) else { return nil }
        var exchange = SASLExchange(mechanism: mechanism)
        if initial.isEmpty {
            state = exchange
            return nil
        }
        return exchange.advance(initial, keepingIn: &state)
    }

    private mutating func advance(_ response: UnsafeRawBufferPointer, keepingIn state: inout SASLExchange?) -> SASLCredential? {
        switch respond(response) {
        case .needMore:
            state = self
            return nil
        case .credential(let user, let password):
            return SASLCredential(user: user, password: password, mechanism: "AUTH \(mechanismName)")
        case .invalid:
            return nil
        }
    }
}

extension PendingCredential {
    /// The event for a credential whose verdict never came.
    var unknownEvent: CredentialEvent { event(outcome: .unknown, at: time) }
}
