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

import AdmissionHook
import Admission
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardStore

/// Roles over Hyperward's own commands (viewer < operator < admin, from the policy's `roles:` and
/// `tenants.T.roles`), and recording who did what.
///
/// Enforced when the policy gives any role: a command that needs a higher role than the caller
/// holds is refused (exit 69) and the refusal recorded. A policy without roles enforces none
/// (every local user who can run Hyperward is then trusted as before). Root can edit the policy,
/// so on one host roles bind operators who reach Hyperward through sudo rules; they are the same
/// roles the fleet server checks on every request.
public enum GovernanceAccess {
    /// Whether `caller` holds `role` (on the host, or in `tenant`); refuses and records otherwise.
    /// A configured policy that cannot be read refuses (the roles cannot be known).
    public static func require(_ role: Role, for action: String, configuration: HyperwardConfiguration, tenant: String? = nil,
                               caller: Caller = Caller.current()) throws {
        guard configuration.admission.policy != nil || configuration.network.policy != nil else { return }
        let loaded = try LoadedAdmissionPolicy.load(configuration)
        try require(role, for: action, policy: loaded.policy, configuration: configuration, tenant: tenant, caller: caller)
    }

    public static func require(_ role: Role, for action: String, policy: AdmissionPolicy, configuration: HyperwardConfiguration,
                               tenant: String? = nil, caller: Caller = Caller.current()) throws {
        guard enforces(policy) else { return }
        let held = Authorization(policy: policy).role(of: caller.user, groups: caller.groups, tenant: tenant)
        if let held, held >= role { return }
        let scope = tenant.map { " in tenant \($0)" } ?? ""
        let summary = "\(caller) may not \(action): it needs the \(role.rawValue) role\(scope), and holds \(held?.rawValue ?? "none")"
        try? record(kind: "authz.denied", summary: summary, configuration: configuration, severity: .medium, caller: caller,
                    extra: [EventEvidence(kind: "action", value: action), EventEvidence(kind: "required_role", value: role.rawValue)])
        throw HyperwardError(.refused, summary)
    }

    /// Whether the policy gives any role (then roles are enforced).
    public static func enforces(_ policy: AdmissionPolicy) -> Bool {
        !policy.roles.isEmpty || policy.tenants.values.contains { !$0.roles.isEmpty }
    }

    /// Records an action of `caller` as an event of the governance engine (`admission`).
    public static func record(kind: String, summary: String, configuration: HyperwardConfiguration, severity: Severity = .info,
                              subject: String? = nil, vm: String? = nil, caller: Caller = Caller.current(),
                              extra: [EventEvidence] = []) throws {
        let event = Event(time: Event.timestamp(), kind: kind, engine: .admission, subject: subject, vm: vm, severity: severity,
                          threat: .hypervisorVulnerability, summary: summary,
                          evidence: [EventEvidence(kind: "actor", value: caller.description)] + extra)
        try StateStore(stateDirectory: configuration.stateDirectory).append([event])
    }
}
