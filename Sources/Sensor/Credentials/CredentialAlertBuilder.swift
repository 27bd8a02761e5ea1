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

import HyperwardCore

/// Turns credential events into `cleartext-credentials` alerts, the password redacted unless
/// the operator asked for secrets (`--show-secrets`).
///
/// Severity:
/// - `high` for a successful login: a working password crossed the network in cleartext.
/// - `medium` for a failed or undecided login: a password was exposed, but it may not work
///   (a typo, a guess) or its validity was not seen.
/// - `low` for anonymous or guest logins (`anonymous`, `guest`; `ftp` on FTP): no secret is at
///   stake, only the cleartext protocol itself.
public struct CredentialAlertBuilder: Sendable {
    /// Whether alerts carry the password in cleartext (evidence and summary).
    public var showSecrets: Bool

    /// A builder; secrets are redacted unless `showSecrets` is set.
    public init(showSecrets: Bool = false) {
        self.showSecrets = showSecrets
    }

    /// The severity of an event (see the type's documentation).
    public static func severity(for event: CredentialEvent) -> Severity {
        if event.isAnonymous { return .low }
        switch event.outcome {
        case .success: return .high
        case .failure, .unknown: return .medium
        }
    }

    /// The alert for one login attempt on `source` → `destination`:`destinationPort`.
    ///
    /// The incident key names the client, the service and the user, so repeated logins of one
    /// user to one service are updates of one incident (the caller numbers them with `occurrence`).
    public func alert(for event: CredentialEvent, source: IPAddress, destination: IPAddress,
                      destinationPort: UInt16, sourcePort: UInt16? = nil, occurrence: Int = 1) -> Alert {
        let user = CredentialText.displaySafe(event.user)
        let verb: String
        switch event.outcome {
        case .success: verb = "succeeded"
        case .failure: verb = "failed"
        case .unknown: verb = "outcome unknown"
        }
        let label = event.isAnonymous ? "anonymous " : ""
        var summary = "Cleartext \(Self.protocolTitle(event.kind)) \(label)login for user \"\(user)\" (\(verb)): "
            + "\(source) → \(Self.endpoint(destination, destinationPort))"
        if showSecrets {
            summary += ", password \"\(CredentialText.displaySafe(event.password.revealed))\""
        }
        var evidence: [(String, EvidenceValue)] = [
            ("mechanism", .string(event.mechanism)),
            ("password", .string(showSecrets ? event.password.revealed : event.password.redacted)),
            ("anonymous", .bool(event.isAnonymous)),
            ("credential_time", .string(event.credentialTime.description)),
        ]
        if let reply = event.serverReply { evidence.append(("server_reply", .string(reply))) }
        if let sourcePort { evidence.append(("src_port", .int(Int64(sourcePort)))) }
        return Alert(time: event.time, detector: .cleartextCredentials, severity: Self.severity(for: event),
                     summary: summary, src: source.description, dst: destination.description,
                     dstPort: destinationPort, protocolName: event.kind.rawValue, user: event.user,
                     outcome: event.outcome.rawValue,
                     // A login exchange needs a completed TCP handshake: the client address is real.
                     sourceMayBeSpoofed: false,
                     incident: "cleartext-credentials/\(source)/\(destination)/\(destinationPort)/"
                         + "\(event.kind.rawValue)/\(user)",
                     occurrence: occurrence, evidence: evidence)
    }

    static func protocolTitle(_ kind: CredentialKind) -> String {
        switch kind {
        case .ftp: "FTP"
        case .telnet: "Telnet"
        case .httpBasic: "HTTP Basic"
        case .httpForm: "HTTP form"
        case .pop3: "POP3"
        case .imap: "IMAP"
        case .smtp: "SMTP"
        }
    }

    static func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
        address.isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}
