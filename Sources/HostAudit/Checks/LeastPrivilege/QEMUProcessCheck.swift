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

/// How each running QEMU is confined: its uid, capabilities, seccomp filter, `no_new_privs`, MAC
/// label, and whether the code it runs was replaced on disk. One finding per id per process.
public struct QEMUProcessCheck: Check {
    /// Creates the check.
    public init() {}

    static let drvQEMU = "https://libvirt.org/drvqemu.html#driver-security-architecture"
    static let procStatus = "https://docs.kernel.org/filesystems/proc.html"
    static let venom = "CVE-2015-3456 (VENOM: QEMU floppy controller guest-to-host escape)"

    static let uid = CheckDescriptor(
        id: "qemu.process.uid", title: "QEMU runs as an unprivileged user", threat: .vmEscape, severity: .critical,
        reads: ["/proc/[pid]/comm", "/proc/[pid]/cmdline", "/proc/[pid]/status", "/etc/passwd"],
        failsWhen: "The real or effective uid of a QEMU process is 0 (root).",
        rationale: "A guest that exploits a device-emulation bug runs code as the QEMU process; as root that is the host.",
        remediation: "Set `user = \"libvirt-qemu\"` (or `qemu`) and a matching `group` in /etc/libvirt/qemu.conf, "
            + "restart libvirtd/virtqemud, then restart the guest.",
        references: [drvQEMU, venom])

    static let capabilities = CheckDescriptor(
        id: "qemu.process.capabilities", title: "QEMU holds no effective capabilities", threat: .vmEscape, severity: .high,
        reads: ["/proc/[pid]/status"],
        failsWhen: "CapEff of a QEMU process is non-zero (critical when it includes CAP_SYS_ADMIN, CAP_SYS_MODULE, "
            + "CAP_SYS_RAWIO, CAP_SYS_PTRACE, CAP_DAC_OVERRIDE, CAP_SETUID, CAP_SETFCAP or CAP_BPF).",
        rationale: "libvirt clears the emulator's capabilities by default (`clear_emulator_capabilities = 1`); any left "
            + "over are handed to a guest that escapes into QEMU.",
        remediation: "Keep `clear_emulator_capabilities = 1` in /etc/libvirt/qemu.conf and run QEMU as a non-root user; "
            + "restart the guest.",
        references: [drvQEMU + "#linux-process-capabilities", "https://man7.org/linux/man-pages/man7/capabilities.7.html"])

    static let seccomp = CheckDescriptor(
        id: "qemu.process.seccomp", title: "QEMU runs under a seccomp filter", threat: .vmEscape, severity: .high,
        reads: ["/proc/[pid]/status"],
        failsWhen: "`Seccomp:` is 0 (no filter); warns when the kernel reports no seccomp field at all.",
        rationale: "QEMU's `-sandbox on` filter (libvirt's `seccomp_sandbox = 1`) denies obsolete, spawning and "
            + "privilege-raising system calls, cutting the kernel attack surface an escaped guest can reach.",
        remediation: "Set `seccomp_sandbox = 1` (the default) in /etc/libvirt/qemu.conf and restart the guest.",
        references: ["https://www.qemu.org/docs/master/system/invocation.html#hxtool-7", procStatus])

    static let noNewPrivileges = CheckDescriptor(
        id: "qemu.process.nonewprivs", title: "QEMU cannot gain privileges through execve", threat: .vmEscape,
        severity: .medium, reads: ["/proc/[pid]/status"],
        failsWhen: "`NoNewPrivs:` is 0 (warn).",
        rationale: "With no_new_privs set, a compromised QEMU cannot regain privileges by running a setuid binary; "
            + "QEMU sets it when it installs its seccomp filter.",
        remediation: "Enable the seccomp sandbox (`seccomp_sandbox = 1`) so QEMU sets no_new_privs, and restart the guest.",
        references: ["https://docs.kernel.org/userspace-api/no_new_privs.html"])

