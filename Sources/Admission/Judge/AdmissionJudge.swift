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

/// The admission judge: a libvirt domain XML against its security template (docs/admission-rules.md).
///
/// The XML is untrusted and its Hyperward metadata forgeable, so the metadata only says which
/// template to check against: the whole XML is always checked against that template's rules and
/// the rules no template can relax, and the tenant must be granted the template. Pure: no I/O,
/// no libvirt; a malformed or oversized document is a denial (`xml.malformed`), never a throw.
public enum AdmissionJudge {
    /// The namespace of Hyperward's domain metadata (`<hyperward:admission template tenant>`).
    public static let metadataNamespace = "https://hyperward.dev/xmlns/admission/1"
    /// libvirt's QEMU namespace (`qemu:commandline`, `qemu:override`, …).
    public static let qemuNamespace = "http://libvirt.org/schemas/domain/qemu/1.0"

    /// Judges `domainXML` against the template and tenant its metadata names.
    public static func judge(domainXML: String, policy: AdmissionPolicy) -> AdmissionDecision {
        judge(domainXML: domainXML, policy: policy, asked: nil)
    }

    /// Judges `domainXML` against `template` for `tenant`, as a caller that chose them (`vm create
    /// --template`). Metadata, when present, must name the same template and tenant
    /// (`template.mismatch`); without metadata the caller's choice is used.
    public static func judge(domainXML: String, policy: AdmissionPolicy, template: String, tenant: String) -> AdmissionDecision {
        judge(domainXML: domainXML, policy: policy, asked: (template, tenant))
    }

    /// Judges an already parsed domain against `template` itself, with no tenant or metadata
    /// check: what a template allows, for tests and for `vm create` before metadata exists.
    public static func judge(domain: DomainXML.Element, template: AdmissionTemplate) -> AdmissionDecision {
        var context = JudgeContext(template: template)
        context.checkDomain(domain)
        return AdmissionDecision(domainName: domain.libvirtChild("name")?.trimmedText, domainUUID: domain.libvirtChild("uuid")?.trimmedText,
                                 violations: context.violations, notes: context.notes)
    }

    static func judge(domainXML: String, policy: AdmissionPolicy, asked: (template: String, tenant: String)?) -> AdmissionDecision {
        let root: DomainXML.Element
        do {
            root = try DomainXML.tree(domainXML)
        } catch {
            return AdmissionDecision(template: asked?.template, tenant: asked?.tenant, violations: [
                AdmissionViolation(rule: .xmlMalformed, xpath: "/", message: error.message),
            ])
        }
        var decision = AdmissionDecision(template: asked?.template, tenant: asked?.tenant,
                                         domainName: root.libvirtChild("name")?.trimmedText, domainUUID: root.libvirtChild("uuid")?.trimmedText)
        guard root.localName == "domain", root.namespaceURI == nil else {
            decision.violations = [AdmissionViolation(rule: .xmlMalformed, xpath: root.xpath,
                                                      message: "the root element is <\(root.qualifiedName)>, not <domain>")]
            return decision
        }
        var violations: [AdmissionViolation] = []
        func deny(_ rule: AdmissionRule, _ xpath: String, _ message: String) {
            violations.append(AdmissionViolation(rule: rule, xpath: xpath, message: message))
        }
        // The metadata: exactly one <admission> in Hyperward's namespace, directly in <metadata>.
        let metadata = root.libvirtChildren(named: "metadata").flatMap(\.children)
            .filter { $0.namespaceURI == metadataNamespace && $0.localName == "admission" }
        var templateName = asked?.template
        var tenantName = asked?.tenant
        if let element = metadata.first, let groups = element[attribute: "security-groups"] {
            decision.securityGroups = groups.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        }
        if metadata.count > 1 {
            deny(.templateAmbiguous, metadata[1].xpath, "\(metadata.count) hyperward:admission elements; exactly one is allowed")
        } else if let element = metadata.first {
            let written = (element[attribute: "template"], element[attribute: "tenant"])
            if let asked {
                if written.0 != asked.template || written.1 != asked.tenant {
                    deny(.templateMismatch, element.xpath,
                         "the metadata names template '\(written.0 ?? "")' and tenant '\(written.1 ?? "")', the caller template '\(asked.template)' and tenant '\(asked.tenant)'")
                }
            } else {
                templateName = written.0
                tenantName = written.1
                if templateName?.isEmpty != false {
                    deny(.templateMissing, element.xpath, "hyperward:admission names no template")
                    templateName = nil
                }
                if tenantName?.isEmpty != false {
                    deny(.tenantMissing, element.xpath, "hyperward:admission names no tenant")
                    tenantName = nil
                }
            }
        } else if asked == nil {
            deny(.templateMissing, "/domain/metadata",
                 "no <hyperward:admission xmlns:hyperward='\(metadataNamespace)' template='…' tenant='…'/> in <metadata>")
        }
        decision.template = templateName
        decision.tenant = tenantName
        var template: AdmissionTemplate?
        if let templateName {
            template = policy.templates[templateName]
            if template == nil { deny(.templateUnknown, "/domain/metadata", "template '\(templateName)' is not in the policy") }
        }
        if let tenantName {
            if let tenant = policy.tenants[tenantName] {
                if let templateName, template != nil, !tenant.templates.contains(templateName) {
                    deny(.tenantTemplate, "/domain/metadata", "tenant '\(tenantName)' may not use template '\(templateName)' (granted: \(tenant.templates.joined(separator: ", ")))")
                }
            } else {
                deny(.tenantUnknown, "/domain/metadata", "tenant '\(tenantName)' is not in the policy")
            }
        }
        if let template {
            for group in decision.securityGroups where !template.securityGroups.contains(group) {
                deny(.securityGroupTemplate, metadata.first?.xpath ?? "/domain/metadata",
                     "security group '\(group)' is not one template '\(templateName ?? "")' allows (allowed: \(template.securityGroups.joined(separator: ", ")))")
            }
        }
        // Without a template the XML is still checked against the rules no template relaxes,
        // under the strictest template, so the denial lists everything an operator must fix.
        var context = JudgeContext(template: template ?? .strictest, checksTemplateRules: template != nil)
        context.checkDomain(root)
        decision.violations = violations + context.violations
        decision.notes = context.notes
        return decision
    }
}

extension AdmissionTemplate {
    /// Allows nothing a template could allow: the yardstick when the template is unknown.
    static let strictest = AdmissionTemplate(machines: [], cpuModes: [], maxVCPUs: 0, maxMemoryMiB: 0, diskPools: [], diskFormats: [],
                                             vtpm: .optional, graphics: .none, serial: .ptyOnly, bootPaths: [])
}
