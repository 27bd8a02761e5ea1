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
import HyperwardHost
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

    func loadPolicy() throws(HyperwardError) -> NetworkPolicy {
        try loadPolicyCounting().policy
    }

    /// The policy, and how many VMs its file names (before libvirt leaves out those not running).
    func loadPolicyCounting() throws(HyperwardError) -> (policy: NetworkPolicy, named: Int, source: String) {
        try PolicyLoader.loadConfigured(policy: policy, config: config, defaultPolicy: NetOptions.defaultPolicy, warn: Output.warn)
    }

    func compiled(_ policy: NetworkPolicy) throws(HyperwardError) -> Ruleset {
        do { return try RulesetCompiler.compile(policy) } catch {
            throw HyperwardError(.configuration, error.description.terminalSafe)
        }
    }

    /// Checks `--netns` names an existing namespace before anything runs in it (exit 64).
    func requireNamespace() throws(HyperwardError) {
        do { try NetworkNamespace.require(netns) } catch {
            throw HyperwardError(.usage, "--netns: \(error.message)")
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
            return ExitStatus.completed
        }
    }
}

struct NetApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Check, then apply the ruleset as one transaction; flush connections of VMs whose rules changed.",
        discussion: """
            A policy that names no VMs, or that would leave every running VM unfiltered (the kernel \
            filters ports whose interfaces exist, and the new ruleset filters none of the existing \
            ones: an empty file, VM names libvirt does not know or are not running, wrong devices), \
            is refused with exit 78 and the previous ruleset is kept. --allow-empty applies it \
            anyway, with a warning.
            """)
    @OptionGroup var options: NetOptions

    @Flag(name: .customLong("dry-run"), help: "Check the ruleset against the kernel (nft -c) and print it; change nothing.")
    var dryRun = false

    @Flag(name: .customLong("allow-empty"), help: "Apply a policy that names no VMs or filters no running VM (removing their protection).")
    var allowEmpty = false

    func run() async throws {
        try await reportingErrors {
            try options.requireNamespace()
            let (policy, named, source) = try options.loadPolicyCounting()
            let ruleset = try options.compiled(policy)
            let apply = PolicyApply(namespace: options.netns, allowEmpty: allowEmpty, warn: Output.warn)
            if dryRun {
                try apply.check(ruleset)
                Output.write(ruleset.text)
                Output.note("dry run: the ruleset passed nft -c; nothing applied")
                return ExitStatus.completed
            }
            let outcome = try apply.apply(policy, ruleset: ruleset, named: named, source: source)
            // Revocation must end live flows: the conntrack entries of every policy address were
            // deleted, so surviving flows are re-evaluated against the new rules on their next packet.
            for warning in outcome.warnings { Output.warn(warning.terminalSafe) }
            let flushed = outcome.flushed
            Output.write("applied: \(ruleset.vmIDs.count) VMs; conntrack entries flushed: \(flushed)\n")
            return ExitStatus.completed
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
            try options.requireNamespace()
            let ruleset = try options.compiled(options.loadPolicy())
            let status: NetworkStatus
            do { status = try NetworkStatus.read(applier: options.applier, expected: ruleset) } catch {
                throw HyperwardError(.software, "\(error)".terminalSafeLines)
            }
            if format == "json" {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Output.write(String(decoding: (try? encoder.encode(status)) ?? Data(), as: UTF8.self) + "\n")
            } else {
                Output.write(status.text)
            }
            return status.drift.isEmpty ? ExitStatus.completed : ExitStatus.thresholdMatched
        }
    }
}

struct NetBlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "block", abstract: "Block a source address for a time (the IPS blocklist).")
    @OptionGroup var options: NetOptions
    @Argument(help: "IPv4 or IPv6 address.") var address: String
    @Option(help: "How long, e.g. 600s, 10m, 1h, 1d (default 1h).") var ttl: String = "1h"

    func validate() throws {
        guard let network = try? IPNetwork(address: address) else { throw ValidationError("'\(address.terminalSafe)' is not an IPv4 or IPv6 address") }
        if let reason = Blocklist.refusal(for: network) { throw ValidationError("cannot block \(network.addressText): \(reason)") }
        guard Blocklist.seconds(ttl) != nil else { throw ValidationError("--ttl '\(ttl.terminalSafe)' must be like 600s, 10m, 1h or 1d (at most 30d)") }
    }

    func run() async throws {
        try await reportingErrors {
            try options.requireNamespace()
            do {
                let blocklist = Blocklist(applier: options.applier)
                // The IPS table, if no apply has declared it yet (idempotent: elements are kept).
                try blocklist.prepare()
                let outcome = try blocklist.block(address, seconds: Blocklist.seconds(ttl) ?? 3600)
                Output.write(outcome + "\n")
            } catch { throw HyperwardError(.software, "\(error)".terminalSafeLines) }
            return ExitStatus.completed
        }
    }
}

struct NetUnblockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unblock", abstract: "Remove an address from the IPS blocklist.",
        discussion: """
            Exit 0 when the address is not blocked afterwards: "unblocked ADDRESS" when a block was \
            removed, "ADDRESS is not blocked; nothing to do" when there was none (never blocked, \
            its block expired, or no IPS table exists yet). Exit 64 for an address that can never \
            be blocked, 70 when nft could not be asked.
            """)
    @OptionGroup var options: NetOptions
    @Argument(help: "IPv4 or IPv6 address.") var address: String

    func validate() throws {
        guard let network = try? IPNetwork(address: address) else { throw ValidationError("'\(address.terminalSafe)' is not an IPv4 or IPv6 address") }
        if let reason = Blocklist.refusal(for: network) { throw ValidationError("\(network.addressText) is never blocked: \(reason)") }
    }

    func run() async throws {
        try await reportingErrors {
            try options.requireNamespace()
            let removed: Bool
            do { removed = try Blocklist(applier: options.applier).unblock(address) } catch {
                throw HyperwardError(.software, "\(error)".terminalSafeLines)
            }
            let text = (try? IPNetwork(address: address).addressText) ?? address
            Output.write(removed ? "unblocked \(text)\n" : "\(text) is not blocked; nothing to do\n")
            return ExitStatus.completed
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
        do { _ = try PacketQuery(from: from, to: to, proto: proto, port: port) } catch { throw ValidationError(error.message) }
    }

    func run() async throws {
        try await reportingErrors {
            let policy = try options.loadPolicy()
            if let fromVM, policy.vms[fromVM] == nil {
                // Not an ACCEPT for a VM nobody filters: most likely a typo.
                let known = policy.vms.keys.sorted()
                throw HyperwardError(.usage, "--from-vm '\(fromVM.terminalSafe)' is not a VM of the policy (or its libvirt domain "
                    + "is not running); its VMs: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
            }
            var query = try PacketQuery(from: from, to: to, proto: proto, port: port)
            query.sourceVM = fromVM
            let explanation = PolicyModel(policy: policy).explain(query)
            if format == "json" {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                Output.write(String(decoding: (try? encoder.encode(explanation)) ?? Data(), as: UTF8.self) + "\n")
            } else {
                Output.write("\(explanation.verdict.rawValue.uppercased()) at \(explanation.stage): \(explanation.rule)\n  \(explanation.reason)\n")
            }
            return explanation.verdict == .accept ? ExitStatus.completed : ExitStatus.thresholdMatched
        }
    }
}