    static let confinement = CheckDescriptor(
        id: "qemu.process.confinement", title: "QEMU is confined by sVirt (AppArmor or SELinux)", threat: .vmEscape,
        severity: .high, reads: ["/proc/[pid]/attr/current", MACState.appArmorEnabledPath, MACState.seLinuxEnforcePath],
        failsWhen: "The process label is empty or `unconfined`, or an SELinux type outside `svirt_*`; warns for an "
            + "AppArmor profile in complain mode or one that is not libvirt's per-guest `libvirt-<uuid>` profile.",
        rationale: "sVirt gives each guest its own MAC label so an escaped QEMU can touch only that guest's disks and "
            + "devices, not the host or the other guests.",
        remediation: "Enable AppArmor or SELinux, keep `security_driver` and `security_default_confined = 1` in "
            + "/etc/libvirt/qemu.conf, and restart the guest.",
        references: [drvQEMU + "#apparmor-svirt-confinement", drvQEMU + "#selinux-svirt-confinement",
                     "https://selinuxproject.org/page/SVirt"])

    static let deletedBinary = CheckDescriptor(
        id: "qemu.process.deleted-binary", title: "QEMU runs the code that is installed", threat: .hypervisorVulnerability,
        severity: .high, reads: ["/proc/[pid]/exe", "/proc/[pid]/maps"],
        failsWhen: "The `/proc/PID/exe` link ends in ` (deleted)`, or `/proc/PID/maps` maps a deleted executable or "
            + "shared object.",
        rationale: "After a QEMU or library update the running guest keeps the old, vulnerable code until its QEMU is "
            + "restarted: the patch is installed but not in force.",
        remediation: "Restart the VM (shut down and start, or live-migrate) so it runs the patched QEMU and libraries.",
        references: ["https://libvirt.org/manpages/virsh.html#shutdown"])

    /// The ids of this check, in report order.
    public var descriptors: [CheckDescriptor] {
        [Self.uid, Self.capabilities, Self.seccomp, Self.noNewPrivileges, Self.confinement, Self.deletedBinary]
    }

    /// Runs the check; never throws: unreadable input becomes `error` findings.
    public func run(in context: AuditContext) -> [Finding] {
        let processes: [QEMUProcess]
        do {
            processes = try QEMUProcess.discover(in: context.fs)
        } catch {
            return descriptors.map { $0.error(error, path: "/proc") }
        }
        if processes.isEmpty {
            return descriptors.map {
                $0.finding(.notApplicable, "no QEMU process running",
                           evidence: [Evidence(path: "/proc", value: "no qemu-system-* or qemu-kvm process")])
            }
        }
        let accounts = HostAccounts(fs: context.fs)
        let mac = MACState(fs: context.fs)
        var byID: [String: [Finding]] = [:]
        for process in processes {
            for finding in inspect(process, fs: context.fs, accounts: accounts, mac: mac) {
                byID[finding.id, default: []].append(finding)
            }
        }
        return descriptors.flatMap { byID[$0.id] ?? [] }
    }

    /// The findings for one process; none if it exited while being read.
    func inspect(_ process: QEMUProcess, fs: any HostFileSystem, accounts: HostAccounts, mac: MACState) -> [Finding] {
        let subject = process.subject
        let statusPath = "\(process.procPath)/status"
        var findings: [Finding] = []
        do {
            let status = ProcessStatus(try fs.readText(statusPath, limit: QEMUProcess.smallFileLimit))
            findings += [
                uidFinding(status, process, accounts: accounts),
                capabilityFinding(status, process),
                seccompFinding(status, process),
                noNewPrivilegesFinding(status, process),
            ]
        } catch where error.code == .notFound {
            return []  // the process exited mid-scan
        } catch {
            findings += [Self.uid, Self.capabilities, Self.seccomp, Self.noNewPrivileges].map {
                $0.error(error, path: statusPath, subject: subject)
            }
        }
        // Each finding stands alone: a label that cannot be read must not hide a replaced binary.
        if let confinement = confinementFinding(process, fs: fs, mac: mac) { findings.append(confinement) }
        if let deleted = deletedBinaryFinding(process, fs: fs) { findings.append(deleted) }
        return findings
    }

