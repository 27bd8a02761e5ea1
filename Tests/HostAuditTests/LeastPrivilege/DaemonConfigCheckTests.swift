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
import Testing

@testable import HostAudit

@Suite("DaemonConfigCheck")
struct DaemonConfigCheckTests {
    let check = DaemonConfigCheck()
    static let libvirtd = "/etc/libvirt/libvirtd.conf"
    static let virtproxyd = "/etc/libvirt/virtproxyd.conf"
    static let wants = "/etc/systemd/system/sockets.target.wants"

    func run(_ text: String, file: String = libvirtd, setup: (FixtureHost) -> Void = { _ in }) -> [Finding] {
        let host = FixtureHost()
        host.write(file, text)
        setup(host)
        return host.run(check)
    }

    @Test func shippedDefaultsPass() {
        // Debian's file: everything commented out, polkit documented as the default.
        let findings = run("#unix_sock_group = \"libvirt\"\n#auth_unix_ro = \"polkit\"\n#auth_unix_rw = \"polkit\"\n")
        for id in ["libvirtd.conf.listen-tcp", "libvirtd.conf.tls-verify", "libvirtd.conf.unix-rw-perms",
                   "libvirtd.conf.auth-unix-rw", "libvirtd.conf.tcp-socket", "libvirtd.conf.syntax"] {
            #expect(findings.first(id)?.status == .pass, "\(id): \(findings.first(id)?.detail ?? "none")")
        }
        #expect(findings.first("libvirtd.conf.unix-ro-perms")?.status == .info)
        #expect(findings.first("libvirtd.conf.access-drivers")?.status == .info)
        #expect(findings.first("libvirtd.conf.unix-rw-perms")?.subject == Self.libvirtd)
        #expect(findings.first("libvirtd.conf.unix-rw-perms")?.evidence.first?.value.contains("default \"0777\"") == true)
    }

    @Test func unauthenticatedTCPFailsCritical() {
        let finding = run("listen_tcp = 1\nauth_tcp = \"none\"\n").first("libvirtd.conf.listen-tcp")
        #expect(finding?.status == .fail)
        #expect(finding?.severity == .critical)
        #expect(finding?.evidence.map(\.line) == [1, 2])
    }

    @Test func saslTCPWarns() {
        #expect(run("listen_tcp = 1\n").first("libvirtd.conf.listen-tcp")?.status == .warn)
        #expect(run("listen_tcp = 1\nauth_tcp = \"sasl\"\n").first("libvirtd.conf.listen-tcp")?.status == .warn)
    }

    @Test func virtproxydIsCheckedToo() {
        let findings = run("listen_tcp = 1\nauth_tcp = \"none\"\n", file: Self.virtproxyd)
        #expect(findings.first("libvirtd.conf.listen-tcp", subject: Self.virtproxyd)?.status == .fail)
    }

    @Test func unverifiedTLSClientsFail() {
        let open = run("tls_no_verify_certificate = 1\n").first("libvirtd.conf.tls-verify")
        #expect(open?.status == .fail)
        #expect(open?.severity == .critical)
        let withSASL = run("tls_no_verify_certificate = 1\nauth_tls = \"sasl\"\n").first("libvirtd.conf.tls-verify")
        #expect(withSASL?.status == .fail)
        #expect(withSASL?.severity == .high)
        #expect(run("tls_no_verify_certificate = 1\nlisten_tls = 0\n").first("libvirtd.conf.tls-verify")?.status == .pass)
    }

    @Test(arguments: [
        ("unix_sock_rw_perms = \"0777\"\nauth_unix_rw = \"none\"", Status.fail, Status.fail),
        ("unix_sock_rw_perms = \"0666\"\nauth_unix_rw = \"none\"", Status.fail, Status.fail),
        ("unix_sock_rw_perms = \"0770\"\nauth_unix_rw = \"none\"", Status.pass, Status.warn),
        ("unix_sock_rw_perms = \"0700\"\nauth_unix_rw = \"none\"", Status.pass, Status.pass),
        ("auth_unix_rw = \"none\"", Status.pass, Status.pass),  // default perms without polkit: 0700
        ("unix_sock_rw_perms = \"0777\"\nauth_unix_rw = \"sasl\"", Status.warn, Status.pass),
        ("unix_sock_rw_perms = \"0777\"\nauth_unix_rw = \"polkit\"", Status.pass, Status.pass),
        ("unix_sock_rw_perms = \"0770\"", Status.pass, Status.pass),
    ])
    func readWriteSocket(text: String, perms: Status, auth: Status) {
        let findings = run(text + "\n")
        #expect(findings.first("libvirtd.conf.unix-rw-perms")?.status == perms, "\(text)")
        #expect(findings.first("libvirtd.conf.auth-unix-rw")?.status == auth, "\(text)")
    }

