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

/// Kernel same-page merging (KSM) between guests.
public struct KSMCheck: Check {
    public init() {}

    public static let descriptor = CheckDescriptor(
        id: "ksm.run",
        title: "KSM does not merge memory across guests",
        threat: .sideChannel,
        severity: .medium,
        reads: ["/sys/kernel/mm/ksm/run", "/sys/kernel/mm/ksm/pages_shared"],
        failsWhen: "`run` is 1 (merging active).",
        rationale: "Merged pages are shared copy-on-write between guests; write timing reveals which pages another guest holds (cross-VM deduplication attacks, e.g. recovering keys or detecting software), and shared pages amplify Rowhammer (Flip Feng Shui).",
        remediation: "`echo 2 > /sys/kernel/mm/ksm/run` (unmerge) and disable ksmtuned/`ksm.service`; or set `<memoryBacking><nosharepages/>` for untrusted guests.",
        references: ["https://docs.kernel.org/admin-guide/mm/ksm.html",
                     "https://www.usenix.org/conference/usenixsecurity16/technical-sessions/presentation/razavi"]
    )

    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.descriptor
        let path = "/sys/kernel/mm/ksm/run"
        let value: String
        do {
            value = try context.fs.readValue(path)
        } catch {
            if error.code == .notFound {
                return [d.finding(.notApplicable, "the kernel has no KSM (CONFIG_KSM off)", evidence: [Evidence(path: path, value: "missing")])]
            }
            return [d.error(error, path: path)]
        }
        var evidence = [Evidence(path: path, value: value)]
        if let shared = try? context.fs.readValue("/sys/kernel/mm/ksm/pages_shared") {
            evidence.append(Evidence(path: "/sys/kernel/mm/ksm/pages_shared", value: shared))
        }
        switch value {
        case "0": return [d.finding(.pass, "KSM is stopped", evidence: evidence)]
        case "2": return [d.finding(.pass, "KSM is unmerging all pages", evidence: evidence)]
        case "1": return [d.finding(.fail, "KSM is merging identical pages across processes and guests", evidence: evidence)]
        default: return [d.finding(.warn, "unexpected KSM state '\(value)'", evidence: evidence)]
        }
    }
}

/// The CPU microcode revision, and whether the kernel considers it outdated.
public struct MicrocodeCheck: Check {
    public init() {}

    public static let descriptor = CheckDescriptor(
        id: "cpu.microcode",
        title: "CPU microcode is current",
        threat: .sideChannel,
        severity: .high,
        reads: ["/proc/cpuinfo", "/sys/devices/system/cpu/vulnerabilities/old_microcode"],
        failsWhen: "the kernel reports `old_microcode` as `Vulnerable` (fail); info with the revision otherwise.",
        rationale: "Many mitigations (IBRS, MD_CLEAR, SRSO's IBPB, GDS) exist only in microcode; an old revision leaves them out whatever the kernel does.",
        remediation: "Install and keep current `intel-microcode` or `amd64-microcode` (non-free-firmware) and reboot; also update the firmware.",
        references: ["https://docs.kernel.org/admin-guide/hw-vuln/old_microcode.html"]
    )

    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.descriptor
        let facts = context.facts
        var evidence: [Evidence] = []
        if let rev = facts.microcode { evidence.append(Evidence(path: "/proc/cpuinfo", value: "microcode: \(rev)")) }
        if let old = facts.vulnerabilities["old_microcode"] {
            evidence.append(Evidence(path: "\(HostFacts.vulnerabilitiesDirectory)/old_microcode", value: old))
            if old.hasPrefix("Vulnerable") {
                return [d.finding(.fail, "the kernel reports the microcode as older than the known-good revision", evidence: evidence)]
            }
        }
        if !facts.hasCPUInfo {
            return [d.finding(.error, "could not read /proc/cpuinfo", evidence: [Evidence(path: "/proc/cpuinfo", value: "unreadable")])]
        }
        guard let rev = facts.microcode else {
            return [d.finding(.info, "no microcode revision reported (virtual CPU or non-x86)", evidence: evidence)]
        }
        return [d.finding(.info, "microcode revision \(rev)", evidence: evidence)]
    }
}
