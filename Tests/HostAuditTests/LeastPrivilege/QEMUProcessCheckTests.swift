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

import HyperwardHost
import Foundation
import HyperwardCore
import Testing

@testable import HostAudit

/// A fake QEMU process under a fixture's `/proc`.
struct FakeQEMU {
    var pid = 1234
    var comm = "qemu-system-x86"
    var name: String? = "web1"
    var uid = "64055\t64055\t64055\t64055"
    var capEff = "0000000000000000"
    var seccomp: Int? = 2
    var noNewPrivs = 1
    var label: String? = "libvirt-4961af81-aa30-4517-b1d9-64ca2752ef61 (enforce)\n"
    var exe = "/usr/bin/qemu-system-x86_64"
    var maps = """
        55d0c0000000-55d0c0100000 r-xp 00000000 08:01 1234 /usr/bin/qemu-system-x86_64
        7f0000000000-7f0040000000 rw-s 00000000 00:01 99 /memfd:pc.ram (deleted)
        7f1000000000-7f1000100000 r-xp 00000000 08:01 555 /usr/lib/x86_64-linux-gnu/libc.so.6
        """

    func install(in host: FixtureHost) {
        let dir = "/proc/\(pid)"
        host.write("\(dir)/comm", comm + "\n")
        var args = ["/usr/bin/qemu-system-x86_64"]
        if let name { args += ["-name", "guest=\(name),debug-threads=on"] }
        args += ["-S", "-machine", "pc"]
        host.write("\(dir)/cmdline", bytes: args.flatMap { Array($0.utf8) + [0] })
        var status = "Name:\t\(comm)\nUmask:\t0007\nState:\tS (sleeping)\nUid:\t\(uid)\nGid:\t64055\t64055\t64055\t64055\n"
        status += "CapInh:\t0000000000000000\nCapPrm:\t\(capEff)\nCapEff:\t\(capEff)\nCapBnd:\t000001ffffffffff\n"
        status += "NoNewPrivs:\t\(noNewPrivs)\n"
        if let seccomp { status += "Seccomp:\t\(seccomp)\nSeccomp_filters:\t1\n" }
        host.write("\(dir)/status", status)
        if let label { host.write("\(dir)/attr/current", label) }
        host.write("\(dir)/maps", maps + "\n")
        host.symlink("\(dir)/exe", to: exe)
    }
}

@Suite("QEMUProcessCheck")
struct QEMUProcessCheckTests {
    let check = QEMUProcessCheck()

    func run(_ qemu: FakeQEMU, extra: (FixtureHost) -> Void = { _ in }) -> [Finding] {
        let host = FixtureHost()
        host.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nlibvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin\n")
        host.write("/sys/module/apparmor/parameters/enabled", "Y\n")
        qemu.install(in: host)
        extra(host)
        return host.run(check)
    }

    @Test func wellConfinedGuestPassesEveryCheck() {
        let findings = run(FakeQEMU())
        #expect(findings.count == 6)
        for finding in findings {
            #expect(finding.status == .pass, "\(finding.id): \(finding.detail)")
            #expect(finding.subject == "web1")
        }
        #expect(findings.first("qemu.process.uid")?.evidence.contains { $0.value.contains("64055 (libvirt-qemu)") } == true)
    }

    @Test func rootQEMUFailsCritical() {
        var qemu = FakeQEMU()
        qemu.uid = "0\t0\t0\t0"
        let finding = run(qemu).first("qemu.process.uid", subject: "web1")
        #expect(finding?.status == .fail)
        #expect(finding?.severity == .critical)
        #expect(finding?.evidence.contains { $0.value.contains("0 (root)") } == true)
    }

    @Test func effectiveRootAloneFails() {
        var qemu = FakeQEMU()
        qemu.uid = "64055\t0\t0\t0"
        #expect(run(qemu).first("qemu.process.uid")?.status == .fail)
    }

    @Test func savedOrFilesystemRootUidFails() {
        for uid in ["107\t107\t0\t107", "107\t107\t107\t0"] {
            var qemu = FakeQEMU()
            qemu.uid = uid
            let finding = run(qemu).first("qemu.process.uid")
            #expect(finding?.status == .fail, "\(uid)")
            #expect(finding?.detail.contains("regain") == true)
        }
    }

    @Test func unreadableLabelDoesNotHideAReplacedBinary() {
        var qemu = FakeQEMU()
        qemu.label = nil
        qemu.exe = "/usr/bin/qemu-system-x86_64 (deleted)"
        #expect(run(qemu).first("qemu.process.deleted-binary")?.status == .fail)
    }

