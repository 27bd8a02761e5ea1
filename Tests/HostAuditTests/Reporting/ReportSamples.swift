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
import HostAudit
import HyperwardCore

/// The sample reports, for parameterized tests.
enum ReportSample: String, CaseIterable, Sendable {
    case ordinary, hostile, empty, audited

    /// The report.
    var report: AuditReport {
        switch self {
        case .ordinary: ReportSamples.ordinary
        case .hostile: ReportSamples.hostile
        case .empty: ReportSamples.empty
        case .audited: ReportSamples.audited()
        }
    }
}

/// Audit reports to render: an ordinary one covering every status, waiver state and evidence shape,
/// and a hostile one whose every string is built to break an output format.
enum ReportSamples {
    /// A report with each status in several threat classes, subjects, line numbers, several pieces
    /// of evidence, a finding without evidence, an active and an expired waiver.
    static var ordinary: AuditReport {
        let findings: [Finding] = [
            Finding(id: "kvm.device.mode", title: "/dev/kvm permissions", threat: .vmEscape, severity: .high,
                    status: .pass, detail: "/dev/kvm is mode 0660, group kvm.",
                    evidence: [Evidence(path: "/dev/kvm", value: "crw-rw---- root:kvm")]),
            Finding(id: "qemu.conf.user", title: "QEMU runs unprivileged", threat: .vmEscape, severity: .critical,
                    status: .fail, detail: "qemu.conf sets user = \"root\": a guest escape yields root on the host.",
                    evidence: [Evidence(path: "/etc/libvirt/qemu.conf", value: "user = \"root\"", line: 12)],
                    remediation: "Set user = \"libvirt-qemu\" in /etc/libvirt/qemu.conf and restart libvirtd.",
                    references: ["https://libvirt.org/kbase/qemu-passthrough-security.html"]),
            Finding(id: "iommu.enabled", title: "IOMMU enabled", threat: .vmEscape, severity: .high,
                    status: .warn, detail: "The IOMMU is on but in passthrough mode.",
                    evidence: [Evidence(path: "/proc/cmdline", value: "iommu=pt intel_iommu=on"),
                               Evidence(path: "/sys/class/iommu", value: "dmar0")],
                    remediation: "Remove iommu=pt from the kernel command line."),
            Finding(id: "cgroup.cpu.quota", subject: "instance-0001", title: "vCPU quota set", threat: .maliciousVM,
                    severity: .medium, status: .fail, detail: "The guest has no CPU quota.",
                    evidence: [Evidence(path: "/sys/fs/cgroup/machine.slice/cpu.max", value: "max 100000", line: 1)],
                    remediation: "Set <cputune><quota> in the domain XML.",
                    waiver: WaiverNote(reason: "Lab host, accepted until migration", expires: "2099-12-31",
                                       isExpired: false)),
            Finding(id: "cgroup.cpu.quota", subject: "instance-0002", title: "vCPU quota set", threat: .maliciousVM,
                    severity: .medium, status: .pass, detail: "The guest's CPU quota is 200000/100000."),
            Finding(id: "libvirt.socket.mode", title: "libvirt socket permissions", threat: .hypervisorVulnerability,
                    severity: .high, status: .fail, detail: "The read-write socket is world-writable.",
                    evidence: [Evidence(path: "/run/libvirt/libvirt-sock", value: "srwxrwxrwx root:root")],
                    remediation: "Set unix_sock_rw_perms = \"0770\" in libvirtd.conf.",
                    waiver: WaiverNote(reason: "Ticket OPS-12", expires: "2020-01-31", isExpired: true)),
            Finding(id: "libvirt.tls", title: "libvirt TLS", threat: .hypervisorVulnerability, severity: .medium,
                    status: .error, detail: "could not run: /etc/libvirt/libvirtd.conf: permission denied",
                    evidence: [Evidence(path: "/etc/libvirt/libvirtd.conf", value: "unreadable")],
                    remediation: "Make /etc/libvirt/libvirtd.conf readable by the auditing user and well-formed, then re-run."),
            Finding(id: "cpu.vulnerability.mds", title: "CPU vulnerability: mds", threat: .sideChannel,
                    severity: .high, status: .pass, detail: "Mitigation: Clear CPU buffers; SMT disabled",
                    evidence: [Evidence(path: "/sys/devices/system/cpu/vulnerabilities/mds",
                                        value: "Mitigation: Clear CPU buffers; SMT disabled")]),
            Finding(id: "cpu.vulnerability.retbleed", title: "CPU vulnerability: retbleed", threat: .sideChannel,
                    severity: .low, status: .notApplicable, detail: "The kernel does not report retbleed."),
            Finding(id: "cpu.microcode", title: "CPU microcode revision", threat: .sideChannel, severity: .info,
                    status: .info, detail: "microcode 0xf0",
                    evidence: [Evidence(path: "/proc/cpuinfo", value: "0xf0", line: 9)]),
            Finding(id: "smt.state", title: "SMT state", threat: .sideChannel, severity: .medium, status: .fail,
                    detail: "SMT is on while L1TF affects this CPU.", evidence: [],
                    remediation: "Boot with nosmt or set /sys/devices/system/cpu/smt/control to off."),
        ]
        return AuditReport(
            toolVersion: "0.1.0", root: "/", hostname: "kvm-host-01", kernelRelease: "6.8.0-45-generic",
            startedAt: "2026-05-01T10:00:00Z", durationSeconds: 0.4213, findings: findings, skipped: ["net.*"])
    }

