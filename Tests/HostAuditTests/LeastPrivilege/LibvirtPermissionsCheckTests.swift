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

@Suite("LibvirtPermissionsCheck")
struct LibvirtPermissionsCheckTests {
    let check = LibvirtPermissionsCheck()

    /// A host laid out like a fresh Debian libvirt install.
    func debianHost() -> FixtureHost {
        let host = FixtureHost()
        host.write("/etc/group", "root:x:0:\nlibvirt-qemu:x:64055:libvirt-qemu\nssl-cert:x:110:\n")
        host.mkdir("/etc/libvirt", mode: 0o755)
        host.write("/etc/libvirt/qemu.conf", "#user = \"libvirt-qemu\"\n", mode: 0o600)
        host.write("/etc/libvirt/libvirtd.conf", "#listen_tls = 0\n", mode: 0o644)
        host.mkdir("/etc/libvirt/qemu/networks", mode: 0o755)
        host.mkdir("/var/lib/libvirt/images", mode: 0o711)
        host.mkdir("/var/lib/libvirt/qemu", mode: 0o750)
        return host
    }

    @Test func freshInstallPasses() {
        let findings = debianHost().run(check)
        #expect(findings.first("perm.libvirt-config")?.status == .pass)
        #expect(findings.first("perm.vm-images")?.status == .pass)
        #expect(findings.first("perm.tls-keys")?.status == .notApplicable)
    }

    @Test func worldWritableConfigFails() {
        let host = debianHost()
        host.chmod("/etc/libvirt/qemu/networks", 0o777)
        host.chmod("/etc/libvirt/libvirtd.conf", 0o666)
        let failures = host.run(check).filter { $0.id == "perm.libvirt-config" }
        #expect(Set(failures.compactMap(\.subject)) == ["/etc/libvirt/qemu/networks", "/etc/libvirt/libvirtd.conf"])
        #expect(failures.allSatisfy { $0.status == .fail })
    }

    @Test func worldReadablePasswordFails() {
        let host = debianHost()
        host.write("/etc/libvirt/qemu.conf", "vnc_password = \"hunter22\"\n", mode: 0o644)
        let finding = host.run(check).first("perm.libvirt-config", subject: "/etc/libvirt/qemu.conf")
        #expect(finding?.status == .fail)
        #expect(finding?.evidence.contains { $0.line == 1 && $0.value.contains("hidden") } == true)
        #expect(finding?.evidence.contains { $0.value.contains("hunter22") } == false)
        // The same file at 0600 is fine.
        host.chmod("/etc/libvirt/qemu.conf", 0o600)
        #expect(host.run(check).first("perm.libvirt-config")?.status == .pass)
    }

    @Test func privateKeysMustBeOwnerOnly() {
        let host = debianHost()
        host.write("/etc/pki/libvirt/private/serverkey.pem", "KEY", mode: 0o600)
        #expect(host.run(check).first("perm.tls-keys")?.status == .pass)
        host.chmod("/etc/pki/libvirt/private/serverkey.pem", 0o640)
        let finding = host.run(check).first("perm.tls-keys", subject: "/etc/pki/libvirt/private/serverkey.pem")
        #expect(finding?.status == .fail)
        #expect(finding?.severity == .high)
        host.chmod("/etc/pki/libvirt/private/serverkey.pem", 0o604)
        #expect(host.run(check).first("perm.tls-keys")?.detail.contains("world-readable") == true)
    }

    @Test func vncKeyMayBeReadableByQEMUsGroupOnly() throws {
        let host = debianHost()
        host.write("/etc/pki/libvirt-vnc/server-key.pem", "KEY", mode: 0o440)
        let key = host.physical("/etc/pki/libvirt-vnc/server-key.pem")
        // The test suite runs as root; chown to QEMU's group, then to another group.
        guard chown(key, 0, 64055) == 0 else { return }
        #expect(host.run(check).first("perm.tls-keys")?.status == .pass)
        #expect(chown(key, 0, 110) == 0)
        #expect(host.run(check).first("perm.tls-keys")?.status == .fail)
    }

    @Test func imagePermissions() {
        let host = debianHost()
        host.write("/var/lib/libvirt/images/web.qcow2", "QFI", mode: 0o600)
        #expect(host.run(check).first("perm.vm-images")?.status == .pass)
        host.chmod("/var/lib/libvirt/images/web.qcow2", 0o644)
        let readable = host.run(check).first("perm.vm-images", subject: "/var/lib/libvirt/images/web.qcow2")
        #expect(readable?.status == .fail)
        #expect(readable?.severity == .high)
        host.chmod("/var/lib/libvirt/images/web.qcow2", 0o666)
        #expect(host.run(check).first("perm.vm-images")?.severity == .critical)
        host.chmod("/var/lib/libvirt/images/web.qcow2", 0o600)
        host.chmod("/var/lib/libvirt/qemu", 0o755)
        let listable = host.run(check).first("perm.vm-images", subject: "/var/lib/libvirt/qemu")
        #expect(listable?.status == .fail)
        #expect(listable?.severity == .medium)
    }

