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
import HyperwardCore
import NetworkPolicy

/// `hyperward net`: per-VM firewalls and anti-spoofing on nftables.
struct NetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net",
        abstract: "Per-VM security groups and anti-spoofing, compiled to one nftables ruleset.",
        subcommands: [NetCompileCommand.self, NetApplyCommand.self, NetStatusCommand.self, NetExplainCommand.self, NetBlockCommand.self, NetUnblockCommand.self]
    )
}

/// Where the policy comes from and which network namespace to act in.
struct NetOptions: ParsableArguments {
    static let defaultPolicy = "/etc/hyperward/policy.yaml"

    @Option(help: ArgumentHelp("Network policy file (YAML: groups, vms). Default: the configuration's network.policy, else \(NetOptions.defaultPolicy).", valueName: "FILE"))
    var policy: String?

    @Option(name: .long, help: ArgumentHelp("Configuration file (its network.policy: a file name or the policy inline).", valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("Act inside this network namespace (ip netns).", valueName: "NAME"))
    var netns: String?

    func loadPolicy() throws(CLIError) -> NetworkPolicy {
        if let policy { return try PolicyLoader.load(policy, warn: Output.warn) }
        let configuration: HyperwardConfiguration
        do {
            configuration = try HyperwardConfiguration.load(path: config ?? HyperwardConfiguration.defaultPath, isExplicit: config != nil)
        } catch {
            throw CLIError(exitCode: ExitCodes.configuration, message: error.description)
        }
        guard let configured = configuration.network.policy else { return try PolicyLoader.load(NetOptions.defaultPolicy, warn: Output.warn) }
        return try PolicyLoader.load(configured, inline: configuration.network.policyIsInline, warn: Output.warn)
    }

    func compiled(_ policy: NetworkPolicy) throws(CLIError) -> Ruleset {
        do { return try RulesetCompiler.compile(policy) } catch {
            throw CLIError(exitCode: ExitCodes.configuration, message: error.description)
        }
    }

    var applier: NftApplier { NftApplier(namespace: netns) }
}

struct NetCompileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compile", abstract: "Print the nftables ruleset the policy compiles to.")
    @OptionGroup var options: NetOptions

    func run() async throws {
        try await reportingErrors {
            Output.write(try options.compiled(options.loadPolicy()).text)
            return ExitCodes.completed
        }
    }
}

struct NetApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Check, then apply the ruleset as one transaction; flush connections of VMs whose rules changed.")
    @OptionGroup var options: NetOptions

    @Flag(name: .customLong("dry-run"), help: "Check the ruleset against the kernel (nft -c) and print it; change nothing.")
    var dryRun = false

    func run() async throws {
        try await reportingErrors {
            let policy = try options.loadPolicy()
            let ruleset = try options.compiled(policy)
            let applier = options.applier
            let outcome: EnforcementOutcome
            do {
                if dryRun {
                    try applier.check(ruleset.text)
                    Output.write(ruleset.text)
                    FileHandle.standardError.write(Data("hyperward: dry run: the ruleset passed nft -c; nothing applied\n".utf8))
                    return ExitCodes.completed
                }
                outcome = try PolicyEnforcer(applier: applier, flusher: ConntrackFlusher(namespace: options.netns)).enforce(policy)
            } catch {
                throw CLIError(exitCode: ExitCodes.software, message: "\(error) (the previous ruleset is unchanged)")
            }
            // Revocation must end live flows: the conntrack entries of every policy address were
            // deleted, so surviving flows are re-evaluated against the new rules on their next packet.
            for warning in outcome.warnings { FileHandle.standardError.write(Data("hyperward: warning: \(warning)\n".utf8)) }
            let flushed = outcome.flushed
            Output.write("applied: \(ruleset.vmIDs.count) VMs; conntrack entries flushed: \(flushed)\n")
            return ExitCodes.completed
        }
    }
}

