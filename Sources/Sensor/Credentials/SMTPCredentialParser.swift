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

/// SMTP AUTH (RFC 4954): `AUTH PLAIN` with an initial response or after `334`, and `AUTH LOGIN`
/// (base64 user and password after two `334` prompts); 235 success, 535 failure (RFC 4954 §6),
/// other codes unknown.
///
/// Replies are paired with commands by index (multi-line `ddd-` replies count once), which also
/// holds under PIPELINING (RFC 2920). `STARTTLS` accepted with 220 means TLS follows, and `DATA`
/// or `BDAT` means authentication is over (RFC 4954 §4: AUTH precedes the mail transaction):
/// parsing stops either way.
struct SMTPCredentialParser: CommandReplyParser {
    var pending: PendingCredential? = nil
    var sequencer = ReplySequencer()
    var sasl: SASLExchange? = nil
    var tlsReplyIndex: UInt64? = nil

    mutating func command(_ line: UnsafeRawBufferPointer, time: Timestamp,
                                  events: inout [CredentialEvent]) -> FramingDirective {
        let index = sequencer.commandSent()
        if sasl != nil {
            if let login = SASLExchange.continueExchange(&sasl, with: line) {
                setPending(user: login.user, password: login.password, mechanism: login.mechanism, time: time, index: index, events: &events)
            }
            return .lines
        }
        let (verb, argument) = line.splitCommand()
        if verb.equalsIgnoringCase("auth") {
            if let login = SASLExchange.begin(&sasl, argument: argument.trimmingWhitespace()) {
                setPending(user: login.user, password: login.password, mechanism: login.mechanism, time: time, index: index, events: &events)
            }
        } else if verb.equalsIgnoringCase("starttls") {
            tlsReplyIndex = index
        } else if (verb.equalsIgnoringCase("data") || verb.equalsIgnoringCase("bdat")) && pending == nil {
            return .stop(.completed)
        }
        return .lines
    }

    mutating func reply(_ line: UnsafeRawBufferPointer, time: Timestamp,
                                events: inout [CredentialEvent]) -> FramingDirective {
        guard line.count >= 3, ASCII.isDigit(line[0]), ASCII.isDigit(line[1]), ASCII.isDigit(line[2]) else {
            return .lines
        }
        let code = (line[0], line[1], line[2])
        let separator: UInt8 = line.count > 3 ? line[3] : ASCII.space
        if separator == 0x2D { return .lines }  // a `ddd-` line: the reply goes on
        guard let index = sequencer.replyReceived() else { return .lines }
        let value = Int(code.0 - 0x30) * 100 + Int(code.1 - 0x30) * 10 + Int(code.2 - 0x30)
        if value != 334 { sasl = nil }  // anything but a SASL challenge ends the exchange
        if let pending, pending.replyIndex == index {
            self.pending = nil
            switch value {
            case 235:
                events.append(pending.event(outcome: .success, at: time, reply: line))
                return .stop(.completed)
            case 535:
                events.append(pending.event(outcome: .failure, at: time, reply: line))
            default:
                events.append(pending.event(outcome: .unknown, at: time, reply: line))
            }
        }
        if tlsReplyIndex == index {
            tlsReplyIndex = nil
            if value == 220 { return .stop(.encrypted) }
        }
        return .lines
    }

    private mutating func setPending(user: [UInt8], password: [UInt8], mechanism: String, time: Timestamp,
                                     index: UInt64, events: inout [CredentialEvent]) {
        if let pending { events.append(pending.unknownEvent) }
        pending = PendingCredential(kind: .smtp, user: user, password: password, time: time,
                                    mechanism: mechanism, replyIndex: index)
    }
}
