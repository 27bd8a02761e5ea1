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
import HyperwardHost

extension FuzzTarget {
    /// The fixed policy the `admission` target judges under: every knob of a template set, two
    /// tenants.
    static let admissionPolicy: AdmissionPolicy = {
        let yaml = """
            templates:
              small:
                machine: [pc-q35-*, q35]
                cpu: { modes: [host-model, custom], models: [EPYC] }
                max_vcpus: 4
                max_memory_mib: 4096
                disks: { pools: [/var/lib/libvirt/images, /srv/vm], formats: [qcow2, raw], encryption: required }
                networks: [default, br0]
                vtpm: optional
                console: { graphics: tls, serial: pty-or-unix }
                vhost_user_paths: [/run/vhost]
              sealed:
                machine: [q35]
                max_vcpus: 1
                max_memory_mib: 512
                disks: { pools: [/srv/sealed] }
                vtpm: required
            tenants:
              acme: { templates: [small] }
              beta: { templates: [sealed] }
            """
        // A constant that parses (the replay test checks it); never input.
        return (try? AdmissionPolicy.parse(yaml, file: "fuzz-policy.yaml")) ?? AdmissionPolicy()
    }()

    /// `AdmissionJudge.judge` on arbitrary bytes (as UTF-8, invalid sequences replaced) under
    /// the fixed policy.
    static func admission(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.admission
        let xml = String(decoding: bytes, as: UTF8.self)
        let decision = AdmissionJudge.judge(domainXML: xml, policy: admissionPolicy)
        // Deterministic.
        if AdmissionJudge.judge(domainXML: xml, policy: admissionPolicy) != decision { throw f.fail("two judgements of one input differ") }
        // Allowed only with a known template granted to a known tenant.
        if decision.isAllowed {
            guard let template = decision.template, let tenant = decision.tenant,
                  admissionPolicy.tenants[tenant]?.templates.contains(template) == true else {
                throw f.fail("allowed without a granted template: \(decision.template ?? "nil") / \(decision.tenant ?? "nil")")
            }
        }
        for v in decision.violations {
            if !v.xpath.hasPrefix("/") { throw f.fail("violation \(v.rule.id) at '\(v.xpath)', not an XPath") }
            if v.message.isEmpty { throw f.fail("violation \(v.rule.id) without a message") }
            if v.rule.id.hasPrefix("note.") { throw f.fail("a note (\(v.rule.id)) among the violations") }
        }
        // A malformed document is one violation and nothing else; a well-formed domain never is.
        let ids = decision.violations.map(\.rule.id)
        if ids.contains("xml.malformed") && ids.count != 1 { throw f.fail("xml.malformed among other violations: \(ids)") }
        if let root = try? DomainXML.tree(xml), root.localName == "domain", root.namespaceURI == nil, ids.contains("xml.malformed") {
            throw f.fail("a well-formed domain judged malformed")
        }
        // The JSON form reads back to the same decision, and the event carries every violation.
        guard let decoded = try? JSONDecoder().decode(AdmissionDecision.self, from: Data(decision.jsonText.utf8)), decoded == decision else {
            throw f.fail("the decision's JSON does not read back to it")
        }
        let event = decision.event(time: "2026-01-01T00:00:00.000Z")
        if event.evidence.count != decision.violations.count { throw f.fail("event evidence \(event.evidence.count) for \(decision.violations.count) violations") }
        if decision.text.unicodeScalars.contains(where: { $0 == "\u{1B}" }) { throw f.fail("an escape character in the text form") }
    }
}
