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
import Testing

@testable import HyperwardAgent

/// Roles over Hyperward's commands, with the policy and store on disk: refused callers get exit
/// 69 and an `authz.denied` event naming them; callers holding the role (directly, through a
/// group, or as host admin) pass and nothing is recorded; a policy without roles enforces none.
@Suite("Governance access (roles over commands)")
struct GovernanceAccessTests {
    static let mallory = Caller(user: "mallory", uid: 4243, groups: ["users"])
    static let alice = Caller(user: "alice", uid: 4244, groups: ["users"])
    static let bob = Caller(user: "bob", uid: 4245, groups: [])
    static let auditor = Caller(user: "erin", uid: 4246, groups: ["auditors"])
    static let root = Caller(user: "root", uid: 0, groups: ["root"])

    func refusal(_ role: Role, tenant: String?, caller: Caller, in lab: GovernanceLab) throws -> HyperwardError? {
        do {
            try GovernanceAccess.require(role, for: "vm create", configuration: try lab.configuration(), tenant: tenant, caller: caller)
            return nil
        } catch let error as HyperwardError {
            return error
        }
    }

    @Test func aCallerWithoutTheRoleIsRefusedAndTheRefusalRecorded() throws {
        let lab = GovernanceLab()
        let error = try #require(try refusal(.operator, tenant: "lab", caller: Self.mallory, in: lab))
        #expect(error.code == .refused && error.code.exitStatus == 69)
        #expect(error.message.contains("mallory") && error.message.contains("operator") && error.message.contains("lab"), "\(error)")
        let denied = try lab.events("authz.")
        #expect(denied.map(\.kind) == ["authz.denied"])
        let event = try #require(denied.first)
        #expect(event.severity == .medium && event.engine == .admission)
        #expect(event.evidence.contains { $0.kind == "actor" && $0.value == "mallory" })
        #expect(event.evidence.contains { $0.kind == "action" && $0.value == "vm create" })
        #expect(event.evidence.contains { $0.kind == "required_role" && $0.value == "operator" })
    }

    @Test func aLowerRoleIsNotEnough() throws {
        let lab = GovernanceLab()
        #expect(try refusal(.operator, tenant: "lab", caller: Self.bob, in: lab)?.code == .refused, "bob is only a viewer")
        #expect(try refusal(.admin, tenant: "lab", caller: Self.alice, in: lab)?.code == .refused, "alice is only an operator")
        #expect(try refusal(.operator, tenant: nil, caller: Self.alice, in: lab)?.code == .refused, "alice's role is in lab, not on the host")
        #expect(try refusal(.operator, tenant: "lab", caller: Self.auditor, in: lab)?.code == .refused)
        #expect(try lab.events("authz.denied").count == 4)
    }

    @Test func callersHoldingTheRolePassAndNothingIsRecorded() throws {
        let lab = GovernanceLab()
        #expect(try refusal(.operator, tenant: "lab", caller: Self.alice, in: lab) == nil)
        #expect(try refusal(.viewer, tenant: "lab", caller: Self.alice, in: lab) == nil)
        #expect(try refusal(.viewer, tenant: "lab", caller: Self.bob, in: lab) == nil)
        #expect(try refusal(.viewer, tenant: "lab", caller: Self.auditor, in: lab) == nil, "through the group @auditors")
        #expect(try refusal(.admin, tenant: nil, caller: Self.root, in: lab) == nil, "the host admin")
        #expect(try refusal(.admin, tenant: "lab", caller: Self.root, in: lab) == nil, "a host admin is admin in every tenant")
        #expect(try lab.events("authz.").isEmpty)
    }

    @Test func aPolicyWithoutRolesEnforcesNothing() throws {
        let lab = GovernanceLab(policy: GovernanceLab.policy
            .replacingOccurrences(of: "    roles: { alice: operator, bob: viewer, \"@auditors\": viewer }\n", with: "")
            .replacingOccurrences(of: "roles: { root: admin }\n", with: ""))
        #expect(!GovernanceAccess.enforces(try LoadedAdmissionPolicy.load(try lab.configuration()).policy), "the policy has no roles left")
        #expect(try refusal(.admin, tenant: nil, caller: Self.mallory, in: lab) == nil)
        #expect(try refusal(.operator, tenant: "lab", caller: Self.mallory, in: lab) == nil)
        #expect(try lab.events("authz.").isEmpty)
    }

    @Test func noPolicyConfiguredEnforcesNothing() throws {
        let lab = GovernanceLab(admission: false)
        #expect(try refusal(.admin, tenant: nil, caller: Self.mallory, in: lab) == nil)
    }

    @Test func aConfiguredPolicyThatCannotBeReadRefuses() throws {
        let lab = GovernanceLab()
        #expect(unlink(lab.policyPath) == 0)
        #expect(throws: HyperwardError.self) {
            try GovernanceAccess.require(.viewer, for: "events", configuration: try lab.configuration(), caller: Self.root)
        }
    }

    @Test func aRoleOnlyInATenantIsEnforced() throws {
        // Roles given only inside a tenant still switch enforcement on for the host.
        let lab = GovernanceLab(policy: GovernanceLab.policy.replacingOccurrences(of: "roles: { root: admin }\n", with: ""))
        #expect(try refusal(.admin, tenant: nil, caller: Self.root, in: lab)?.code == .refused)
    }
}
