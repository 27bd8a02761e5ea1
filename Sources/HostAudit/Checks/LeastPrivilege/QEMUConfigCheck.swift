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

/// The security settings of libvirt's QEMU driver in `/etc/libvirt/qemu.conf`.
///
/// A setting the file leaves out takes libvirt 9's documented default (the comments of the shipped
/// file and https://libvirt.org/drvqemu.html); the evidence then says `default`.
public struct QEMUConfigCheck: Check {
    /// Creates the check.
    public init() {}

    /// The file checked.
    public static let path = "/etc/libvirt/qemu.conf"
    static let drvQEMU = "https://libvirt.org/drvqemu.html"
    static let remediationRestart = " Restart libvirtd (or virtqemud), then restart the guests."

    static func descriptor(
        _ suffix: String, _ title: String, threat: ThreatClass = .vmEscape, severity: Severity, failsWhen: String,
        rationale: String, remediation: String, references: [String]
    ) -> CheckDescriptor {
        CheckDescriptor(
            id: "qemu.conf.\(suffix)", title: title, threat: threat, severity: severity, reads: [path],
            failsWhen: failsWhen, rationale: rationale, remediation: remediation + remediationRestart,
            references: references)
    }

    static let user = descriptor(
        "user", "QEMU is not configured to run as root", severity: .critical,
        failsWhen: "`user` is root (`root`, `+0`, `0`, or a name with uid 0); warns when unset and the build default is unknown.",
        rationale: "Every guest's QEMU runs as this user: as root, one device-emulation bug is a host compromise.",
        remediation: "Set `user = \"libvirt-qemu\"` (Debian/Ubuntu) or `user = \"qemu\"` (Fedora/RHEL), or remove the line.",
        references: [drvQEMU + "#posix-users-groups", "CVE-2015-3456"])
    static let group = descriptor(
        "group", "QEMU is not configured to run as group root", severity: .high,
        failsWhen: "`group` is root (`root`, `+0`, `0`, or a name with gid 0).",
        rationale: "Group root opens every root-group-readable file on the host to an escaped guest.",
        remediation: "Set `group = \"libvirt-qemu\"` (Debian/Ubuntu) or `group = \"qemu\"`, or remove the line.",
        references: [drvQEMU + "#posix-users-groups"])
    static let dynamicOwnership = descriptor(
        "dynamic-ownership", "libvirt manages guest file ownership", severity: .medium,
        failsWhen: "`dynamic_ownership = 0` (warn).",
        rationale: "With dynamic ownership libvirt gives each running guest its disks and restores them afterwards; "
            + "without it images are usually left readable by every QEMU, so one escaped guest reads the others' disks.",
        remediation: "Set `dynamic_ownership = 1` (the default).",
        references: [drvQEMU + "#posix-users-groups"])
    static let securityDriver = descriptor(
        "security-driver", "An sVirt security driver is configured", severity: .high,
        failsWhen: "`security_driver` is `\"none\"` (or a list containing it).",
        rationale: "The security driver (SELinux or AppArmor) gives each guest a private MAC label; `none` leaves all "
            + "guests in one domain, so an escape reaches every other guest's disks.",
        remediation: "Remove `security_driver` (libvirt picks SELinux or AppArmor) or set it to `\"selinux\"`/`\"apparmor\"`.",
        references: [drvQEMU + "#selinux-svirt-confinement", drvQEMU + "#apparmor-svirt-confinement"])
    static let securityDefaultConfined = descriptor(
        "security-default-confined", "Guests are confined by default", severity: .high,
        failsWhen: "`security_default_confined = 0`.",
        rationale: "With 0 a guest whose XML does not ask for a label runs unconfined.",
        remediation: "Set `security_default_confined = 1` (the default) or remove the line.",
        references: [drvQEMU + "#selinux-svirt-confinement"])
    static let seccompSandbox = descriptor(
        "seccomp-sandbox", "QEMU's seccomp sandbox is enabled", severity: .high,
        failsWhen: "`seccomp_sandbox = 0`.",
        rationale: "The sandbox denies QEMU system calls it never needs (spawning, privilege changes, obsolete calls), "
            + "shrinking what an escaped guest can reach in the kernel.",
        remediation: "Set `seccomp_sandbox = 1` (the default) or remove the line.",
        references: ["https://www.qemu.org/docs/master/system/invocation.html#hxtool-7"])
    static let namespaces = descriptor(
        "namespaces", "QEMU runs in a private mount namespace", severity: .medium,
        failsWhen: "`namespaces = []` (warn); the default is `[ \"mount\" ]`.",
        rationale: "libvirt's private /dev for each QEMU exposes only that guest's devices; without it QEMU sees the "
            + "host's whole /dev.",
        remediation: "Set `namespaces = [ \"mount\" ]` (the default) or remove the line.",
        references: [drvQEMU + "#namespaces"])
    static let vncListen = descriptor(
        "vnc-listen", "VNC consoles are not open to the network without authentication",
        threat: .hypervisorVulnerability, severity: .high,
        failsWhen: "`vnc_listen` is a wildcard or non-loopback address, `vnc_auto_unix_socket` is off, and neither "
            + "`vnc_tls = 1`, `vnc_password` nor `vnc_sasl = 1` is set (fail); password or SASL without TLS warns.",
        rationale: "A VNC console is the guest's keyboard and screen; open to the network it is an unauthenticated "
            + "shell on the guest, and QEMU's VNC server has had remote memory-safety bugs.",
        remediation: "Keep `vnc_listen = \"127.0.0.1\"` (the default) or set `vnc_auto_unix_socket = 1`; if remote "
            + "consoles are needed set `vnc_tls = 1` with client certificates or `vnc_sasl = 1`.",
        references: [drvQEMU + "#graphics", "CVE-2017-2633 (QEMU VNC out-of-bounds access)"])
    static let spiceListen = descriptor(
        "spice-listen", "SPICE consoles are not open to the network without authentication",
        threat: .hypervisorVulnerability, severity: .high,
        failsWhen: "`spice_listen` is a wildcard or non-loopback address, `spice_auto_unix_socket` is off, and neither "
            + "`spice_tls = 1`, `spice_password` nor `spice_sasl = 1` is set (fail); password or SASL without TLS warns.",
        rationale: "A SPICE console is the guest's keyboard, screen and USB; open to the network without "
            + "authentication anyone reachable controls the guest.",
        remediation: "Keep `spice_listen = \"127.0.0.1\"` (the default) or set `spice_auto_unix_socket = 1`; for remote "
            + "consoles set `spice_tls = 1` and `spice_password` or `spice_sasl = 1`.",
        references: [drvQEMU + "#graphics"])
    static let migrateTLSForce = descriptor(
        "migrate-tls-force", "Migration traffic is forced onto TLS", threat: .hypervisorVulnerability, severity: .medium,
        failsWhen: "`migrate_tls_force` is 0 or unset (the default) and remote access is enabled (a TCP/TLS socket unit, "
            + "`listen_tcp`/`listen_tls`, `--listen`, or a non-loopback `migration_address`): warn; "
            + "without remote access it is info.",
        rationale: "Without TLS a live migration sends the guest's whole memory (keys included) in clear over the "
            + "network, and a peer on the path can alter it.",
        remediation: "Set up migration certificates (/etc/pki/qemu) and `migrate_tls_force = 1`.",
        references: ["https://libvirt.org/migration.html#migration-security", drvQEMU])
    static let stdioHandler = descriptor(
        "stdio-handler", "QEMU's output goes through virtlogd", threat: .maliciousVM, severity: .medium,
        failsWhen: "`stdio_handler = \"file\"` (warn); the default is `\"logd\"`.",
        rationale: "With `file` QEMU writes its own log with no size limit, so a guest that makes QEMU print (serial "
            + "console, warnings) can fill the host's disk; virtlogd rotates the log.",
        remediation: "Set `stdio_handler = \"logd\"` (the default) or remove the line.",
        references: ["https://libvirt.org/logging.html"])
    static let relaxedACSCheck = descriptor(
        "relaxed-acs-check", "PCI assignment requires ACS isolation", severity: .medium,
        failsWhen: "`relaxed_acs_check = 1` (warn).",
        rationale: "Relaxed ACS checks let a device be assigned to a guest when it shares an isolation domain with "
            + "devices the host keeps: the guest's device can DMA to them peer to peer.",
        remediation: "Set `relaxed_acs_check = 0` (the default) and assign whole IOMMU groups.",
        references: ["https://docs.kernel.org/driver-api/vfio.html#groups-devices-and-iommus"])
    static let syntax = CheckDescriptor(
        id: "qemu.conf.syntax", title: "qemu.conf is well-formed", threat: .hypervisorVulnerability, severity: .medium,
        reads: [path],
        failsWhen: "A line is malformed in libvirt's syntax, a setting is duplicated, or a value has a type libvirt "
            + "rejects (warn, with file:line).",
        rationale: "libvirt refuses a qemu.conf it cannot parse (the QEMU driver fails to load) and silently ignores "
            + "a duplicate setting after the first, so the file may not mean what it says.",
        remediation: "Fix the lines listed, then restart libvirtd (or virtqemud) and confirm it starts.",
        references: [drvQEMU])