    /// Characters that break formats: quotes, backslashes and bogus escapes, newlines, NUL, ESC and
    /// a CSI sequence, C1 CSI, a bidi override, XML-illegal noncharacters, markup, CDATA ends, a
    /// Prometheus sample injection, combining marks and astral-plane characters.
    static let nasty = "q\"uo'te \\ back\\slash \\u12 \\x \\\" new\nline\r\n tab\t nul\u{0} esc\u{1B}[2J\u{1B}[31mred "
        + "csi\u{9B}31m bidi\u{202E}txt\u{202C} nonchar\u{FFFE}\u{FFFF} bell\u{7} del\u{7F} <tag attr=\"x\">&amp;</testcase>"
        + "]]> <!-- --> \"} 1\nfake_metric{a=\"b\"} 2\n# TYPE x counter e\u{301}mo\u{1F600} \u{2028}\u{2029}"

    /// A report whose strings are all hostile: `nasty` everywhere, 100 000-character values, evidence
    /// longer than `Evidence` itself would allow (a decoded report is not bounded), bad line numbers,
    /// a non-date `startedAt` and a non-finite duration.
    static var hostile: AuditReport {
        let long = String(repeating: "A", count: 100_000)
        let longWords = String(repeating: "word ", count: 20_000)
        var evidence = Evidence(path: "/etc/" + nasty, value: nasty, line: 0)
        evidence.value = nasty + long
        var statuses: [Status] = Status.allCases
        statuses += Status.allCases
        var findings: [Finding] = []
        for (index, status) in statuses.enumerated() {
            let threat = ThreatClass.allCases[index % ThreatClass.allCases.count]
            let severity = Severity.allCases[index % Severity.allCases.count]
            findings.append(Finding(
                id: "hostile.\(status.rawValue).\(index)", subject: index.isMultiple(of: 2) ? nasty + "\(index)" : nil,
                title: nasty, threat: threat, severity: severity, status: status,
                detail: index == 0 ? longWords : nasty + long,
                evidence: [evidence, Evidence(path: nasty, value: "", line: -5),
                           Evidence(path: "relative:path with spaces/%41", value: "x", line: 3)],
                remediation: status.isProblem ? nasty : "", references: [nasty, "https://example.org/a b"],
                waiver: index % 3 == 0 ? WaiverNote(reason: nasty, expires: nasty, isExpired: index % 2 == 0) : nil))
        }
        // The same key twice: formats keyed on it must still produce one consistent entry.
        findings.append(Finding(id: "hostile.fail.1", title: "duplicate", threat: .maliciousVM, severity: .low,
                                status: .pass, detail: "duplicate key"))
        findings.append(Finding(id: "hostile.long.subject", subject: long, title: long, threat: .networkThreat,
                                severity: .critical, status: .fail, detail: long, remediation: long))
        return AuditReport(
            toolVersion: nasty, root: "/srv/root with space/" + nasty, hostname: nasty, kernelRelease: nasty,
            startedAt: nasty, durationSeconds: .nan, findings: findings, skipped: [nasty, ""])
    }

    /// An empty report: no findings at all.
    static var empty: AuditReport {
        AuditReport(toolVersion: "0.1.0", root: "/", hostname: nil, kernelRelease: nil,
                    startedAt: "2026-05-01T10:00:00Z", durationSeconds: 0, findings: [])
    }

    /// A report produced by the real auditor over a fixture host holding hostile files.
    static func audited() -> AuditReport {
        let host = FixtureHost()
        host.write("/proc/sys/kernel/hostname", "evil\u{1B}]0;pwned\u{7}host\n")
        host.write("/proc/sys/kernel/osrelease", "6.1.0-\u{202E}lmth.exe\n")
        host.write("/proc/cmdline", bytes: [0x69, 0x6F, 0x6D, 0x6D, 0x75, 0x3D, 0xFF, 0xFE, 0x00, 0x22, 0x0A])
        host.write("/proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t\t: vmx ept \u{0}\n\n")
        host.write("/sys/devices/system/cpu/vulnerabilities/mds", "Vulnerable; SMT vulnerable \"\\\n")
        host.write("/sys/devices/system/cpu/vulnerabilities/bogus<&>", String(repeating: "\u{1}", count: 5000))
        host.write("/sys/devices/system/cpu/smt/control", "on\n")
        return Auditor().run(context: host.context(), toolVersion: "0.1.0-test")
    }


    /// The report as Foundation's `JSONEncoder` writes it: an independent view of the truth that
    /// oracle scripts compare renderer output against.
    static func truth(_ report: AuditReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return try encoder.encode(report)
    }
}