    @Test func capabilitiesAreDecodedAndSysAdminIsCritical() {
        var qemu = FakeQEMU()
        qemu.capEff = "0000000000200000"  // bit 21
        let finding = run(qemu).first("qemu.process.capabilities")
        #expect(finding?.status == .fail)
        #expect(finding?.severity == .critical)
        #expect(finding?.detail.contains("CAP_SYS_ADMIN") == true)

        qemu.capEff = "0000000000000400"  // bit 10
        let minor = run(qemu).first("qemu.process.capabilities")
        #expect(minor?.status == .fail)
        #expect(minor?.severity == .high)
        #expect(minor?.evidence.contains { $0.value.contains("CAP_NET_BIND_SERVICE") } == true)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/capsh"), "needs capsh (libcap2-bin)"),
          arguments: ["0000000000200000", "000001fffeffffff", "0000000000003000", "a80425fb", "0000000000000001"])
    func capabilityNamesAgreeWithCapsh(mask: String) throws {
        let output = HostCommand.run(["/usr/sbin/capsh", "--decode=\(mask)"]).stdout
        // capsh prints `0x…=cap_chown,cap_dac_override,…`.
        let names = output.trimmingWhitespace().split(separator: "=").last.map { $0.split(separator: ",").map { $0.uppercased() } } ?? []
        let value = try #require(UInt64(mask, radix: 16))
        #expect(LinuxCapabilities.decode(value) == names)
    }

    @Test func seccompModes() {
        var qemu = FakeQEMU()
        qemu.seccomp = 0
        let off = run(qemu).first("qemu.process.seccomp")
        #expect(off?.status == .fail)
        #expect(off?.severity == .high)
        qemu.seccomp = nil
        #expect(run(qemu).first("qemu.process.seccomp")?.status == .warn)
    }

    @Test func missingNoNewPrivsWarns() {
        var qemu = FakeQEMU()
        qemu.noNewPrivs = 0
        #expect(run(qemu).first("qemu.process.nonewprivs")?.status == .warn)
    }

    @Test(arguments: [
        ("unconfined\n", Status.fail),
        ("", Status.fail),
        ("libvirt-4961af81-aa30-4517-b1d9-64ca2752ef61 (complain)\n", Status.warn),
        ("/usr/bin/qemu-system-x86_64 (enforce)\n", Status.warn),
        ("system_u:system_r:svirt_t:s0:c392,c662\0", Status.pass),
        ("system_u:system_r:svirt_tcg_t:s0:c1,c2", Status.pass),
        ("unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023", Status.fail),
        ("system_u:system_r:virtd_t:s0", Status.fail),
    ])
    func confinementFollowsTheLabel(label: String, expected: Status) {
        var qemu = FakeQEMU()
        qemu.label = label
        let finding = run(qemu).first("qemu.process.confinement")
        #expect(finding?.status == expected, "\(label): \(finding?.detail ?? "none")")
    }

    @Test func noLabelWithoutAnyLSMFails() {
        var qemu = FakeQEMU()
        qemu.label = nil
        let host = FixtureHost()
        qemu.install(in: host)
        // attr/current unreadable (the kernel's EINVAL without an LSM) and no MAC in sysfs.
        let failing = FailingFileSystem(base: host.fs, failing: [
            "/proc/1234/attr/current": HyperwardError(.unreadable, "/proc/1234/attr/current: Invalid argument"),
        ])
        let finding = check.run(in: AuditContext(fs: failing)).first("qemu.process.confinement")
        #expect(finding?.status == .fail)
        #expect(finding?.detail.contains("neither AppArmor nor SELinux") == true)
    }

    @Test func deletedExecutableFailsHigh() {
        var qemu = FakeQEMU()
        qemu.exe = "/usr/bin/qemu-system-x86_64 (deleted)"
        let finding = run(qemu).first("qemu.process.deleted-binary")
        #expect(finding?.status == .fail)
        #expect(finding?.severity == .high)
        #expect(finding?.detail.contains("restart the VM") == true)
    }

