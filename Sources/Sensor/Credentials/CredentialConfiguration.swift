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

/// Settings of the cleartext-credential detector.
public struct CredentialConfiguration: Sendable, Hashable {
    /// Which protocol to parse on which server port. Defaults are the IANA ports of the cleartext
    /// protocols plus the usual alternative HTTP ports (8000, 8008, 8080).
    public var ports: [UInt16: CredentialService]
    /// Whether connections to unmapped ports are parsed too, the protocol guessed from the first
    /// server banner or client request. Off by default: it costs a session per TCP connection.
    public var sniffsUnmappedPorts: Bool
    /// Longest protocol line (command, reply or header) accepted; a longer one stops the session.
    /// 8 KiB is the default header-line limit of common servers (Apache `LimitRequestFieldSize`,
    /// nginx `large_client_header_buffers`).
    public var maxLineLength: Int
    /// Most bytes buffered per direction of one session (a partial line, a form body, an IMAP
    /// literal); a form body above it is passed over unread.
    public var maxBufferedBytes: Int
    /// Most bytes held while guessing the protocol of an unmapped port.
    public var maxSniffBytes: Int

    /// The IANA ports: 21 ftp, 23 telnet, 25 and 587 smtp, 80 http, 110 pop3, 143 imap; and
    /// 8000, 8008, 8080 http.
    public static let defaultPorts: [UInt16: CredentialService] = [
        21: .ftp, 23: .telnet, 25: .smtp, 587: .smtp, 80: .http, 8000: .http, 8008: .http, 8080: .http,
        110: .pop3, 143: .imap,
    ]

    /// Creates a configuration.
    public init(ports: [UInt16: CredentialService] = CredentialConfiguration.defaultPorts,
                sniffsUnmappedPorts: Bool = false, maxLineLength: Int = 8192, maxBufferedBytes: Int = 16384,
                maxSniffBytes: Int = 1024) {
        self.ports = ports
        self.sniffsUnmappedPorts = sniffsUnmappedPorts
        self.maxLineLength = max(64, maxLineLength)
        self.maxBufferedBytes = max(64, maxBufferedBytes)
        self.maxSniffBytes = max(16, maxSniffBytes)
    }

    /// The defaults.
    public static let `default` = CredentialConfiguration()

    var limits: CredentialLimits { CredentialLimits(maxLineLength: maxLineLength, maxBufferedBytes: maxBufferedBytes) }
}
