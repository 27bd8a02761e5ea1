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
import Foundation
import HyperwardAgent
import HyperwardCore
import HyperwardHost

extension AgentCommand {
    /// `hyperward agent enroll`: joins this host to a fleet server.
    struct Enroll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enroll",
            abstract: "Enroll this host with a fleet server: a new key, a CSR, a client certificate from the server's CA.",
            discussion: """
                The server's CA is fetched and checked against --ca-fingerprint before anything is \\
                sent; the token then goes only over a connection verified against that CA. There is no \\
                mode without server verification. The key (fleet/host.key, 0600) never leaves the host. \\
                Exit codes: 0 enrolled; 64 a bad address, name or fingerprint; 69 refused by the server \\
                or not reachable, or the CA's fingerprint differs; 73 already enrolled.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The fleet server.", valueName: "https://HOST[:PORT]")) var server: String
        @Option(help: ArgumentHelp("The one-time enrollment token (or - to read it from standard input).", valueName: "TOKEN"))
        var token: String
        @Option(name: .customLong("ca-fingerprint"), help: ArgumentHelp("The SHA-256 of the server's CA certificate.", valueName: "SHA256"))
        var caFingerprint: String
        @Option(help: ArgumentHelp("The name this host enrolls under (default: its host name).", valueName: "NAME"))
        var name: String?

        func run() async throws {
            try await reportingErrors {
                let configuration = try global.loadConfiguration()
                try GovernanceAccess.require(.admin, for: "agent enroll", configuration: configuration)
                let address = try FleetServerAddress(parsing: server)
                let secret: String
                if token == "-" {
                    secret = (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: .whitespaces)
                } else {
                    secret = token
                }
                guard let host = name ?? Event.localHost else { throw HyperwardError(.usage, "this host has no name; give --name") }
                let link = try await FleetLink.enroll(stateDirectory: configuration.stateDirectory, server: address, token: secret,
                                                      fingerprint: caFingerprint, host: host)
                Output.write("enrolled \(link.host) in group \(link.group) with \(link.server)\n")
                return ExitStatus.completed
            }
        }
    }

    /// `hyperward agent push`: sends the events recorded since the last push.
    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Send the fleet server the events recorded since the last acknowledged push.",
            discussion: """
                Resumes from the last event the server acknowledged; the server stores each event once \\
                (by id), so a push cut off anywhere is simply run again. While the server is away events \\
                wait in the state store; past the bound the oldest are skipped and reported as dropped. \\
                The ledger's latest signed checkpoint follows the events, with a consistency proof from \
                the one the server holds; the server refuses a history that does not extend it. \
                Exit codes: 0 pushed; 66 not enrolled; 69 the server refused or is not reachable; 75 busy; \
                76 the server refused this host's ledger checkpoint (a fleet alert was raised).
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "text or json.") var format: LedgerCommand.Format = .text

        func run() async throws {
            try await reportingErrors {
                let configuration = try global.loadConfiguration()
                let link = try FleetLink.load(stateDirectory: configuration.stateDirectory)
                let result = try await link.push(stateDirectory: configuration.stateDirectory, maxPending: Int64(configuration.fleet.maxPending))
                switch format {
                case .json:
                    var object: [String: Any] = ["sent": result.sent, "stored": result.stored, "duplicates": result.duplicates,
                                                 "dropped_total": result.droppedTotal, "remaining": result.remaining]
                    if let checkpoint = result.checkpoint { object["checkpoint"] = checkpoint }
                    Output.write(LedgerCommand.json(object))
                case .text:
                    Output.write("pushed \(result.sent) event(s) to \(link.server): \(result.stored) stored, \(result.duplicates) already there\n")
                    if let checkpoint = result.checkpoint { Output.write("ledger checkpoint: \(checkpoint)\n") }
                    if result.droppedTotal > 0 { Output.warn("\(result.droppedTotal) event(s) were dropped while the server was away") }
                }
                return ExitStatus.completed
            }
        }
    }
}
