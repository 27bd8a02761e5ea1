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

/// Telnet (RFC 854) logins: option negotiation stripped, the server's prompts followed.
///
/// Both directions pass through an NVT decoder that removes `IAC` commands (`WILL`/`WONT`/`DO`/
/// `DONT` + option, `SB` … `IAC SE` subnegotiation, `IAC IAC` = a data byte 0xFF). The client's
/// keystrokes are assembled into lines (CR, CR LF, CR NUL end a line; BS, DEL, `IAC EC` erase a
/// character; ^U and `IAC EL` erase the line). What kind of line it is depends on the server's
/// last output when the client *started* typing it: after `login:`/`Username:` it is the user,
/// after `Password:` the password. Classifying at the first keystroke, not at Enter, keeps the
/// server's echo of the typed user name out of the way.
///
/// The verdict is read from what the server says after the password: `Last login` or `Welcome`,
/// or a shell prompt (`$`, `#`, `>`, `%` at the end) is success; `incorrect`, `invalid`, `fail`,
/// `denied`, or a new `login:` prompt is failure. A user sent in NEW-ENVIRON (RFC 1572,
/// `telnet -l user`) is used when the server asks only for the password.
struct TelnetCredentialParser: Sendable {
    static let IAC: UInt8 = 255
    static let lineLimit = 256
    static let tailLimit = 64
    static let verdictWindowLimit = 2048
    static let subnegotiationLimit = 512

    enum DecoderState: Sendable { case data, command, option, subnegotiation, subnegotiationCommand }
    enum LineKind: Sendable { case user, password, other }

    var clientDecoder: DecoderState = .data
    var serverDecoder: DecoderState = .data
    var subnegotiation: [UInt8] = []

    /// The server's most recent output, lowercased (bounded; prompt detection reads its end).
    var serverTail: [UInt8] = []
    /// Server output since the password was sent, lowercased (bounded; verdict detection).
    var verdictWindow: [UInt8] = []
    var verdictScanned = 0

    var typed: [UInt8] = []
    var lineStarted = false
    var lineKind: LineKind = .other
    var afterCR = false

    var user: [UInt8] = []
    var environmentUser: [UInt8]? = nil
    var pending: PendingCredential? = nil
    var isDone = false

    /// Feeds one chunk; returns `.completed` after a successful login (nothing more to find).
    mutating func feed(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection, time: Timestamp,
                       events: inout [CredentialEvent]) -> CredentialSession.StopReason? {
        switch direction {
        case .toServer:
            for byte in bytes {
                switch clientDecoder {
                case .data:
                    if byte == Self.IAC { clientDecoder = .command } else { clientByte(byte, time: time, events: &events) }
                case .command:
                    clientDecoder = .data
                    switch byte {
                    case Self.IAC: clientByte(byte, time: time, events: &events)
                    case 250: clientDecoder = .subnegotiation; subnegotiation.removeAll(keepingCapacity: true)
                    case 251...254: clientDecoder = .option
                    case 247: if !typed.isEmpty { typed.removeLast() }  // EC
                    case 248: typed.removeAll(keepingCapacity: true)  // EL
                    default: break
                    }
                case .option:
                    clientDecoder = .data
                case .subnegotiation:
                    if byte == Self.IAC {
                        clientDecoder = .subnegotiationCommand
                    } else if subnegotiation.count < Self.subnegotiationLimit {
                        subnegotiation.append(byte)
                    }
                case .subnegotiationCommand:
                    if byte == 240 {
                        clientDecoder = .data
                        readEnvironment()
                    } else {
                        clientDecoder = .subnegotiation
                        if byte == Self.IAC, subnegotiation.count < Self.subnegotiationLimit { subnegotiation.append(byte) }
                    }
                }
            }
        case .toClient:
            let before = verdictWindow.count
            for byte in bytes {
                switch serverDecoder {
                case .data:
                    if byte == Self.IAC { serverDecoder = .command } else { serverByte(byte) }
                case .command:
                    switch byte {
                    case Self.IAC: serverDecoder = .data; serverByte(byte)
                    case 250: serverDecoder = .subnegotiation
                    case 251...254: serverDecoder = .option
                    default: serverDecoder = .data
                    }
                case .option:
                    serverDecoder = .data
                case .subnegotiation:
                    if byte == Self.IAC { serverDecoder = .subnegotiationCommand }
                case .subnegotiationCommand:
                    serverDecoder = byte == 240 ? .data : .subnegotiation
                }
            }
            if pending != nil, verdictWindow.count != before {
                if let outcome = Self.verdict(verdictWindow, from: verdictScanned) {
                    return decide(outcome, time: time, events: &events)
                }
                verdictScanned = verdictWindow.count
            }
        }
        return isDone ? .completed : nil
    }

    mutating func finish(time: Timestamp, events: inout [CredentialEvent]) {
        guard let pending else { return }
        let outcome = Self.verdict(verdictWindow, from: 0) ?? .unknown
        events.append(outcome == .unknown ? pending.unknownEvent : pending.event(outcome: outcome, at: time))
        self.pending = nil
    }

    // MARK: Client keystrokes

    private mutating func clientByte(_ byte: UInt8, time: Timestamp, events: inout [CredentialEvent]) {
        if afterCR {
            afterCR = false
            if byte == ASCII.lf || byte == 0 { return }  // CR LF and CR NUL are one end of line
        }
        switch byte {
        case ASCII.cr, ASCII.lf:
            afterCR = byte == ASCII.cr
            endOfLine(time: time, events: &events)
        case 0x08, 0x7F:
            if !typed.isEmpty { typed.removeLast() }
        case 0x15:
            typed.removeAll(keepingCapacity: true)
        case 0x00..<0x20:
            break  // other control keys carry no text
        default:
            if !lineStarted {
                lineStarted = true
                lineKind = Self.classifyPrompt(serverTail)
            }
            if typed.count < Self.lineLimit { typed.append(byte) }
        }
    }

