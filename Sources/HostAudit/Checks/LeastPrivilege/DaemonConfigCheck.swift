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

/// Who may talk to the libvirt daemons: remote listeners and their authentication, the UNIX
/// socket permissions, and access control drivers, in `libvirtd.conf`, `virtproxyd.conf` and
/// `virtqemud.conf` (findings per file), plus the systemd socket units that open TCP/TLS ports.
public struct DaemonConfigCheck: Check {
    /// Creates the check.
    public init() {}

    /// The daemon configuration files checked, with whether they can open remote listeners.
    static let files: [(path: String, remote: Bool)] = [
        ("/etc/libvirt/libvirtd.conf", true),
        ("/etc/libvirt/virtproxyd.conf", true),
        ("/etc/libvirt/virtqemud.conf", false),
    ]
    static let allPaths = files.map(\.path)
    static let remoteDocs = "https://libvirt.org/remote.html"
    static let authDocs = "https://libvirt.org/auth.html"
    static let restart = " Restart the daemon (or its sockets) afterwards."

    static let listenTCP = CheckDescriptor(
        id: "libvirtd.conf.listen-tcp", title: "No unauthenticated TCP listener", threat: .hypervisorVulnerability,
        severity: .critical, reads: ["/etc/libvirt/libvirtd.conf", "/etc/libvirt/virtproxyd.conf"],
        failsWhen: "`listen_tcp = 1` with `auth_tcp = \"none\"` (fail, critical); with SASL or another auth it warns.",
        rationale: "The libvirt API is root on the host: a TCP listener without authentication hands every guest and "
            + "the host to anyone who can reach the port; even with SASL the traffic is unencrypted unless GSSAPI is used.",
        remediation: "Set `listen_tcp = 0` and use TLS (`listen_tls = 1` with client certificates) or SSH "
            + "(`qemu+ssh://`) for remote management." + restart,
        references: [remoteDocs, authDocs + "#server-configuration"])
    static let tlsVerify = CheckDescriptor(
        id: "libvirtd.conf.tls-verify", title: "TLS clients must present a valid certificate", threat: .hypervisorVulnerability,
        severity: .high, reads: ["/etc/libvirt/libvirtd.conf", "/etc/libvirt/virtproxyd.conf"],
        failsWhen: "`tls_no_verify_certificate = 1` while TLS listening is on (`listen_tls` is not 0); critical when "
            + "`auth_tls` is also `none` (the default).",
        rationale: "With verification off any client completes the TLS handshake; with `auth_tls = \"none\"` the client "
            + "certificate was the only authentication.",
        remediation: "Remove `tls_no_verify_certificate` (default 0) and issue client certificates; restrict them with "
            + "`tls_allowed_dn_list`." + restart,
        references: ["https://libvirt.org/kbase/tlscerts.html", remoteDocs])
    static let unixRWPerms = CheckDescriptor(
        id: "libvirtd.conf.unix-rw-perms", title: "The read-write UNIX socket is not open to everyone unauthenticated",
        threat: .hypervisorVulnerability, severity: .critical, reads: allPaths,
        failsWhen: "`unix_sock_rw_perms` grants world access (any of the last octal digit) while `auth_unix_rw` is "
            + "`none` (fail, critical); with SASL it warns; with polkit (libvirt's default, whose socket mode is 0777) it passes.",
        rationale: "The read-write socket is full control of every guest and, through them, of the host; only an "
            + "authorization layer (polkit, SASL) makes world access safe.",
        remediation: "Set `unix_sock_rw_perms = \"0770\"` with `unix_sock_group`, or keep `auth_unix_rw = \"polkit\"`." + restart,
        references: [authDocs + "#unix-socket-permissions-group", authDocs + "#unix-socket-policykit-auth"])
    static let authUnixRW = CheckDescriptor(
        id: "libvirtd.conf.auth-unix-rw", title: "Read-write socket connections are authorized",
        threat: .hypervisorVulnerability, severity: .critical, reads: allPaths,
        failsWhen: "`auth_unix_rw = \"none\"` with a world-accessible socket (fail, critical) or a group-accessible "
            + "socket (warn: every member of `unix_sock_group` is root-equivalent).",
        rationale: "With `none` the socket's file mode is the only gate in front of root-equivalent control.",
        remediation: "Use `auth_unix_rw = \"polkit\"` (the default) or restrict `unix_sock_rw_perms` to `0700`." + restart,
        references: [authDocs])
    static let unixROPerms = CheckDescriptor(
        id: "libvirtd.conf.unix-ro-perms", title: "Read-only socket permissions", threat: .hypervisorVulnerability,
        severity: .info, reads: allPaths,
        failsWhen: "Never fails: reports who can use the read-only socket (world access is libvirt's design).",
        rationale: "The read-only socket lets local users list guests and read their XML, which may reveal paths and "
            + "network layout but grants no control.",
        remediation: "Set `unix_sock_ro_perms = \"0770\"` if guest metadata is sensitive on this host.",
        references: [authDocs + "#unix-socket-permissions-group"])
    static let accessDrivers = CheckDescriptor(
        id: "libvirtd.conf.access-drivers", title: "Fine-grained API access control", threat: .hypervisorVulnerability,
        severity: .info, reads: allPaths,
        failsWhen: "Never fails: reports whether `access_drivers` (polkit ACLs per API call and object) is set.",
        rationale: "Without access drivers any authenticated client may do anything; `access_drivers = [ \"polkit\" ]` "
            + "allows per-VM, per-operation rules.",
        remediation: "Set `access_drivers = [ \"polkit\" ]` and write polkit rules if users should manage only some guests.",
        references: ["https://libvirt.org/acl.html"])
    static let tcpSocket = CheckDescriptor(
        id: "libvirtd.conf.tcp-socket", title: "Socket-activated remote listeners are authenticated",
        threat: .hypervisorVulnerability, severity: .critical,
        reads: RemoteAccess.knownSocketUnits.map(\.path) + ["/etc/libvirt/libvirtd.conf", "/etc/libvirt/virtproxyd.conf"],
        failsWhen: "`libvirtd-tcp.socket` or `virtproxyd-tcp.socket` is enabled and the daemon's `auth_tcp` is `none` "
            + "(fail, critical) or SASL (warn); a `*-tls.socket` with `tls_no_verify_certificate = 1` fails.",
        rationale: "With socket activation (libvirt ≥ 5.6) enabling the unit, not `listen_tcp`, opens the port.",
        remediation: "Disable the TCP socket (`systemctl disable --now libvirtd-tcp.socket`) and use TLS or SSH.",
        references: ["https://libvirt.org/daemons.html#daemon-listening-sockets-and-systemd", remoteDocs])
    static let syntax = CheckDescriptor(
        id: "libvirtd.conf.syntax", title: "Daemon configuration is well-formed", threat: .hypervisorVulnerability,
        severity: .medium, reads: allPaths,
        failsWhen: "A line is malformed, a setting is duplicated, or a value has a type libvirt rejects (warn, file:line).",
        rationale: "The daemon refuses to start with a file it cannot parse and ignores duplicates after the first.",
        remediation: "Fix the lines listed, then restart the daemon and confirm it starts.",
        references: [remoteDocs])

