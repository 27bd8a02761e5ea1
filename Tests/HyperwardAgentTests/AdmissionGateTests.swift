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
import Testing

@testable import HyperwardAgent

#if canImport(Glibc)
import Glibc
#endif

/// The libvirt hook's decision with real files: a configuration, a policy and a state store on
/// disk. Allowed and denied domains are recorded; every way of not being able to decide refuses
/// the start (fail closed) unless a valid break-glass file lets it through, which is recorded;
/// break-glass never overrides a denial.
@Suite("Admission gate (the hook's decision)")
struct AdmissionGateTests {
    static let caller = Caller(user: "libvirt-test", uid: 4242, groups: [])

    func prepare(_ domain: String) throws -> LibvirtHook.Invocation {
        try LibvirtHook.Invocation(arguments: [domain, "prepare", "begin", "-"])
    }

    func decide(_ lab: GovernanceLab, _ domain: String, xml: String?) throws -> AdmissionGate.Outcome {
        AdmissionGate.decide(try prepare(domain), xml: xml, loadConfiguration: { try lab.configuration() },
                             stateDirectory: lab.state, caller: Self.caller)
    }

    @Test(arguments: [["started", "begin"], ["reconnect", "begin"], ["prepare", "end"], ["start", "begin"], ["release", "end"],
                      ["migrate", "begin"], ["restore", "begin"], ["attach", "begin"]])
    func callsOtherThanPrepareBeginPassWithoutReadingTheConfiguration(call: [String]) throws {
        let invocation = try LibvirtHook.Invocation(arguments: ["vm1"] + call + ["-"])
        var loaded = false
        let outcome = AdmissionGate.decide(invocation, xml: GovernanceLab.deniedDomain("vm1"), loadConfiguration: {
            loaded = true
            throw HyperwardError(.configuration, "must not be read")
        }, caller: Self.caller)
        #expect(outcome.status == 0 && outcome.message == nil && outcome.events.isEmpty)
        #expect(!loaded)
    }

    @Test func anAdmittedDomainStartsAndTheDecisionIsRecorded() throws {
        let lab = GovernanceLab()
        let outcome = try decide(lab, "good-1", xml: GovernanceLab.domain("good-1"))
        #expect(outcome.status == 0, "\(outcome.message ?? "")")
        #expect(outcome.message == nil)
        let recorded = try lab.events("admission.")
        #expect(recorded.map(\.kind) == ["admission.allowed"])
        let event = try #require(recorded.first)
        #expect(event.vm == "good-1")
        #expect(event.id == outcome.events.first?.id)
        #expect(event.evidence.contains { $0.kind == "policy_sha256" && $0.value == lab.policySHA256() }, "\(event.evidence)")
        #expect(event.evidence.contains { $0.kind == "actor" && $0.value?.contains("libvirt-test") == true })
        #expect(event.evidence.contains { $0.kind == "path" && $0.value == "libvirt hook prepare begin" })
    }

    @Test func aDeniedDomainIsRefusedWithEveryViolation() throws {
        let lab = GovernanceLab()
        let xml = GovernanceLab.deniedDomain("bad-1")
        let outcome = try decide(lab, "bad-1", xml: xml)
        #expect(outcome.status == AdmissionGate.refusedStatus)
        let message = try #require(outcome.message)
        let violations = AdmissionJudge.judge(domainXML: xml, policy: try LoadedAdmissionPolicy.load(try lab.configuration()).policy).violations
        #expect(violations.count >= 2, "the fixture breaks at least two rules")
        #expect(Set(violations.map(\.rule.id)).isSuperset(of: ["qemu.commandline"]), "\(violations.map(\.rule.id))")
        for violation in violations {
            #expect(message.contains("\(violation.rule.id) at \(violation.xpath)"), "\(violation.rule.id) missing from: \(message)")
        }
        let recorded = try lab.events("admission.")
        #expect(recorded.map(\.kind) == ["admission.denied"])
        let event = try #require(recorded.first)
        #expect(event.vm == "bad-1" && event.severity == .high)
        #expect(message.contains(event.id), "the message names the event")
        #expect(Set(event.evidence.filter { $0.kind.hasPrefix("violation:") }.map(\.kind)) == Set(violations.map { "violation:\($0.rule.id)" }))
    }

    /// One way of not being able to decide, set up in a fresh lab.
    enum Undecidable: String, CaseIterable, Sendable {
        case noPolicyConfigured, policyMissing, policyInvalid, storeUnusable, noXML, emptyXML

        func setUp(_ lab: inout GovernanceLab) throws {
            switch self {
            case .noPolicyConfigured: lab = GovernanceLab(admission: false)
            case .policyMissing: #expect(unlink(lab.policyPath) == 0)
            case .policyInvalid: lab.scratch.write("policy.yaml", "templates:\n  tiny: [this is not a template\n")
            case .storeUnusable: try lab.breakStore()
            case .noXML, .emptyXML: break
            }
        }

        func xml(_ name: String) -> String? {
            switch self {
            case .noXML: nil
            case .emptyXML: ""
            default: GovernanceLab.domain(name)
            }
        }

