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

/// Kernel command-line switches that switch off or weaken the isolation between guests and host.
///
/// Since Linux 6.17 `mitigations=` also takes attack-vector opt-outs (`no_guest_host`,
/// `no_guest_guest`, `no_cross_thread`…): on a virtualization host those disable exactly the
/// mitigations that protect the host and guests from each other.
public struct CommandLineMitigationsCheck: Check {
    public init() {}

    public static let mitigations = CheckDescriptor(
        id: "cmdline.mitigations",
        title: "Global mitigations switch keeps guest isolation",
        threat: .sideChannel,
        severity: .critical,
        reads: ["/proc/cmdline"],
        failsWhen: "`mitigations=off`, or an attack-vector opt-out that concerns guests: `no_guest_host`, `no_guest_guest` (critical), `no_cross_thread` (high).",
        rationale: "These switches turn off the kernel's transient-execution mitigations wholesale or for exactly the guest→host and guest→guest vectors. A VM host booted that way trusts every guest not to attack it.",
        remediation: "Remove `mitigations=off` and the `no_guest_*`/`no_cross_thread` opt-outs from the boot command line (GRUB_CMDLINE_LINUX in /etc/default/grub; then update-grub) and reboot.",
        references: ["https://docs.kernel.org/admin-guide/hw-vuln/attack_vector_controls.html",
                     "https://docs.kernel.org/admin-guide/kernel-parameters.html"]
    )

    public static let switches = CheckDescriptor(
        id: "cmdline.*",
        title: "Per-vulnerability mitigation switch",
        threat: .sideChannel,
        severity: .high,
        reads: ["/proc/cmdline", "/sys/devices/system/cpu/vulnerabilities/*"],
        failsWhen: "a per-vulnerability switch turns a mitigation off (`nospectre_v2`, `spectre_v2=off`, `nopti`, `l1tf=off`, `mds=off`, `retbleed=off`, `kvm.nx_huge_pages=off`, `kvm-intel.vmentry_l1d_flush=never`, …). If the CPU is not affected by that vulnerability the finding is info. `cmdline.switches` passes when none is present.",
        rationale: "Each switch removes one defence between guests and the host; operators add them for performance and forget them.",
        remediation: "Remove the switch from the boot command line (/etc/default/grub, update-grub) and reboot.",
        references: ["https://docs.kernel.org/admin-guide/kernel-parameters.html",
                     "https://docs.kernel.org/admin-guide/hw-vuln/index.html"]
    )

    /// A weakening switch: matched by name (and value), tied to the vulnerability file it concerns.
    struct Switch: Sendable {
        var name: String
        /// `nil`: the bare switch weakens; otherwise these values do.
        var values: Set<String>?
        var vulnerability: String?
        var severity: Severity
    }

    static let weakening: [Switch] = [
        Switch(name: "nospectre_v1", values: nil, vulnerability: "spectre_v1", severity: .high),
        Switch(name: "nospectre_v2", values: nil, vulnerability: "spectre_v2", severity: .critical),
        Switch(name: "spectre_v2", values: ["off"], vulnerability: "spectre_v2", severity: .critical),
        Switch(name: "spectre_v2_user", values: ["off"], vulnerability: "spectre_v2", severity: .high),
        Switch(name: "spectre_bhi", values: ["off"], vulnerability: "spectre_v2", severity: .high),
        Switch(name: "nospec_store_bypass_disable", values: nil, vulnerability: "spec_store_bypass", severity: .medium),
        Switch(name: "spec_store_bypass_disable", values: ["off"], vulnerability: "spec_store_bypass", severity: .medium),
        Switch(name: "nopti", values: nil, vulnerability: "meltdown", severity: .critical),
        Switch(name: "pti", values: ["off"], vulnerability: "meltdown", severity: .critical),
        Switch(name: "l1tf", values: ["off"], vulnerability: "l1tf", severity: .critical),
        Switch(name: "mds", values: ["off"], vulnerability: "mds", severity: .critical),
        Switch(name: "tsx_async_abort", values: ["off"], vulnerability: "tsx_async_abort", severity: .high),
        Switch(name: "mmio_stale_data", values: ["off"], vulnerability: "mmio_stale_data", severity: .high),
        Switch(name: "retbleed", values: ["off"], vulnerability: "retbleed", severity: .critical),
        Switch(name: "spec_rstack_overflow", values: ["off"], vulnerability: "spec_rstack_overflow", severity: .critical),
        Switch(name: "gather_data_sampling", values: ["off"], vulnerability: "gather_data_sampling", severity: .high),
        Switch(name: "reg_file_data_sampling", values: ["off"], vulnerability: "reg_file_data_sampling", severity: .high),
        Switch(name: "srbds", values: ["off"], vulnerability: "srbds", severity: .medium),
        Switch(name: "tsa", values: ["off"], vulnerability: "tsa", severity: .high),
        Switch(name: "vmscape", values: ["off"], vulnerability: "vmscape", severity: .critical),
        Switch(name: "indirect_target_selection", values: ["off"], vulnerability: "indirect_target_selection", severity: .high),
        Switch(name: "kvm.nx_huge_pages", values: ["off", "0", "n", "N"], vulnerability: "itlb_multihit", severity: .high),
        Switch(name: "kvm_intel.vmentry_l1d_flush", values: ["never"], vulnerability: "l1tf", severity: .critical),
        Switch(name: "noibrs", values: nil, vulnerability: "spectre_v2", severity: .high),
        Switch(name: "noibpb", values: nil, vulnerability: "spectre_v2", severity: .high),
    ]