    /// The ids of this check, in report order.
    public var descriptors: [CheckDescriptor] {
        [Self.listenTCP, Self.tlsVerify, Self.unixRWPerms, Self.authUnixRW, Self.unixROPerms, Self.accessDrivers,
         Self.tcpSocket, Self.syntax]
    }

    /// Runs the check; never throws: unreadable input becomes `error` findings.
    public func run(in context: AuditContext) -> [Finding] {
        var byID: [String: [Finding]] = [:]
        var anyFile = false
        for (path, remote) in Self.files {
            switch LibvirtConfig.loadForCheck(path, from: context.fs) {
            case .missing:
                continue
            case .failed(let error):
                anyFile = true
                let ids = remote ? descriptors : [Self.unixRWPerms, Self.authUnixRW, Self.unixROPerms, Self.accessDrivers, Self.syntax]
                for d in ids where d.id != Self.tcpSocket.id {
                    byID[d.id, default: []].append(d.error(error, path: path, subject: path))
                }
            case .parsed(let config, let bytes):
                anyFile = true
                for finding in inspect(config, bytes: bytes, remote: remote) { byID[finding.id, default: []].append(finding) }
            }
        }
        let sockets = socketFindings(fs: context.fs)
        if !anyFile && sockets.isEmpty {
            return descriptors.map {
                $0.finding(.notApplicable, "no libvirt daemon configuration: the libvirt daemons are not installed",
                           evidence: Self.allPaths.map { Evidence(path: $0, value: "not found") })
            }
        }
        byID[Self.tcpSocket.id] = sockets.isEmpty
            ? [Self.tcpSocket.finding(.pass, "no libvirt TCP or TLS socket unit is enabled",
                                      evidence: [Evidence(path: RemoteAccess.socketsDirectory, value: "no *-tcp.socket or *-tls.socket")])]
            : sockets
        return descriptors.flatMap { byID[$0.id] ?? [] }
    }

