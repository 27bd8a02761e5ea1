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

/// File permissions around libvirt: its configuration, its TLS private keys, and guest images and
/// state. Each problem is its own finding, with the path as subject.
public struct LibvirtPermissionsCheck: Check {
    /// Creates the check.
    public init() {}

    static let configDirectory = "/etc/libvirt"
    /// Bounds for walking `/etc/libvirt`.
    static let maxDepth = 4
    static let maxEntries = 4096

    static let privateKeyDirectory = "/etc/pki/libvirt/private"
    /// Keys QEMU itself must read (it serves VNC/SPICE/migration TLS), so QEMU's group may read them.
    static let qemuKeys = [
        "/etc/pki/libvirt-vnc/server-key.pem", "/etc/pki/libvirt-spice/server-key.pem", "/etc/pki/qemu/server-key.pem",
    ]
    /// Groups QEMU runs as on common distributions.
    static let qemuGroups: Set<String> = ["libvirt-qemu", "qemu", "kvm"]

    static let imageDirectories = ["/var/lib/libvirt/images", "/var/lib/libvirt/qemu"]

    static let configPermissions = CheckDescriptor(
        id: "perm.libvirt-config", title: "libvirt configuration is not writable by others", threat: .hypervisorVulnerability,
        severity: .high, reads: [configDirectory + "/**"],
        failsWhen: "A file or directory under /etc/libvirt is world-writable, or a file that sets `vnc_password`/"
            + "`spice_password` is world-readable.",
        rationale: "Whoever writes libvirt's configuration picks the user QEMU runs as, its security driver and hooks run "
            + "as root; console passwords in a world-readable file are everyone's.",
        remediation: "`chmod o-w` the paths listed; keep files with passwords at 0600 root:root.",
        references: ["https://libvirt.org/drvqemu.html#graphics"])
    static let tlsKeys = CheckDescriptor(
        id: "perm.tls-keys", title: "libvirt TLS private keys are private", threat: .hypervisorVulnerability, severity: .high,
        reads: [privateKeyDirectory + "/*.pem"] + qemuKeys,
        failsWhen: "A key under /etc/pki/libvirt/private is group- or world-readable, or a VNC/SPICE/QEMU server key is "
            + "world-readable or group-readable by a group other than QEMU's.",
        rationale: "The server key authenticates the host to management clients and migration peers; a copy lets an "
            + "attacker impersonate the host or decrypt its sessions.",
        remediation: "`chmod 0600` the libvirt keys (root:root); QEMU's server keys `0440` root:<QEMU's group>.",
        references: ["https://libvirt.org/kbase/tlscerts.html"])
    static let vmImages = CheckDescriptor(
        id: "perm.vm-images", title: "Guest images and state are private", threat: .vmEscape, severity: .high,
        reads: imageDirectories.map { $0 + "/*" },
        failsWhen: "A guest image or state file is world-readable (high) or anything there is world-writable (critical); "
            + "a world-readable directory leaks guest names (medium).",
        rationale: "Disk images and saved memory hold the guests' data and secrets; a writable image is code execution "
            + "inside the guest at its next boot.",
        remediation: "`chmod o-rwx` the paths listed; libvirt's defaults are 0711 for images/ and 0750 for qemu/.",
        references: ["https://libvirt.org/drvqemu.html#posix-users-groups"])

    /// The ids of this check, in report order.
    public var descriptors: [CheckDescriptor] { [Self.configPermissions, Self.tlsKeys, Self.vmImages] }

    /// Runs the check; never throws: unreadable input becomes `error` findings.
    public func run(in context: AuditContext) -> [Finding] {
        let fs = context.fs
        let accounts = HostAccounts(fs: fs)
        return configFindings(fs) + keyFindings(fs, accounts: accounts) + imageFindings(fs)
    }

    func statusEvidence(_ path: String, _ status: FileStatus) -> Evidence {
        Evidence(path: path, value: "\(status.kind.rawValue) mode \(status.octalPermissions) uid \(status.uid) gid \(status.gid)")
    }

    /// Whether users other than the owner and group can reach `path` by name: every directory
    /// above it grants "other" search (x) permission. Below a 0750 directory, world bits on the
    /// entries give nobody anything, so they are not reported.
    func isReachableByOthers(_ path: String, fs: any HostFileSystem) -> Bool {
        var parent = ""
        for component in path.split(separator: "/").dropLast() {
            parent += "/" + component
            guard let status = try? fs.status(parent, followingSymlinks: true) else { return false }
            if status.permissions & 0o001 == 0 { return false }
        }
        return true
    }

    /// Every path under `root` (itself included), depth- and count-bounded, symlinks not followed,
    /// each with whether others can reach it.
    func walk(_ root: String, fs: any HostFileSystem) -> [(path: String, status: FileStatus, reachable: Bool)] {
        var result: [(String, FileStatus, Bool)] = []
        var pending: [(String, Int, Bool)] = [(root, 0, isReachableByOthers(root, fs: fs))]
        while let (path, depth, reachable) = pending.popLast(), result.count < Self.maxEntries {
            guard let status = try? fs.status(path, followingSymlinks: false) else { continue }
            result.append((path, status, reachable))
            guard status.kind == .directory, depth < Self.maxDepth, let names = try? fs.listDirectory(path) else { continue }
            let childrenReachable = reachable && status.permissions & 0o001 != 0
            for name in names.reversed() { pending.append(("\(path)/\(name)", depth + 1, childrenReachable)) }
        }
        return result
    }

