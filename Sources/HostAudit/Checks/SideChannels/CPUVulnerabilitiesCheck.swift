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

/// Reads every file in `/sys/devices/system/cpu/vulnerabilities/` generically, so vulnerabilities a
/// newer kernel adds are covered without code changes.
public struct CPUVulnerabilitiesCheck: Check {
    public init() {}

    public static let descriptor = CheckDescriptor(
        id: "cpu.vulnerability.*",
        title: "CPU vulnerability",
        threat: .sideChannel,
        severity: .high,
        reads: ["/sys/devices/system/cpu/vulnerabilities/*"],
        failsWhen: "the file (after a leading `KVM: `) starts with `Vulnerable`, or any `;`-separated clause says vulnerable (`VMX: vulnerable`, `BHI: Vulnerable`) — fail; `Unknown…` or a clause `SMT vulnerable` / `SMT Host state unknown` — warn; `Not affected` or `Mitigation: …` with no vulnerable clause — pass.",
        rationale: "Each file is the kernel's own verdict on a transient-execution flaw. A vulnerable one lets a guest read host or neighbour memory (L1TF, MDS, Retbleed, SRSO, VMScape…).",
        remediation: "Update the CPU microcode (intel-microcode/amd64-microcode) and the kernel, and remove any boot switch that disables the mitigation (see cmdline.* findings); reboot.",
        references: [
            "https://docs.kernel.org/admin-guide/hw-vuln/index.html",
            "https://www.kernel.org/doc/Documentation/ABI/testing/sysfs-devices-system-cpu",
        ]
    )

    /// Vulnerabilities that cross the guest/host or guest/guest boundary directly get `critical`.
    static let guestCrossing: Set<String> = [
        "l1tf", "mds", "meltdown", "spectre_v2", "retbleed", "spec_rstack_overflow", "mmio_stale_data",
        "tsa", "vmscape", "gather_data_sampling", "reg_file_data_sampling", "itlb_multihit",
        "tsx_async_abort", "srbds", "indirect_target_selection",
    ]

    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.descriptor
        let dir = HostFacts.vulnerabilitiesDirectory
        let names: [String]
        do {
            names = try context.fs.listDirectory(dir)
        } catch {
            if error.code == .notFound {
                return [d.finding(.warn, "the kernel does not report CPU vulnerability states (kernel older than 4.15, or not Linux)",
                                  evidence: [Evidence(path: dir, value: "missing")], item: "reporting", severity: .medium,
                                  remediation: "Run a kernel that reports CPU vulnerabilities (4.15 or newer) so their mitigation can be verified.")]
            }
            return [d.error(error, path: dir, item: "reporting")]
        }
        var findings: [Finding] = []
        for name in names {
            let path = "\(dir)/\(name)"
            let value: String
            do {
                value = try context.fs.readValue(path)
            } catch {
                findings.append(d.error(error, path: path, item: name))
                continue
            }
            let severity: Severity = Self.guestCrossing.contains(name) ? .critical : .high
            let evidence = [Evidence(path: path, value: value)]
            let state = VulnerabilityState(value)
            switch state {
            case .notAffected:
                findings.append(d.finding(.pass, "the CPU is not affected", evidence: evidence, item: name, severity: severity))
            case .mitigated:
                findings.append(d.finding(.pass, "mitigated", evidence: evidence, item: name, severity: severity))
            case .vulnerable(let clause):
                findings.append(d.finding(.fail, "the kernel reports the CPU as vulnerable (\(clause))", evidence: evidence,
                                          item: name, severity: severity))
            case .smtExposed(let clause):
                findings.append(d.finding(.warn, "mitigated, but co-scheduled SMT siblings remain exposed (\(clause))", evidence: evidence,
                                          item: name, severity: severity,
                                          remediation: "Disable SMT on hosts running untrusted guests (`nosmt` or `echo off > /sys/devices/system/cpu/smt/control`), or use core scheduling."))
            case .unknown:
                findings.append(d.finding(.warn, "the kernel cannot tell whether the CPU is affected", evidence: evidence,
                                          item: name, severity: .medium))
            case .unrecognised:
                findings.append(d.finding(.info, "unrecognised state; review it by hand", evidence: evidence, item: name, severity: severity))
            }
        }
        if findings.isEmpty {
            findings.append(d.finding(.warn, "the vulnerabilities directory is empty", evidence: [Evidence(path: dir, value: "empty")],
                                      item: "reporting", severity: .medium))
        }
        return findings
    }
}

/// The kernel's verdict in one vulnerabilities file, read clause by clause.
///
/// The format is documented in Documentation/ABI/testing/sysfs-devices-system-cpu: `Not affected`,
/// `Vulnerable[: detail]`, `Mitigation: detail`, `Unknown: detail`, optionally prefixed `KVM: `
/// (itlb_multihit), with further `; `-separated clauses that can themselves say vulnerable
/// (`l1tf`: `Mitigation: PTE Inversion; VMX: vulnerable`; `spectre_v2`: `…; BHI: Vulnerable`).
public enum VulnerabilityState: Sendable, Equatable {
    case notAffected
    case mitigated
    /// A clause says vulnerable (the clause is carried for the message).
    case vulnerable(String)
    /// Mitigated except across SMT siblings.
    case smtExposed(String)
    case unknown
    case unrecognised

    /// Classifies a file's text.
    public init(_ text: String) {
        var value = text.trimmingWhitespace()
        if value.hasPrefix("KVM: ") { value = String(value.dropFirst(5)) }
        if value.hasPrefix("Not affected") { self = .notAffected; return }
        if value.hasPrefix("Unknown") { self = .unknown; return }
        let clauses = value.split(separator: ";").map { $0.trimmingCharacters() }
        var smt: String?
        for clause in clauses {
            let lower = clause.lowercased()
            if lower.contains("smt vulnerable") || lower.contains("smt host state unknown") {
                smt = smt ?? clause
            } else if lower.contains("vulnerable") {
                self = .vulnerable(clause)
                return
            }
        }
        if let smt { self = .smtExposed(smt); return }
        if value.hasPrefix("Mitigation") { self = .mitigated; return }
        self = .unrecognised
    }
}
