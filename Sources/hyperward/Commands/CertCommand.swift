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

import ArgumentParser
import Foundation
import HyperwardAgent
import HyperwardCore
import HyperwardHost
import KeyManagement

/// `hyperward cert`: the internal CA for TLS between VMs.
struct CertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "The internal CA: short-lived per-VM TLS certificates, revocation, CRL (PEM for OpenSSL in the guest).",
        discussion: "Exit codes as for `hyperward keys`.",
        subcommands: [InitCA.self, Issue.self, Renew.self, Revoke.self, CRL.self, List.self]
    )

    /// A name given to the CA: printable, one line, at most 64 characters (it goes into every
    /// certificate's issuer).
    static func validCommonName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.unicodeScalars.allSatisfy { !$0.properties.isDefaultIgnorableCodePoint && $0.value >= 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value) }
            && name.trimmingCharacters(in: .whitespaces) == name
    }
}

extension CertCommand {
    struct InitCA: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "init-ca", abstract: "Create the CA (its key wrapped by the keystore's root); prints its certificate.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "The CA's common name.") var name = "Hyperward VM CA"
        @Option(help: "Validity in days.") var days = 3650

        func validate() throws {
            guard CertCommand.validCommonName(name) else {
                throw ValidationError("--name must be 1 to 64 printable characters on one line, without leading or trailing spaces")
            }
            guard (1...36500).contains(days) else { throw ValidationError("--days must be 1 to 36500") }
        }

        func run() async throws {
            try await runKeyOperation(changes: true, "cert.init-ca", key: nil, global: global, access: access) { store, context in
                Output.write(try store.initializeCA(commonName: name, days: days))
                return (nil, "created the CA \(name)")
            }
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue",
            abstract: "Issue a server or client certificate for a VM: writes VM-KIND.key.pem (0600), VM-KIND.crt.pem and ca.crt.pem to --out-dir.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "The VM the certificate names.") var vm: String
        @Option(help: "server or client.") var kind: String = "server"
        @Option(help: ArgumentHelp("An extra DNS name (repeatable).", valueName: "NAME")) var dns: [String] = []
        @Option(help: ArgumentHelp("An IP address of the VM (repeatable).", valueName: "ADDRESS")) var ip: [String] = []
        @Option(help: "Lifetime in hours (default 168: a week; issue again before it ends).") var hours = 168
        @Option(name: .customLong("out-dir"), help: ArgumentHelp("Where the PEM files go.", valueName: "DIR")) var outDir: String

        func validate() throws {
            guard IssuedCertificate.Kind(rawValue: kind) != nil else { throw ValidationError("--kind must be server or client") }
            guard (1...8760).contains(hours) else { throw ValidationError("--hours must be 1 to 8760") }
        }

        func run() async throws {
            try await runKeyOperation(changes: true, "cert.issue", key: nil, global: global, access: access) { store, context in
                let directory = OperatorFiles.absolute(outDir)
                let (record, keyPEM) = try store.issueCertificate(vm: vm, kind: IssuedCertificate.Kind(rawValue: kind) ?? .server,
                                                                  dnsNames: dns, ipAddresses: ip, validity: Double(hours) * 3600,
                                                                  destination: directory)
                let path = try CertificateFiles.write(record, keyPEM: keyPEM, caPEM: try store.caCertificatePEM(), to: directory)
                Output.write("issued \(kind) certificate \(record.serial) for \(vm), valid until \(Event.timestamp(record.notAfter)): \(path)\n")
                return (nil, "issued \(kind) certificate \(record.serial) for \(vm)")
            }
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "renew",
            abstract: "Issue again every certificate expiring soon (same names, addresses, lifetime), into the directory it was written to.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "Renew what expires within this many hours.") var within = 24

        func run() async throws {
            try await runKeyOperation(changes: true, "cert.renew", key: nil, global: global, access: access) { store, _ in
                let renewed = try CertificateFiles.renew(store, within: Double(within) * 3600)
                for line in renewed { Output.write(line + "\n") }
                return (nil, "renewed \(renewed.count) certificate(s)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke every certificate of a VM (they appear in the next CRL).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "The VM.") var vm: String

        func run() async throws {
            try await runKeyOperation(changes: true, "cert.revoke", key: nil, global: global, access: access) { store, context in
                guard try !store.certificates(vm: vm).isEmpty else {
                    throw HyperwardError(.unknownItem, "no certificate was issued for \(vm.debugDescription): nothing revoked")
                }
                let serials = try store.revokeCertificates(vm: vm)
                Output.write("revoked \(serials.count) certificate(s) of \(vm)\n")
                return (nil, "revoked \(serials.count) certificate(s) of \(vm): \(serials.joined(separator: ", "))")
            }
        }
    }

    struct CRL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "crl", abstract: "Write a signed CRL of the revoked certificates (PEM).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "Validity of the CRL in hours (1 to 8760).") var hours = 24
        @Option(help: ArgumentHelp("Write to FILE (0644) instead of standard output; an existing FILE is refused (73) unless --replace.", valueName: "FILE")) var out: String?
        @Flag(help: "Replace an existing --out file (atomically; it keeps its mode).") var replace = false

        func validate() throws {
            guard (1...8760).contains(hours) else { throw ValidationError("--hours must be 1 to 8760 (a CRL valid for 0 hours is already stale)") }
            if replace && out == nil { throw ValidationError("--replace goes with --out") }
        }

        func run() async throws {
            try await runKeyOperation(changes: true, "cert.crl", key: nil, global: global, access: access) { store, context in
                let pem = try store.certificateRevocationListPEM(validity: Double(hours) * 3600)
                if let out {
                    // Replacing keeps the file's mode (a CRL the operator made 0600 stays 0600).
                    var st = stat()
                    let mode: mode_t = replace && stat(out, &st) == 0 ? st.st_mode & 0o777 : 0o644
                    try SafeFile.write(Array(pem.utf8), to: out, mode: mode, replace: replace)
                } else {
                    Output.write(pem)
                }
                return (nil, "wrote a CRL")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List issued certificates (and which are due for renewal).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "Only this VM's.") var vm: String?
        @Option(name: .customLong("due-within"), help: ArgumentHelp("Only those expiring within this many hours (renew them).", valueName: "HOURS"))
        var dueWithin: Int?

        func run() async throws {
            try await runKeyOperation("cert.list", key: nil, global: global, access: access) { store, context in
                var certificates = try store.certificates(vm: vm)
                if let dueWithin {
                    let due = Set(try store.renewalDue(within: Double(dueWithin) * 3600).map(\.serial))
                    certificates = certificates.filter { due.contains($0.serial) }
                }
                for c in certificates {
                    Output.write("\(c.serial)  \(c.vm)  \(c.kind.rawValue)  until \(Event.timestamp(c.notAfter))\(c.revoked ? "  REVOKED" : "")\n")
                }
                return (nil, "listed \(certificates.count) certificate(s)")
            }
        }
    }
}
