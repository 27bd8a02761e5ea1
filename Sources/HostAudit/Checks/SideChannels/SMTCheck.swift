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

/// SMT (hyper-threading) against the CPU's cross-thread vulnerabilities.
public struct SMTCheck: Check {
    public init() {}

    public static let descriptor = CheckDescriptor(
        id: "cpu.smt",
        title: "SMT is off where the CPU leaks across sibling threads",
        threat: .sideChannel,
        severity: .high,
        reads: ["/sys/devices/system/cpu/smt/control", "/sys/devices/system/cpu/smt/active",
                "/sys/devices/system/cpu/vulnerabilities/{l1tf,mds,mmio_stale_data,tsa,retbleed,spec_rstack_overflow}", "/proc/cmdline"],
        failsWhen: "SMT is active and the kernel reports a cross-thread flaw (L1TF, MDS, MMIO stale data, TSA) as not fully mitigated (fail), or reports `SMT vulnerable` for one (warn), and `nosmt` is not on the command line.",
        rationale: "Sibling hyper-threads share L1 and fill buffers; a guest on one sibling can read data of a guest or the host on the other. The kernel's mitigations for L1TF and MDS are complete only with SMT off (or core scheduling).",
        remediation: "Boot with `nosmt` (or `mitigations=auto,nosmt`), or `echo off > /sys/devices/system/cpu/smt/control`; alternatively pin each guest's vCPUs to whole cores.",
        references: ["https://docs.kernel.org/admin-guide/hw-vuln/l1tf.html#smt-control",
                     "https://docs.kernel.org/admin-guide/hw-vuln/mds.html",
                     "https://docs.kernel.org/admin-guide/hw-vuln/core-scheduling.html"]
    )

    /// Vulnerabilities whose mitigation is incomplete while SMT siblings run different guests.
    static let crossThread = ["l1tf", "mds", "mmio_stale_data", "tsa", "tsx_async_abort"]

    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.descriptor
        let facts = context.facts
        guard let control = facts.smtControl else {
            return [d.finding(.notApplicable, "the kernel exposes no SMT control (no SMT, or kernel without CONFIG_HOTPLUG_SMT)",
                              evidence: [Evidence(path: "/sys/devices/system/cpu/smt/control", value: "missing")])]
        }
        var evidence = [Evidence(path: "/sys/devices/system/cpu/smt/control", value: control)]
        if let active = facts.smtActive {
            evidence.append(Evidence(path: "/sys/devices/system/cpu/smt/active", value: active ? "1" : "0"))
        }
        if control == "notsupported" || control == "notimplemented" {
            return [d.finding(.pass, "the CPU has no SMT (\(control))", evidence: evidence)]
        }
        let active = facts.smtActive ?? (control == "on")
        if !active {
            return [d.finding(.pass, "SMT is off (\(control))", evidence: evidence)]
        }
        let nosmt = facts.commandLine?.contains("nosmt") == true
            || (facts.commandLine?.value(of: "mitigations")?.contains("nosmt") ?? false)
        var exposed: [String] = []
        var smtVulnerable: [String] = []
        for name in Self.crossThread {
            guard let value = facts.vulnerabilities[name], !value.hasPrefix("Not affected") else { continue }
            evidence.append(Evidence(path: "\(HostFacts.vulnerabilitiesDirectory)/\(name)", value: value))
            switch VulnerabilityState(value) {
            case .vulnerable: exposed.append(name)
            case .smtExposed: smtVulnerable.append(name)
            default: break
            }
        }
        if !exposed.isEmpty {
            return [d.finding(.fail, "SMT is on and the CPU is unmitigated against \(exposed.joined(separator: ", "))\(nosmt ? "" : "; nosmt is not set")",
                              evidence: evidence)]
        }
        if !smtVulnerable.isEmpty {
            return [d.finding(.warn, "SMT is on and the kernel reports SMT vulnerable for \(smtVulnerable.joined(separator: ", "))",
                              evidence: evidence, severity: .medium)]
        }
        return [d.finding(.pass, "SMT is on, and the CPU is not affected by cross-thread flaws the kernel knows", evidence: evidence)]
    }
}