    /// The ids of this check, in report order.
    public var descriptors: [CheckDescriptor] {
        [Self.user, Self.group, Self.dynamicOwnership, Self.securityDriver, Self.securityDefaultConfined,
         Self.seccompSandbox, Self.namespaces, Self.vncListen, Self.spiceListen, Self.migrateTLSForce,
         Self.stdioHandler, Self.relaxedACSCheck, Self.syntax]
    }

    /// Runs the check; never throws: unreadable input becomes `error` findings.
    public func run(in context: AuditContext) -> [Finding] {
        switch LibvirtConfig.loadForCheck(Self.path, from: context.fs) {
        case .missing:
            return descriptors.map {
                $0.finding(.notApplicable, "\(Self.path) does not exist: libvirt's QEMU driver is not installed",
                           evidence: [Evidence(path: Self.path, value: "not found")])
            }
        case .failed(let error):
            return descriptors.map { $0.error(error, path: Self.path) }
        case .parsed(let config, let bytes):
            let accounts = HostAccounts(fs: context.fs)
            var typeProblems: [Evidence] = []
            var findings = [
                userFinding(config, bytes: bytes, accounts: accounts, typeProblems: &typeProblems),
                groupFinding(config, bytes: bytes, accounts: accounts, typeProblems: &typeProblems),
                boolSetting(config, Self.dynamicOwnership, key: "dynamic_ownership", default: true, bad: false,
                            badStatus: .warn, typeProblems: &typeProblems,
                            passDetail: "libvirt gives each guest its own files", failDetail: "dynamic ownership is off"),
                securityDriverFinding(config, typeProblems: &typeProblems),
                boolSetting(config, Self.securityDefaultConfined, key: "security_default_confined", default: true, bad: false,
                            badStatus: .fail, typeProblems: &typeProblems,
                            passDetail: "guests are confined unless their XML opts out",
                            failDetail: "guests without an explicit label run unconfined"),
                seccompFinding(config, typeProblems: &typeProblems),
                namespacesFinding(config, typeProblems: &typeProblems),
                consoleFinding(config, Self.vncListen, protocolName: "VNC", prefix: "vnc", typeProblems: &typeProblems),
                consoleFinding(config, Self.spiceListen, protocolName: "SPICE", prefix: "spice", typeProblems: &typeProblems),
                migrateFinding(config, fs: context.fs, typeProblems: &typeProblems),
                stdioFinding(config, typeProblems: &typeProblems),
                boolSetting(config, Self.relaxedACSCheck, key: "relaxed_acs_check", default: false, bad: true,
                            badStatus: .warn, typeProblems: &typeProblems,
                            passDetail: "devices are assigned only with ACS isolation",
                            failDetail: "PCI devices may be assigned without ACS isolation"),
            ]
            findings.append(Self.syntaxFinding(Self.syntax, config, typeProblems: typeProblems))
            return findings
        }
    }

