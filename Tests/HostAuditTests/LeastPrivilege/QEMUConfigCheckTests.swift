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

@Suite("QEMUConfigCheck")
struct QEMUConfigCheckTests {
    let check = QEMUConfigCheck()
    static let path = "/etc/libvirt/qemu.conf"
    /// What Debian ships: every setting commented out, the build's user and group documented.
    static let shippedDefaults = """
        # Some examples of valid values are:
        #
        #       user = "qemu"   # A user named "qemu"
        #       user = "+0"     # Super user (uid=0)
        #
        #user = "libvirt-qemu"

        # The group for QEMU processes run by the system instance.
        #group = "libvirt-qemu"
        #seccomp_sandbox = 1

        """

    func run(_ text: String, setup: (FixtureHost) -> Void = { _ in }) -> [Finding] {
        let host = FixtureHost()
        host.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\nlibvirt-qemu:x:64055:64055::/:/usr/sbin/nologin\n")
        host.write("/etc/group", "root:x:0:\nwheel:x:0:\nlibvirt-qemu:x:64055:libvirt-qemu\n")
        host.write(Self.path, text)
        setup(host)
        return host.run(check)
    }

    @Test func shippedFilePassesWithDefaultsStatedInEvidence() {
        let findings = run(Self.shippedDefaults)
        #expect(findings.map(\.id) == check.descriptors.map(\.id))
        for finding in findings where finding.id != "qemu.conf.migrate-tls-force" {
            #expect(finding.status == .pass, "\(finding.id): \(finding.detail)")
        }
        #expect(findings.first("qemu.conf.migrate-tls-force")?.status == .info)
        let user = findings.first("qemu.conf.user")
        #expect(user?.evidence.first?.value.contains("default \"libvirt-qemu\"") == true)
        #expect(findings.first("qemu.conf.seccomp-sandbox")?.evidence.first?.value.contains("default 1") == true)
    }

    @Test(arguments: ["root", "+0", "0", "toor"])
    func rootUserFailsCritical(user: String) {
        let finding = run("user = \"\(user)\"\n").first("qemu.conf.user")
        #expect(finding?.status == .fail)
        #expect(finding?.severity == .critical)
        #expect(finding?.evidence.first?.line == 1)
    }

    @Test func unprivilegedUserAndGroupPass() {
        let findings = run("user = \"libvirt-qemu\"\ngroup = \"libvirt-qemu\"\n")
        #expect(findings.first("qemu.conf.user")?.status == .pass)
        #expect(findings.first("qemu.conf.group")?.status == .pass)
    }

    @Test(arguments: ["root", "wheel", "+0"])
    func rootGroupFails(group: String) {
        #expect(run("group = \"\(group)\"\n").first("qemu.conf.group")?.status == .fail)
    }

    @Test func unsetUserWithoutDocumentedDefaultWarns() {
        #expect(run("").first("qemu.conf.user")?.status == .warn)
    }

    @Test func documentedRootDefaultFails() {
        #expect(run("#user = \"root\"\n").first("qemu.conf.user")?.status == .fail)
    }

