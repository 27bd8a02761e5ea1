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

/// A certificate the internal CA issued to a VM.
public struct IssuedCertificate: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable { case server, client }

    /// The serial number, hex.
    public var serial: String
    public var vm: String
    public var kind: Kind
    public var notBefore: Date
    public var notAfter: Date
    public var revoked: Bool
    public var certificatePEM: String
}

/// The host's internal CA for TLS between VMs: an ECDSA P-256 key wrapped by the keystore's root,
/// a self-signed certificate, short-lived per-VM server and client certificates bound to the VM's
/// name and addresses, and a signed CRL of revoked ones (RFC 5280 §5; swift-certificates has no
/// CRL type, so the CRL is built with SwiftASN1's DER serializer).
extension Keystore {
    var caKeyAAD: [UInt8] { Array("hyperward/ca-key/v1\u{0}\(identity)".utf8) }

    /// Creates the CA (once): a P-256 key and a self-signed certificate valid for `days`.
    /// - Returns: The CA certificate, PEM.
    public func initializeCA(commonName: String = "Hyperward VM CA", days: Int = 3650) throws(KeyError) -> String {
        guard (1...36500).contains(days), !commonName.isEmpty, commonName.utf8.count <= 64 else {
            throw KeyError(.invalidArgument, "the CA needs a name of 1 to 64 bytes and 1 to 36500 days")
        }
        let key = P256.Signing.PrivateKey()
        let pem: String
        do {
            let name = try DistinguishedName { CommonName(commonName); OrganizationName("Hyperward") }
            let publicKey = Certificate.PublicKey(key.publicKey)
            let now = Date()
            let certificate = try Certificate(
                version: .v3, serialNumber: Keystore.newSerial(), publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: Certificate.PrivateKey(key))
            pem = try certificate.serializeAsPEM().pemString
        } catch {
            throw KeyError(.storage, "cannot make the CA certificate: \(error)")
        }
        let wrapped = try Keystore.seal(Array(key.rawRepresentation), key: root, aad: caKeyAAD)
        try write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM ca") == true {
                throw KeyError(.alreadyInitialized, "the CA already exists")
            }
            try db.execute(sql: "INSERT INTO ca (id, key_wrapped, certificate, created) VALUES (1, ?, ?, ?)",
                           arguments: [Data(wrapped), pem, Keystore.timestamp()])
        }
        return pem
    }

    /// The CA's certificate and key (unwrapped and checked).
    func loadCA() throws(KeyError) -> (certificate: Certificate, pem: String, key: P256.Signing.PrivateKey) {
        let row = try read { db in try Row.fetchOne(db, sql: "SELECT key_wrapped, certificate FROM ca WHERE id = 1") }
        guard let row, let wrapped = row["key_wrapped"] as Data?, let pem = row["certificate"] as String? else {
            throw KeyError(.notInitialized, "no CA yet (run `hyperward cert init-ca`)")
        }
        guard let raw = try Keystore.open(Array(wrapped), key: root, aad: caKeyAAD),
              let key = try? P256.Signing.PrivateKey(rawRepresentation: raw),
              let certificate = try? Certificate(pemEncoded: pem),
              certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw KeyError(.corrupted, "the CA record fails authentication or does not match its key")
        }
        return (certificate, pem, key)
    }

    /// The CA certificate, PEM.
    public func caCertificatePEM() throws(KeyError) -> String { try loadCA().pem }

    static func newSerial() -> Certificate.SerialNumber {
        var bytes = randomBytes(16)
        bytes[0] = (bytes[0] & 0x7F) | 0x01
        return Certificate.SerialNumber(bytes: bytes)
    }

    /// Issues a short-lived certificate for a VM: subject CN = the VM's name, SANs = the VM's
    /// name, `dnsNames` and `ipAddresses`, extended key usage server or client auth.
    /// - Returns: The certificate and its new private key, PEM (PKCS#8), and the record.
    public func issueCertificate(vm: String, kind: IssuedCertificate.Kind, dnsNames: [String] = [], ipAddresses: [String] = [],
                                 validity: TimeInterval = 7 * 86_400, destination: String? = nil) throws(KeyError) -> (record: IssuedCertificate, privateKeyPEM: String) {
        try Keystore.validate(name: vm)
        guard (300...(366 * 86_400)).contains(validity) else {
            throw KeyError(.invalidArgument, "certificate lifetime must be 5 minutes to 366 days")
        }
        var names: [GeneralName] = [.dnsName(vm)]
        for name in dnsNames {
            guard (1...253).contains(name.utf8.count), name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x2C }) else {
                throw KeyError(.invalidArgument, "\(name.debugDescription) is not a DNS name")
            }
            names.append(.dnsName(name))
        }
        for address in ipAddresses {
            guard let bytes = Keystore.ipBytes(address) else { throw KeyError(.invalidArgument, "\(address.debugDescription) is not an IP address") }
            names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
        }
        let key = P256.Signing.PrivateKey()
        let record = try signLeaf(publicKey: Certificate.PublicKey(key.publicKey), name: vm, unit: "vm", kind: kind,
                                  names: names, validity: validity)
        try write { db in
            try db.execute(sql: """
                INSERT INTO certificates (serial, vm, kind, not_before, not_after, revoked_at, certificate, dns_names, ip_addresses, lifetime, destination)
                VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)
                """, arguments: [record.serial, vm, kind.rawValue, record.notBefore.timeIntervalSince1970, record.notAfter.timeIntervalSince1970,
                                 record.certificatePEM, dnsNames.joined(separator: "\n"), ipAddresses.joined(separator: "\n"), validity, destination])
        }
        return (record, key.pemRepresentation)
    }

    /// A leaf certificate signed by the CA for `publicKey`: CN = `name`, OU = `unit`, the SANs,
    /// server or client auth, valid from five minutes ago for `validity`; the one place the CA
    /// signs (VM certificates here, host certificates for the fleet server).
    func signLeaf(publicKey: Certificate.PublicKey, name: String, unit: String, kind: IssuedCertificate.Kind,
                  names: [GeneralName], validity: TimeInterval) throws(KeyError) -> IssuedCertificate {
        let ca = try loadCA()
        let now = Date()
        do {
            let serial = Keystore.newSerial()
            let caKeyIdentifier = try ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
            let certificate = try Certificate(
                version: .v3, serialNumber: serial, publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity),
                issuer: ca.certificate.subject, subject: try DistinguishedName { CommonName(name); OrganizationalUnitName(unit) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([kind == .server ? .serverAuth : .clientAuth])
                    SubjectAlternativeNames(names)
                    SubjectKeyIdentifier(hash: publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: caKeyIdentifier)
                },
                issuerPrivateKey: Certificate.PrivateKey(ca.key))
            return IssuedCertificate(serial: serial.bytes.map { String(format: "%02x", $0) }.joined(), vm: name, kind: kind,
                                     notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter, revoked: false,
                                     certificatePEM: try certificate.serializeAsPEM().pemString)
        } catch {
            throw KeyError(.storage, "cannot issue the certificate: \(error)")
        }
    }

    /// Every certificate issued to a VM (all VMs when nil), oldest first.
    public func certificates(vm: String? = nil) throws(KeyError) -> [IssuedCertificate] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM certificates WHERE ? IS NULL OR vm = ? ORDER BY not_before", arguments: [vm, vm])
            return rows.compactMap { row in
                guard let kind = IssuedCertificate.Kind(rawValue: row["kind"]) else { return nil }
                return IssuedCertificate(serial: row["serial"], vm: row["vm"], kind: kind,
                                         notBefore: Date(timeIntervalSince1970: row["not_before"]),
                                         notAfter: Date(timeIntervalSince1970: row["not_after"]),
                                         revoked: (row["revoked_at"] as Double?) != nil, certificatePEM: row["certificate"])
            }
        }
    }

    /// Certificates not revoked that expire within `window` of `now` (to be issued again).
    public func renewalDue(within window: TimeInterval, now: Date = Date()) throws(KeyError) -> [IssuedCertificate] {
        try certificates().filter { !$0.revoked && $0.notAfter > now && $0.notAfter.timeIntervalSince(now) <= window }
    }

    /// A certificate issued again: its successor, new key, and where the old one was written.
    public struct Renewal: Sendable {
        public var previous: String
        public var record: IssuedCertificate
        public var privateKeyPEM: String
        public var destination: String?
    }

    /// Issues again, with the same names, addresses and lifetime, every certificate that is not
    /// revoked, not yet renewed, and expires within `window` of `now`; marks the old ones renewed.
    public func renewCertificates(within window: TimeInterval, now: Date = Date()) throws(KeyError) -> [Renewal] {
        let due = try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM certificates WHERE revoked_at IS NULL AND renewed = 0 AND not_after > ? AND not_after <= ? ORDER BY not_after
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970 + window])
        }
        var renewals: [Renewal] = []
        for row in due {
            guard let kind = IssuedCertificate.Kind(rawValue: row["kind"]) else { continue }
            let dns = (row["dns_names"] as String? ?? "").split(separator: "\n").map(String.init)
            let ips = (row["ip_addresses"] as String? ?? "").split(separator: "\n").map(String.init)
            let destination = row["destination"] as String?
            let (record, key) = try issueCertificate(vm: row["vm"], kind: kind, dnsNames: dns, ipAddresses: ips,
                                                     validity: row["lifetime"] as Double? ?? 7 * 86_400, destination: destination)
            let previous: String = row["serial"]
            try write { db in try db.execute(sql: "UPDATE certificates SET renewed = 1 WHERE serial = ?", arguments: [previous]) }
            renewals.append(Renewal(previous: previous, record: record, privateKeyPEM: key, destination: destination))
        }
        return renewals
    }

    /// Revokes every certificate of a VM; returns the serials revoked now.
    public func revokeCertificates(vm: String) throws(KeyError) -> [String] {
        try write { db in
            let serials = try String.fetchAll(db, sql: "SELECT serial FROM certificates WHERE vm = ? AND revoked_at IS NULL", arguments: [vm])
            try db.execute(sql: "UPDATE certificates SET revoked_at = ? WHERE vm = ? AND revoked_at IS NULL",
                           arguments: [Date().timeIntervalSince1970, vm])
            return serials
        }
    }

    /// A CRL signed by the CA listing every revoked certificate still within its validity,
    /// valid for `validity` seconds, with an increasing CRL number.
    public func certificateRevocationListPEM(validity: TimeInterval = 86_400) throws(KeyError) -> String {
        let ca = try loadCA()
        let (number, revoked) = try write { db -> (Int, [(String, Double)]) in
            try db.execute(sql: "UPDATE ca SET crl_number = crl_number + 1 WHERE id = 1")
            let number = try Int.fetchOne(db, sql: "SELECT crl_number FROM ca WHERE id = 1") ?? 1
            let rows = try Row.fetchAll(db, sql: "SELECT serial, revoked_at FROM certificates WHERE revoked_at IS NOT NULL AND not_after > ? ORDER BY serial",
                                        arguments: [Date().timeIntervalSince1970])
            return (number, rows.map { ($0["serial"], $0["revoked_at"]) })
        }
        do {
            let now = Date()
            let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
            var numberValue = DER.Serializer()
            try numberValue.serialize(number)
            let crlNumber = Certificate.Extension(oid: [2, 5, 29, 20], critical: false, value: ArraySlice(numberValue.serializedBytes))
            let authorityKey = try Certificate.Extension(
                AuthorityKeyIdentifier(keyIdentifier: try ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier), critical: false)

            var tbs = DER.Serializer()
            try tbs.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(1)  // v2
                try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(ecdsaWithSHA256) }
                try coder.serialize(ca.certificate.subject)
                try coder.serialize(try Keystore.utcTime(now))
                try coder.serialize(try Keystore.utcTime(now.addingTimeInterval(validity)))
                if !revoked.isEmpty {
                    try coder.appendConstructedNode(identifier: .sequence) { list in
                        for (serial, at) in revoked {
                            try list.appendConstructedNode(identifier: .sequence) { entry in
                                try entry.serialize(ArraySlice(Keystore.hexBytes(serial)))
                                try entry.serialize(try Keystore.utcTime(Date(timeIntervalSince1970: at)))
                            }
                        }
                    }
                }
                try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { explicit in
                    try explicit.appendConstructedNode(identifier: .sequence) { extensions in
                        try extensions.serialize(authorityKey)
                        try extensions.serialize(crlNumber)
                    }
                }
            }
            let tbsBytes = tbs.serializedBytes
            let signature = try ca.key.signature(for: tbsBytes).derRepresentation
            var list = DER.Serializer()
            try list.appendConstructedNode(identifier: .sequence) { coder in
                coder.serializeRawBytes(tbsBytes)
                try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(ecdsaWithSHA256) }
                try coder.serialize(ASN1BitString(bytes: ArraySlice(signature)))
            }
            return PEMDocument(type: "X509 CRL", derBytes: list.serializedBytes).pemString
        } catch {
            throw KeyError(.storage, "cannot make the CRL: \(error)")
        }
    }

    static func utcTime(_ date: Date) throws -> UTCTime {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return try UTCTime(year: c.year!, month: c.month!, day: c.day!, hours: c.hour!, minutes: c.minute!, seconds: c.second!)
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex), index < hex.endIndex {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    /// An IPv4 or IPv6 address's bytes (4 or 16), or nil.
    static func ipBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