    func pidEvidence(_ process: QEMUProcess) -> Evidence {
        Evidence(path: "\(process.procPath)/comm", value: "pid \(process.pid): \(process.command)")
    }

    func uidFinding(_ status: ProcessStatus, _ process: QEMUProcess, accounts: HostAccounts) -> Finding {
        let path = "\(process.procPath)/status"
        guard let uids = status.uids else {
            return Self.uid.finding(.error, "the status file has no readable Uid line", evidence: [pidEvidence(process)],
                                    subject: process.subject)
        }
        var evidence = [
            pidEvidence(process),
            Evidence(path: path, value: "Uid: real \(accounts.describe(uid: uids[0])), effective \(accounts.describe(uid: uids[1])), "
                     + "saved \(uids[2]), fs \(uids[3])"),
        ]
        let gids = status.gids
        if let gids { evidence.append(Evidence(path: path, value: "Gid: real \(gids[0]), effective \(gids[1]), saved \(gids[2]), fs \(gids[3])")) }
        if uids[0] == 0 || uids[1] == 0 {
            return Self.uid.finding(.fail, "QEMU for \(process.subject) runs as root", evidence: evidence, subject: process.subject)
        }
        // A saved or filesystem uid of 0 lets the process become root again with setresuid(2).
        if uids[2] == 0 || uids[3] == 0 {
            return Self.uid.finding(.fail, "QEMU for \(process.subject) keeps root as its saved or filesystem uid and can regain it",
                                    evidence: evidence, subject: process.subject)
        }
        if let gids, gids.contains(0) {
            return Self.uid.finding(.fail, "QEMU for \(process.subject) runs with group root (gid 0)",
                                    evidence: evidence, subject: process.subject, severity: .high)
        }
        return Self.uid.finding(.pass, "QEMU for \(process.subject) runs as uid \(accounts.describe(uid: uids[1]))",
                                evidence: evidence, subject: process.subject)
    }

    func capabilityFinding(_ status: ProcessStatus, _ process: QEMUProcess) -> Finding {
        let path = "\(process.procPath)/status"
        guard let mask = status.effectiveCapabilities else {
            return Self.capabilities.finding(.error, "the status file has no readable CapEff line",
                                             evidence: [pidEvidence(process)], subject: process.subject)
        }
        let names = LinuxCapabilities.decode(mask)
        let hex = status.fields["CapEff"] ?? String(mask, radix: 16)
        let evidence = [pidEvidence(process),
                        Evidence(path: path, value: "CapEff: \(hex)" + (names.isEmpty ? "" : " = " + names.joined(separator: ",")))]
        if names.isEmpty {
            return Self.capabilities.finding(.pass, "QEMU for \(process.subject) holds no effective capabilities",
                                             evidence: evidence, subject: process.subject)
        }
        let dangerous = names.filter(LinuxCapabilities.hostEquivalent.contains)
        return Self.capabilities.finding(
            .fail,
            "QEMU for \(process.subject) holds \(names.count) effective capabilit\(names.count == 1 ? "y" : "ies")"
                + (dangerous.isEmpty ? "" : ", including \(dangerous.joined(separator: ", "))"),
            evidence: evidence, subject: process.subject, severity: dangerous.isEmpty ? .high : .critical)
    }

    func seccompFinding(_ status: ProcessStatus, _ process: QEMUProcess) -> Finding {
        let path = "\(process.procPath)/status"
        guard let mode = status.seccompMode else {
            return Self.seccomp.finding(
                .warn, "the kernel reports no seccomp state for QEMU (built without CONFIG_SECCOMP?)",
                evidence: [pidEvidence(process), Evidence(path: path, value: "no Seccomp line")], subject: process.subject)
        }
        let evidence = [pidEvidence(process), Evidence(path: path, value: "Seccomp: \(mode)")]
        switch mode {
        case 0:
            return Self.seccomp.finding(.fail, "QEMU for \(process.subject) runs without a seccomp filter",
                                        evidence: evidence, subject: process.subject)
        case 1, 2:
            return Self.seccomp.finding(.pass, "QEMU for \(process.subject) runs in seccomp \(mode == 2 ? "filter" : "strict") mode",
                                        evidence: evidence, subject: process.subject)
        default:
            return Self.seccomp.finding(.warn, "unknown seccomp mode \(mode)", evidence: evidence, subject: process.subject)
        }
    }