    @Test(arguments: [
        ("dynamic_ownership = 0", "qemu.conf.dynamic-ownership", Status.warn),
        ("dynamic_ownership = 1", "qemu.conf.dynamic-ownership", Status.pass),
        ("security_driver = \"none\"", "qemu.conf.security-driver", Status.fail),
        ("security_driver = [ \"selinux\", \"none\" ]", "qemu.conf.security-driver", Status.fail),
        ("security_driver = \"apparmor\"", "qemu.conf.security-driver", Status.pass),
        ("security_default_confined = 0", "qemu.conf.security-default-confined", Status.fail),
        ("security_default_confined = 1", "qemu.conf.security-default-confined", Status.pass),
        ("seccomp_sandbox = 0", "qemu.conf.seccomp-sandbox", Status.fail),
        ("seccomp_sandbox = 1", "qemu.conf.seccomp-sandbox", Status.pass),
        ("namespaces = []", "qemu.conf.namespaces", Status.warn),
        ("namespaces = [ \"mount\" ]", "qemu.conf.namespaces", Status.pass),
        ("stdio_handler = \"file\"", "qemu.conf.stdio-handler", Status.warn),
        ("stdio_handler = \"logd\"", "qemu.conf.stdio-handler", Status.pass),
        ("relaxed_acs_check = 1", "qemu.conf.relaxed-acs-check", Status.warn),
        ("relaxed_acs_check = 0", "qemu.conf.relaxed-acs-check", Status.pass),
        ("migrate_tls_force = 1", "qemu.conf.migrate-tls-force", Status.pass),
        ("migrate_tls_force = 0", "qemu.conf.migrate-tls-force", Status.info),
        ("migrate_tls_force = 0\nmigration_address = \"0.0.0.0\"", "qemu.conf.migrate-tls-force", Status.warn),
    ])
    func settingDecidesTheOutcome(line: String, id: String, expected: Status) {
        let finding = run(line + "\n").first(id)
        #expect(finding?.status == expected, "\(line): \(finding?.detail ?? "none")")
        #expect(finding?.evidence.first?.line == 1 || expected == .info)
    }

    @Test(arguments: [
        ("vnc_listen = \"0.0.0.0\"", Status.fail),
        ("vnc_listen = \"::\"", Status.fail),
        ("vnc_listen = \"192.0.2.10\"", Status.fail),
        ("vnc_listen = \"127.0.0.1\"", Status.pass),
        ("vnc_listen = \"::1\"", Status.pass),
        ("vnc_listen = \"0.0.0.0\"\nvnc_auto_unix_socket = 1", Status.pass),
        ("vnc_listen = \"0.0.0.0\"\nvnc_tls = 1", Status.pass),
        ("vnc_listen = \"0.0.0.0\"\nvnc_tls = 1\nvnc_tls_x509_verify = 0", Status.fail),
        ("vnc_listen = \"0.0.0.0\"\nvnc_password = \"XYZ12345\"", Status.warn),
        ("vnc_listen = \"0.0.0.0\"\nvnc_sasl = 1", Status.warn),
        ("", Status.pass),
    ])
    func vncExposure(text: String, expected: Status) {
        let finding = run(text + "\n").first("qemu.conf.vnc-listen")
        #expect(finding?.status == expected, "\(text): \(finding?.detail ?? "none")")
    }

    @Test(arguments: [
        ("spice_listen = \"0.0.0.0\"", Status.fail),
        ("spice_listen = \"0.0.0.0\"\nspice_password = \"p\"", Status.warn),
        ("spice_listen = \"0.0.0.0\"\nspice_tls = 1\nspice_password = \"p\"", Status.pass),
        ("spice_listen = \"0.0.0.0\"\nspice_auto_unix_socket = 1", Status.pass),
        ("spice_listen = \"127.0.0.1\"", Status.pass),
    ])
    func spiceExposure(text: String, expected: Status) {
        #expect(run(text + "\n").first("qemu.conf.spice-listen")?.status == expected)
    }

    @Test func passwordsNeverReachTheReport() throws {
        let findings = run("vnc_listen = \"0.0.0.0\"\nvnc_password = \"s3cr3t-value\"\n")
        let json = String(decoding: try JSONEncoder().encode(findings), as: UTF8.self)
        #expect(!json.contains("s3cr3t-value"))
    }

    @Test func migrationWarnsWhenTheDaemonListensRemotely() {
        let findings = run("") { host in
            host.symlink("/etc/systemd/system/sockets.target.wants/libvirtd-tls.socket", to: "/lib/systemd/system/libvirtd-tls.socket")
        }
        let finding = findings.first("qemu.conf.migrate-tls-force")
        #expect(finding?.status == .warn)
        #expect(finding?.evidence.contains { $0.value.contains("libvirtd-tls.socket") } == true)
    }

