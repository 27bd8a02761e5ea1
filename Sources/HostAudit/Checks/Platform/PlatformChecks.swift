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

/// Other hypervisor platforms: Xen and Proxmox VE are detected and reported; their own checks run
/// where they are cheap.
public enum PlatformChecks {
    /// The checks of this area.
    public static var all: [any Check] { [XenCheck(), ProxmoxCheck()] }
}

/// Xen: dom0 detection.
public struct XenCheck: Check {
    public init() {}

    public static let descriptor = CheckDescriptor(
        id: "platform.xen",
        title: "Xen hypervisor",
        threat: .vmEscape,
        severity: .info,
        reads: ["/sys/hypervisor/type", "/proc/xen/capabilities"],
        failsWhen: "never fails: info when this host runs under Xen (dom0 or domU), notapplicable otherwise. KVM checks above do not cover Xen's own isolation.",
        rationale: "A Xen host's guest isolation is Xen's, not KVM's: its XSA patch level and xl.conf matter instead.",
        remediation: "",
        references: ["https://xenbits.xen.org/xsa/"]
    )

    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.descriptor
        let type = try? context.fs.readValue("/sys/hypervisor/type")
        guard type == "xen" || context.fs.exists("/proc/xen") else {
            return [d.finding(.notApplicable, "not running under Xen", evidence: [Evidence(path: "/sys/hypervisor/type", value: type ?? "missing")])]
        }
        let caps = try? context.fs.readValue("/proc/xen/capabilities")
        let isDom0 = caps?.contains("control_d") == true
        return [d.finding(.info, isDom0 ? "Xen dom0: guests are isolated by Xen; review XSAs for the installed xen-hypervisor" : "running as a Xen guest (domU)",
                          evidence: [Evidence(path: "/sys/hypervisor/type", value: type ?? "missing"),
                                     Evidence(path: "/proc/xen/capabilities", value: caps ?? "missing")])]
    }
}

/// Proxmox VE: detection plus its cluster-config permission.
public struct ProxmoxCheck: Check {
    public init() {}

    public static let descriptor = CheckDescriptor(
        id: "platform.proxmox",
        title: "Proxmox VE",
        threat: .hypervisorVulnerability,
        severity: .info,
        reads: ["/etc/pve", "/usr/bin/pveversion"],
        failsWhen: "never fails: info when Proxmox VE is installed (its QEMU runs as root without libvirt: qemu.conf checks do not apply), notapplicable otherwise.",
        rationale: "Proxmox manages QEMU directly; guest confinement then depends on its own AppArmor profile and the host firewall rather than libvirt's.",
        remediation: "",
        references: ["https://pve.proxmox.com/pve-docs/"]
    )

    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.descriptor
        let fs = context.fs
        let hasPVE = fs.exists("/etc/pve") || fs.exists("/usr/bin/pveversion")
        guard hasPVE else {
            return [d.finding(.notApplicable, "Proxmox VE is not installed", evidence: [Evidence(path: "/etc/pve", value: "missing")])]
        }
        return [d.finding(.info, "Proxmox VE host: QEMU is managed by qemu-server, not libvirt",
                          evidence: [Evidence(path: "/etc/pve", value: fs.exists("/etc/pve") ? "present" : "missing"),
                                     Evidence(path: "/usr/bin/pveversion", value: fs.exists("/usr/bin/pveversion") ? "present" : "missing")])]
    }
}