    /// The `….syntax` finding: diagnostics and type errors, or a pass.
    static func syntaxFinding(_ descriptor: CheckDescriptor, _ config: LibvirtConfig, typeProblems: [Evidence],
                              subject: String? = nil) -> Finding {
        let evidence = config.diagnostics.map { Evidence(path: $0.file, value: $0.message, line: $0.line) } + typeProblems
        if evidence.isEmpty {
            return descriptor.finding(.pass, "\(config.file) parses cleanly (\(config.entries.count) settings)",
                                      evidence: [Evidence(path: config.file, value: "\(config.entries.count) settings")],
                                      subject: subject)
        }
        let first = config.diagnostics.first?.description ?? typeProblems.first.map { "\($0.path):\($0.line ?? 0): \($0.value)" } ?? ""
        return descriptor.finding(.warn, "\(evidence.count) problem\(evidence.count == 1 ? "" : "s") in \(config.file), first: \(first)",
                                  evidence: evidence, subject: subject)
    }

    /// Records that `key` has a type libvirt rejects.
    static func typeProblem(_ config: LibvirtConfig, _ key: String, expected: String, value: LibvirtConfig.Value, line: Int) -> Evidence {
        let shown = LibvirtConfig.isSecret(key) ? "(hidden)" : value.description
        return Evidence(path: config.file, value: "'\(key)' must be \(expected), not \(shown): libvirt rejects the file", line: line)
    }

