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

/// IMAP4 (RFC 9051): tagged `LOGIN userid password` with atoms, quoted strings or literals
/// (`{n}` and the non-synchronizing `{n+}` of RFC 7888), and `AUTHENTICATE PLAIN`/`LOGIN`
/// (with the SASL-IR initial response of RFC 4959 or after `+ `). The verdict is the tagged
/// status: `OK` success, `NO` failure, `BAD` unknown (RFC 9051 §6.2.3).
///
/// Server literals before login (`* ... {n}`) are passed over unread; `STARTTLS` answered `OK`
/// means TLS follows, and a successful login means nothing more is expected: parsing stops.
struct IMAPCredentialParser: LineProtocolParser {
    enum Verb: Sendable { case login, authenticate, starttls, other }

    /// A client command whose arguments span a literal.
    struct Command: Sendable {
        var tag: [UInt8]
        var verb: Verb
        var arguments: [[UInt8]]
    }

    /// Longest literal gathered as a LOGIN argument; longer literals are passed over.
    static let literalLimit = 1024
    /// Most LOGIN attempts awaiting their tagged status at once.
    static let pendingLimit = 8

    var inProgress: Command? = nil
    var pending: [(tag: [UInt8], credential: PendingCredential)] = []
    var sasl: (tag: [UInt8], exchange: SASLExchange)? = nil
    var tlsTag: [UInt8]? = nil

    mutating func line(_ line: UnsafeRawBufferPointer, direction: StreamDirection, time: Timestamp,
                       events: inout [CredentialEvent]) -> FramingDirective {
        switch direction {
        case .toServer: return clientLine(line, time: time, events: &events)
        case .toClient: return serverLine(line, time: time, events: &events)
        }
    }

    mutating func block(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection, time: Timestamp,
                        events: inout [CredentialEvent]) -> FramingDirective {
        if direction == .toServer, inProgress != nil, inProgress?.arguments.count ?? 0 < 8 {
            inProgress?.arguments.append(Array(bytes))
        }
        return .lines
    }

    mutating func finish(time: Timestamp, events: inout [CredentialEvent]) {
        for entry in pending { events.append(entry.credential.unknownEvent) }
        pending.removeAll()
    }

    private mutating func clientLine(_ line: UnsafeRawBufferPointer, time: Timestamp,
                                     events: inout [CredentialEvent]) -> FramingDirective {
        if var command = inProgress {
            // The rest of a command after a literal.
            inProgress = nil
            let literal = Self.parseArguments(line, from: 0, into: &command.arguments)
            return continueOrComplete(command, literal: literal, time: time, events: &events)
        }
        if let (tag, exchange) = sasl {
            // A SASL client response: no tag, base64 only.
            var exchange = exchange
            sasl = nil
            if line.count == 1, line[0] == 0x2A { return .lines }  // `*` cancels
            switch exchange.respond(line) {
            case .needMore: sasl = (tag, exchange)
            case .credential(let user, let password):
                addPending(tag: tag, user: user, password: password, mechanism: "AUTHENTICATE \(exchange.mechanismName)",
                           time: time, events: &events)
            case .invalid: break
            }
            return .lines
        }
        guard let tagEnd = line.firstIndex(of: ASCII.space), tagEnd > 0 else { return .lines }
        let verbEnd = line.firstIndex(of: ASCII.space, from: tagEnd + 1) ?? line.count
        let verbBytes = line.slice(tagEnd + 1, verbEnd)
        let verb: Verb = verbBytes.equalsIgnoringCase("login") ? .login
            : verbBytes.equalsIgnoringCase("authenticate") ? .authenticate
            : verbBytes.equalsIgnoringCase("starttls") ? .starttls : .other
        var command = Command(tag: line.prefixArray(min(tagEnd, 64)), verb: verb, arguments: [])
        let literal = verb == .other && !Self.endsWithLiteral(line)
            ? nil : Self.parseArguments(line, from: verbEnd, into: &command.arguments)
        return continueOrComplete(command, literal: literal, time: time, events: &events)
    }