    func configFindings(_ fs: any HostFileSystem) -> [Finding] {
        let d = Self.configPermissions
        guard fs.isDirectory(Self.configDirectory) else {
            return [d.finding(.notApplicable, "\(Self.configDirectory) does not exist: libvirt is not installed",
                              evidence: [Evidence(path: Self.configDirectory, value: "not found")])]
        }
        var findings: [Finding] = []
        let entries = walk(Self.configDirectory, fs: fs)
        for (path, status, reachable) in entries where status.kind != .symlink && reachable {
            if status.isWorldWritable && !(status.kind == .directory && status.permissions & 0o1000 != 0) {
                findings.append(d.finding(.fail, "\(path) is world-writable: any local user can rewrite libvirt's configuration",
                                          evidence: [statusEvidence(path, status)], subject: path))
            }
            if status.kind == .regular && status.isWorldReadable && path.hasSuffix(".conf"),
               let config = try? LibvirtConfig.load(path, from: fs) {
                let secrets = config.entries.filter { LibvirtConfig.isSecret($0.key) }
                if !secrets.isEmpty {
                    findings.append(d.finding(
                        .fail, "\(path) is world-readable and holds \(secrets.map(\.key).joined(separator: ", "))",
                        evidence: [statusEvidence(path, status)] + secrets.map { Evidence(path: path, value: "\($0.key) = (set, value hidden)", line: $0.line) },
                        subject: path))
                }
            }
        }
        if findings.isEmpty {
            findings.append(d.finding(.pass, "nothing under \(Self.configDirectory) is world-writable or exposes a password (\(entries.count) paths)",
                                      evidence: [statusEvidence(Self.configDirectory, entries.first?.status ?? FileStatus(kind: .directory, permissions: 0, uid: 0, gid: 0, size: 0))]))
        }
        return findings
    }

    func keyFindings(_ fs: any HostFileSystem, accounts: HostAccounts) -> [Finding] {
        let d = Self.tlsKeys
        var keys: [(path: String, qemuReadable: Bool)] = []
        if let names = try? fs.listDirectory(Self.privateKeyDirectory) {
            keys += names.filter { $0.hasSuffix(".pem") }.map { ("\(Self.privateKeyDirectory)/\($0)", false) }
        }
        keys += Self.qemuKeys.filter { fs.exists($0) }.map { ($0, true) }
        if keys.isEmpty {
            return [d.finding(.notApplicable, "no libvirt TLS private key is installed",
                              evidence: ([Self.privateKeyDirectory] + Self.qemuKeys).map { Evidence(path: $0, value: "not found") })]
        }
        var findings: [Finding] = []
        var checked: [Evidence] = []
        for (path, qemuReadable) in keys {
            let status: FileStatus
            do {
                status = try fs.status(path, followingSymlinks: true)
            } catch {
                findings.append(d.error(error, path: path, subject: path))
                continue
            }
            let groupName = accounts.group(gid: status.gid)?.name
            let evidence = [statusEvidence(path, status), Evidence(path: "/etc/group", value: "gid \(accounts.describe(gid: status.gid))")]
            if status.isWorldReadable {
                findings.append(d.finding(.fail, "\(path) is world-readable: any local user can copy the host's TLS key",
                                          evidence: evidence, subject: path))
            } else if status.isGroupReadable && !(qemuReadable && groupName.map(Self.qemuGroups.contains) == true) {
                findings.append(d.finding(.fail, "\(path) is readable by group \(accounts.describe(gid: status.gid))",
                                          evidence: evidence, subject: path))
            } else {
                checked.append(evidence[0])
            }
        }
        if findings.isEmpty {
            findings.append(d.finding(.pass, "\(keys.count) TLS private key\(keys.count == 1 ? " is" : "s are") private", evidence: checked))
        }
        return findings
    }

    func imageFindings(_ fs: any HostFileSystem) -> [Finding] {
        let d = Self.vmImages
        let present = Self.imageDirectories.filter { fs.isDirectory($0) }
        if present.isEmpty {
            return [d.finding(.notApplicable, "no libvirt image or state directory exists",
                              evidence: Self.imageDirectories.map { Evidence(path: $0, value: "not found") })]
        }
        var findings: [Finding] = []
        var count = 0
        for directory in present where isReachableByOthers(directory, fs: fs) {
            var paths = [directory]
            // Entries of a directory others cannot search are out of their reach whatever their mode.
            let searchable = ((try? fs.status(directory, followingSymlinks: true))?.permissions ?? 0) & 0o001 != 0
            if searchable, let names = try? fs.listDirectory(directory) {
                paths += names.prefix(Self.maxEntries).map { "\(directory)/\($0)" }
            }
            for path in paths {
                // An image may be a symlink to elsewhere: judge what it points to.
                guard let status = try? fs.status(path, followingSymlinks: true) else { continue }
                count += 1
                let evidence = [statusEvidence(path, status)]
                let isDirectory = status.kind == .directory
                if status.isWorldWritable && !(isDirectory && status.permissions & 0o1000 != 0) {
                    findings.append(d.finding(.fail, "\(path) is world-writable: any local user can alter guest disks or state",
                                              evidence: evidence, subject: path, severity: .critical))
                } else if status.isWorldReadable {
                    findings.append(isDirectory
                        ? d.finding(.fail, "\(path) is world-listable: any local user sees guest and image names",
                                    evidence: evidence, subject: path, severity: .medium)
                        : d.finding(.fail, "\(path) is world-readable: any local user can read the guest's data",
                                    evidence: evidence, subject: path))
                }
            }
        }
        if findings.isEmpty {
            findings.append(d.finding(.pass, "no guest image or state path is world-readable or world-writable (\(count) paths)",
                                      evidence: present.map { Evidence(path: $0, value: "checked") }))
        }
        return findings
    }
}