    /// A boolean setting where `bad` is the unsafe value.
    func boolSetting(
        _ config: LibvirtConfig, _ descriptor: CheckDescriptor, key: String, default defaultValue: Bool, bad: Bool,
        badStatus: Status, typeProblems: inout [Evidence], passDetail: String, failDetail: String
    ) -> Finding {
        let evidence = [config.evidence(key, default: defaultValue ? "1" : "0")]
        switch config.bool(key) {
        case .invalid(let value, let line):
            typeProblems.append(Self.typeProblem(config, key, expected: "0 or 1", value: value, line: line))
            return descriptor.finding(.warn, "\(key) is not 0 or 1: libvirt will refuse to load \(config.file)", evidence: evidence)
        case .absent:
            return defaultValue == bad
                ? descriptor.finding(badStatus, failDetail + " (default)", evidence: evidence)
                : descriptor.finding(.pass, passDetail + " (default)", evidence: evidence)
        case .value(let value, _):
            return value == bad
                ? descriptor.finding(badStatus, failDetail, evidence: evidence)
                : descriptor.finding(.pass, passDetail, evidence: evidence)
        }
    }

    /// Whether a `user`/`group` value names uid/gid 0, the way libvirt resolves it: a leading `+`
    /// forces a number, otherwise a name is tried first and then a number.
    static func isRoot(_ value: String, id: (String) -> UInt32?) -> Bool {
        if value.hasPrefix("+") { return UInt32(value.dropFirst()) == 0 }
        if let resolved = id(value) { return resolved == 0 }
        return value == "root" || UInt32(value) == 0
    }

    func userFinding(_ config: LibvirtConfig, bytes: [UInt8], accounts: HostAccounts, typeProblems: inout [Evidence]) -> Finding {
        identityFinding(config, Self.user, key: "user", bytes: bytes, typeProblems: &typeProblems) {
            accounts.user(named: $0)?.uid
        }
    }

