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

/// `hyperward net apply`: checks and applies a compiled policy in one transaction, refusing one
/// that would silently remove protection unless `allowEmpty` says so (with a warning).
public struct PolicyApply {
    /// The network namespace to act in (nil: this one).
    public var namespace: String?
    /// Apply a policy that names no VMs, or filters no running VM.
    public var allowEmpty: Bool
    /// Where warnings go.
    public var warn: (String) -> Void

    public init(namespace: String?, allowEmpty: Bool, warn: @escaping (String) -> Void) {
        self.namespace = namespace
        self.allowEmpty = allowEmpty
        self.warn = warn
    }

    /// Checks `ruleset` against the kernel (`nft -c`) without applying it.
    public func check(_ ruleset: Ruleset) throws(HyperwardError) {
        try mapped(source: nil) { () throws(HyperwardError) in try NftApplier(namespace: namespace).check(ruleset.text) }
    }

    /// Applies `policy` (compiled to `ruleset`); `named` is how many VMs its file `source`
    /// names. Flows of the VMs whose rules changed are flushed (revocation ends live flows).
    /// - Throws: `HyperwardError` 78 for a policy that would unprotect (the previous ruleset is
    ///   kept), 64 for a missing namespace, 70 when nft refuses.
    public func apply(_ policy: NetworkPolicy, ruleset: Ruleset, named: Int, source: String) throws(HyperwardError) -> EnforcementOutcome {
        if named == 0 {
            guard allowEmpty else {
                throw HyperwardError(.configuration, "\(source.terminalSafe): the policy names no VMs: applying it would "
                    + "remove every VM's filtering; the previous ruleset is kept (--allow-empty applies it anyway)")
            }
            warn("--allow-empty: \(source.terminalSafe) names no VMs: no VM is filtered after this apply")
        }
        return try mapped(source: source) { () throws(HyperwardError) in
            try PolicyEnforcer(applier: NftApplier(namespace: namespace), flusher: ConntrackFlusher(namespace: namespace))
                .enforce(policy, allowUnprotecting: allowEmpty)
        }
    }

    /// The engine's errors as the command's: a refusal to unprotect is a configuration error, a
    /// missing namespace a usage error, anything else nft's message (the ruleset unchanged).
    func mapped<T>(source: String?, _ body: () throws(HyperwardError) -> T) throws(HyperwardError) -> T {
        do throws(HyperwardError) {
            return try body()
        } catch where error.code == .wouldUnprotect {
            throw HyperwardError(.configuration, "\((source ?? "the policy").terminalSafe): \(error.message.terminalSafe) (--allow-empty applies it anyway)")
        } catch where error.code == .noNamespace {
            throw HyperwardError(.usage, "--netns: \(error.message)")
        } catch {
            throw HyperwardError(.software, "\(error) (the previous ruleset is unchanged)".terminalSafeLines)
        }
    }
}
