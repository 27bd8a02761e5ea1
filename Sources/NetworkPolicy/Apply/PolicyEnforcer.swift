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

import HyperwardCore
import HyperwardHost
import Synchronization

/// br_netfilter: bridged IPv4/IPv6 reaches the inet family's hooks (where the stateful security
/// groups are) only with `net.bridge.bridge-nf-call-ip{,6}tables=1`. Without it anti-spoofing
/// still works but security groups silently pass everything, so every apply makes sure.
public enum BridgeNetfilter {
    static let keys = ["net.bridge.bridge-nf-call-iptables=1", "net.bridge.bridge-nf-call-ip6tables=1"]

    /// Turns it on in `namespace` (loading `br_netfilter` when needed).
    /// - Returns: nil when on, else why it could not be (security groups are then not enforced).
    public static func ensure(namespace: String?) -> String? {
        if Sysctl.write(keys, namespace: namespace) == nil { return nil }
        _ = Sysctl.loadModule("br_netfilter")
        guard let failure = Sysctl.write(keys, namespace: namespace) else { return nil }
        return "bridge netfilter is off and could not be enabled (\(failure)): "
            + "security groups are NOT enforced on bridged traffic; anti-spoofing is"
    }
}

extension HyperwardError.Code {
    /// A policy would leave every running VM unfiltered (see `PolicyEnforcer.enforce`).
    public static let wouldUnprotect = HyperwardError.Code("would-unprotect", exitStatus: ExitStatus.configuration)
}

/// What one `PolicyEnforcer.enforce` did.
public struct EnforcementOutcome: Sendable {
    /// How the kernel was changed.
    public enum Mode: String, Sendable { case full, delta, unchanged }

    public var mode: Mode
    /// Why a full apply was chosen (first apply, tables missing, a refused delta, forced).
    public var reason: String?
    /// The ruleset now in the kernel.
    public var ruleset: Ruleset
    /// The VMs whose rules changed (their flows were flushed).
    public var changedVMs: [String]
    /// Conntrack entries deleted.
    public var flushed: Int
    /// Lines of the transaction sent to nft (0 when unchanged).
    public var commands: Int
    /// Something the operator must know (security groups not enforced…).
    public var warnings: [String] = []

    public init(mode: Mode, reason: String?, ruleset: Ruleset, changedVMs: [String], flushed: Int, commands: Int, warnings: [String] = []) {
        self.mode = mode
        self.reason = reason
        self.ruleset = ruleset
        self.changedVMs = changedVMs
        self.flushed = flushed
        self.commands = commands
        self.warnings = warnings
    }
}

/// Keeps the kernel in step with successive policies. The first apply replaces Hyperward's
/// tables whole; later ones send only the difference — element updates and rewrites of the
/// chains that changed, in one atomic transaction — and fall back to a whole replacement when
/// the kernel refuses it (someone changed the tables) or Hyperward's tables are gone. Flows of the
/// VMs whose rules changed are flushed so revoked access ends; other VMs' flows are untouched.
public final class PolicyEnforcer: Sendable {
    private let applier: any RulesetApplier
    private let flusher: ConntrackFlusher?
    private let applied = Mutex<Ruleset?>(nil)

    /// Creates an enforcer over `applier`; `flusher` nil skips conntrack flushing (tests).
    public init(applier: any RulesetApplier, flusher: ConntrackFlusher?) {
        self.applier = applier
        self.flusher = flusher
    }

    /// The ruleset last applied by this enforcer.
    public var current: Ruleset? { applied.withLock { $0 } }

