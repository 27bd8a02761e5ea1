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

import Foundation
import HyperwardCore
import HyperwardHost
import KeyManagement

/// A VM's certificate files on disk, as `cert issue` writes them and renewal rewrites them.
public enum CertificateFiles {
    /// Writes a certificate's files into a directory: `VM-KIND.key.pem` (0600), `VM-KIND.crt.pem`
    /// and `ca.crt.pem`; returns the certificate's path.
    public static func write(_ record: IssuedCertificate, keyPEM: String, caPEM: String, to directory: String) throws -> String {
        let base = "\(directory)/\(record.vm)-\(record.kind.rawValue)"
        // Issuing again (or renewing) replaces the VM's previous files, each atomically.
        try SafeFile.write(Array(keyPEM.utf8), to: base + ".key.pem", mode: 0o600, replace: true)
        try SafeFile.write(Array(record.certificatePEM.utf8), to: base + ".crt.pem", mode: 0o644, replace: true)
        try SafeFile.write(Array(caPEM.utf8), to: "\(directory)/ca.crt.pem", mode: 0o644, replace: true)
        return base + ".crt.pem"
    }

    /// Renews what expires within `window`, writing the new files where the old ones went;
    /// returns a line per renewal.
    public static func renew(_ store: Keystore, within window: TimeInterval) throws -> [String] {
        let renewals = try store.renewCertificates(within: window)
        guard !renewals.isEmpty else { return [] }
        let ca = try store.caCertificatePEM()
        return try renewals.map { renewal in
            let path = try renewal.destination.map { try write(renewal.record, keyPEM: renewal.privateKeyPEM, caPEM: ca, to: $0) }
            return "renewed \(renewal.record.vm) \(renewal.record.kind.rawValue) \(renewal.previous) -> \(renewal.record.serial), valid until "
                + "\(Event.timestamp(renewal.record.notAfter))\(path.map { ": \($0)" } ?? " (no directory recorded: not written)")"
        }
    }
}
