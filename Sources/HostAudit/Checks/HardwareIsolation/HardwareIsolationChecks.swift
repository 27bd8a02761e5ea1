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

/// Hardware isolation checks (T1): virtualization extensions, second-level address translation,
/// nested virtualization, the IOMMU, and access to `/dev/kvm`.
public enum HardwareIsolationChecks {
    /// The checks of this area.
    public static var all: [any Check] {
        [VirtualizationExtensionsCheck(), NestedVirtualizationCheck(), IOMMUCheck(), KVMDeviceCheck()]
    }
}

/// VT-x/AMD-V and EPT/NPT from `/proc/cpuinfo`.
public struct VirtualizationExtensionsCheck: Check {
    public init() {}

    public static let extensions = CheckDescriptor(
        id: "hw.virtualization-extensions",
        title: "CPU has hardware virtualization (VT-x/AMD-V)",
        threat: .vmEscape,
        severity: .medium,
        reads: ["/proc/cpuinfo"],
        failsWhen: "neither `vmx` nor `svm` is among the CPU flags (warn: KVM cannot run and guests fall back to TCG emulation). A `hypervisor` flag (this host is itself a guest) is reported as info.",
        rationale: "Hardware virtualization keeps guests in a separate CPU mode; without it QEMU emulates the CPU in software (TCG), a much larger attack surface that upstream QEMU does not treat as a security boundary.",
        remediation: "Enable VT-x/AMD-V (SVM) in the firmware setup; on a nested host, expose `vmx`/`svm` to this VM.",
        references: ["https://www.qemu.org/docs/master/system/security.html"]
    )

    public static let secondLevel = CheckDescriptor(
        id: "hw.second-level-paging",
        title: "CPU has EPT/NPT (second-level address translation)",
        threat: .vmEscape,
        severity: .medium,
        reads: ["/proc/cpuinfo"],
        failsWhen: "the CPU has VT-x without `ept` or AMD-V without `npt` (warn).",
        rationale: "Without EPT/NPT, KVM shadows guest page tables in software: slower and historically a rich source of escape bugs.",
        remediation: "Use a CPU with EPT/NPT and make sure it is not disabled (`kvm_intel.ept=0`, `kvm_amd.npt=0`).",
        references: ["https://docs.kernel.org/virt/kvm/x86/mmu.html"]
    )

    public static let nestedHost = CheckDescriptor(
        id: "hw.running-nested",
        title: "Host is bare metal or itself a virtual machine",
        threat: .vmEscape,
        severity: .info,
        reads: ["/proc/cpuinfo"],
        failsWhen: "never fails; info when the `hypervisor` flag shows this host is itself a virtual machine.",
        rationale: "A nested host inherits the isolation (and the flaws) of the hypervisor below it; its hardware checks describe virtual hardware.",
        remediation: "",
        references: []
    )

    public var descriptors: [CheckDescriptor] { [Self.extensions, Self.secondLevel, Self.nestedHost] }

    public func run(in context: AuditContext) -> [Finding] {
        let facts = context.facts
        guard facts.hasCPUInfo else {
            let error = HyperwardError(.unreadable, "/proc/cpuinfo could not be read")
            return [Self.extensions.error(error, path: "/proc/cpuinfo")]
        }
        var findings: [Finding] = []
        let flags = facts.cpuFlags
        let hasVMX = flags.contains("vmx")
        let hasSVM = flags.contains("svm")
        let flagEvidence = { (names: [String]) in
            Evidence(path: "/proc/cpuinfo", value: "flags: " + names.map { "\($0)=\(flags.contains($0) ? "yes" : "no")" }.joined(separator: " "))
        }
        if hasVMX || hasSVM {
            findings.append(Self.extensions.finding(.pass, hasVMX ? "Intel VT-x (vmx) present" : "AMD-V (svm) present",
                                                    evidence: [flagEvidence(["vmx", "svm"])]))
            let hasSLAT = hasVMX ? (flags.contains("ept") || facts.vmxFlags.contains("ept")) : flags.contains("npt")
            let name = hasVMX ? "ept" : "npt"
            findings.append(Self.secondLevel.finding(hasSLAT ? .pass : .warn,
                                                     hasSLAT ? "\(name.uppercased()) present" : "\(name.uppercased()) missing: KVM falls back to shadow paging",
                                                     evidence: [flagEvidence([name])]))
        } else {
            findings.append(Self.extensions.finding(.warn, "no vmx/svm flag: KVM is unavailable and guests run under TCG emulation",
                                                    evidence: [flagEvidence(["vmx", "svm", "hypervisor"])]))
            findings.append(Self.secondLevel.finding(.notApplicable, "no hardware virtualization", evidence: [flagEvidence(["ept", "npt"])]))
        }
        if flags.contains("hypervisor") {
            findings.append(Self.nestedHost.finding(.info, "the `hypervisor` flag is set: this host is itself a virtual machine (nested)",
                                                    evidence: [flagEvidence(["hypervisor"])]))
        } else {
            findings.append(Self.nestedHost.finding(.info, "no `hypervisor` flag: bare metal", evidence: [flagEvidence(["hypervisor"])]))
        }
        return findings
    }
}

