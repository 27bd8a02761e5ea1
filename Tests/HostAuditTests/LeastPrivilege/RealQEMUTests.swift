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

/// The least-privilege checks against a real libvirt-managed QEMU guest on this machine.
///
/// Runs when the suite runs as root with `virsh` installed and libvirt usable (the daemons are
/// started if they are not running). With `HYPERWARD_REQUIRE_LIBVIRT=1` (CI) it always runs and
/// fails loudly if libvirt cannot be used, so a broken environment cannot pass as a skip.
@Suite("RealQEMU", .serialized)
struct RealQEMUTests {
    static let connection = "qemu:///system"
    static let virsh = "/usr/bin/virsh"

    static var isRequired: Bool { ProcessInfo.processInfo.environment["HYPERWARD_REQUIRE_LIBVIRT"] == "1" }
    static var isRootWithVirsh: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: virsh) }

    /// Whether libvirt answers, after starting `virtlogd` and `libvirtd` if needed; evaluated once.
    static let libvirtStatus: (ready: Bool, note: String) = ensureLibvirt()
    static var shouldRun: Bool { isRequired || (isRootWithVirsh && libvirtStatus.ready) }

    /// Runs a command to completion and returns its exit status and output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let result = HostCommand.run([executable] + arguments)
        return (result.status == 127 && result.stdout.isEmpty ? -1 : result.status, result.stdout + result.stderr)
    }

    static func libvirtAnswers() -> Bool {
        run(virsh, ["-c", connection, "version"]).status == 0
    }

    static func ensureLibvirt() -> (ready: Bool, note: String) {
        guard isRootWithVirsh else { return (false, "not root, or \(virsh) is missing") }
        if libvirtAnswers() { return (true, "libvirt was already running") }
        // Daemonised (-d) they outlive the test run, as the system's own would.
        HostCommand.startDaemon(["/usr/sbin/virtlogd", "-d"])
        let started = HostCommand.startDaemon(["/usr/sbin/libvirtd", "-d"])
        for _ in 0..<40 {
            if libvirtAnswers() { return (true, "started virtlogd and libvirtd") }
            Thread.sleep(forTimeInterval: 0.5)
        }
        return (false, "libvirtd does not answer on \(connection) after starting it (libvirtd -d exited with \(started))")
    }

    /// The newest `prefix*` file in /boot, by version order.
    static func newest(_ prefix: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []
        return names.filter { $0.hasPrefix(prefix) }
            .max { $0.compare($1, options: .numeric) == .orderedAscending }
            .map { "/boot/\($0)" }
    }

    static func domainXML(name: String, kernel: String, initrd: String) -> String {
        """
        <domain type='qemu'>
          <name>\(name)</name>
          <memory unit='MiB'>1024</memory>
          <vcpu>1</vcpu>
          <os>
            <type arch='x86_64' machine='pc'>hvm</type>
            <kernel>\(kernel)</kernel>
            <initrd>\(initrd)</initrd>
            <cmdline>console=ttyS0 quiet rdinit=/bin/sh -- -c "while true; do sleep 3600; done"</cmdline>
          </os>
          <on_poweroff>destroy</on_poweroff>
          <devices>
            <serial type='pty'/>
            <console type='pty'/>
          </devices>
        </domain>
        """
    }

    static func seconds(_ duration: Duration) -> String {
        let c = duration.components
        return String(format: "%.2f s", Double(c.seconds) + Double(c.attoseconds) / 1e18)
    }

    @Test(.enabled(if: shouldRun, "needs root, virsh and a usable libvirt (set HYPERWARD_REQUIRE_LIBVIRT=1 to require it)"),
          .timeLimit(.minutes(5)))
    func auditsARealGuestAsUnprivilegedAndSandboxed() throws {
        let clock = ContinuousClock()
        try #require(Self.isRootWithVirsh, "HYPERWARD_REQUIRE_LIBVIRT=1 but the suite is not root or virsh is missing")
        try #require(Self.libvirtStatus.ready, "HYPERWARD_REQUIRE_LIBVIRT=1 but libvirt is unusable: \(Self.libvirtStatus.note)")
        let kernel = try #require(Self.newest("vmlinuz-"), "no /boot/vmlinuz-* (install a linux-image package)")
        let version = kernel.dropFirst("/boot/vmlinuz-".count)
        let initrd = try #require(
            FileManager.default.fileExists(atPath: "/boot/initrd.img-\(version)") ? "/boot/initrd.img-\(version)" : Self.newest("initrd.img-"),
            "no /boot/initrd.img-*")

        // The oracle: the system's own idea of libvirt-qemu's uid.
        let idResult = Self.run("/usr/bin/id", ["-u", "libvirt-qemu"])
        let qemuUID = try #require(UInt32(idResult.output.trimmingWhitespace()), "id -u libvirt-qemu: \(idResult.output)")

        let name = "hyperward-audit-test-\(UUID().uuidString.prefix(8).lowercased())"
        let xmlPath = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).xml").path
        try Self.domainXML(name: name, kernel: kernel, initrd: initrd).write(toFile: xmlPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: xmlPath) }

        let createStart = clock.now
        let created = Self.run(Self.virsh, ["-c", Self.connection, "create", xmlPath])
        defer {
            // A transient guest disappears once destroyed; always do it, whatever failed above.
            let destroyStart = clock.now
            let destroyed = Self.run(Self.virsh, ["-c", Self.connection, "destroy", name])
            print("RealQEMU: virsh destroy \(name): exit \(destroyed.status) in \(Self.seconds(clock.now - destroyStart))")
        }
        try #require(created.status == 0, "virsh create failed: \(created.output)")
        print("RealQEMU: \(Self.libvirtStatus.note); virsh create took \(Self.seconds(clock.now - createStart))")

        let fs = RootedFileSystem(root: "/")
        let waitStart = clock.now
        var process: QEMUProcess?
        for _ in 0..<100 {
            process = (try? QEMUProcess.discover(in: fs))?.first { $0.vmName == name }
            if process != nil { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let qemu = try #require(process, "no QEMU process with -name guest=\(name) appeared")
        print("RealQEMU: found QEMU pid \(qemu.pid) (\(qemu.command)) after \(Self.seconds(clock.now - waitStart))")

        let auditStart = clock.now
        let context = AuditContext(fs: fs)
        let processFindings = QEMUProcessCheck().run(in: context)
        let configFindings = QEMUConfigCheck().run(in: context)
        print("RealQEMU: checks ran in \(Self.seconds(clock.now - auditStart))")
        for finding in processFindings where finding.subject == name {
            print("RealQEMU:   \(finding.id) [\(finding.subject ?? "")] \(finding.status.rawValue): \(finding.detail)")
        }

        let uid = try #require(processFindings.first("qemu.process.uid", subject: name))
        #expect(uid.status == .pass, "\(uid.detail)")
        #expect(uid.evidence.contains { $0.path == "/proc/\(qemu.pid)/status" && $0.value.contains("effective \(qemuUID) (libvirt-qemu)") },
                "\(uid.evidence)")

        let seccomp = try #require(processFindings.first("qemu.process.seccomp", subject: name))
        #expect(seccomp.status == .pass, "\(seccomp.detail)")
        #expect(seccomp.evidence.contains { $0.value == "Seccomp: 2" })

        let capabilities = try #require(processFindings.first("qemu.process.capabilities", subject: name))
        #expect(capabilities.status == .pass, "\(capabilities.detail)")
        #expect(processFindings.first("qemu.process.deleted-binary", subject: name)?.status == .pass)

        // qemu.conf: every id reported from the real file, none failed to run.
        #expect(configFindings.map(\.id) == QEMUConfigCheck().descriptors.map(\.id))
        for finding in configFindings {
            #expect(finding.status != .error, "\(finding.id): \(finding.detail)")
            #expect(finding.evidence.allSatisfy { $0.path == QEMUConfigCheck.path || !$0.path.hasPrefix("/etc/libvirt/qemu") },
                    "\(finding.id)")
        }
        // The process runs as libvirt-qemu, so the file (by setting or documented default) must say so too.
        let user = try #require(configFindings.first("qemu.conf.user"))
        #expect(user.status == .pass)
        #expect(user.evidence.contains { $0.path == QEMUConfigCheck.path && $0.value.contains("libvirt-qemu") })
    }
}