    @Test func entriesBelowAnUnsearchableDirectoryAreOutOfReach() {
        // libvirt creates /var/lib/libvirt/qemu/save etc. 0755 inside a 0750 directory.
        let host = debianHost()
        host.mkdir("/var/lib/libvirt/qemu/save", mode: 0o755)
        host.write("/var/lib/libvirt/qemu/save/web.save", "RAM", mode: 0o644)
        host.mkdir("/etc/libvirt/secrets", mode: 0o700)
        host.write("/etc/libvirt/secrets/x.xml", "", mode: 0o666)
        let findings = host.run(check)
        #expect(findings.first("perm.vm-images")?.status == .pass)
        #expect(findings.first("perm.libvirt-config")?.status == .pass)
        host.chmod("/var/lib/libvirt/qemu", 0o751)
        #expect(host.run(check).first("perm.vm-images", subject: "/var/lib/libvirt/qemu/save")?.status == .fail)
    }

    @Test func imageSymlinkLoopIsSkippedNotFatal() {
        let host = debianHost()
        host.symlink("/var/lib/libvirt/images/loop.img", to: "/var/lib/libvirt/images/loop.img")
        #expect(host.run(check).first("perm.vm-images")?.status == .pass)
    }

    @Test func noLibvirtIsNotApplicable() {
        let findings = FixtureHost().run(check)
        #expect(findings.map(\.id) == ["perm.libvirt-config", "perm.tls-keys", "perm.vm-images"])
        #expect(findings.allSatisfy { $0.status == .notApplicable })
    }
}

@Suite("LibvirtGroupCheck")
struct LibvirtGroupCheckTests {
    let check = LibvirtGroupCheck()

    @Test func membersOfLibvirtAreListed() {
        let host = FixtureHost()
        host.write("/etc/passwd", "root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nsvc:x:1001:111::/:/bin/sh\n")
        host.write("/etc/group", "libvirt:x:111:alice\nlibvirt-qemu:x:64055:libvirt-qemu\n")
        let finding = host.run(check).first("libvirt.group-members")
        #expect(finding?.status == .warn)
        #expect(finding?.detail.contains("alice (libvirt)") == true)
        #expect(finding?.detail.contains("svc (libvirt)") == true)  // primary group counts
        #expect(finding?.detail.contains("libvirt-qemu (libvirt-qemu)") == false)
    }

    @Test func noMembersPasses() {
        let host = FixtureHost()
        host.write("/etc/passwd", "libvirt-qemu:x:64055:64055::/:/usr/sbin/nologin\n")
        host.write("/etc/group", "libvirt:x:111:\nlibvirt-qemu:x:64055:libvirt-qemu\n")
        #expect(host.run(check).first("libvirt.group-members")?.status == .pass)
    }

    @Test func otherMembersOfQEMUsGroupWarn() {
        let host = FixtureHost()
        host.write("/etc/group", "libvirt-qemu:x:64055:libvirt-qemu,bob\n")
        #expect(host.run(check).first("libvirt.group-members")?.detail.contains("bob (libvirt-qemu)") == true)
    }

    @Test func noGroupsIsNotApplicableAndGarbageIsTolerated() {
        let host = FixtureHost()
        host.write("/etc/group", bytes: [0xff, 0x3a, 0x3a, 0x0a, 0x00] + Array("x:y:notanumber:\n".utf8))
        #expect(host.run(check).first("libvirt.group-members")?.status == .notApplicable)
        let failing = FailingFileSystem(base: host.fs, failing: ["/etc/group": HyperwardError(.unreadable, "denied")])
        #expect(check.run(in: AuditContext(fs: failing)).first?.status == .error)
    }
}

@Suite("MACEnforcementCheck")
struct MACEnforcementCheckTests {
    let check = MACEnforcementCheck()

    func run(_ setup: (FixtureHost) -> Void) -> Finding? {
        let host = FixtureHost()
        setup(host)
        return host.run(check).first("mac.enforcement")
    }

    @Test func appArmorEnforcingLibvirtProfilesPasses() {
        let finding = run { host in
            host.write("/sys/module/apparmor/parameters/enabled", "Y\n")
            host.write("/sys/kernel/security/apparmor/profiles",
                       "virt-aa-helper (enforce)\nlibvirtd (enforce)\nlibvirtd//qemu_bridge_helper (enforce)\nlibvirt-4961af81 (enforce)\n")
        }
        #expect(finding?.status == .pass)
    }

    @Test func appArmorComplainModeWarns() {
        let finding = run { host in
            host.write("/sys/module/apparmor/parameters/enabled", "Y\n")
            host.write("/sys/kernel/security/apparmor/profiles", "/usr/sbin/libvirtd (complain)\nvirt-aa-helper (enforce)\n")
        }
        #expect(finding?.status == .warn)
        #expect(finding?.detail.contains("complain") == true)
    }

    @Test func appArmorWithoutLibvirtProfileWarns() {
        let finding = run { host in
            host.write("/sys/module/apparmor/parameters/enabled", "Y\n")
            host.write("/sys/kernel/security/apparmor/profiles", "man_filter (enforce)\n")
        }
        #expect(finding?.status == .warn)
    }

    @Test func seLinuxEnforcingPassesAndPermissiveWarns() {
        #expect(run { $0.write("/sys/fs/selinux/enforce", "1") }?.status == .pass)
        #expect(run { $0.write("/sys/fs/selinux/enforce", "0") }?.status == .warn)
    }

    @Test func neitherFailsHigh() {
        let finding = run { $0.write("/sys/module/apparmor/parameters/enabled", "N\n") }
        #expect(finding?.status == .fail)
        #expect(finding?.severity == .high)
    }

    @Test func unreadableProfileListWarns() {
        let host = FixtureHost()
        host.write("/sys/module/apparmor/parameters/enabled", "Y\n")
        host.fifo("/sys/kernel/security/apparmor/profiles")
        #expect(host.run(check).first?.status == .warn)
    }
}
