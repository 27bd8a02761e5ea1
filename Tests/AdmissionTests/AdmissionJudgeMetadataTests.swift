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

import Admission
import Foundation
import HyperwardCore
import Testing

/// The judge's reading of the metadata, its answers' forms, and malformed documents.
@Suite("Admission judge metadata and output")
struct AdmissionJudgeMetadataTests {
    static let coveredRules: Set<String> = [
        "xml.malformed", "template.missing", "template.ambiguous", "template.unknown", "template.mismatch",
        "tenant.missing", "tenant.unknown", "tenant.template", "note.ksm", "security_group.template",
    ]
    static let meta = Fixtures.metaNS

    static func ids(_ decision: AdmissionDecision) -> Set<String> { Set(decision.violations.map(\.rule.id)) }

    @Test func theCleanDomainIsAllowedWithItsIdentity() {
        let decision = AdmissionJudge.judge(domainXML: Fixtures.domain(), policy: Fixtures.policy)
        #expect(decision.isAllowed, "\(decision.text)")
        #expect(decision.template == "small")
        #expect(decision.tenant == "acme")
        #expect(decision.domainName == "vm1")
        #expect(decision.domainUUID == "c7a5fdbd-cdaf-9455-926a-d65c16db1809")
        #expect(decision.notes.map(\.rule.id) == ["note.ksm"])
        let withoutKSM = AdmissionJudge.judge(domainXML: Fixtures.domain(top: "<memoryBacking><nosharepages/></memoryBacking>"), policy: Fixtures.policy)
        #expect(withoutKSM.notes.isEmpty)
    }

    @Test(arguments: [
        ("", "template.missing"),
        ("<metadata/>", "template.missing"),
        ("<metadata><hw:admission xmlns:hw='https://hyperward.dev/xmlns/admission/2' template='small' tenant='acme'/></metadata>", "template.missing"),
        ("<metadata><admission template='small' tenant='acme'/></metadata>", "template.missing"),
        ("<metadata><hw:admission xmlns:hw='\(meta)' tenant='acme'/></metadata>", "template.missing"),
        ("<metadata><a:admission xmlns:a='\(meta)' template='small' tenant='acme'/><b:admission xmlns:b='\(meta)' template='small' tenant='acme'/></metadata>", "template.ambiguous"),
        ("<metadata><hw:admission xmlns:hw='\(meta)' template='huge' tenant='acme'/></metadata>", "template.unknown"),
        ("<metadata><hw:admission xmlns:hw='\(meta)' template='small'/></metadata>", "tenant.missing"),
        ("<metadata><hw:admission xmlns:hw='\(meta)' template='small' tenant='evil'/></metadata>", "tenant.unknown"),
        ("<metadata><hw:admission xmlns:hw='\(meta)' template='small' tenant='beta'/></metadata>", "tenant.template"),
    ])
    func metadataProblemsDeny(_ metadata: String, _ rule: String) {
        let decision = AdmissionJudge.judge(domainXML: Fixtures.domain(metadata: metadata), policy: Fixtures.policy)
        #expect(!decision.isAllowed)
        #expect(Self.ids(decision).contains(rule), "\(decision.text)")
    }

    /// The security groups the metadata names must be ones the template allows: forged metadata
    /// must not make a VM a member of a group others trust (the network engine binds them).
    @Test func securityGroupsInTheMetadataAreTheTemplates() {
        let allowed = AdmissionJudge.judge(domainXML: Fixtures.domain(metadata:
            "<metadata><hw:admission xmlns:hw='\(Self.meta)' template='small' tenant='acme' security-groups='web'/></metadata>"), policy: Fixtures.policy)
        #expect(allowed.isAllowed, "\(allowed.text)")
        #expect(allowed.securityGroups == ["web"])
        let forged = AdmissionJudge.judge(domainXML: Fixtures.domain(metadata:
            "<metadata><hw:admission xmlns:hw='\(Self.meta)' template='small' tenant='acme' security-groups='web db'/></metadata>"), policy: Fixtures.policy)
        #expect(Self.ids(forged) == ["security_group.template"], "\(forged.text)")
        #expect(forged.violations.first?.xpath == "/domain/metadata/hw:admission")
        #expect(forged.violations.first?.message.contains("'db'") == true)
        let json = try? JSONSerialization.jsonObject(with: Data(allowed.jsonText.utf8)) as? [String: Any]
        #expect(json?["security_groups"] as? [String] == ["web"])
    }