struct NetStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "What is applied, drift from the policy, drops per VM.")
    @OptionGroup var options: NetOptions

    @Option(help: "text or json.")
    var format: String = "text"

    func run() async throws {
        try await reportingErrors {
            let ruleset = try options.compiled(options.loadPolicy())
            let status: NetworkStatus
            do { status = try NetworkStatus.read(applier: options.applier, expected: ruleset) } catch {
                throw CLIError(exitCode: ExitCodes.software, message: "\(error)")
            }
            if format == "json" {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Output.write(String(decoding: (try? encoder.encode(status)) ?? Data(), as: UTF8.self) + "\n")
            } else {
                Output.write(status.text)
            }
            return status.drift.isEmpty ? ExitCodes.completed : ExitCodes.thresholdMatched
        }
    }
}

struct NetBlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "block", abstract: "Block a source address for a time (the IPS blocklist).")
    @OptionGroup var options: NetOptions
    @Argument(help: "IPv4 or IPv6 address.") var address: String
    @Option(help: "How long, e.g. 600s, 10m, 1h, 1d (default 1h).") var ttl: String = "1h"

    func validate() throws {
        guard (try? IPNetwork(address: address)) != nil else { throw ValidationError("'\(address)' is not an IPv4 or IPv6 address") }
        guard Blocklist.seconds(ttl) != nil else { throw ValidationError("--ttl '\(ttl)' must be like 600s, 10m, 1h or 1d (at most 30d)") }
    }

    func run() async throws {
        try await reportingErrors {
            do {
                let outcome = try Blocklist(applier: options.applier).block(address, seconds: Blocklist.seconds(ttl) ?? 3600)
                Output.write(outcome + "\n")
            } catch { throw CLIError(exitCode: ExitCodes.software, message: "\(error)") }
            return ExitCodes.completed
        }
    }
}

struct NetUnblockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unblock", abstract: "Remove an address from the IPS blocklist.")
    @OptionGroup var options: NetOptions
    @Argument(help: "IPv4 or IPv6 address.") var address: String

    func validate() throws {
        guard (try? IPNetwork(address: address)) != nil else { throw ValidationError("'\(address)' is not an IPv4 or IPv6 address") }
    }

    func run() async throws {
        try await reportingErrors {
            do { try Blocklist(applier: options.applier).unblock(address) } catch {
                throw CLIError(exitCode: ExitCodes.software, message: "\(error)")
            }
            Output.write("unblocked \(address)\n")
            return ExitCodes.completed
        }
    }
}

struct NetExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Which rule decides a packet (the first packet of a new flow), by Hyperward's model of the ruleset.")
    @OptionGroup var options: NetOptions
    @Option(help: "Source address.") var from: String
    @Option(help: "Destination address.") var to: String
    @Option(help: "tcp, udp, icmp or icmpv6.") var proto: String = "tcp"
    @Option(help: "Destination port (tcp/udp).") var port: Int?
    @Option(name: .customLong("from-vm"), help: "The VM the packet is sent from, if not the owner of --from (a spoof).")
    var fromVM: String?
    @Option(help: "text or json.") var format: String = "text"

    func validate() throws {
        guard (try? IPNetwork(address: from)) != nil else { throw ValidationError("--from '\(from)' is not an address") }
        guard (try? IPNetwork(address: to)) != nil else { throw ValidationError("--to '\(to)' is not an address") }
        guard let p = Rule.Proto(rawValue: proto), p != .any else { throw ValidationError("--proto must be tcp, udp, icmp or icmpv6") }
        if let port, !(1...65535).contains(port) { throw ValidationError("--port \(port) is out of range 1...65535") }
        if (p == .tcp || p == .udp) && port == nil { throw ValidationError("--port is required for \(proto)") }
    }

    func run() async throws {
        try await reportingErrors {
            let policy = try options.loadPolicy()
            guard let source = try? IPNetwork(address: from), let destination = try? IPNetwork(address: to),
                  let p = Rule.Proto(rawValue: proto) else { return ExitCodes.usage }
            let explanation = PolicyModel(policy: policy).explain(
                PacketQuery(source: source, destination: destination, proto: p, port: port, sourceVM: fromVM))
            if format == "json" {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                Output.write(String(decoding: (try? encoder.encode(explanation)) ?? Data(), as: UTF8.self) + "\n")
            } else {
                Output.write("\(explanation.verdict.rawValue.uppercased()) at \(explanation.stage): \(explanation.rule)\n  \(explanation.reason)\n")
            }
            return explanation.verdict == .accept ? ExitCodes.completed : ExitCodes.thresholdMatched
        }
    }
}
