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


import Crypto
import Foundation
import GRDB
import SwiftASN1
import X509

extension Keystore {
    /// Issues a client certificate to a host enrolling with the fleet server, for the key in
    /// its certificate signing request: the request's own signature must verify (the host holds
    /// the key), the key must be ECDSA P-256, and the subject is the server's choice (CN = the
    /// host's name, OU = "host"), never the request's. The private key never leaves the host.
    /// - Returns: The record (kind client, `vm` = the host's name), as the CA's other certificates.
    /// A host's certificate signing request, checked as `issueHostCertificate` needs it: PEM of
    /// at most 16 KiB, its own signature valid (the sender holds the key), an ECDSA P-256 key.
    /// Nothing is issued or recorded: the server checks a request before it uses up a token.
    public static func checkHostCertificateRequest(_ csrPEM: String) throws(KeyError) -> CertificateSigningRequest {
        guard csrPEM.utf8.count <= 16_384 else { throw KeyError(.invalidArgument, "the certificate request is larger than 16 KiB") }
        let request: CertificateSigningRequest
        do { request = try CertificateSigningRequest(pemEncoded: csrPEM) } catch {
            throw KeyError(.invalidArgument, "the certificate request is not a PEM CSR")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw KeyError(.invalidArgument, "the certificate request's signature does not verify: the sender does not hold its key")
        }
        guard P256.Signing.PublicKey(request.publicKey) != nil else {
            throw KeyError(.invalidArgument, "the certificate request's key is not ECDSA P-256")
        }
        return request
    }

    public func issueHostCertificate(csrPEM: String, host: String, validity: TimeInterval = 30 * 86_400) throws(KeyError) -> IssuedCertificate {
        try Keystore.validate(name: host)
        guard (3600...(366 * 86_400)).contains(validity) else {
            throw KeyError(.invalidArgument, "a host certificate lives from 1 hour to 366 days")
        }
        let request = try Keystore.checkHostCertificateRequest(csrPEM)
        let record = try signLeaf(publicKey: request.publicKey, name: host, unit: "host", kind: .client,
                                  names: [.dnsName(host)], validity: validity)
        try write { db in
            try db.execute(sql: """
                INSERT INTO certificates (serial, vm, kind, not_before, not_after, revoked_at, certificate, dns_names, ip_addresses, lifetime, destination)
                VALUES (?, ?, 'client', ?, ?, NULL, ?, '', '', ?, NULL)
                """, arguments: [record.serial, host, record.notBefore.timeIntervalSince1970, record.notAfter.timeIntervalSince1970,
                                 record.certificatePEM, validity])
        }
        return record
    }
}
