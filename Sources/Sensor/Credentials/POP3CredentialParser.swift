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

/// POP3 (RFC 1939 §7 `USER`/`PASS`; RFC 5034 `AUTH PLAIN`/`LOGIN`, inline or after `+ `).
///
/// Every command, and every SASL client response, is answered by one status line (`+OK`,
/// `-ERR`, or the SASL continuation `+ `), paired by index. `APOP` sends a digest, not a
/// password, and is ignored. `STLS` accepted means TLS follows: parsing stops. After a
/// successful login nothing more is expected (mail follows): parsing stops.
struct POP3CredentialParser: CommandReplyParser {
    var user: [UInt8] = []
    var pending: PendingCredential? = nil
    var sequencer = ReplySequencer()
    var sasl: SASLExchange? = nil
    var tlsReplyIndex: UInt64? = nil

    mutating func command(_ line: UnsafeRawBufferPointer, time: Timestamp,
                                  events: inout [CredentialEvent]) -> FramingDirective {
        let index = sequencer.commandSent()
        if sasl != nil {
            // A SASL client response.
            if let login = SASLExchange.continueExchange(&sasl, with: line) {
                setPending(user: login.user, password: login.password, mechanism: login.mechanism, time: time, index: index, events: &events)
            }
            return .lines
        }
        let (verb, argument) = line.splitCommand()
        if verb.equalsIgnoringCase("user") {
            flush(&events)
            user = argument.prefixArray(PendingCredential.fieldLimit)
        } else if verb.equalsIgnoringCase("pass") {
            setPending(user: user, password: argument, mechanism: "USER/PASS", time: time, index: index,
                       events: &events)
        } else if verb.equalsIgnoringCase("auth") {
            if let login = SASLExchange.begin(&sasl, argument: argument) {
                setPending(user: login.user, password: login.password, mechanism: login.mechanism, time: time, index: index, events: &events)
            }
        } else if verb.equalsIgnoringCase("stls") {
            tlsReplyIndex = index
        }
        return .lines
    }

    mutating func reply(_ line: UnsafeRawBufferPointer, time: Timestamp,
                                events: inout [CredentialEvent]) -> FramingDirective {
        let positive = line.hasPrefixIgnoringCase("+ok")
        let negative = line.hasPrefixIgnoringCase("-err")
        let continuation = !positive && line.count >= 1 && line[0] == 0x2B
            && (line.count == 1 || line[1] == ASCII.space)
        guard positive || negative || continuation else { return .lines }  // body of a multi-line reply
        guard let index = sequencer.replyReceived() else { return .lines }
        if !continuation { sasl = nil }
        if let pending, pending.replyIndex == index {
            self.pending = nil
            if positive {
                events.append(pending.event(outcome: .success, at: time, reply: line))
                return .stop(.completed)
            }
            events.append(pending.event(outcome: negative ? .failure : .unknown, at: time, reply: line))
        }
        if tlsReplyIndex == index {
            tlsReplyIndex = nil
            if positive { return .stop(.encrypted) }
        }
        return .lines
    }

    private mutating func setPending(user: some Collection<UInt8>, password: some Collection<UInt8>,
                                     mechanism: String, time: Timestamp, index: UInt64,
                                     events: inout [CredentialEvent]) {
        flush(&events)
        pending = PendingCredential(kind: .pop3, user: user, password: password, time: time,
                                    mechanism: mechanism, replyIndex: index)
    }

    private mutating func flush(_ events: inout [CredentialEvent]) {
        if let pending { events.append(pending.unknownEvent) }
        pending = nil
    }
}