    func groupFinding(_ config: LibvirtConfig, bytes: [UInt8], accounts: HostAccounts, typeProblems: inout [Evidence]) -> Finding {
        identityFinding(config, Self.group, key: "group", bytes: bytes, typeProblems: &typeProblems) {
            accounts.group(named: $0)?.gid
        }
    }

    func identityFinding(
        _ config: LibvirtConfig, _ descriptor: CheckDescriptor, key: String, bytes: [UInt8], typeProblems: inout [Evidence],
        id: (String) -> UInt32?
    ) -> Finding {
        switch config.string(key) {
        case .invalid(let value, let line):
            typeProblems.append(Self.typeProblem(config, key, expected: "a string", value: value, line: line))
            return descriptor.finding(.warn, "\(key) is not a string: libvirt will refuse to load \(config.file)",
                                      evidence: [config.evidence(key, default: "")])
        case .value(let name, _):
            let evidence = [config.evidence(key, default: "")]
            if Self.isRoot(name, id: id) {
                return descriptor.finding(.fail, "QEMU processes are configured to run with \(key) root", evidence: evidence)
            }
            return descriptor.finding(.pass, "QEMU processes run with \(key) \(name)", evidence: evidence)
        case .absent:
            // The shipped file's `#user = "…"` line carries the build's default.
            guard case .string(let name)? = LibvirtConfig.commentedDefault(key, in: bytes) else {
                return descriptor.finding(
                    .warn, "\(key) is not set and the file does not state the build default (upstream's fallback is root)",
                    evidence: [Evidence(path: config.file, value: "\(key) not set: default is the build-time choice")])
            }
            let evidence = [Evidence(path: config.file, value: "\(key) not set: default \"\(name)\" (the build default the file documents)")]
            if Self.isRoot(name, id: id) {
                return descriptor.finding(.fail, "QEMU processes run with \(key) root by default", evidence: evidence)
            }
            return descriptor.finding(.pass, "QEMU processes run with \(key) \(name) (default)", evidence: evidence)
        }
    }

    func securityDriverFinding(_ config: LibvirtConfig, typeProblems: inout [Evidence]) -> Finding {
        let evidence = [config.evidence("security_driver", default: "the first available of selinux, apparmor")]
        switch config.stringList("security_driver", acceptingString: true) {
        case .invalid(let value, let line):
            typeProblems.append(Self.typeProblem(config, "security_driver", expected: "a string or list of strings", value: value, line: line))
            return Self.securityDriver.finding(.warn, "security_driver has the wrong type: libvirt will refuse to load the file",
                                               evidence: evidence)
        case .absent:
            return Self.securityDriver.finding(.pass, "libvirt uses the host's MAC (SELinux or AppArmor) for sVirt (default)",
                                               evidence: evidence)
        case .value(let drivers, _):
            if drivers.contains("none") {
                return Self.securityDriver.finding(.fail, "the sVirt security driver is disabled (security_driver = none)",
                                                   evidence: evidence)
            }
            if drivers.isEmpty {
                return Self.securityDriver.finding(.pass, "libvirt uses the host's MAC for sVirt (empty list: autodetect)",
                                                   evidence: evidence)
            }
            return Self.securityDriver.finding(.pass, "sVirt uses \(drivers.joined(separator: ", "))", evidence: evidence)
        }
    }

    func seccompFinding(_ config: LibvirtConfig, typeProblems: inout [Evidence]) -> Finding {
        let evidence = [config.evidence("seccomp_sandbox", default: "1")]
        switch config.integer("seccomp_sandbox") {
        case .invalid(let value, let line):
            typeProblems.append(Self.typeProblem(config, "seccomp_sandbox", expected: "an integer", value: value, line: line))
            return Self.seccompSandbox.finding(.warn, "seccomp_sandbox is not an integer: libvirt will refuse to load the file",
                                               evidence: evidence)
        case .absent:
            return Self.seccompSandbox.finding(.pass, "QEMU runs with -sandbox on (default)", evidence: evidence)
        case .value(0, _):
            return Self.seccompSandbox.finding(.fail, "QEMU's seccomp sandbox is disabled", evidence: evidence)
        case .value:
            return Self.seccompSandbox.finding(.pass, "QEMU runs with -sandbox on", evidence: evidence)
        }
    }