/// Nested virtualization exposed to guests by the KVM vendor module.
public struct NestedVirtualizationCheck: Check {
    public init() {}

    public static let descriptor = CheckDescriptor(
        id: "kvm.nested",
        title: "Nested virtualization is off",
        threat: .vmEscape,
        severity: .medium,
        reads: ["/sys/module/kvm_intel/parameters/nested", "/sys/module/kvm_amd/parameters/nested"],
        failsWhen: "`nested` is `Y`/`1` (warn): guests may run their own hypervisors.",
        rationale: "Nested virtualization exposes KVM's VMX/SVM emulation to guests, a complex code path with a history of guest-to-host escapes (CVE-2021-29657, CVE-2021-3653, CVE-2021-3656).",
        remediation: "Unless guests need it, `options kvm_intel nested=0` (or `kvm_amd`) in /etc/modprobe.d and reload the module.",
        references: ["https://docs.kernel.org/virt/kvm/x86/running-nested-guests.html", "https://nvd.nist.gov/vuln/detail/CVE-2021-29657"]
    )

    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.descriptor
        for module in ["kvm_intel", "kvm_amd"] {
            let path = "/sys/module/\(module)/parameters/nested"
            let value: String
            do {
                value = try context.fs.readValue(path)
            } catch {
                if error.code == .notFound { continue }
                return [d.error(error, path: path)]
            }
            let on = ["Y", "y", "1"].contains(value)
            return [d.finding(on ? .warn : .pass, on ? "\(module) lets guests run hypervisors" : "nested virtualization is off",
                              evidence: [Evidence(path: path, value: value)])]
        }
        return [d.finding(.notApplicable, "neither kvm_intel nor kvm_amd is loaded",
                          evidence: [Evidence(path: "/sys/module/kvm_intel/parameters/nested", value: "missing")])]
    }
}

/// The IOMMU: present, enabled, and its groups translating DMA.
public struct IOMMUCheck: Check {
    public init() {}

    public static let present = CheckDescriptor(
        id: "iommu.present",
        title: "An IOMMU is active",
        threat: .vmEscape,
        severity: .high,
        reads: ["/sys/class/iommu", "/sys/kernel/iommu_groups", "/proc/cmdline"],
        failsWhen: "no IOMMU unit is registered and there are no IOMMU groups (fail), or the command line disables it (`intel_iommu=off`, `amd_iommu=off`, `iommu=off`).",
        rationale: "Without an IOMMU a device passed through to a guest (VFIO) can DMA into any host memory: a direct VM escape. libvirt refuses VFIO without it, but `iommu=off` also removes DMA protection from host devices.",
        remediation: "Enable VT-d/AMD-Vi in the firmware and boot with `intel_iommu=on` on Intel (on by default only in kernels built with INTEL_IOMMU_DEFAULT_ON); AMD-Vi is on by default.",
        references: ["https://docs.kernel.org/driver-api/vfio.html", "https://docs.kernel.org/arch/x86/iommu.html"]
    )

    public static let groups = CheckDescriptor(
        id: "iommu.passthrough",
        title: "IOMMU groups translate DMA (no identity mapping)",
        threat: .vmEscape,
        severity: .high,
        reads: ["/sys/kernel/iommu_groups/*/type", "/proc/cmdline"],
        failsWhen: "a group's `type` is `identity` or the command line sets `iommu=pt` / `iommu.passthrough=1` (warn for the command line, fail for groups in identity mode).",
        rationale: "In identity (pass-through) mode host devices DMA untranslated: a compromised or malicious device, or a guest controlling one, can read and write all of memory.",
        remediation: "Remove `iommu=pt`/`iommu.passthrough=1` and boot with `iommu.strict=1` (or the DMA-FQ default); never set a group to `identity` on a multi-tenant host.",
        references: ["https://docs.kernel.org/admin-guide/kernel-parameters.html", "https://www.kernel.org/doc/Documentation/ABI/testing/sysfs-kernel-iommu_groups"]
    )

    public var descriptors: [CheckDescriptor] { [Self.present, Self.groups] }

