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

/// Who may do what under an admission policy.
///
/// A principal's role in a tenant is the highest of its host role (`roles:`) and its role in the
/// tenant (`tenants.T.roles`), given to the user by name or to any of its Unix groups (`@group`).
public struct Authorization: Sendable {
    /// The policy the answers come from.
    public var policy: AdmissionPolicy

    /// Answers from `policy`.
    public init(policy: AdmissionPolicy) { self.policy = policy }

    /// The role of `user` (member of `groups`, names without `@`): on the host when `tenant` is
    /// nil, else in that tenant. Nil when the user holds none, or the tenant is unknown.
    public func role(of user: String, groups: [String], tenant: String?) -> Role? {
        var best = Self.highest(in: policy.roles, user: user, groups: groups)
        if let tenant {
            guard let entry = policy.tenants[tenant] else { return nil }
            best = [best, Self.highest(in: entry.roles, user: user, groups: groups)].compactMap { $0 }.max()
        }
        return best
    }

    /// Whether `user` may create (define, start) a VM of `template` in `tenant`: the tenant exists
    /// and is granted the template, and the user is at least an operator there. Every VM belongs
    /// to a tenant, so a nil tenant is refused — even for a host admin, who must grant the
    /// template to a tenant first.
    public func mayCreate(user: String, groups: [String], tenant: String?, template: String) -> Bool {
        guard let tenant, let entry = policy.tenants[tenant], entry.templates.contains(template),
              policy.templates[template] != nil else { return false }
        guard let role = role(of: user, groups: groups, tenant: tenant) else { return false }
        return role >= .operator
    }

    static func highest(in roles: [Principal: Role], user: String, groups: [String]) -> Role? {
        var candidates: [Role] = []
        if let role = roles[.user(user)] { candidates.append(role) }
        for group in groups { if let role = roles[.group(group)] { candidates.append(role) } }
        return candidates.max()
    }
}
