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

import Foundation
import HyperwardCore

/// One broken rule: which, where (an XPath into the domain XML), and why in words.
public struct AdmissionViolation: Sendable, Hashable, Codable {
    /// The rule broken.
    public var rule: AdmissionRule
    /// Where: `/domain/devices/hostdev[2]`, `/domain/memory`; `/` for the document as a whole.
    public var xpath: String
    /// What is wrong and what would be allowed, for people. Echoes values from the XML, which
    /// renderers make terminal-safe.
    public var message: String

    /// Creates a violation.
    public init(rule: AdmissionRule, xpath: String, message: String) {
        self.rule = rule
        self.xpath = xpath
        self.message = message
    }
}

/// The judge's answer for one domain XML: allowed or denied, under which template and tenant,
/// and every violation (a denial names all of them, not only the first).
public struct AdmissionDecision: Sendable, Hashable, Codable {
    /// Whether the domain may be defined or started: no violations.
    public var isAllowed: Bool { violations.isEmpty }
    /// The template it was judged against (from the metadata or the caller), when known.
    public var template: String?
    /// The tenant it belongs to (from the metadata or the caller), when known.
    public var tenant: String?
    /// The domain's `<name>`, when the XML has one.
    public var domainName: String?
    /// The domain's `<uuid>`, when the XML has one.
    public var domainUUID: String?
    /// Every broken rule, in document order (metadata rules first).
    public var violations: [AdmissionViolation]
    /// Observations that deny nothing (`note.ksm`).
    public var notes: [AdmissionViolation]
    /// The security groups the metadata names (`security-groups`, space-separated), each one the
    /// template allows when the decision is an allowance.
    public var securityGroups: [String] = []

    /// Creates a decision.
    public init(template: String? = nil, tenant: String? = nil, domainName: String? = nil, domainUUID: String? = nil,
                violations: [AdmissionViolation] = [], notes: [AdmissionViolation] = []) {
        self.template = template
        self.tenant = tenant
        self.domainName = domainName
        self.domainUUID = domainUUID
        self.violations = violations
        self.notes = notes
    }

    /// The ids of the rules broken, each once, in order.
    public var ruleIDs: [String] {
        var seen: Set<String> = []
        return violations.map(\.rule.id).filter { seen.insert($0).inserted }
    }

    enum CodingKeys: String, CodingKey {
        case allowed, template, tenant, domainName = "domain_name", domainUUID = "domain_uuid", violations, notes
        case securityGroups = "security_groups"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        template = try container.decodeIfPresent(String.self, forKey: .template)
        tenant = try container.decodeIfPresent(String.self, forKey: .tenant)
        domainName = try container.decodeIfPresent(String.self, forKey: .domainName)
        domainUUID = try container.decodeIfPresent(String.self, forKey: .domainUUID)
        violations = try container.decode([AdmissionViolation].self, forKey: .violations)
        notes = try container.decodeIfPresent([AdmissionViolation].self, forKey: .notes) ?? []
        securityGroups = try container.decodeIfPresent([String].self, forKey: .securityGroups) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(isAllowed, forKey: .allowed)
        try container.encode(template, forKey: .template)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(domainName, forKey: .domainName)
        try container.encode(domainUUID, forKey: .domainUUID)
        try container.encode(violations, forKey: .violations)
        try container.encode(notes, forKey: .notes)
        if !securityGroups.isEmpty { try container.encode(securityGroups, forKey: .securityGroups) }
    }
}

extension AdmissionDecision {
    /// The decision for people: a verdict line, then one line per violation (`rule at xpath:
    /// message`) and note; every value from the XML made terminal-safe.
    public var text: String {
        let name = (domainName ?? "(unnamed)").terminalSafe
        var context: [String] = []
        if let template { context.append("template \(template.terminalSafe)") }
        if let tenant { context.append("tenant \(tenant.terminalSafe)") }
        let suffix = context.isEmpty ? "" : " (" + context.joined(separator: ", ") + ")"
        var lines: [String]
        if isAllowed {
            lines = ["allowed: domain \(name)\(suffix)"]
        } else {
            let count = violations.count == 1 ? "1 violation" : "\(violations.count) violations"
            lines = ["denied: domain \(name)\(suffix): \(count)"]
        }
        for v in violations { lines.append("  \(v.rule.id) at \(v.xpath.terminalSafe): \(v.message.terminalSafe)") }
        for n in notes { lines.append("  note \(n.rule.id) at \(n.xpath.terminalSafe): \(n.message.terminalSafe)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The decision as one JSON object (keys sorted): `allowed`, `template`, `tenant`,
    /// `domain_name`, `domain_uuid`, `violations` and `notes` (each `rule`, `xpath`, `message`).
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, booleans and arrays of them always encode.
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The decision as an event (engine `admission`): kind `admission.allowed` (severity info)
    /// or `admission.denied` (severity high, the most serious threat class among the violations:
    /// T1 before T2 …), the domain as `vm` and subject, one `violation:<rule>` evidence item per
    /// violation (value `xpath: message`), and the decision's JSON as the body.
    public func event(time: String = Event.timestamp()) -> Event {
        let name = domainName ?? domainUUID
        let summary: String
        if isAllowed {
            summary = "domain \(name ?? "(unnamed)") admitted under template \(template ?? "?")"
        } else {
            let rules = ruleIDs.prefix(5).joined(separator: ", ") + (ruleIDs.count > 5 ? ", …" : "")
            summary = "domain \(name ?? "(unnamed)") denied: \(violations.count) violation\(violations.count == 1 ? "" : "s") (\(rules))"
        }
        return Event(time: time, kind: isAllowed ? "admission.allowed" : "admission.denied", engine: .admission,
                     subject: domainUUID ?? domainName, vm: domainName,
                     severity: isAllowed ? .info : .high,
                     threat: isAllowed ? nil : violations.map(\.rule.threat).min(),
                     summary: summary,
                     evidence: violations.map { EventEvidence(kind: "violation:\($0.rule.id)", value: "\($0.xpath): \($0.message)") },
                     body: jsonText)
    }
}

extension Event.Engine {
    /// Admission control: a domain XML judged against its security template.
    public static let admission: Event.Engine = "admission"
}