    func namespacesFinding(_ config: LibvirtConfig, typeProblems: inout [Evidence]) -> Finding {
        let evidence = [config.evidence("namespaces", default: "[ \"mount\" ]")]
        switch config.stringList("namespaces") {
        case .invalid(let value, let line):
            typeProblems.append(Self.typeProblem(config, "namespaces", expected: "a list of strings", value: value, line: line))
            return Self.namespaces.finding(.warn, "namespaces is not a list of strings: libvirt will refuse to load the file",
                                           evidence: evidence)
        case .absent:
            return Self.namespaces.finding(.pass, "each QEMU gets a private mount namespace and /dev (default)", evidence: evidence)
        case .value(let list, _):
            if list.contains("mount") {
                return Self.namespaces.finding(.pass, "each QEMU gets a private mount namespace and /dev", evidence: evidence)
            }
            return Self.namespaces.finding(.warn, "QEMU runs in the host's mount namespace and sees the host's /dev",
                                           evidence: evidence)
        }
    }

    /// Whether a listen address is reachable from outside the host.
    static func isNetworkReachable(_ address: String) -> Bool {
        var a = address.trimmingWhitespace().lowercased()
        if a.hasPrefix("[") && a.hasSuffix("]") { a = String(a.dropFirst().dropLast()) }
        if a == "localhost" || a == "::1" || a.hasPrefix("127.") || a.hasPrefix("::ffff:127.") { return false }
        return !a.isEmpty
    }

    func consoleFinding(
        _ config: LibvirtConfig, _ descriptor: CheckDescriptor, protocolName: String, prefix: String,
        typeProblems: inout [Evidence]
    ) -> Finding {
        let listenKey = "\(prefix)_listen", unixKey = "\(prefix)_auto_unix_socket", tlsKey = "\(prefix)_tls"
        let passwordKey = "\(prefix)_password", saslKey = "\(prefix)_sasl"
        var evidence = [config.evidence(listenKey, default: "\"127.0.0.1\""), config.evidence(unixKey, default: "0")]
        var wrongType = false
        func flag(_ key: String) -> Bool {
            switch config.bool(key) {
            case .value(let v, _): return v
            case .absent: return false
            case .invalid(let value, let line):
                typeProblems.append(Self.typeProblem(config, key, expected: "0 or 1", value: value, line: line))
                wrongType = true
                return false
            }
        }
        var listen = "127.0.0.1"
        switch config.string(listenKey) {
        case .value(let v, _): listen = v
        case .absent: break
        case .invalid(let value, let line):
            typeProblems.append(Self.typeProblem(config, listenKey, expected: "a string", value: value, line: line))
            wrongType = true
        }
        let autoUnix = flag(unixKey)
        let tls = flag(tlsKey)
        let sasl = flag(saslKey)
        var password = false
        switch config.string(passwordKey) {
        case .value(let v, _): password = !v.isEmpty
        case .absent: break
        case .invalid(let value, let line):
            typeProblems.append(Self.typeProblem(config, passwordKey, expected: "a string", value: value, line: line))
            wrongType = true
        }
        if wrongType {
            return descriptor.finding(.warn, "a \(protocolName) setting has the wrong type: libvirt will refuse to load the file",
                                      evidence: evidence)
        }
        if autoUnix {
            return descriptor.finding(.pass, "\(protocolName) consoles are served on UNIX sockets", evidence: evidence)
        }
        if !Self.isNetworkReachable(listen) {
            return descriptor.finding(.pass, "\(protocolName) consoles listen on \(listen) only", evidence: evidence)
        }
        evidence += [config.evidence(tlsKey, default: "0"), config.evidence(passwordKey, default: "none"),
                     config.evidence(saslKey, default: "0")]
        if tls {
            if prefix == "vnc" {
                // Client certificates are the authentication when x509 verification is on.
                let verifyKey = config.contains("vnc_tls_x509_verify") ? "vnc_tls_x509_verify" : "default_tls_x509_verify"
                evidence.append(config.evidence(verifyKey, default: "1"))
                if config.bool(verifyKey).value == false && !password && !sasl {
                    return descriptor.finding(
                        .fail, "VNC listens on \(listen) with TLS but without client certificates or a password: anyone can connect",
                        evidence: evidence)
                }
            } else if !password && !sasl {
                return descriptor.finding(.warn, "SPICE listens on \(listen) with TLS but without a password or SASL",
                                          evidence: evidence)
            }
            return descriptor.finding(.pass, "\(protocolName) listens on \(listen) with TLS", evidence: evidence)
        }
        if password || sasl {
            return descriptor.finding(
                .warn, "\(protocolName) listens on \(listen) with \(sasl ? "SASL" : "a password") but without TLS: "
                    + "credentials and the console travel unprotected", evidence: evidence)
        }
        return descriptor.finding(
            .fail, "\(protocolName) consoles listen on \(listen) without TLS or authentication: anyone who can reach the host "
                + "can drive the guests' consoles", evidence: evidence)
    }