    func noNewPrivilegesFinding(_ status: ProcessStatus, _ process: QEMUProcess) -> Finding {
        let path = "\(process.procPath)/status"
        guard let set = status.noNewPrivileges else {
            return Self.noNewPrivileges.finding(
                .warn, "the kernel reports no NoNewPrivs state for QEMU",
                evidence: [pidEvidence(process), Evidence(path: path, value: "no NoNewPrivs line")], subject: process.subject)
        }
        let evidence = [pidEvidence(process), Evidence(path: path, value: "NoNewPrivs: \(set ? 1 : 0)")]
        return set
            ? Self.noNewPrivileges.finding(.pass, "QEMU for \(process.subject) has no_new_privs set", evidence: evidence,
                                           subject: process.subject)
            : Self.noNewPrivileges.finding(.warn, "QEMU for \(process.subject) can gain privileges through execve",
                                           evidence: evidence, subject: process.subject)
    }

    /// `nil` when the process exited.
    func confinementFinding(_ process: QEMUProcess, fs: any HostFileSystem, mac: MACState) -> Finding? {
        let subject = process.subject
        var path = "\(process.procPath)/attr/current"
        var text: String
        do {
            text = try fs.readText(path, limit: 4096)
        } catch {
            // With stacked LSMs AppArmor's label also has its own file; without any LSM the kernel
            // answers EINVAL, which is "no label".
            let apparmorPath = "\(process.procPath)/attr/apparmor/current"
            if let alternative = try? fs.readText(apparmorPath, limit: 4096) {
                text = alternative
                path = apparmorPath
            } else if !fs.exists(process.procPath) {
                return nil
            } else if !mac.isAnyActive {
                return Self.confinement.finding(
                    .fail, "QEMU for \(subject) carries no security label: neither AppArmor nor SELinux is active",
                    evidence: [pidEvidence(process), Evidence(path: path, value: error.description)], subject: subject)
            } else {
                return Self.confinement.error(error, path: path, subject: subject)
            }
        }
        let label = ProcessLabel(text)
        let evidence = [pidEvidence(process), Evidence(path: path, value: text.trimmingWhitespace().isEmpty ? "(empty)" : text.trimmingWhitespace())]
        switch label {
        case .unconfined:
            return Self.confinement.finding(.fail, "QEMU for \(subject) is unconfined", evidence: evidence, subject: subject)
        case .appArmor(let profile, let mode):
            let isPerGuest = profile.hasPrefix("libvirt-")
            switch mode {
            case "enforce"?, "kill"?:
                if isPerGuest {
                    return Self.confinement.finding(.pass, "QEMU for \(subject) is confined by its sVirt AppArmor profile \(profile)",
                                                    evidence: evidence, subject: subject)
                }
                return Self.confinement.finding(
                    .warn, "QEMU for \(subject) is confined by \(profile), a shared profile rather than libvirt's per-guest one",
                    evidence: evidence, subject: subject)
            case "complain"?:
                return Self.confinement.finding(
                    .warn, "QEMU for \(subject) runs under AppArmor profile \(profile) in complain mode: violations are only logged",
                    evidence: evidence, subject: subject)
            case "unconfined"?:
                return Self.confinement.finding(.fail, "QEMU for \(subject) has an AppArmor profile in unconfined mode",
                                                evidence: evidence, subject: subject)
            default:
                return Self.confinement.finding(.warn, "QEMU for \(subject) has an unrecognised label",
                                                evidence: evidence, subject: subject)
            }
        case .seLinux(_, let type):
            if type.hasPrefix("svirt_") {
                let permissive = mac.seLinuxEnforcing == false
                return Self.confinement.finding(
                    permissive ? .warn : .pass,
                    "QEMU for \(subject) runs in the sVirt domain \(type)" + (permissive ? ", but SELinux is permissive" : ""),
                    evidence: evidence + (permissive ? [Evidence(path: MACState.seLinuxEnforcePath, value: "0")] : []),
                    subject: subject)
            }
            return Self.confinement.finding(.fail, "QEMU for \(subject) runs in SELinux domain \(type), not an sVirt domain",
                                            evidence: evidence, subject: subject)
        }
    }