    @Test func theMetadataNamespaceIsMatchedByURIWhateverThePrefix() {
        for prefix in ["hyperward", "h", "zz9"] {
            let metadata = "<metadata><\(prefix):admission xmlns:\(prefix)='\(Self.meta)' template='small' tenant='acme'/></metadata>"
            #expect(AdmissionJudge.judge(domainXML: Fixtures.domain(metadata: metadata), policy: Fixtures.policy).isAllowed)
        }
        let defaultNamespace = "<metadata><admission xmlns='\(Self.meta)' template='small' tenant='acme'/></metadata>"
        #expect(AdmissionJudge.judge(domainXML: Fixtures.domain(metadata: defaultNamespace), policy: Fixtures.policy).isAllowed)
    }

    /// Forged metadata naming a generous template is still judged against that template's rules,
    /// and its tenant's grant.
    @Test func forgedMetadataGainsNothing() {
        let forged = "<metadata><hw:admission xmlns:hw='\(Self.meta)' template='sealed' tenant='acme'/></metadata>"
        let decision = AdmissionJudge.judge(domainXML: Fixtures.domain(metadata: forged), policy: Fixtures.policy)
        #expect(Self.ids(decision).contains("tenant.template"))
        // Under sealed, the clean small domain breaks its template's limits as well.
        #expect(Self.ids(decision).isSuperset(of: ["cpu.mode", "vcpu.limit", "memory.limit", "tpm.missing", "interface.network"]), "\(decision.text)")
    }

    @Test func anUnknownTemplateStillReportsTheRulesNoTemplateRelaxes() {
        let metadata = "<metadata><hw:admission xmlns:hw='\(Self.meta)' template='nope' tenant='acme'/></metadata>"
        let decision = AdmissionJudge.judge(domainXML: Fixtures.domain(metadata: metadata, devices: "<hostdev type='usb'/>"), policy: Fixtures.policy)
        #expect(Self.ids(decision) == ["template.unknown", "hostdev"], "\(decision.text)")
    }

    @Test func theCallersTemplateMustMatchTheMetadata() {
        let xml = Fixtures.domain()
        #expect(AdmissionJudge.judge(domainXML: xml, policy: Fixtures.policy, template: "small", tenant: "acme").isAllowed)
        let other = AdmissionJudge.judge(domainXML: xml, policy: Fixtures.policy, template: "exposed", tenant: "acme")
        #expect(Self.ids(other).contains("template.mismatch"))
        let withoutMetadata = Fixtures.domain(metadata: "")
        #expect(AdmissionJudge.judge(domainXML: withoutMetadata, policy: Fixtures.policy, template: "small", tenant: "acme").isAllowed)
        let notGranted = AdmissionJudge.judge(domainXML: withoutMetadata, policy: Fixtures.policy, template: "sealed", tenant: "acme")
        #expect(Self.ids(notGranted).contains("tenant.template"))
    }

    @Test(arguments: [
        "",
        "<domain",
        "<domain type='kvm'><name>a</name>",
        "<notadomain type='kvm'/>",
        "<d:domain xmlns:d='urn:x' type='kvm'/>",
        "<!DOCTYPE domain [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]><domain>&b;</domain>",
        "<domain><name>&x;</name></domain>",
        "<domain><?x?></domain>",
        "\u{FEFF}\u{0}<domain/>",
    ])
    func malformedDocumentsAreDeniedNotThrown(_ xml: String) {
        let decision = AdmissionJudge.judge(domainXML: xml, policy: Fixtures.policy)
        #expect(decision.violations.map(\.rule.id) == ["xml.malformed"], "\(decision.text)")
        #expect(decision.violations.first?.message.isEmpty == false)
    }

