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

/// FTP control connection (RFC 959 §4.1.1, §5.4): `USER`/`PASS` and the server's verdict.
///
/// Commands are case-insensitive. Each command gets one final reply (1xx replies are
/// preliminary, multi-line replies `ddd-` … `ddd ` count once), so the verdict on `PASS` is the
/// reply with the same index ( ``ReplySequencer``): 2xx success (230, 202), 530/430 failure,
/// 3xx intermediate (332: the verdict follows `ACCT`), any other code unknown.
/// `AUTH TLS` accepted with 234 means the rest is encrypted: parsing stops.
struct FTPCredentialParser: CommandReplyParser {
    var user: [UInt8] = []
    var pending: PendingCredential? = nil
    var sequencer = ReplySequencer()
    /// The code of a multi-line reply in progress (RFC 959 §4.2: ends with `code SP`).
    var multilineCode: (UInt8, UInt8, UInt8)? = nil
    /// Set when PASS got a 3xx: the next command (ACCT) carries the verdict.
    var awaitingAccount = false
    var tlsReplyIndex: UInt64? = nil

    mutating func command(_ line: UnsafeRawBufferPointer, time: Timestamp,
                                  events: inout [CredentialEvent]) -> FramingDirective {
        let index = sequencer.commandSent()
        let (verb, argument) = line.splitCommand()
        if awaitingAccount {
            awaitingAccount = false
            if verb.equalsIgnoringCase("acct") { pending?.replyIndex = index }
        }
        if verb.equalsIgnoringCase("user") {
            flush(&events)
            user = argument.prefixArray(PendingCredential.fieldLimit)
        } else if verb.equalsIgnoringCase("pass") {
            flush(&events)
            pending = PendingCredential(kind: .ftp, user: user, password: argument, time: time,
                                        mechanism: "USER/PASS", replyIndex: index)
        } else if verb.equalsIgnoringCase("auth") {
            tlsReplyIndex = index
        }
        return .lines
    }

    mutating func reply(_ line: UnsafeRawBufferPointer, time: Timestamp,
                                events: inout [CredentialEvent]) -> FramingDirective {
        guard line.count >= 3, ASCII.isDigit(line[0]), ASCII.isDigit(line[1]), ASCII.isDigit(line[2]) else {
            return .lines  // text inside a multi-line reply, or noise
        }
        let code = (line[0], line[1], line[2])
        let separator: UInt8 = line.count > 3 ? line[3] : ASCII.space
        if let open = multilineCode {
            // Inside a multi-line reply only `code SP` (same code) ends it.
            guard open == code, separator != 0x2D else { return .lines }
            multilineCode = nil
        } else if separator == 0x2D {
            multilineCode = code
            return .lines
        }
        if code.0 == 0x31 { return .lines }  // 1xx: preliminary, another reply follows
        guard let index = sequencer.replyReceived() else { return .lines }
        let value = Int(code.0 - 0x30) * 100 + Int(code.1 - 0x30) * 10 + Int(code.2 - 0x30)
        if let pending, pending.replyIndex == index {
            switch value {
            case 200..<300:
                events.append(pending.event(outcome: .success, at: time, reply: line))
                self.pending = nil
            case 300..<400:
                awaitingAccount = true
                self.pending?.replyIndex = .max
            case 530, 430:
                events.append(pending.event(outcome: .failure, at: time, reply: line))
                self.pending = nil
            default:
                events.append(pending.event(outcome: .unknown, at: time, reply: line))
                self.pending = nil
            }
        }
        if tlsReplyIndex == index {
            tlsReplyIndex = nil
            if value == 234 { return .stop(.encrypted) }
        }
        return .lines
    }

    private mutating func flush(_ events: inout [CredentialEvent]) {
        if let pending { events.append(pending.unknownEvent) }
        pending = nil
        awaitingAccount = false
    }
}