    /// Makes the kernel enforce `policy`. `full` forces a whole replacement (periodic repair).
    ///
    /// A policy that would leave every running VM unfiltered — the kernel filters ports whose
    /// interfaces exist (running VMs' taps) and the new ruleset filters none that exists: an empty
    /// policy file, VM names libvirt does not know, a typo'd device — is refused and nothing is
    /// changed, unless `allowUnprotecting` (then the outcome carries a warning naming the ports).
    /// - Throws: `HyperwardError` with code `would-unprotect` for such a policy; the compiler's
    ///   and nft's errors. On any error the kernel keeps the previous ruleset.
    public func enforce(_ policy: NetworkPolicy, full: Bool = false, allowUnprotecting: Bool = false) throws(HyperwardError) -> EnforcementOutcome {
        try applied.withLock { (state: inout Ruleset?) throws(HyperwardError) -> EnforcementOutcome in
            let previous = state
            let ruleset = try RulesetCompiler.compile(policy, previous: previous)
            var warnings: [String] = []
            // The same ports as this enforcer's last apply lose nothing (the agent's usual resync).
            if previous.map({ Set($0.devices.keys) != Set(ruleset.devices.keys) }) ?? true {
                let lost = try unprotectedPorts(by: ruleset)
                if !lost.isEmpty {
                    let ports = lost.joined(separator: ", ")
                    guard allowUnprotecting else {
                        throw HyperwardError(.wouldUnprotect,
                            "the policy filters no running VM: applying it would remove the filtering of every running VM's port (\(ports)); "
                                + "the previous ruleset is kept. Is the policy empty, or are its VM names or devices wrong?")
                    }
                    warnings.append("the policy filters no running VM: ports \(ports) are no longer filtered (explicitly allowed)")
                }
            }
            var reason: String? = full ? "forced" : nil
            if previous == nil { reason = "first apply" }
            if reason == nil, let previous, let delta = RulesetCompiler.delta(from: previous, to: ruleset) {
                let changed = RulesetCompiler.changedVMs(from: previous, to: ruleset)
                if delta.isEmpty {
                    // Nothing to send: only make sure the tables are still there (a non-empty delta
                    // needs no such probe: every command names Hyperward's tables, so with them
                    // gone the kernel refuses the batch and the whole ruleset follows).
                    if tablesPresent() {
                        state = ruleset
                        return EnforcementOutcome(mode: .unchanged, reason: nil, ruleset: ruleset, changedVMs: changed, flushed: 0, commands: 0,
                                                  warnings: warnings)
                    }
                    reason = "Hyperward's tables are missing from the kernel"
                } else {
                    do {
                        try applier.apply(delta)
                        state = ruleset
                        let flushed = flush(changed, old: previous, new: ruleset)
                        return EnforcementOutcome(mode: .delta, reason: nil, ruleset: ruleset, changedVMs: changed, flushed: flushed,
                                                  commands: delta.utf8.reduce(0) { $1 == 0x0a ? $0 + 1 : $0 }, warnings: warnings)
                    } catch {
                        reason = "the kernel refused the update (\(String(describing: error).prefix(200)))"
                    }
                }
            } else if reason == nil {
                reason = "an object changed its type"
            }
            if let warning = applier.namespaceForSysctl.flatMap({ BridgeNetfilter.ensure(namespace: $0.isEmpty ? nil : $0) }) {
                warnings.append(warning)
            }
            try applier.apply(ruleset.text)
            state = ruleset
            // After a first, forced-by-drift or refused update nobody knows which flows the kernel
            // let through meanwhile: every VM's flows are judged again. A forced periodic repair of
            // an unchanged policy keeps them.
            let everything = previous == nil || reason?.hasPrefix("forced") == false
            let changed = everything ? ruleset.vmIDs.keys.sorted() : previous.map { RulesetCompiler.changedVMs(from: $0, to: ruleset) } ?? []
            let flushed = flush(changed, old: previous, new: ruleset)
            return EnforcementOutcome(mode: .full, reason: reason, ruleset: ruleset, changedVMs: changed, flushed: flushed,
                                      commands: ruleset.text.utf8.reduce(0) { $1 == 0x0a ? $0 + 1 : $0 },
                                      warnings: warnings)
        }
    }

    /// The ports the kernel filters now whose interfaces exist (running VMs), when `ruleset`
    /// filters none that exists; empty otherwise. Interfaces that cannot be listed all count as
    /// existing.
    func unprotectedPorts(by ruleset: Ruleset) throws(HyperwardError) -> [String] {
        let live = try applier.interfaceNames()
        func exists(_ port: String) -> Bool { live?.contains(port) ?? true }
        if ruleset.devices.keys.contains(where: exists) { return [] }
        guard let listing = try? applier.nft(["list", "set", "bridge", Ruleset.bridgeTable, "ports"], input: nil) else { return [] }
        return NetworkStatus.quotedElements(of: "set ports", in: listing).filter(exists).sorted()
    }

    /// Whether Hyperward's bridge and inet tables exist. Asked of one small map in each: nft
    /// answers that without loading the whole ruleset (`list tables` takes ~0.5 s at 1,000 VMs).
    func tablesPresent() -> Bool {
        (try? applier.nft(["-t", "list", "map", "bridge", Ruleset.bridgeTable, "port_mark"], input: nil)) != nil
            && (try? applier.nft(["-t", "list", "map", "inet", Ruleset.inetTable, "ingress"], input: nil)) != nil
    }

    private func flush(_ vms: [String], old: Ruleset?, new: Ruleset) -> Int {
        guard let flusher, !vms.isEmpty else { return 0 }
        var addresses: Set<IPNetwork> = []
        for vm in vms {
            addresses.formUnion(new.vmAddresses[vm] ?? [])
            addresses.formUnion(old?.vmAddresses[vm] ?? [])
        }
        return flusher.flush(addresses: addresses.sorted())
    }
}