    @Test func oversizedAndDeepDocumentsAreDenied() {
        let huge = Fixtures.domain(top: "<description>" + String(repeating: "x", count: 4 << 20) + "</description>")
        let big = AdmissionJudge.judge(domainXML: huge, policy: Fixtures.policy)
        #expect(big.violations.map(\.rule.id) == ["xml.malformed"])
        #expect(big.violations.first?.message.contains("larger than") == true)
        let deep = Fixtures.domain(devices: String(repeating: "<x>", count: 5000) + String(repeating: "</x>", count: 5000))
        #expect(AdmissionJudge.judge(domainXML: deep, policy: Fixtures.policy).violations.map(\.rule.id) == ["xml.malformed"])
        let truncated = String(Fixtures.domain().prefix(700))
        #expect(AdmissionJudge.judge(domainXML: truncated, policy: Fixtures.policy).violations.map(\.rule.id) == ["xml.malformed"])
    }

    @Test func aDenialListsEveryViolationNotOnlyTheFirst() {
        let xml = Fixtures.domain(devices: "<hostdev type='usb'/><shmem name='x'/><hostdev type='pci'/>", memory: "<memory unit='GiB'>64</memory>")
        let decision = AdmissionJudge.judge(domainXML: xml, policy: Fixtures.policy)
        #expect(decision.violations.map(\.xpath).sorted() == ["/domain/devices/hostdev[1]", "/domain/devices/hostdev[2]", "/domain/devices/shmem", "/domain/memory"])
        #expect(decision.ruleIDs.sorted() == ["hostdev", "memory.limit", "shmem"])
    }

    @Test func decisionsRenderAsTextJSONAndEvents() throws {
        let xml = Fixtures.domain(devices: "<hostdev type='usb'/><serial type='tcp'><source host='0.0.0.0' service='1'/></serial>")
        let decision = AdmissionJudge.judge(domainXML: xml, policy: Fixtures.policy)
        let lines = decision.text.split(separator: "\n")
        #expect(lines.first == "denied: domain vm1 (template small, tenant acme): 2 violations")
        #expect(lines.contains { $0.hasPrefix("  hostdev at /domain/devices/hostdev: ") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(decision.jsonText.utf8)) as? [String: Any])
        #expect(json["allowed"] as? Bool == false)
        #expect(json["domain_name"] as? String == "vm1")
        let violations = try #require(json["violations"] as? [[String: Any]])
        #expect(violations.map { $0["rule"] as? String } == ["hostdev", "chardev.backend"])
        let decoded = try JSONDecoder().decode(AdmissionDecision.self, from: Data(decision.jsonText.utf8))
        #expect(decoded == decision)

        let event = decision.event(time: "2026-01-01T00:00:00.000Z")
        #expect(event.engine.rawValue == "admission")
        #expect(event.kind == "admission.denied")
        #expect(event.threat == .vmEscape)
        #expect(event.severity == .high)
        #expect(event.vm == "vm1")
        #expect(event.evidence.map(\.kind) == ["violation:hostdev", "violation:chardev.backend"])
        #expect(event.evidence.first?.value?.hasPrefix("/domain/devices/hostdev: ") == true)
        let line = event.jsonLine()
        let back = try JSONDecoder().decode(Event.self, from: Data(line.utf8))
        #expect(back.kind == "admission.denied")

        let allowed = AdmissionJudge.judge(domainXML: Fixtures.domain(), policy: Fixtures.policy)
        #expect(allowed.text.hasPrefix("allowed: domain vm1 (template small, tenant acme)"))
        let allowedEvent = allowed.event()
        #expect(allowedEvent.kind == "admission.allowed")
        #expect(allowedEvent.threat == nil)
        #expect(allowedEvent.evidence.isEmpty)
        // A denial with only hypervisor-surface rules is T3.
        let surface = AdmissionJudge.judge(domainXML: Fixtures.domain(rootAttributes: "type='qemu'"), policy: Fixtures.policy)
        #expect(surface.event().threat == .hypervisorVulnerability)
    }

    @Test func valuesFromTheXMLAreTerminalSafeInText() {
        let xml = Fixtures.domain(devices: "<interface type='direct'><source dev='eth0&#x1B;[31m'/></interface>")
        let text = AdmissionJudge.judge(domainXML: xml, policy: Fixtures.policy).text
        #expect(!text.contains("\u{1B}"))
    }
}
