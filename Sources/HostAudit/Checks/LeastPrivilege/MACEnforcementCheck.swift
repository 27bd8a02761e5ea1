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

/// Whether the kernel enforces a mandatory access control that libvirt's sVirt can use to keep
/// guests apart: AppArmor with libvirt's profiles in enforce mode, or SELinux enforcing.
public struct MACEnforcementCheck: Check {
    /// Creates the check.
    public init() {}

    /// Profiles libvirt ships for its own daemon and its per-guest profile generator.
    static let libvirtProfiles = ["libvirtd", "virt-aa-helper"]

    static let enforcement = CheckDescriptor(
        id: "mac.enforcement", title: "AppArmor or SELinux enforces sVirt isolation", threat: .vmEscape, severity: .high,
        reads: [MACState.appArmorEnabledPath, MACState.appArmorProfilesPath, MACState.seLinuxEnforcePath],
        failsWhen: "Neither AppArmor nor SELinux is active (fail); AppArmor's libvirtd/virt-aa-helper profiles are in "
            + "complain mode or missing, or SELinux is permissive (warn).",
        rationale: "sVirt labels each guest's QEMU and files so an escaped guest cannot reach the host or other guests' "
            + "disks; without an enforcing MAC every QEMU shares one uid-based boundary.",
        remediation: "Enable AppArmor (`apparmor=1 security=apparmor`, `aa-enforce /etc/apparmor.d/usr.sbin.libvirtd`) "
            + "or SELinux in enforcing mode (`setenforce 1`, SELINUX=enforcing), then restart libvirtd and the guests.",
        references: ["https://libvirt.org/drvqemu.html#apparmor-svirt-confinement",
                     "https://libvirt.org/drvqemu.html#selinux-svirt-confinement"])

    /// The ids of this check.
    public var descriptors: [CheckDescriptor] { [Self.enforcement] }

    /// Runs the check; never throws: unreadable input becomes `error` findings.
    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.enforcement
        let mac = MACState(fs: context.fs)
        if mac.seLinuxEnforcing == true {
            return [d.finding(.pass, "SELinux is enforcing", evidence: [Evidence(path: MACState.seLinuxEnforcePath, value: "1")])]
        }
        if mac.isAppArmorEnabled {
            var evidence = [Evidence(path: MACState.appArmorEnabledPath, value: "Y")]
            guard let profiles = mac.appArmorProfiles else {
                evidence.append(Evidence(path: MACState.appArmorProfilesPath, value: mac.appArmorProfilesError?.description ?? "unreadable"))
                return [d.finding(.warn, "AppArmor is enabled but its profile list cannot be read to confirm libvirt's profiles",
                                  evidence: evidence)]
            }
            var missing: [String] = []
            var complaining: [String] = []
            for wanted in Self.libvirtProfiles {
                // Profiles are named by program name or by path (`/usr/sbin/libvirtd`).
                guard let profile = profiles.first(where: { $0.name == wanted || $0.name.hasSuffix("/" + wanted) }) else {
                    missing.append(wanted)
                    continue
                }
                evidence.append(Evidence(path: MACState.appArmorProfilesPath, value: "\(profile.name) (\(profile.mode))"))
                if profile.mode != "enforce" { complaining.append("\(profile.name) (\(profile.mode))") }
            }
            let guests = profiles.filter { $0.name.hasPrefix("libvirt-") }
            if !guests.isEmpty {
                evidence.append(Evidence(path: MACState.appArmorProfilesPath, value: "\(guests.count) per-guest libvirt-<uuid> profiles"))
            }
            if !complaining.isEmpty {
                return [d.finding(.warn, "AppArmor is enabled but \(complaining.joined(separator: ", ")) only logs violations",
                                  evidence: evidence)]
            }
            if !missing.isEmpty {
                return [d.finding(.warn, "AppArmor is enabled but libvirt's \(missing.joined(separator: ", ")) profile is not loaded",
                                  evidence: evidence)]
            }
            return [d.finding(.pass, "AppArmor enforces libvirt's profiles", evidence: evidence)]
        }
        if mac.seLinuxEnforcing == false {
            return [d.finding(.warn, "SELinux is permissive: sVirt violations are logged, not blocked",
                              evidence: [Evidence(path: MACState.seLinuxEnforcePath, value: "0")])]
        }
        return [d.finding(.fail, "neither AppArmor nor SELinux is active: no sVirt isolation between guests",
                          evidence: [Evidence(path: MACState.appArmorEnabledPath, value: "absent or not Y"),
                                     Evidence(path: MACState.seLinuxEnforcePath, value: "absent")])]
    }
}
