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
import HyperwardLibvirt
import HyperwardStore
import Logging
import ServiceLifecycle

/// The agent's admission watch: every domain libvirt reports `defined` is judged against its
/// template; one defined outside `hyperward vm create` is recorded (`admission.defined_outside`,
/// high when the judge denies it), and with `admission.undefine_unadmitted` a denied one is
/// undefined again (`admission.undefined`). At start (and on every reload) a changed policy is
/// recorded with its hash (`policy.changed`) and each role granted or withdrawn (`role.changed`).
struct AdmissionWatchService: Service {
    var configuration: HyperwardConfiguration
    var store: StateStore
    var logger: Logger
    /// How long after a `defined` event the domain is judged (so a `vm create` running now has
    /// recorded its creation).
    var settle: Duration = .seconds(2)

    func run() async throws {
        recordPolicyChange()
        let events: LibvirtLifecycleEvents
        do { events = try LibvirtLifecycleEvents() } catch {
            logger.warning("libvirt events unavailable: domains defined outside the templates are not watched",
                           metadata: ["error": "\(error.message)"])
            return
        }
        logger.info("admission watch started", metadata: ["admission.undefine_unadmitted": "\(configuration.admission.undefineUnadmitted)"])
        await cancelWhenGracefulShutdown {
            for await event in events.stream where event.kind == "defined" {
                try? await Task.sleep(for: settle)
                judgeDefined(event.domain, uuid: event.uuid)
            }
        }
        events.stop()
    }

    func judgeDefined(_ name: String, uuid: String) {
        do {
            let policy = try LoadedAdmissionPolicy.load(configuration)
            let connection = try LibvirtConnection(readOnly: !configuration.admission.undefineUnadmitted)
            let xml = try connection.xml(ofDomain: name, inactive: true)
            let decision = AdmissionJudge.judge(domainXML: xml, policy: policy.policy)
            if try createdByHyperward(uuid: uuid.lowercased()), decision.isAllowed { return }
            var evidence = decision.violations.map { EventEvidence(kind: "violation:\($0.rule.id)", value: "\($0.xpath): \($0.message)") }
            evidence.append(EventEvidence(kind: "uuid", value: uuid))
            evidence.append(EventEvidence(kind: "policy_sha256", value: policy.sha256))
            let denied = !decision.isAllowed
            var events = [Event(time: Event.timestamp(), kind: "admission.defined_outside", engine: .admission, subject: name, vm: name,
                                severity: denied ? .high : .medium, threat: .vmEscape,
                                summary: denied ? "domain \(name) was defined outside the templates and is not admitted: \(decision.ruleIDs.joined(separator: ", "))"
                                                : "domain \(name) was defined outside hyperward vm create (it satisfies its template)",
                                evidence: evidence)]
            if denied && configuration.admission.undefineUnadmitted {
                do {
                    try LibvirtDomainControl(connection: connection).undefine(name)
                    events.append(Event(time: Event.timestamp(), kind: "admission.undefined", engine: .admission, subject: name, vm: name,
                                        severity: .high, threat: .vmEscape,
                                        summary: "domain \(name) undefined: defined outside the templates (admission.undefine_unadmitted)",
                                        evidence: [EventEvidence(kind: "uuid", value: uuid)]))
                } catch {
                    logger.error("could not undefine an unadmitted domain", metadata: ["vm": "\(name)", "error": "\(error.message)"])
                }
            }
            try store.append(events)
            logger.warning("\(events[0].summary)")
        } catch {
            logger.error("a defined domain could not be judged", metadata: ["vm": "\(name)", "error": "\(error)"])
        }
    }

    /// Whether `vm create` recorded this domain (by UUID).
    func createdByHyperward(uuid: String) throws -> Bool {
        try store.events(kindPrefix: "vm.created", limit: 100_000).contains { event in
            event.evidence.contains { $0.kind == "uuid" && $0.value == uuid }
        }
    }

    /// Records the policy's hash when it differs from the last recorded, and each role change.
    func recordPolicyChange() {
        do {
            let policy = try LoadedAdmissionPolicy.load(configuration)
            let last = try store.events(kindPrefix: "policy.changed", limit: 1).last
            let previousHash = last?.evidence.first { $0.kind == "policy_sha256" }?.value
            guard previousHash != policy.sha256 else { return }
            let roles = Self.roleLines(policy.policy)
            let previousRoles = Set(last?.evidence.filter { $0.kind == "role" }.compactMap(\.value) ?? [])
            var events = [Event(time: Event.timestamp(), kind: "policy.changed", engine: .admission, subject: policy.path, severity: .info,
                                threat: .hypervisorVulnerability,
                                summary: "policy \(policy.path) is now sha256:\(policy.sha256.prefix(16))…",
                                evidence: [EventEvidence(kind: "policy_sha256", value: policy.sha256, path: policy.path),
                                           EventEvidence(kind: "previous_sha256", value: previousHash ?? "none")]
                                    + roles.sorted().map { EventEvidence(kind: "role", value: $0) })]
            if last != nil {
                for granted in roles.subtracting(previousRoles).sorted() {
                    events.append(Event(time: Event.timestamp(), kind: "role.changed", engine: .admission, subject: granted, severity: .medium,
                                        threat: .hypervisorVulnerability, summary: "role granted: \(granted)",
                                        evidence: [EventEvidence(kind: "granted", value: granted)]))
                }
                for withdrawn in previousRoles.subtracting(roles).sorted() {
                    events.append(Event(time: Event.timestamp(), kind: "role.changed", engine: .admission, subject: withdrawn, severity: .medium,
                                        threat: .hypervisorVulnerability, summary: "role withdrawn: \(withdrawn)",
                                        evidence: [EventEvidence(kind: "withdrawn", value: withdrawn)]))
                }
            }
            try store.append(events)
        } catch {
            logger.error("the policy change could not be recorded", metadata: ["error": "\(error)"])
        }
    }

    /// Every grant as `principal=role` (host) or `principal=role@tenant`.
    static func roleLines(_ policy: AdmissionPolicy) -> Set<String> {
        var lines = Set(policy.roles.map { "\($0.key)=\($0.value.rawValue)" })
        for (tenant, entry) in policy.tenants {
            for (principal, role) in entry.roles { lines.insert("\(principal)=\(role.rawValue)@\(tenant)") }
        }
        return lines
    }
}