    /// An authentication setting: the file's value, else the default the file documents, else `fallback`.
    static func auth(_ config: LibvirtConfig, _ key: String, bytes: [UInt8], fallback: String,
                     typeProblems: inout [Evidence]) -> (value: String, evidence: Evidence) {
        switch config.string(key) {
        case .value(let v, _):
            return (v, config.evidence(key, default: ""))
        case .invalid(let value, let line):
            typeProblems.append(QEMUConfigCheck.typeProblem(config, key, expected: "a string", value: value, line: line))
            return (fallback, config.evidence(key, default: ""))
        case .absent:
            if case .string(let documented)? = LibvirtConfig.commentedDefault(key, in: bytes) {
                return (documented, Evidence(path: config.file, value: "\(key) not set: default \"\(documented)\" (documented in the file)"))
            }
            return (fallback, config.evidence(key, default: "\"\(fallback)\""))
        }
    }

    /// A socket permission string (`"0770"`) as a mode, as libvirt parses it (octal).
    static func perms(_ config: LibvirtConfig, _ key: String, default defaultValue: UInt32,
                      typeProblems: inout [Evidence]) -> (mode: UInt32, evidence: Evidence) {
        let shownDefault = "\"0" + String(defaultValue, radix: 8) + "\""
        switch config.string(key) {
        case .value(let text, let line):
            if let mode = UInt32(text, radix: 8), mode <= 0o7777 {
                return (mode, config.evidence(key, default: shownDefault))
            }
            typeProblems.append(Evidence(path: config.file, value: "'\(key)' must be an octal mode such as \"0770\", not \"\(text)\": "
                                         + "libvirt rejects the file", line: line))
            return (defaultValue, config.evidence(key, default: shownDefault))
        case .invalid(let value, let line):
            typeProblems.append(QEMUConfigCheck.typeProblem(config, key, expected: "a string", value: value, line: line))
            return (defaultValue, config.evidence(key, default: shownDefault))
        case .absent:
            return (defaultValue, config.evidence(key, default: shownDefault))
        }
    }

    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    func inspect(_ config: LibvirtConfig, bytes: [UInt8], remote: Bool) -> [Finding] {
        let subject = config.file
        var typeProblems: [Evidence] = []
        var findings: [Finding] = []

        // Defaults from libvirt's remote_daemon_config.c: with polkit the sockets are 0777,
        // without it the read-write socket is 0700 and the read-only one 0666.
        let authRW = Self.auth(config, "auth_unix_rw", bytes: bytes, fallback: "polkit", typeProblems: &typeProblems)
        let authRO = Self.auth(config, "auth_unix_ro", bytes: bytes, fallback: "polkit", typeProblems: &typeProblems)
        let rw = Self.perms(config, "unix_sock_rw_perms", default: authRW.value == "polkit" ? 0o777 : 0o700,
                            typeProblems: &typeProblems)
        let ro = Self.perms(config, "unix_sock_ro_perms", default: authRO.value == "polkit" ? 0o777 : 0o666,
                            typeProblems: &typeProblems)

        if remote {
            findings.append(listenTCPFinding(config, bytes: bytes, typeProblems: &typeProblems))
            findings.append(tlsVerifyFinding(config, bytes: bytes, typeProblems: &typeProblems))
        }

        let rwEvidence = [rw.evidence, authRW.evidence]
        let world = rw.mode & 0o007 != 0
        let group = rw.mode & 0o070 != 0
        let mode = Self.octal(rw.mode)
        switch (world, authRW.value) {
        case (false, _):
            findings.append(Self.unixRWPerms.finding(.pass, "the read-write socket is not world-accessible (\(mode))",
                                                     evidence: rwEvidence, subject: subject))
        case (true, "none"):
            findings.append(Self.unixRWPerms.finding(
                .fail, "every local user can use the read-write socket (\(mode)) without authentication: root-equivalent access",
                evidence: rwEvidence, subject: subject))
        case (true, "polkit"):
            findings.append(Self.unixRWPerms.finding(
                .pass, "the read-write socket is world-accessible (\(mode)) and polkit authorizes each connection",
                evidence: rwEvidence, subject: subject))
        case (true, let auth):
            findings.append(Self.unixRWPerms.finding(
                .warn, "every local user can reach the read-write socket (\(mode)); only \(auth) authentication stands in the way",
                evidence: rwEvidence, subject: subject, severity: .medium))
        }

        if authRW.value == "none" {
            if world {
                findings.append(Self.authUnixRW.finding(
                    .fail, "read-write connections are not authenticated and the socket is world-accessible (\(mode))",
                    evidence: rwEvidence, subject: subject))
            } else if group {
                findings.append(Self.authUnixRW.finding(
                    .warn, "read-write connections are not authenticated: every member of the socket's group is root-equivalent",
                    evidence: rwEvidence + [config.evidence("unix_sock_group", default: "\"root\"")],
                    subject: subject, severity: .medium))
            } else {
                findings.append(Self.authUnixRW.finding(
                    .pass, "read-write connections are not authenticated, but only the socket's owner (root) can connect (\(mode))",
                    evidence: rwEvidence, subject: subject))
            }
        } else {
            findings.append(Self.authUnixRW.finding(.pass, "read-write connections are authorized by \(authRW.value)",
                                                    evidence: rwEvidence, subject: subject))
        }

        findings.append(Self.unixROPerms.finding(
            .info, ro.mode & 0o007 != 0
                ? "any local user can use the read-only socket (\(Self.octal(ro.mode))), as libvirt intends"
                : "the read-only socket is restricted (\(Self.octal(ro.mode)))",
            evidence: [ro.evidence, authRO.evidence], subject: subject))

        switch config.stringList("access_drivers") {
        case .value(let drivers, _) where !drivers.isEmpty:
            findings.append(Self.accessDrivers.finding(
                .info, "API calls are checked by the \(drivers.joined(separator: ", ")) access driver",
                evidence: [config.evidence("access_drivers", default: "")], subject: subject))
        case .invalid(let value, let line):
            typeProblems.append(QEMUConfigCheck.typeProblem(config, "access_drivers", expected: "a list of strings", value: value, line: line))
            findings.append(Self.accessDrivers.finding(.warn, "access_drivers has the wrong type: libvirt rejects the file",
                                                       evidence: [config.evidence("access_drivers", default: "")], subject: subject))
        default:
            findings.append(Self.accessDrivers.finding(
                .info, "no access driver: every authenticated client may perform every operation (polkit only gates connecting)",
                evidence: [config.evidence("access_drivers", default: "none")], subject: subject))
        }

        findings.append(QEMUConfigCheck.syntaxFinding(Self.syntax, config, typeProblems: typeProblems, subject: subject))
        return findings
    }