    @Test func migrationWarnsWhenLibvirtdRunsWithListen() {
        let listening = run("") { $0.write("/etc/default/libvirtd", "# LIBVIRTD_ARGS=\"--listen\"\nLIBVIRTD_ARGS=\"--listen\"\n") }
        let finding = listening.first("qemu.conf.migrate-tls-force")
        #expect(finding?.status == .warn)
        #expect(finding?.evidence.contains { $0.path == "/etc/default/libvirtd" && $0.line == 2 } == true)
        let commented = run("") { $0.write("/etc/default/libvirtd", "# LIBVIRTD_ARGS=\"--listen\"\n") }
        #expect(commented.first("qemu.conf.migrate-tls-force")?.status == .info)
    }

    @Test func malformedLinesAreReportedWithFileAndLine() {
        let findings = run("user = \"libvirt-qemu\"\nthis is not valid\nseccomp_sandbox = \"0\"\n")
        let syntax = findings.first("qemu.conf.syntax")
        #expect(syntax?.status == .warn)
        #expect(syntax?.evidence.contains { $0.path == Self.path && $0.line == 2 } == true)
        #expect(syntax?.evidence.contains { $0.line == 3 && $0.value.contains("seccomp_sandbox") } == true)
        #expect(findings.first("qemu.conf.seccomp-sandbox")?.status == .warn)
        #expect(findings.first("qemu.conf.user")?.status == .pass)
    }

    @Test func missingFileIsNotApplicableForEveryID() {
        let host = FixtureHost()
        let findings = host.run(check)
        #expect(findings.count == check.descriptors.count)
        #expect(findings.allSatisfy { $0.status == .notApplicable })
    }

    // MARK: Hostile input

    @Test func binaryGarbageIsDiagnosedNotCrashed() {
        var generator = SeededGenerator(seed: 7)
        let host = FixtureHost()
        host.write(Self.path, bytes: (0..<65536).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        let findings = host.run(check)
        #expect(findings.count == check.descriptors.count)
        #expect(findings.first("qemu.conf.syntax")?.status == .warn)
    }

    @Test func nulBytesAndUnterminatedListAreDiagnosed() {
        let host = FixtureHost()
        host.write(Self.path, bytes: Array("user = \"qe".utf8) + [0] + Array("mu\"\nnamespaces = [ \"mount\",\n".utf8))
        let syntax = host.run(check).first("qemu.conf.syntax")
        #expect(syntax?.status == .warn)
        #expect(syntax?.evidence.contains { $0.value.contains("NUL") } == true)
        #expect(syntax?.evidence.contains { $0.value.contains("not closed") } == true)
    }

    @Test func fiveMebibyteFileIsAnErrorForEveryID() {
        let host = FixtureHost()
        host.write(Self.path, bytes: Array(repeating: UInt8(ascii: "#"), count: 5 << 20))
        let findings = host.run(check)
        #expect(findings.count == check.descriptors.count)
        #expect(findings.allSatisfy { $0.status == .error && $0.detail.contains("limit") })
    }

    @Test func fifoIsAnErrorAndDoesNotHang() {
        let host = FixtureHost()
        host.fifo(Self.path)
        let findings = host.run(check)
        #expect(findings.allSatisfy { $0.status == .error })
        #expect(findings.first?.evidence.first?.value == HyperwardError.Code.notRegularFile.name)
    }

    @Test func symlinkLoopIsAnError() {
        let host = FixtureHost()
        host.symlink(Self.path, to: Self.path)
        let findings = host.run(check)
        #expect(findings.allSatisfy { $0.status == .error })
        #expect(findings.first?.evidence.first?.value == HyperwardError.Code.symlinkLoop.name)
    }

    @Test func unreadableFileIsAnError() {
        let host = FixtureHost()
        host.write(Self.path, Self.shippedDefaults)
        let failing = FailingFileSystem(base: host.fs, failing: [Self.path: HyperwardError(.unreadable, "\(Self.path): permission denied")])
        let findings = check.run(in: AuditContext(fs: failing))
        #expect(findings.allSatisfy { $0.status == .error && $0.detail.contains("permission denied") })
    }
}