    public func run(in context: AuditContext) -> [Finding] {
        let fs = context.fs
        var findings: [Finding] = []
        let units = (try? fs.listDirectory("/sys/class/iommu")) ?? []
        let groupNames = ((try? fs.listDirectory("/sys/kernel/iommu_groups")) ?? []).filter { Int($0) != nil }
        let cmdline = context.facts.commandLine
        var disabling: [String] = []
        for name in ["intel_iommu", "amd_iommu", "iommu"] {
            if let v = cmdline?.value(of: name), v.split(separator: ",").contains("off") { disabling.append("\(name)=\(v)") }
        }
        let evidence = [
            Evidence(path: "/sys/class/iommu", value: units.isEmpty ? "no units" : units.joined(separator: " ")),
            Evidence(path: "/sys/kernel/iommu_groups", value: "\(groupNames.count) groups"),
        ]
        if !disabling.isEmpty {
            findings.append(Self.present.finding(.fail, "the IOMMU is disabled on the command line (\(disabling.joined(separator: ", ")))",
                                                 evidence: evidence + [Evidence(path: "/proc/cmdline", value: disabling.joined(separator: " "))]))
        } else if units.isEmpty && groupNames.isEmpty {
            findings.append(Self.present.finding(.fail, "no IOMMU is active: device DMA is not contained", evidence: evidence))
        } else {
            findings.append(Self.present.finding(.pass, "IOMMU active: \(units.count) unit(s), \(groupNames.count) group(s)", evidence: evidence))
        }

        var identity: [Evidence] = []
        var readErrors: [Finding] = []
        for group in groupNames.sorted(by: { (Int($0) ?? 0) < (Int($1) ?? 0) }) {
            let path = "/sys/kernel/iommu_groups/\(group)/type"
            do {
                let type = try fs.readValue(path)
                if type == "identity" { identity.append(Evidence(path: path, value: type)) }
            } catch {
                if error.code != .notFound { readErrors.append(Self.groups.error(error, path: path, subject: "group \(group)")) }
            }
        }
        var passthrough: [String] = []
        if let v = cmdline?.value(of: "iommu"), v.split(separator: ",").contains("pt") { passthrough.append("iommu=\(v)") }
        if let v = cmdline?.value(of: "iommu.passthrough"), ["1", "y", "Y", "on"].contains(v) { passthrough.append("iommu.passthrough=\(v)") }

        if groupNames.isEmpty && passthrough.isEmpty {
            findings.append(Self.groups.finding(.notApplicable, "no IOMMU groups", evidence: [evidence[1]]))
        } else if !identity.isEmpty {
            findings.append(Self.groups.finding(.fail, "\(identity.count) IOMMU group(s) in identity (pass-through) mode",
                                                evidence: Array(identity.prefix(16))))
        } else if !passthrough.isEmpty {
            findings.append(Self.groups.finding(.warn, "the command line requests IOMMU pass-through (\(passthrough.joined(separator: ", ")))",
                                                evidence: [Evidence(path: "/proc/cmdline", value: passthrough.joined(separator: " "))]))
        } else {
            findings.append(Self.groups.finding(.pass, "all \(groupNames.count) IOMMU groups translate DMA", evidence: [evidence[1]]))
        }
        return findings + readErrors
    }
}

/// Ownership and mode of `/dev/kvm`.
public struct KVMDeviceCheck: Check {
    public init() {}

    public static let descriptor = CheckDescriptor(
        id: "kvm.device",
        title: "/dev/kvm is not open to every user",
        threat: .vmEscape,
        severity: .high,
        reads: ["/dev/kvm", "/etc/group"],
        failsWhen: "`/dev/kvm` is world-readable/writable (fail), or not a character device (fail), or owned by a group other than `kvm`/`root` (warn).",
        rationale: "Whoever can open /dev/kvm can create VMs and reach KVM's whole ioctl surface, the first step of most KVM exploits. Debian ships it 0660 root:kvm.",
        remediation: "`chown root:kvm /dev/kvm && chmod 0660 /dev/kvm` and fix the udev rule that loosened it (/etc/udev/rules.d).",
        references: ["https://docs.kernel.org/virt/kvm/api.html"]
    )

    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.descriptor
        let path = "/dev/kvm"
        let st: FileStatus
        do {
            st = try context.fs.status(path, followingSymlinks: true)
        } catch {
            if error.code == .notFound {
                return [d.finding(.notApplicable, "no /dev/kvm: the kvm module is not loaded", evidence: [Evidence(path: path, value: "missing")])]
            }
            return [d.error(error, path: path)]
        }
        let groupName = HostAccounts(fs: context.fs).group(gid: st.gid)?.name ?? "\(st.gid)"
        let evidence = [Evidence(path: path, value: "\(st.kind.rawValue) \(st.octalPermissions) uid=\(st.uid) group=\(groupName)")]
        guard st.kind == .characterDevice else {
            return [d.finding(.fail, "/dev/kvm is a \(st.kind.rawValue), not a character device", evidence: evidence)]
        }
        if st.isWorldWritable || st.isWorldReadable {
            return [d.finding(.fail, "every local user can open /dev/kvm (mode \(st.octalPermissions))", evidence: evidence)]
        }
        if st.uid != 0 || !(groupName == "kvm" || st.gid == 0) {
            return [d.finding(.warn, "/dev/kvm is owned by uid \(st.uid), group \(groupName); expected root:kvm", evidence: evidence, severity: .medium)]
        }
        return [d.finding(.pass, "root:\(groupName) \(st.octalPermissions)", evidence: evidence)]
    }
}