    func listenTCPFinding(_ config: LibvirtConfig, bytes: [UInt8], typeProblems: inout [Evidence]) -> Finding {
        let subject = config.file
        var evidence = [config.evidence("listen_tcp", default: "0")]
        switch config.bool("listen_tcp") {
        case .invalid(let value, let line):
            typeProblems.append(QEMUConfigCheck.typeProblem(config, "listen_tcp", expected: "0 or 1", value: value, line: line))
            return Self.listenTCP.finding(.warn, "listen_tcp is not 0 or 1: the daemon rejects the file", evidence: evidence,
                                          subject: subject)
        case .absent, .value(false, _):
            return Self.listenTCP.finding(.pass, "the daemon does not listen on TCP", evidence: evidence, subject: subject)
        case .value(true, _):
            let auth = Self.auth(config, "auth_tcp", bytes: bytes, fallback: "sasl", typeProblems: &typeProblems)
            evidence.append(auth.evidence)
            if auth.value == "none" {
                return Self.listenTCP.finding(
                    .fail, "the daemon accepts unauthenticated TCP connections (when run with --listen): anyone who reaches "
                        + "the port controls every guest", evidence: evidence, subject: subject)
            }
            return Self.listenTCP.finding(
                .warn, "the daemon listens on TCP with \(auth.value) authentication (when run with --listen); prefer TLS or SSH",
                evidence: evidence, subject: subject, severity: .medium)
        }
    }

