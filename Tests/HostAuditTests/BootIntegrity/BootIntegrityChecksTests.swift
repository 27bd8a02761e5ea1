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

import Foundation
import HyperwardCore
import Testing

@testable import HostAudit

@Suite("Boot integrity and platform checks")
struct BootIntegrityChecksTests {
    static let guid = SecureBootCheck.globalVariableGUID
    /// EFI variable bytes: attributes NV|BS|RT (0x06 little-endian) then the value.
    static func efivar(_ value: UInt8) -> [UInt8] { [0x06, 0, 0, 0, value] }

    @Test func secureBootEnabledInUserModePasses() {
        let host = FixtureHost().write("/sys/firmware/efi/efivars/SecureBoot-\(Self.guid)", bytes: Self.efivar(1))
            .write("/sys/firmware/efi/efivars/SetupMode-\(Self.guid)", bytes: Self.efivar(0))
        let findings = host.run(SecureBootCheck())
        #expect(findings.first("boot.uefi")?.status == .pass)
        #expect(findings.first("boot.secureboot")?.status == .pass)
    }

    @Test func secureBootDisabledFails() {
        let host = FixtureHost().write("/sys/firmware/efi/efivars/SecureBoot-\(Self.guid)", bytes: Self.efivar(0))
        #expect(host.run(SecureBootCheck()).first("boot.secureboot")?.status == .fail)
    }

    @Test func setupModeFails() {
        let host = FixtureHost().write("/sys/firmware/efi/efivars/SecureBoot-\(Self.guid)", bytes: Self.efivar(1))
            .write("/sys/firmware/efi/efivars/SetupMode-\(Self.guid)", bytes: Self.efivar(1))
        let finding = host.run(SecureBootCheck()).first("boot.secureboot")
        #expect(finding?.status == .fail)
        #expect(finding?.detail.contains("Setup Mode") == true)
    }

    @Test func unmountedEfivarfsWarnsInsteadOfFailing() {
        let host = FixtureHost().mkdir("/sys/firmware/efi/efivars")
        let finding = host.run(SecureBootCheck()).first("boot.secureboot")
        #expect(finding?.status == .warn)
        #expect(finding?.detail.contains("efivarfs") == true)
    }

    @Test func malformedEfivarIsAnError() {
        let host = FixtureHost().write("/sys/firmware/efi/efivars/SecureBoot-\(Self.guid)", bytes: [1, 2])
        #expect(host.run(SecureBootCheck()).first("boot.secureboot")?.status == .error)
    }

    @Test func biosBootWarns() {
        let findings = FixtureHost().run(SecureBootCheck())
        #expect(findings.first("boot.uefi")?.status == .warn)
        #expect(findings.first("boot.secureboot")?.status == .notApplicable)
    }

    @Test(arguments: [
        ("[none] integrity confidentiality", Status.warn),
        ("none [integrity] confidentiality", .pass),
        ("none integrity [confidentiality]", .pass),
        ("garbage", .error),
    ])
    func lockdown(value: String, expected: Status) {
        let host = FixtureHost().write("/sys/kernel/security/lockdown", value + "\n")
        #expect(host.run(LockdownCheck()).first?.status == expected)
    }

    @Test func tpmStates() {
        #expect(FixtureHost().run(TPMCheck()).first?.status == .warn)
        let full = FixtureHost().write("/sys/class/tpm/tpm0/tpm_version_major", "2").write("/dev/tpmrm0", "")
            .write("/sys/kernel/security/tpm0/binary_bios_measurements", "x")
        #expect(full.run(TPMCheck()).first?.status == .pass)
        let noLog = FixtureHost().write("/sys/class/tpm/tpm0/tpm_version_major", "2").write("/dev/tpmrm0", "")
        #expect(noLog.run(TPMCheck()).first?.status == .warn)
        let old = FixtureHost().write("/sys/class/tpm/tpm0/tpm_version_major", "1")
        #expect(old.run(TPMCheck()).first?.detail.contains("1.2") == true)
    }

    @Test func grubPasswordStates() {
        let good = FixtureHost().write("/boot/grub/grub.cfg", "set superusers=\"root\"\npassword_pbkdf2 root grub.pbkdf2.sha512.10000.AB\n")
        #expect(good.run(BootloaderPasswordCheck()).first?.status == .pass)
        let none = FixtureHost().write("/boot/grub/grub.cfg", "menuentry 'Debian' {\n linux /vmlinuz\n}\n# set superusers=\"x\"\n")
        #expect(none.run(BootloaderPasswordCheck()).first?.status == .warn)
        let plain = FixtureHost().write("/boot/grub/grub.cfg", "set superusers=\"root\"\npassword root hunter2\n")
        let finding = plain.run(BootloaderPasswordCheck()).first
        #expect(finding?.status == .fail)
        // The password itself must never appear in the finding.
        #expect(!(finding?.evidence.contains { $0.value.contains("hunter2") } ?? true))
        #expect(finding?.evidence.first?.line == 2)
        #expect(FixtureHost().run(BootloaderPasswordCheck()).first?.status == .notApplicable)
    }

    @Test func xenAndProxmoxDetection() {
        #expect(FixtureHost().run(XenCheck()).first?.status == .notApplicable)
        let dom0 = FixtureHost().write("/sys/hypervisor/type", "xen").write("/proc/xen/capabilities", "control_d")
        let xen = dom0.run(XenCheck()).first
        #expect(xen?.status == .info)
        #expect(xen?.detail.contains("dom0") == true)
        #expect(FixtureHost().run(ProxmoxCheck()).first?.status == .notApplicable)
        #expect(FixtureHost().mkdir("/etc/pve").run(ProxmoxCheck()).first?.status == .info)
    }
}
