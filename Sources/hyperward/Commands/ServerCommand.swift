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
import FleetClient
import FleetServer
import Foundation
import HyperwardAgent
import HyperwardCore
import HyperwardHost
import KeyManagement

/// `hyperward server`: the fleet's control plane (docs/server.md): the HTTPS API that hosts
/// enroll with and push to over mutual TLS, and that people query with API tokens.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "The fleet server: its HTTPS API, enrollment tokens, hosts and API users.",
        subcommands: [Run.self, Token.self, HostGroup.self, User.self, OpenAPI.self],
        defaultSubcommand: Run.self
    )

    /// The CA's PEM as kept for operators in the state directory (public).
    static let caFileName = "fleet-ca.pem"

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Serve the fleet API over HTTPS (TLS 1.3; hosts by their client certificates).",
            discussion: """
                Opens the keystore (its CA signs host certificates; it is made on first run as \
                "Hyperward fleet CA"), issues the server's own certificate for this run (its key only \
                in memory), writes the CA to <state>/fleet-ca.pem and prints its SHA-256 fingerprint, \
                which hosts pin with `agent enroll --ca-fingerprint`. Runs until SIGTERM or SIGINT. \
                Exit codes: 0 stopped; 64 a bad address; 69 not an admin; 77 wrong passphrase.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: ArgumentHelp("Address and port to listen on (port 0: any free port, printed).", valueName: "HOST:PORT"))
        var listen = "127.0.0.1:8443"
        @Option(name: .customLong("dns-name"), help: ArgumentHelp("A DNS name hosts reach the server by (repeatable).", valueName: "NAME"))
        var dnsNames: [String] = []
        @Option(name: .customLong("ip-address"), help: ArgumentHelp("An IP address hosts reach the server by (repeatable).", valueName: "ADDRESS"))
        var ipAddresses: [String] = []

        func run() async throws {
            try await reportingErrors {
                let configuration = try global.loadConfiguration()
                try GovernanceAccess.require(.admin, for: "server run", configuration: configuration)
                let logger = global.bootstrapLogging(configuration)
                let (host, port) = try Self.hostAndPort(listen)
                do { try PrivateDirectory.ensure(configuration.stateDirectory, parents: true) } catch {
                    throw HyperwardError(.storage, "\(error)")
                }
                let database = try FleetDatabase(directory: configuration.stateDirectory)
                let keystore = try KeyOperations(configuration: configuration).open(access.keyAccess)
                let caPEM = try Self.fleetCA(keystore)
                let fingerprint = try FleetLink.fingerprint(pem: caPEM)
                do {
                    try SafeFile.write(Array(caPEM.utf8), to: configuration.stateDirectory + "/" + ServerCommand.caFileName, mode: 0o644, replace: true)
                } catch {
                    throw HyperwardError(.ioError, "cannot write the CA for operators: \(error)")
                }
                let server = FleetHTTPServer(database: database, keystore: keystore,
                                             options: .init(host: host, port: port, dnsNames: dnsNames, ipAddresses: ipAddresses), logger: logger)
                Output.note("fleet CA fingerprint sha256:\(fingerprint)")
                try await server.run { bound in
                    let shown = host.contains(":") ? "[\(host)]" : host
                    Output.note("listening on https://\(shown):\(bound)")
                }
                return ExitStatus.completed
            }
        }

        static func hostAndPort(_ text: String) throws(HyperwardError) -> (String, Int) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
                throw HyperwardError(.usage, "--listen \(text.debugDescription) is not HOST:PORT")
            }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw HyperwardError(.usage, "--listen \(text.debugDescription) has no host") }
            return (host, port)
        }

        /// The keystore's CA, made on the first run.
        static func fleetCA(_ keystore: Keystore) throws(HyperwardError) -> String {
            do {
                do { return try keystore.caCertificatePEM() } catch where error.code == .notInitialized {
                    return try keystore.initializeCA(commonName: "Hyperward fleet CA")
                }
            } catch {
                throw HyperwardError(exitStatus: error.exitCode, error.message)
            }
        }
    }

    struct OpenAPI: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "openapi", abstract: "Print the API's OpenAPI 3.1 document (docs/api.yaml).")
        func run() async throws { Output.write(FleetOpenAPI.document) }
    }

    struct User: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "user", abstract: "API users: bearer tokens with a role.",
                                                        subcommands: [Add.self, Revoke.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add",
                abstract: "Make an API token for a person with a role (viewer, operator, admin); shown once, stored as its SHA-256.",
                discussion: "Exit codes: 0 made; 64 a bad name or role; 69 not an admin; 73 the name exists.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The user's name.") var name: String
            @Option(help: "viewer, operator or admin.") var role: String
            @Option(help: "text or json.") var format: LedgerCommand.Format = .text

            func run() async throws {
                try await reportingErrors {
                    let configuration = try global.loadConfiguration()
                    try GovernanceAccess.require(.admin, for: "server user add", configuration: configuration)
                    guard let role = Role(rawValue: role) else { throw HyperwardError(.usage, "--role is viewer, operator or admin") }
                    do { try PrivateDirectory.ensure(configuration.stateDirectory, parents: true) } catch {
                        throw HyperwardError(.storage, "\(error)")
                    }
                    let token = try FleetDatabase(directory: configuration.stateDirectory).createAPIToken(name: name, role: role, by: Caller.current().user)
                    switch format {
                    case .json: Output.write(LedgerCommand.json(["name": name, "role": role.rawValue, "token": token]))
                    case .text:
                        Output.write(token + "\n")
                        Output.warn("API token for \(name) (\(role.rawValue)); it is not shown again")
                    }
                    return ExitStatus.completed
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a user's API token.",
                                                            discussion: "Exit codes: 0 revoked; 67 no such active user; 69 not an admin.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The user's name.") var name: String

            func run() async throws {
                try await reportingErrors {
                    let configuration = try global.loadConfiguration()
                    try GovernanceAccess.require(.admin, for: "server user revoke", configuration: configuration)
                    try FleetDatabase(directory: configuration.stateDirectory).revokeAPIToken(name: name)
                    Output.write("revoked \(name)\n")
                    return ExitStatus.completed
                }
            }
        }
    }

    struct HostGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "host", abstract: "Enrolled hosts: list, revoke.",
                                                        subcommands: [List.self, Revoke.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "The enrolled hosts.")
            @OptionGroup var global: GlobalOptions

            func run() async throws {
                try await reportingErrors {
                    let configuration = try global.loadConfiguration()
                    try GovernanceAccess.require(.viewer, for: "server host list", configuration: configuration)
                    for host in try FleetDatabase(directory: configuration.stateDirectory).hosts() {
                        let state = host.revokedAt.map { "revoked \($0)" } ?? "last seen \(host.lastSeen ?? "never")"
                        Output.write("\(host.name.terminalSafe)\tgroup \(host.group.terminalSafe)\tenrolled \(host.enrolledAt)\t\(state)\n")
                    }
                    return ExitStatus.completed
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "revoke",
                abstract: "Revoke a host: its certificates in the server's CA, and its name for good.",
                discussion: "Exit codes: 0 revoked (or already); 67 no such host; 69 not an admin; 77 wrong passphrase.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var access: KeyAccessOptions
            @Argument(help: "The host.") var host: String

            func run() async throws {
                try await reportingErrors {
                    let configuration = try global.loadConfiguration()
                    try GovernanceAccess.require(.admin, for: "server host revoke", configuration: configuration)
                    let database = try FleetDatabase(directory: configuration.stateDirectory)
                    guard try database.hosts().contains(where: { $0.name == host }) else {
                        throw HyperwardError(.unknownItem, "no enrolled host named \(host.debugDescription)")
                    }
                    let operations = try KeyOperations(configuration: configuration)
                    let keystore = try operations.open(access.keyAccess)
                    let serials: [String]
                    do { serials = try keystore.revokeCertificates(vm: host) } catch let error as KeyError {
                        throw HyperwardError(exitStatus: error.exitCode, error.message)
                    }
                    try database.revokeHost(host)
                    operations.record("server.host.revoke", key: nil, version: nil, outcome: nil,
                                      message: "host \(host) revoked; \(serials.count) certificate(s) revoked")
                    Output.write("revoked \(host): \(serials.count) certificate(s)\n")
                    return ExitStatus.completed
                }
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "token", abstract: "One-time enrollment tokens.",
                                                        subcommands: [Create.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "create",
                abstract: "Make a one-time enrollment token for a group of hosts; it is shown once and stored only as its SHA-256.",
                discussion: "Exit codes: 0 made; 64 a bad group or lifetime (1 minute to 7 days); 69 not an admin.")
            @OptionGroup var global: GlobalOptions
            @Option(help: "The group the enrolled host joins.") var group: String
            @Option(help: ArgumentHelp("How long the token works: seconds, or a number with m, h or d (default 1h).", valueName: "DURATION"))
            var expires = "1h"
            @Option(help: "text or json.") var format: LedgerCommand.Format = .text

            func run() async throws {
                try await reportingErrors {
                    let configuration = try global.loadConfiguration()
                    try GovernanceAccess.require(.admin, for: "server token create", configuration: configuration)
                    guard let lifetime = HyperwardConfiguration.durationSeconds(expires).map(TimeInterval.init) else {
                        throw HyperwardError(.usage, "--expires \(expires.debugDescription) is not a duration (900, 30m, 1h, 2d)")
                    }
                    do { try PrivateDirectory.ensure(configuration.stateDirectory, parents: true) } catch {
                        throw HyperwardError(.storage, "\(error)")
                    }
                    let database = try FleetDatabase(directory: configuration.stateDirectory)
                    let made = try database.createToken(group: group, lifetime: lifetime, by: Caller.current().user)
                    let expiry = Event.timestamp(made.expiresAt)
                    // The CA fingerprint hosts pin, once the server has run and written its CA.
                    let caPEM = try? String(contentsOfFile: configuration.stateDirectory + "/" + ServerCommand.caFileName, encoding: .utf8)
                    let fingerprint = caPEM.flatMap { try? FleetLink.fingerprint(pem: $0) }
                    switch format {
                    case .json:
                        var object = ["token": made.token, "group": made.group, "expires_at": expiry]
                        if let fingerprint { object["ca_fingerprint"] = "sha256:" + fingerprint }
                        Output.write(LedgerCommand.json(object))
                    case .text:
                        Output.write("\(made.token)\n")
                        Output.warn("one-time enrollment token for group \(made.group), valid until \(expiry); it is not shown again")
                        if let fingerprint { Output.note("enroll with --ca-fingerprint sha256:\(fingerprint)") }
                    }
                    return ExitStatus.completed
                }
            }
        }
    }
}
