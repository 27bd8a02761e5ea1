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

/// A KVM module parameter that enables or disables a guest-facing mitigation.
public struct KVMParameterCheck: Check {
    public var descriptor: CheckDescriptor
    /// The parameter file.
    public var path: String
    /// Evaluates the value read (with the host facts) into a status and explanation.
    var evaluate: @Sendable (String, HostFacts) -> (Status, String)

    public var descriptors: [CheckDescriptor] { [descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        let value: String
        do {
            value = try context.fs.readValue(path)
        } catch {
            if error.code == .notFound {
                return [descriptor.finding(.notApplicable, "the module is not loaded (no \(path))",
                                           evidence: [Evidence(path: path, value: "missing")])]
            }
            return [descriptor.error(error, path: path)]
        }
        let (status, detail) = evaluate(value, context.facts)
        return [descriptor.finding(status, detail, evidence: [Evidence(path: path, value: value)])]
    }

    /// `kvm.nx_huge_pages`: the iTLB multihit (CVE-2018-12207) mitigation, a guest-triggerable host machine check.
    public static let nxHugePages = KVMParameterCheck(
        descriptor: CheckDescriptor(
            id: "kvm.nx_huge_pages",
            title: "KVM splits executable huge pages (iTLB multihit)",
            threat: .sideChannel,
            severity: .high,
            reads: ["/sys/module/kvm/parameters/nx_huge_pages", "/sys/devices/system/cpu/vulnerabilities/itlb_multihit"],
            failsWhen: "the parameter is `N`/`never` while the CPU is affected by iTLB multihit.",
            rationale: "Without it a guest can raise a machine check that takes the whole host down (CVE-2018-12207).",
            remediation: "Set `kvm.nx_huge_pages=force` (or remove `=off`) in the boot command line or `options kvm nx_huge_pages=Y` in /etc/modprobe.d, then reload kvm.",
            references: ["https://docs.kernel.org/admin-guide/hw-vuln/multihit.html"]),
        path: "/sys/module/kvm/parameters/nx_huge_pages",
        evaluate: { value, facts in
            let off = ["N", "n", "0", "never", "off"].contains(value)
            if !off { return (.pass, "executable huge pages are split for guests (\(value))") }
            if facts.isAffected(by: "itlb_multihit") == false {
                return (.pass, "disabled, but the CPU is not affected by iTLB multihit")
            }
            return (.fail, "disabled (\(value)) on a CPU affected by iTLB multihit: a guest can crash the host")
        })

    /// `kvm_intel.vmentry_l1d_flush`: flushing L1D on VM entry, the L1TF (Foreshadow-VMM) mitigation.
    public static let vmentryL1DFlush = KVMParameterCheck(
        descriptor: CheckDescriptor(
            id: "kvm.vmentry_l1d_flush",
            title: "KVM flushes L1D on VM entry (L1TF)",
            threat: .sideChannel,
            severity: .critical,
            reads: ["/sys/module/kvm_intel/parameters/vmentry_l1d_flush", "/sys/devices/system/cpu/vulnerabilities/l1tf"],
            failsWhen: "the parameter is `never` while the CPU is affected by L1TF.",
            rationale: "L1TF lets a guest read any host or guest data in the L1 cache; flushing L1D on every VM entry is the mitigation.",
            remediation: "Set `kvm-intel.vmentry_l1d_flush=cond` (the default) or `always`.",
            references: ["https://docs.kernel.org/admin-guide/hw-vuln/l1tf.html#mitigation-control-for-kvm-module-parameter"]),
        path: "/sys/module/kvm_intel/parameters/vmentry_l1d_flush",
        evaluate: { value, facts in
            if value == "never" {
                if facts.isAffected(by: "l1tf") == false { return (.pass, "never, but the CPU is not affected by L1TF") }
                return (.fail, "L1D is never flushed on VM entry on a CPU affected by L1TF")
            }
            return (.pass, "L1D flush on VM entry: \(value)")
        })

    /// `kvm.mitigate_smt_rsb`: Cross-Thread Return Address Predictions (CVE-2022-27672), which
    /// affects AMD Zen 1/Zen 2 (family 17h) and Hygon (family 18h). The parameter belongs to the
    /// generic `kvm` module (arch/x86/kvm/x86.c), not `kvm_amd`, and defaults to off.
    public static let mitigateSMTRSB = KVMParameterCheck(
        descriptor: CheckDescriptor(
            id: "kvm.mitigate_smt_rsb",
            title: "KVM mitigates cross-thread return prediction (AMD Zen 1/2)",
            threat: .sideChannel,
            severity: .medium,
            reads: ["/sys/module/kvm/parameters/mitigate_smt_rsb", "/proc/cpuinfo", "/sys/devices/system/cpu/smt/active"],
            failsWhen: "the parameter is `N` on an AMD family 17h or Hygon family 18h CPU with SMT active (warn). Other CPUs are not affected (pass).",
            rationale: "On affected AMD CPUs a guest's sibling thread can steer return predictions of the other thread (CVE-2022-27672); KVM can stop that at the cost of some performance.",
            remediation: "Boot with `kvm.mitigate_smt_rsb=1` (or `options kvm mitigate_smt_rsb=1`), or disable SMT.",
            references: ["https://www.amd.com/en/resources/product-security/bulletin/amd-sb-1045.html",
                         "https://docs.kernel.org/admin-guide/kernel-parameters.html"]),
        path: "/sys/module/kvm/parameters/mitigate_smt_rsb",
        evaluate: { value, facts in
            if ["Y", "y", "1"].contains(value) { return (.pass, "enabled") }
            let affected = (facts.cpuVendor == "AuthenticAMD" && facts.cpuFamily == 0x17)
                || (facts.cpuVendor == "HygonGenuine" && facts.cpuFamily == 0x18)
            if !affected { return (.pass, "disabled; this CPU (\(facts.cpuVendor ?? "unknown vendor") family \(facts.cpuFamily.map(String.init) ?? "?")) is not affected") }
            if facts.smtActive == true { return (.warn, "disabled on an affected AMD CPU while SMT is active") }
            return (.pass, "disabled, but SMT is not active")
        })
}