    private mutating func continueOrComplete(_ command: Command, literal: Int?, time: Timestamp,
                                             events: inout [CredentialEvent]) -> FramingDirective {
        if let literal {
            inProgress = command
            if command.verb == .login, literal <= Self.literalLimit { return .collect(literal) }
            inProgress?.verb = .other
            return .skip(literal)
        }
        switch command.verb {
        case .login:
            if command.arguments.count >= 2 {
                addPending(tag: command.tag, user: command.arguments[0], password: command.arguments[1],
                           mechanism: "LOGIN", time: time, events: &events)
            }
        case .authenticate:
            guard let name = command.arguments.first,
                  let mechanism = name.withUnsafeBytes({ SASLExchange.mechanism(named: $0) }) else { break }
            var exchange = SASLExchange(mechanism: mechanism)
            sasl = (command.tag, exchange)
            if command.arguments.count >= 2 {
                let step = command.arguments[1].withUnsafeBytes { exchange.respond($0) }
                switch step {
                case .needMore: sasl = (command.tag, exchange)
                case .credential(let user, let password):
                    sasl = nil
                    addPending(tag: command.tag, user: user, password: password,
                               mechanism: "AUTHENTICATE \(exchange.mechanismName)", time: time, events: &events)
                case .invalid: sasl = nil
                }
            }
        case .starttls:
            tlsTag = command.tag
        case .other:
            break
        }
        return .lines
    }

    private mutating func serverLine(_ line: UnsafeRawBufferPointer, time: Timestamp,
                                     events: inout [CredentialEvent]) -> FramingDirective {
        var scratch: [[UInt8]] = []
        let literal = Self.endsWithLiteral(line) ? Self.parseArguments(line, from: 0, into: &scratch) : nil
        guard let first = line.first, first != 0x2A, first != 0x2B,
              let tagEnd = line.firstIndex(of: ASCII.space), tagEnd > 0 else {
            return literal.map { .skip($0) } ?? .lines  // untagged data or a continuation request
        }
        let tag = line.slice(0, tagEnd)
        let status = line.dropping(tagEnd + 1)
        let outcome: LoginOutcome = status.hasPrefixIgnoringCase("ok") ? .success
            : status.hasPrefixIgnoringCase("no") ? .failure : .unknown
        if let (saslTag, _) = sasl, saslTag.elementsEqual(tag) { sasl = nil }
        if let index = pending.firstIndex(where: { $0.tag.elementsEqual(tag) }) {
            let credential = pending.remove(at: index).credential
            events.append(credential.event(outcome: outcome, at: time, reply: status))
            if outcome == .success {
                for entry in pending { events.append(entry.credential.unknownEvent) }
                pending.removeAll()
                return .stop(.completed)
            }
        }
        if let tlsTag, tlsTag.elementsEqual(tag) {
            self.tlsTag = nil
            if outcome == .success { return .stop(.encrypted) }
        }
        return literal.map { .skip($0) } ?? .lines
    }

    private mutating func addPending(tag: [UInt8], user: [UInt8], password: [UInt8], mechanism: String,
                                     time: Timestamp, events: inout [CredentialEvent]) {
        if pending.count >= Self.pendingLimit {
            events.append(pending.removeFirst().credential.unknownEvent)
        }
        pending.append((tag, PendingCredential(kind: .imap, user: user, password: password, time: time,
                                               mechanism: mechanism, replyIndex: 0)))
    }

    /// Whether a line ends with a literal announcement `{n}` or `{n+}`.
    static func endsWithLiteral(_ line: UnsafeRawBufferPointer) -> Bool {
        line.last == 0x7D
    }

    /// Parses IMAP arguments (atoms, quoted strings, a final literal announcement) from `start`;
    /// returns the literal's length when the line ends with one. At most 8 arguments are kept.
    static func parseArguments(_ line: UnsafeRawBufferPointer, from start: Int,
                               into arguments: inout [[UInt8]]) -> Int? {
        var index = start
        while index < line.count {
            let byte = line[index]
            if byte == ASCII.space { index += 1; continue }
            if byte == 0x22 {
                // quoted = DQUOTE *(QUOTED-CHAR / "\" quoted-specials) DQUOTE
                var value: [UInt8] = []
                index += 1
                while index < line.count, line[index] != 0x22 {
                    if line[index] == 0x5C, index + 1 < line.count { index += 1 }
                    if value.count < PendingCredential.fieldLimit { value.append(line[index]) }
                    index += 1
                }
                index += 1
                if arguments.count < 8 { arguments.append(value) }
                continue
            }
            let end = line.firstIndex(of: ASCII.space, from: index) ?? line.count
            let token = line.slice(index, end)
            if end == line.count, token.count >= 3, token[0] == 0x7B, token[token.count - 1] == 0x7D {
                var digits = token.slice(1, token.count - 1)
                if let last = digits.last, last == 0x2B { digits = digits.slice(0, digits.count - 1) }
                if let length = digits.decimalValue() { return length }
            }
            if arguments.count < 8 { arguments.append(token.prefixArray(PendingCredential.fieldLimit)) }
            index = end
        }
        return nil
    }
}
