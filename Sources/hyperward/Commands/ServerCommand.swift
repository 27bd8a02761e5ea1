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
import FleetServer
import Foundation
import HyperwardAgent
import HyperwardCore
import HyperwardHost
import KeyManagement

/// `hyperward server`: the fleet's control plane (issue 15). This first piece manages
/// enrollment tokens; the HTTP server, enrollment over mutual TLS and the dashboard come next.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "The fleet server: enrollment tokens (the HTTPS server and dashboard are not built yet).",
        subcommands: [Token.self, HostGroup.self]
    )

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
                    switch format {
                    case .json:
                        Output.write(LedgerCommand.json(["token": made.token, "group": made.group, "expires_at": expiry]))
                    case .text:
                        Output.write("\(made.token)\n")
                        Output.warn("one-time enrollment token for group \(made.group), valid until \(expiry); it is not shown again")
                    }
                    return ExitStatus.completed
                }
            }
        }
    }
}