    /// `nil` when the process exited.
    func deletedBinaryFinding(_ process: QEMUProcess, fs: any HostFileSystem) -> Finding? {
        let subject = process.subject
        let exePath = "\(process.procPath)/exe"
        let mapsPath = "\(process.procPath)/maps"
        var evidence = [pidEvidence(process)]
        var problems: [String] = []
        if let exe = process.executable {
            evidence.append(Evidence(path: exePath, value: exe))
            if exe.hasSuffix(" (deleted)") { problems.append("its executable \(exe)") }
        }
        do {
            let maps = try fs.readText(mapsPath, limit: QEMUProcess.mapsLimit)
            let deleted = Self.deletedMappings(maps)
            if !deleted.isEmpty {
                problems.append("\(deleted.count) deleted shared object\(deleted.count == 1 ? "" : "s")")
                evidence += deleted.prefix(5).map { Evidence(path: mapsPath, value: $0) }
            }
        } catch where error.code == .notFound {
            if !fs.exists(process.procPath) { return nil }
            if process.executable == nil { return Self.deletedBinary.error(error, path: mapsPath, subject: subject) }
        } catch {
            if process.executable == nil { return Self.deletedBinary.error(error, path: mapsPath, subject: subject) }
            evidence.append(Evidence(path: mapsPath, value: error.code.name))
        }
        if problems.isEmpty {
            return Self.deletedBinary.finding(.pass, "QEMU for \(subject) runs the installed binaries", evidence: evidence,
                                              subject: subject)
        }
        return Self.deletedBinary.finding(
            .fail, "QEMU for \(subject) runs code replaced on disk (\(problems.joined(separator: " and "))): restart the VM "
                + "to run the patched version", evidence: evidence, subject: subject)
    }

    /// The deleted files mapped as code or shared objects in a `/proc/PID/maps` text, unique, in order.
    ///
    /// Anonymous shared memory also shows as deleted (`/memfd:pc.ram (deleted)`, `/dev/shm/…`,
    /// `/SYSV…`): guest RAM is commonly backed that way, so those are not code and are skipped.
    static func deletedMappings(_ maps: String) -> [String] {
        var seen: Set<String> = []
        var result: [String] = []
        for line in maps.split(separator: "\n") {
            // address perms offset dev inode pathname — the path may contain spaces.
            var fields: [Substring] = []
            var rest = line[...]
            for _ in 0..<5 {
                rest = rest.drop(while: { $0 == " " || $0 == "\t" })
                guard let space = rest.firstIndex(where: { $0 == " " || $0 == "\t" }) else { break }
                fields.append(rest[..<space])
                rest = rest[space...]
            }
            guard fields.count == 5 else { continue }
            let path = String(rest.drop(while: { $0 == " " || $0 == "\t" }))
            guard path.hasPrefix("/"), path.hasSuffix(" (deleted)"),
                  !path.hasPrefix("/memfd:"), !path.hasPrefix("/dev/"), !path.hasPrefix("/SYSV") else { continue }
            let file = String(path.dropLast(" (deleted)".count))
            let base = file.split(separator: "/").last.map(String.init) ?? file
            guard fields[1].contains("x") || base.contains(".so") else { continue }
            if seen.insert(file).inserted { result.append(path) }
        }
        return result
    }
}
