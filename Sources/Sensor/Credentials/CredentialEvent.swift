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

/// Which way payload bytes travel on a TCP connection, relative to the server (the responder).
public enum StreamDirection: Sendable, Hashable {
    /// From the client (the initiator) to the server.
    case toServer
    /// From the server to the client.
    case toClient
}

/// The application protocol a credential session parses, chosen by server port or by sniffing.
public enum CredentialService: String, Sendable, Hashable, CaseIterable, Codable {
    /// FTP control connection (RFC 959).
    case ftp
    /// Telnet (RFC 854) with a login prompt.
    case telnet
    /// HTTP/1.x requests and responses (RFC 9112).
    case http
    /// POP3 (RFC 1939, SASL per RFC 5034).
    case pop3
    /// IMAP4 (RFC 9051).
    case imap
    /// SMTP submission or relay with AUTH (RFC 4954).
    case smtp
}

/// How a credential crossed the wire; the raw value is the `protocol` field of an alert.
public enum CredentialKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// FTP `USER`/`PASS`.
    case ftp
    /// A Telnet login prompt answered in cleartext.
    case telnet
    /// An HTTP `Authorization: Basic` (or `Proxy-Authorization: Basic`) header.
    case httpBasic = "http-basic"
    /// An HTTP form post with a password field.
    case httpForm = "http-form"
    /// POP3 `USER`/`PASS` or `AUTH PLAIN`/`LOGIN`.
    case pop3
    /// IMAP `LOGIN` or `AUTHENTICATE PLAIN`/`LOGIN`.
    case imap
    /// SMTP `AUTH PLAIN` or `AUTH LOGIN`.
    case smtp
}

/// What the server said about a login attempt.
public enum LoginOutcome: String, Sendable, Hashable, CaseIterable, Codable {
    /// The server accepted the credential.
    case success
    /// The server rejected the credential.
    case failure
    /// The server's verdict was not seen or not conclusive.
    case unknown
}

/// A secret seen on the wire, kept only in memory.
///
/// Printing, interpolating or dumping it shows `<redacted, N chars>`; the cleartext is available
/// only through the explicit ``revealed`` accessor, so a secret cannot leak into logs by accident.
public struct CredentialSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let storage: [UInt8]

    /// A secret from the raw bytes seen on the wire.
    public init(bytes: [UInt8]) { self.storage = bytes }

    /// The secret in cleartext (lossy UTF-8). Use only when the operator asked to see secrets.
    public var revealed: String { String(decoding: storage, as: UTF8.self) }

    /// The secret's length in characters (of its lossy UTF-8 decoding).
    public var characterCount: Int { revealed.count }

    /// Whether the secret is empty.
    public var isEmpty: Bool { storage.isEmpty }

    /// The redacted form, `<redacted, N chars>`.
    public var redacted: String { "<redacted, \(characterCount) chars>" }

    /// The redacted form; never the secret.
    public var description: String { redacted }

    /// The redacted form; never the secret.
    public var debugDescription: String { "CredentialSecret(\(redacted))" }

    /// A mirror without children, so `dump` and reflection cannot reach the bytes.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// One login attempt seen in cleartext on one TCP connection.
public struct CredentialEvent: Sendable, Hashable, CustomStringConvertible {
    /// How the credential was carried (`ftp`, `http-basic`, ...).
    public var kind: CredentialKind
    /// The user name as sent (lossy UTF-8); empty when the protocol sent none.
    public var user: String
    /// The password; redacted when printed.
    public var password: CredentialSecret
    /// What the server answered.
    public var outcome: LoginOutcome
    /// When the event was decided: the server's verdict, or the credential itself when no verdict came.
    public var time: Timestamp
    /// When the password crossed the wire.
    public var credentialTime: Timestamp
    /// Whether this is an anonymous or guest login (no secret at stake).
    public var isAnonymous: Bool
    /// The protocol mechanism, e.g. `USER/PASS`, `AUTH PLAIN`, `LOGIN`, `Authorization`.
    public var mechanism: String
    /// The server's deciding reply, shortened and printable (e.g. `530`, `HTTP 401`, `-ERR`), if any.
    public var serverReply: String?

    /// Creates an event.
    public init(kind: CredentialKind, user: String, password: CredentialSecret, outcome: LoginOutcome,
                time: Timestamp, credentialTime: Timestamp, isAnonymous: Bool, mechanism: String,
                serverReply: String? = nil) {
        self.kind = kind
        self.user = user
        self.password = password
        self.outcome = outcome
        self.time = time
        self.credentialTime = credentialTime
        self.isAnonymous = isAnonymous
        self.mechanism = mechanism
        self.serverReply = serverReply
    }

    /// A one-line description with the password redacted.
    public var description: String {
        "\(kind.rawValue) \(mechanism) user=\(CredentialText.displaySafe(user)) password=\(password) "
            + "outcome=\(outcome.rawValue)\(isAnonymous ? " anonymous" : "")"
    }
}

/// Text helpers shared by the credential parsers and alert builder.
enum CredentialText {
    /// User names and replies are attacker-controlled: escape control bytes and cap the length
    /// before they reach a summary line.
    static func displaySafe(_ text: String, limit: Int = 128) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit { out += "…"; break }
            switch scalar.value {
            case 0x20..<0x7F where scalar != "\\" && scalar != "\"":
                out.unicodeScalars.append(scalar)
            case 0x5C: out += "\\\\"
            case 0x22: out += "\\\""
            case 0x00..<0x20, 0x7F..<0xA0:
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            default:
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }

    /// Whether a user name denotes an anonymous or guest login. `ftp` is the anonymous alias
    /// only for FTP (vsftpd and ProFTPD accept both `anonymous` and `ftp`).
    static func isAnonymous(user: [UInt8], kind: CredentialKind) -> Bool {
        let lowered = user.map(ASCII.lowercased)
        if lowered == Array("anonymous".utf8) || lowered == Array("guest".utf8) { return true }
        if kind == .ftp && lowered == Array("ftp".utf8) { return true }
        return false
    }
}