    @Test func deletedSharedLibraryFailsButMemfdRAMDoesNot() {
        var qemu = FakeQEMU()
        qemu.maps += "\n7f2000000000-7f2000100000 r-xp 00000000 08:01 777 /usr/lib/x86_64-linux-gnu/libspice-server.so.1.14.1 (deleted)"
        qemu.maps += "\n7f3000000000-7f3000100000 r--p 00000000 08:01 778 /usr/lib/x86_64-linux-gnu/libgnutls.so.30 (deleted)"
        qemu.maps += "\n7f4000000000-7f4000100000 rw-s 00000000 00:05 1 /dev/shm/guest-ram (deleted)"
        let finding = run(qemu).first("qemu.process.deleted-binary")
        #expect(finding?.status == .fail)
        #expect(finding?.detail.contains("2 deleted shared objects") == true)
        #expect(finding?.evidence.contains { $0.value.contains("libspice-server") } == true)
        #expect(finding?.evidence.contains { $0.value.contains("/dev/shm") } == false)
    }

    @Test func noQEMURunningIsNotApplicableForEveryID() {
        let host = FixtureHost()
        host.write("/proc/1/comm", "systemd\n").symlink("/proc/1/exe", to: "/usr/lib/systemd/systemd")
        host.write("/proc/42/comm", "bash\n")
        let findings = host.run(check)
        #expect(findings.map(\.id) == check.descriptors.map(\.id))
        #expect(findings.allSatisfy { $0.status == .notApplicable && $0.detail == "no QEMU process running" })
    }

    @Test func identifiesQEMUByExecutableWhenRenamed() {
        var qemu = FakeQEMU()
        qemu.comm = "CPU 0/KVM"
        qemu.exe = "/usr/libexec/qemu-kvm"
        #expect(run(qemu).first("qemu.process.uid")?.subject == "web1")
    }

    @Test func unnamedQEMUIsKeyedByPid() {
        var qemu = FakeQEMU()
        qemu.name = nil
        #expect(run(qemu).first("qemu.process.uid")?.subject == "pid 1234")
    }

    @Test(arguments: [
        (["qemu", "-name", "guest=a,,b,debug-threads=on"], "a,b"),
        (["qemu", "-name", "plain"], "plain"),
        (["qemu", "-name", "plain,process=x"], "plain"),
        (["qemu", "-name", "process=x,guest=g"], "g"),
        (["qemu", "-name"], nil),
        (["qemu"], nil),
    ] as [([String], String?)])
    func readsTheVMNameFromTheCommandLine(args: [String], expected: String?) {
        #expect(QEMUProcess.vmName(fromCommandLine: args.flatMap { Array($0.utf8) + [0] }) == expected)
    }

    @Test func processVanishingMidScanIsSkipped() {
        let host = FixtureHost()
        FakeQEMU().install(in: host)
        var other = FakeQEMU()
        other.pid = 2000
        other.name = "gone"
        other.install(in: host)
        let failing = FailingFileSystem(base: host.fs, failing: [
            "/proc/2000/status": HyperwardError(.notFound, "/proc/2000/status: no such file or directory"),
        ])
        let findings = check.run(in: AuditContext(fs: failing))
        #expect(!findings.contains { $0.subject == "gone" })
        #expect(findings.contains { $0.subject == "web1" })
        #expect(!findings.contains { $0.status == .error })
    }

    @Test func unreadableStatusIsAnErrorNotACrash() {
        let host = FixtureHost()
        FakeQEMU().install(in: host)
        let failing = FailingFileSystem(base: host.fs, failing: [
            "/proc/1234/status": HyperwardError(.unreadable, "/proc/1234/status: permission denied"),
        ])
        let findings = check.run(in: AuditContext(fs: failing))
        #expect(findings.first("qemu.process.uid")?.status == .error)
        #expect(findings.first("qemu.process.seccomp")?.status == .error)
    }

    @Test func unlistableProcIsAnErrorPerID() {
        let host = FixtureHost()
        let failing = FailingFileSystem(base: host.fs, failing: ["/proc": HyperwardError(.unreadable, "/proc: permission denied")])
        let findings = check.run(in: AuditContext(fs: failing))
        #expect(findings.count == 6)
        #expect(findings.allSatisfy { $0.status == .error })
    }

    @Test func hostileProcFilesDoNotCrash() {
        var qemu = FakeQEMU()
        qemu.uid = "\u{0}\u{1}garbage"
        qemu.capEff = "zzzz"
        qemu.maps = String(repeating: "x", count: 100_000)
        let host = FixtureHost()
        qemu.install(in: host)
        host.write("/proc/1234/attr/current", bytes: [0xff, 0xfe, 0x00, 0x28, 0x29])
        let findings = host.run(check)
        #expect(findings.first("qemu.process.uid")?.status == .error)
        #expect(findings.first("qemu.process.capabilities")?.status == .error)
        #expect(findings.count == 6)
    }
}