    @Test func worldOpenSocketWithoutAuthIsCritical() {
        let finding = run("unix_sock_rw_perms = \"0777\"\nauth_unix_rw = \"none\"\n").first("libvirtd.conf.unix-rw-perms")
        #expect(finding?.severity == .critical)
    }

    @Test func badPermissionStringIsASyntaxProblem() {
        let findings = run("unix_sock_rw_perms = \"rwx\"\n")
        #expect(findings.first("libvirtd.conf.syntax")?.status == .warn)
        #expect(findings.first("libvirtd.conf.syntax")?.evidence.first?.line == 1)
    }

    @Test func accessDriversAreReported() {
        let finding = run("access_drivers = [ \"polkit\" ]\n").first("libvirtd.conf.access-drivers")
        #expect(finding?.status == .info)
        #expect(finding?.detail.contains("polkit") == true)
    }

    @Test func enabledTCPSocketUnitFollowsAuthTCP() {
        let none = run("auth_tcp = \"none\"\n") { host in
            host.symlink("\(Self.wants)/libvirtd-tcp.socket", to: "/lib/systemd/system/libvirtd-tcp.socket")
        }
        let finding = none.first("libvirtd.conf.tcp-socket")
        #expect(finding?.status == .fail)
        #expect(finding?.severity == .critical)
        #expect(finding?.subject == "\(Self.wants)/libvirtd-tcp.socket")

        let sasl = run("") { host in
            host.symlink("\(Self.wants)/virtproxyd-tcp.socket", to: "/lib/systemd/system/virtproxyd-tcp.socket")
        }
        #expect(sasl.first("libvirtd.conf.tcp-socket")?.status == .warn)
    }

    @Test func enabledTLSSocketFailsOnlyWithoutVerification() {
        let bad = run("tls_no_verify_certificate = 1\n") { host in
            host.symlink("\(Self.wants)/libvirtd-tls.socket", to: "/lib/systemd/system/libvirtd-tls.socket")
        }
        #expect(bad.first("libvirtd.conf.tcp-socket")?.status == .fail)
        let good = run("") { host in
            host.symlink("\(Self.wants)/libvirtd-tls.socket", to: "/lib/systemd/system/libvirtd-tls.socket")
        }
        #expect(good.first("libvirtd.conf.tcp-socket")?.status == .pass)
    }

    @Test func noDaemonConfigIsNotApplicable() {
        let findings = FixtureHost().run(check)
        #expect(findings.count == check.descriptors.count)
        #expect(findings.allSatisfy { $0.status == .notApplicable })
    }

    @Test func hostileFilesAreErrorsOrDiagnostics() {
        let host = FixtureHost()
        host.symlink(Self.libvirtd, to: Self.libvirtd)
        host.fifo(Self.virtproxyd)
        host.write("/etc/libvirt/virtqemud.conf", bytes: [0x00, 0xff, 0x5b, 0x0a, 0x3d, 0x22])
        let findings = host.run(check)
        #expect(findings.first("libvirtd.conf.syntax", subject: Self.libvirtd)?.status == .error)
        #expect(findings.first("libvirtd.conf.syntax", subject: Self.virtproxyd)?.status == .error)
        #expect(findings.first("libvirtd.conf.syntax", subject: "/etc/libvirt/virtqemud.conf")?.status == .warn)
    }

    @Test func unreadableFileIsAnError() {
        let host = FixtureHost()
        host.write(Self.libvirtd, "listen_tcp = 0\n")
        let failing = FailingFileSystem(base: host.fs, failing: [Self.libvirtd: HyperwardError(.unreadable, "permission denied")])
        let findings = check.run(in: AuditContext(fs: failing))
        #expect(findings.first("libvirtd.conf.listen-tcp")?.status == .error)
    }
}