        var storeWorks: Bool { self != .storeUnusable }
    }

    @Test(arguments: Undecidable.allCases)
    func anUndecidableStartIsRefused(_ undecidable: Undecidable) throws {
        var lab = GovernanceLab()
        try undecidable.setUp(&lab)
        let outcome = try decide(lab, "vm-u", xml: undecidable.xml("vm-u"))
        #expect(outcome.status == AdmissionGate.refusedStatus)
        #expect(outcome.message?.contains("cannot decide") == true, "\(outcome.message ?? "")")
        #expect(outcome.events.map(\.kind) == ["admission.undecided"])
        if undecidable.storeWorks {
            #expect(try lab.events("admission.").map(\.kind) == ["admission.undecided"])
        }
    }

    @Test func aConfigurationThatDoesNotLoadRefuses() throws {
        let lab = GovernanceLab()
        lab.scratch.write("hyperward.yaml", "state_directory: \(lab.state)\nadmision:\n  policy: policy.yaml\n")
        let outcome = try decide(lab, "vm-c", xml: GovernanceLab.domain("vm-c"))
        #expect(outcome.status == AdmissionGate.refusedStatus)
        #expect(outcome.message?.contains("cannot decide") == true && outcome.message?.contains("admision") == true, "\(outcome.message ?? "")")
        // The refusal is recorded in the state directory the hook was given.
        #expect(try lab.events("admission.").map(\.kind) == ["admission.undecided"])
    }

    @Test(arguments: Undecidable.allCases)
    func aValidBreakGlassLetsAnUndecidableStartThroughAndIsRecorded(_ undecidable: Undecidable) throws {
        var lab = GovernanceLab()
        try undecidable.setUp(&lab)
        if undecidable == .noPolicyConfigured {
            // Without admission settings the break-glass file is the default one, which a test
            // must not write; name only the break-glass file.
            lab.scratch.write("hyperward.yaml", "state_directory: \(lab.state)\nadmission:\n  break_glass_file: \(lab.breakGlass)\n")
        }
        lab.breakGlassFile(reason: "restore (INC-1)")
        let outcome = try decide(lab, "vm-g", xml: undecidable.xml("vm-g"))
        #expect(outcome.status == 0, "\(outcome.message ?? "")")
        #expect(outcome.message?.contains("break-glass") == true)
        #expect(outcome.events.map(\.kind) == ["admission.break_glass"])
        if undecidable.storeWorks {
            let recorded = try lab.events("admission.")
            #expect(recorded.map(\.kind) == ["admission.break_glass"])
            #expect(recorded.first?.vm == "vm-g" && recorded.first?.severity == .high)
            #expect(recorded.first?.evidence.contains { $0.kind == "break_glass_reason" && $0.value == "restore (INC-1)" } == true)
            #expect(recorded.first?.evidence.contains { $0.kind == "break_glass_file" && $0.value == lab.breakGlass } == true)
        }
    }

    @Test func anInvalidBreakGlassStillRefusesAndSaysWhy() throws {
        let lab = GovernanceLab()
        #expect(unlink(lab.policyPath) == 0)
        lab.breakGlassFile(offset: -60)
        let outcome = try decide(lab, "vm-x", xml: GovernanceLab.domain("vm-x"))
        #expect(outcome.status == AdmissionGate.refusedStatus)
        #expect(outcome.message?.contains("break-glass not applied") == true && outcome.message?.contains("expired") == true,
                "\(outcome.message ?? "")")
        #expect(try lab.events("admission.").map(\.kind) == ["admission.undecided"])
    }

    @Test func breakGlassNeverAllowsADeniedDomain() throws {
        let lab = GovernanceLab()
        lab.breakGlassFile()
        let outcome = try decide(lab, "bad-g", xml: GovernanceLab.deniedDomain("bad-g"))
        #expect(outcome.status == AdmissionGate.refusedStatus)
        #expect(outcome.message?.contains("qemu.commandline") == true, "\(outcome.message ?? "")")
        #expect(try lab.events("admission.").map(\.kind) == ["admission.denied"])
    }

    @Test func breakGlassNeverAllowsADeniedDomainEvenWhenTheStoreIsBroken() throws {
        let lab = GovernanceLab()
        lab.breakGlassFile()
        try lab.breakStore()
        let outcome = try decide(lab, "bad-s", xml: GovernanceLab.deniedDomain("bad-s"))
        #expect(outcome.status == AdmissionGate.refusedStatus, "\(outcome.message ?? "")")
        #expect(outcome.message?.contains("qemu.commandline") == true, "the denial's reasons are given: \(outcome.message ?? "")")
    }

    @Test func anAdmittedDomainIsRefusedWhenTheDecisionCannotBeRecorded() throws {
        let lab = GovernanceLab()
        try lab.breakStore()
        let outcome = try decide(lab, "good-s", xml: GovernanceLab.domain("good-s"))
        #expect(outcome.status == AdmissionGate.refusedStatus)
        #expect(outcome.message?.contains("cannot decide") == true, "\(outcome.message ?? "")")
    }
}
