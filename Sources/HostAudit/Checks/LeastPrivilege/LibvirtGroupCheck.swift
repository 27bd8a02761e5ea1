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

/// Who holds root-equivalent control through group membership: members of `libvirt` (the
/// management socket's group, which polkit's shipped rule lets manage every guest) and of
/// `libvirt-qemu` (QEMU's group, which owns running guests' disks).
public struct LibvirtGroupCheck: Check {
    /// Creates the check.
    public init() {}

    /// The groups reported, and the member expected in each (QEMU's own user).
    static let groups: [(name: String, expected: Set<String>)] = [
        ("libvirt", []),
        ("libvirt-qemu", ["libvirt-qemu"]),
    ]

    static let members = CheckDescriptor(
        id: "libvirt.group-members", title: "Who is root-equivalent through libvirt's groups", threat: .hypervisorVulnerability,
        severity: .medium, reads: ["/etc/group", "/etc/passwd"],
        failsWhen: "The `libvirt` group, or the `libvirt-qemu` group beyond the libvirt-qemu user itself, has members "
            + "(listed or by primary group): warn, naming them.",
        rationale: "Members of `libvirt` may manage every guest over the read-write socket without a password, and "
            + "can define a guest that mounts the host's disks: that is root on the host. Members of `libvirt-qemu` "
            + "read and write running guests' disks.",
        remediation: "Remove users who don't need it (`gpasswd -d USER libvirt`); give limited rights with "
            + "`access_drivers = [ \"polkit\" ]` rules instead.",
        references: ["https://libvirt.org/auth.html#unix-socket-permissions-group", "https://libvirt.org/acl.html"])

    /// The ids of this check.
    public var descriptors: [CheckDescriptor] { [Self.members] }

    /// Runs the check; never throws: unreadable input becomes `error` findings.
    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.members
        let groupText: String
        do {
            groupText = try context.fs.readText("/etc/group", limit: HostAccounts.maxFileSize)
        } catch where error.code == .notFound {
            return [d.finding(.notApplicable, "/etc/group does not exist", evidence: [Evidence(path: "/etc/group", value: "not found")])]
        } catch {
            return [d.error(error, path: "/etc/group")]
        }
        let passwd = (try? context.fs.readText("/etc/passwd", limit: HostAccounts.maxFileSize)) ?? ""
        let accounts = HostAccounts(passwd: passwd, group: groupText)
        var evidence: [Evidence] = []
        var extra: [String] = []
        var found = false
        for (name, expected) in Self.groups {
            guard let group = accounts.group(named: name) else { continue }
            found = true
            let members = accounts.members(of: group).filter { !expected.contains($0) }
            evidence.append(Evidence(path: "/etc/group",
                                     value: "\(name) (gid \(group.gid)): " + (members.isEmpty ? "no members" : members.joined(separator: ", "))))
            extra += members.map { "\($0) (\(name))" }
        }
        guard found else {
            return [d.finding(.notApplicable, "neither a libvirt nor a libvirt-qemu group exists",
                              evidence: [Evidence(path: "/etc/group", value: "no libvirt groups")])]
        }
        if extra.isEmpty {
            return [d.finding(.pass, "no user is root-equivalent through libvirt's groups", evidence: evidence)]
        }
        return [d.finding(.warn, "\(extra.count) membership\(extra.count == 1 ? "" : "s") grant\(extra.count == 1 ? "s" : "") "
                          + "root-equivalent control of the guests: \(extra.joined(separator: ", "))", evidence: evidence)]
    }
}