    func tlsVerifyFinding(_ config: LibvirtConfig, bytes: [UInt8], typeProblems: inout [Evidence]) -> Finding {
        let subject = config.file
        var evidence = [config.evidence("tls_no_verify_certificate", default: "0")]
        switch config.bool("tls_no_verify_certificate") {
        case .invalid(let value, let line):
            typeProblems.append(QEMUConfigCheck.typeProblem(config, "tls_no_verify_certificate", expected: "0 or 1", value: value, line: line))
            return Self.tlsVerify.finding(.warn, "tls_no_verify_certificate is not 0 or 1: the daemon rejects the file",
                                          evidence: evidence, subject: subject)
        case .absent, .value(false, _):
            return Self.tlsVerify.finding(.pass, "TLS clients must present a certificate signed by the CA", evidence: evidence,
                                          subject: subject)
        case .value(true, _):
            evidence.append(config.evidence("listen_tls", default: "1"))
            if config.bool("listen_tls").value == false {
                return Self.tlsVerify.finding(.pass, "certificate verification is off, but TLS listening is disabled",
                                              evidence: evidence, subject: subject)
            }
            let auth = Self.auth(config, "auth_tls", bytes: bytes, fallback: "none", typeProblems: &typeProblems)
            evidence.append(auth.evidence)
            return Self.tlsVerify.finding(
                .fail, "TLS client certificates are not verified" + (auth.value == "none" ? " and there is no other authentication" : ""),
                evidence: evidence, subject: subject, severity: auth.value == "none" ? .critical : .high)
        }
    }

    func socketFindings(fs: any HostFileSystem) -> [Finding] {
        RemoteAccess(fs: fs).enabledSockets.map { unit in
            var evidence = [Evidence(path: unit.path, value: "\(unit.name) enabled")]
            let config = try? LibvirtConfig.load(unit.configFile, from: fs)
            let bytes = (try? fs.readFile(unit.configFile, limit: LibvirtConfig.maxFileSize)) ?? []
            let parsed = config ?? LibvirtConfig(parsing: [], file: unit.configFile)
            var ignored: [Evidence] = []
            if unit.isTLS {
                let noVerify = parsed.bool("tls_no_verify_certificate").value == true
                evidence.append(parsed.evidence("tls_no_verify_certificate", default: "0"))
                return noVerify
                    ? Self.tcpSocket.finding(.fail, "\(unit.name) accepts TLS clients without verifying their certificates",
                                             evidence: evidence, subject: unit.path, severity: .high)
                    : Self.tcpSocket.finding(.pass, "\(unit.name) accepts TLS clients with verified certificates",
                                             evidence: evidence, subject: unit.path)
            }
            let auth = Self.auth(parsed, "auth_tcp", bytes: bytes, fallback: "sasl", typeProblems: &ignored)
            evidence.append(auth.evidence)
            if auth.value == "none" {
                return Self.tcpSocket.finding(
                    .fail, "\(unit.name) accepts unauthenticated TCP connections: anyone who reaches the port controls every guest",
                    evidence: evidence, subject: unit.path)
            }
            return Self.tcpSocket.finding(
                .warn, "\(unit.name) accepts TCP connections with \(auth.value) authentication and no TLS; prefer TLS or SSH",
                evidence: evidence, subject: unit.path, severity: .medium)
        }
    }
}