    public var descriptors: [CheckDescriptor] { [Self.mitigations, Self.switches] }

    public func run(in context: AuditContext) -> [Finding] {
        guard let cmdline = context.facts.commandLine, let text = context.facts.commandLineText else {
            let err: HyperwardError
            do { _ = try context.fs.readText("/proc/cmdline", limit: 64 * 1024); err = HyperwardError(.unreadable, "/proc/cmdline unreadable") }
            catch { err = error }
            return [Self.mitigations.error(err, path: "/proc/cmdline")]
        }
        var findings: [Finding] = []
        let evidence = Evidence(path: "/proc/cmdline", value: text)

        // mitigations=
        if let value = cmdline.value(of: "mitigations") {
            let tokens = Set(value.split(separator: ",").map(String.init))
            let mEvidence = [Evidence(path: "/proc/cmdline", value: "mitigations=\(value)")]
            if tokens.contains("off") {
                findings.append(Self.mitigations.finding(.fail, "all CPU vulnerability mitigations are switched off", evidence: mEvidence))
            } else {
                let guestOptOuts = ["no_guest_host", "no_guest_guest"].filter(tokens.contains)
                if !guestOptOuts.isEmpty {
                    findings.append(Self.mitigations.finding(
                        .fail, "guest attack-vector mitigations are switched off (\(guestOptOuts.joined(separator: ", "))): guests are trusted not to attack the host or each other",
                        evidence: mEvidence))
                } else if tokens.contains("no_cross_thread") {
                    findings.append(Self.mitigations.finding(
                        .fail, "cross-thread mitigations are off (no_cross_thread): SMT siblings can leak between guests",
                        evidence: mEvidence, severity: .high))
                } else {
                    findings.append(Self.mitigations.finding(.pass, "mitigations=\(value) keeps guest isolation", evidence: mEvidence))
                }
            }
        } else {
            findings.append(Self.mitigations.finding(.pass, "no mitigations= switch: kernel defaults apply", evidence: [evidence]))
        }

        // Individual switches.
        var found = 0
        // The kernel lets the last occurrence of a parameter win: judge only that one.
        var lastIndex: [String: Int] = [:]
        for (index, parameter) in cmdline.parameters.enumerated() { lastIndex[parameter.name] = index }
        for (index, parameter) in cmdline.parameters.enumerated() where lastIndex[parameter.name] == index {
            for s in Self.weakening where s.name == parameter.name {
                if let values = s.values {
                    guard let v = parameter.value, values.contains(v) else { continue }
                }
                found += 1
                let ev = [Evidence(path: "/proc/cmdline", value: parameter.text)]
                if let vuln = s.vulnerability, context.facts.isAffected(by: vuln) == false {
                    findings.append(Self.switches.finding(
                        .info, "\(parameter.text) disables the \(vuln) mitigation, but the kernel reports this CPU as not affected",
                        evidence: ev + [Evidence(path: "\(HostFacts.vulnerabilitiesDirectory)/\(vuln)", value: context.facts.vulnerabilities[vuln] ?? "")],
                        item: parameter.name, severity: s.severity))
                } else {
                    findings.append(Self.switches.finding(
                        .fail, "\(parameter.text) disables a mitigation\(s.vulnerability.map { " for \($0)" } ?? "")",
                        evidence: ev, item: parameter.name, severity: s.severity))
                }
            }
        }
        if found == 0 {
            findings.append(Self.switches.finding(.pass, "no per-vulnerability switch weakens a mitigation", evidence: [evidence],
                                                  item: "switches"))
        }
        return findings
    }
}