    private mutating func endOfLine(time: Timestamp, events: inout [CredentialEvent]) {
        // An empty line still answers a password prompt (an empty password).
        let kind = lineStarted ? lineKind : Self.classifyPrompt(serverTail)
        switch kind {
        case .user:
            if let pending {
                // Asked for the login again: the previous attempt failed.
                events.append(pending.event(outcome: .failure, at: time, replyText: "login prompt"))
                self.pending = nil
            }
            user = typed
        case .password:
            if let pending {
                events.append(pending.event(outcome: .failure, at: time, replyText: "password prompt"))
                self.pending = nil
            }
            let name = user.isEmpty ? (environmentUser ?? []) : user
            pending = PendingCredential(kind: .telnet, user: name, password: typed, time: time,
                                        mechanism: "login prompt", replyIndex: 0)
            verdictWindow.removeAll(keepingCapacity: true)
            verdictScanned = 0
            user = []
        case .other:
            if let pending, lineStarted {
                // Typing on without a recognisable verdict.
                events.append(pending.unknownEvent)
                self.pending = nil
            }
        }
        typed.removeAll(keepingCapacity: true)
        lineStarted = false
        serverTail.removeAll(keepingCapacity: true)
    }

    // MARK: Server output

    private mutating func serverByte(_ byte: UInt8) {
        guard byte != 0 else { return }
        let lowered = ASCII.lowercased(byte)
        serverTail.append(lowered)
        if serverTail.count > Self.tailLimit * 2 { serverTail.removeFirst(serverTail.count - Self.tailLimit) }
        if pending != nil, verdictWindow.count < Self.verdictWindowLimit { verdictWindow.append(lowered) }
    }

    private mutating func decide(_ outcome: LoginOutcome, time: Timestamp,
                                 events: inout [CredentialEvent]) -> CredentialSession.StopReason? {
        guard let pending else { return nil }
        events.append(pending.event(outcome: outcome, at: time, replyText: outcome == .success ? "logged in" : "rejected"))
        self.pending = nil
        if outcome == .success {
            isDone = true
            return .completed
        }
        return nil
    }

    /// NEW-ENVIRON / ENVIRON `IS` or `INFO`: VAR "USER" VALUE "name" (RFC 1572 §3).
    private mutating func readEnvironment() {
        guard subnegotiation.count >= 2, subnegotiation[0] == 39 || subnegotiation[0] == 36,
              subnegotiation[1] == 0 || subnegotiation[1] == 2 else { return }
        var index = 2
        var name: [UInt8] = []
        var value: [UInt8] = []
        var inValue = false
        func commit() {
            if name == Array("USER".utf8), inValue { environmentUser = value }
            name.removeAll()
            value.removeAll()
            inValue = false
        }
        while index < subnegotiation.count {
            let byte = subnegotiation[index]
            switch byte {
            case 0, 3:  // VAR, USERVAR
                commit()
            case 1:  // VALUE
                inValue = true
            case 2:  // ESC: the next byte is literal
                index += 1
                if index < subnegotiation.count {
                    if inValue { value.append(subnegotiation[index]) } else { name.append(subnegotiation[index]) }
                }
            default:
                if inValue { value.append(byte) } else { name.append(byte) }
            }
            index += 1
        }
        commit()
    }

    // MARK: Classification

    /// What the server's last output asks for.
    static func classifyPrompt(_ tail: [UInt8]) -> LineKind {
        var end = tail.count
        while end > 0, tail[end - 1] == ASCII.space || tail[end - 1] == ASCII.tab { end -= 1 }
        let text = tail[..<end]
        for prompt in ["login:", "username:", "user name:", "user:", "login as:"] where text.hasSuffix(prompt) {
            return .user
        }
        for prompt in ["password:", "passcode:", "passwd:"] where text.hasSuffix(prompt) {
            return .password
        }
        return .other
    }

    /// The verdict in the server's (lowercased) output after the password, if it shows one yet.
    /// Only the new part is searched (with an overlap for keywords split across chunks).
    static func verdict(_ window: [UInt8], from scanned: Int) -> LoginOutcome? {
        let start = max(0, scanned - 24)
        let region = window[start...]
        // `Last login` / `Last failed login` appear on success (the latter on RHEL, after failures).
        if region.containsBytes("last login") || region.containsBytes("last failed login")
            || region.containsBytes("welcome") { return .success }
        if region.containsBytes("incorrect") || region.containsBytes("invalid") || region.containsBytes("fail")
            || region.containsBytes("denied") { return .failure }
        var end = window.count
        while end > 0, window[end - 1] == ASCII.space || window[end - 1] == ASCII.tab { end -= 1 }
        let text = window[..<end]
        if text.hasSuffix("login:") || text.hasSuffix("username:") { return .failure }
        if let last = text.last, last == 0x24 || last == 0x23 || last == 0x3E || last == 0x25 { return .success }
        return nil
    }
}

extension ArraySlice<UInt8> {
    func hasSuffix(_ ascii: String) -> Bool {
        let suffix = Array(ascii.utf8)
        guard suffix.count <= count else { return false }
        return self[(endIndex - suffix.count)...].elementsEqual(suffix)
    }

    func containsBytes(_ ascii: String) -> Bool {
        let needle = Array(ascii.utf8)
        guard !needle.isEmpty, needle.count <= count else { return false }
        var start = startIndex
        while start + needle.count <= endIndex {
            if self[start..<(start + needle.count)].elementsEqual(needle) { return true }
            start += 1
        }
        return false
    }
}