    func migrateFinding(_ config: LibvirtConfig, fs: any HostFileSystem, typeProblems: inout [Evidence]) -> Finding {
        var evidence = [config.evidence("migrate_tls_force", default: "0")]
        let forced: Bool
        switch config.bool("migrate_tls_force") {
        case .invalid(let value, let line):
            typeProblems.append(Self.typeProblem(config, "migrate_tls_force", expected: "0 or 1", value: value, line: line))
            return Self.migrateTLSForce.finding(.warn, "migrate_tls_force is not 0 or 1: libvirt will refuse to load the file",
                                                evidence: evidence)
        case .value(let v, _): forced = v
        case .absent: forced = false
        }
        if forced {
            return Self.migrateTLSForce.finding(.pass, "every migration must use TLS", evidence: evidence)
        }
        var reasons = RemoteAccess(fs: fs).reasons
        if let address = config.string("migration_address").value, Self.isNetworkReachable(address) {
            reasons.append(config.evidence("migration_address", default: ""))
        }
        if reasons.isEmpty {
            return Self.migrateTLSForce.finding(
                .info, "migrations may run without TLS, but this host accepts no remote libvirt connections",
                evidence: evidence)
        }
        evidence += reasons
        return Self.migrateTLSForce.finding(
            .warn, "migrations may run without TLS while the host accepts remote connections: guest memory can cross the "
                + "network in clear", evidence: evidence)
    }

    func stdioFinding(_ config: LibvirtConfig, typeProblems: inout [Evidence]) -> Finding {
        let evidence = [config.evidence("stdio_handler", default: "\"logd\"")]
        switch config.string("stdio_handler") {
        case .invalid(let value, let line):
            typeProblems.append(Self.typeProblem(config, "stdio_handler", expected: "a string", value: value, line: line))
            return Self.stdioHandler.finding(.warn, "stdio_handler is not a string: libvirt will refuse to load the file",
                                             evidence: evidence)
        case .absent:
            return Self.stdioHandler.finding(.pass, "QEMU output goes through virtlogd (default)", evidence: evidence)
        case .value("file", _):
            return Self.stdioHandler.finding(.warn, "QEMU writes its own log files without a size limit", evidence: evidence)
        case .value(let handler, _):
            return Self.stdioHandler.finding(handler == "logd" ? .pass : .warn,
                                             handler == "logd" ? "QEMU output goes through virtlogd" : "unknown stdio_handler \(handler)",
                                             evidence: evidence)
        }
    }
}
