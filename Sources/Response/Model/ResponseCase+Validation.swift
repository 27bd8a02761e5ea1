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

extension ResponseCase {
    /// The step kinds a pending step may have.
    static let pendingStepKinds: Set<String> = [
        "quarantine.network", "quarantine.pause", "release.network", "release.resume", "restore.disk", "restore.start",
    ]

    /// What is wrong with a case read from disk, or nil. The case file is root's, in a 0700
    /// directory, but response acts on the paths in it (hashes them, makes them read-only,
    /// removes overlays, backs disks with them), so nothing is taken on trust: every name and
    /// path must be one response itself would have written, and a pending overlay must be the
    /// one its base and snapshot name give (removing it can then only remove an overlay).
    public func problem(vm expected: String) -> String? {
        guard vm == expected else { return "it names the domain \(vm.prefix(80).debugDescription), not \(expected)" }
        if let id = quarantineID, !ResponseNames.isID(id) { return "quarantineID \(id.prefix(40).debugDescription) is not an id" }
        if let namespace, !Self.isPlainName(namespace, limit: 255) { return "namespace \(namespace.prefix(40).debugDescription) is not a namespace name" }
        for (index, tap) in interfaces.enumerated() where !Self.isPlainName(tap, limit: 15) {
            return "interfaces[\(index)] \(tap.prefix(40).debugDescription) is not an interface name"
        }
        for (index, mac) in macs.enumerated() where (try? MACAddress(parsing: mac)) == nil || mac != mac.lowercased() {
            return "macs[\(index)] \(mac.prefix(40).debugDescription) is not a lower-case MAC address"
        }
        for (index, address) in addresses.enumerated() where (try? IPNetwork(address: address)) == nil {
            return "addresses[\(index)] \(address.prefix(60).debugDescription) is not an address"
        }
        for (index, entry) in evidence.enumerated() {
            let field = "evidence[\(index)]"
            guard entry.kind == "memory" || (entry.kind.hasPrefix("disk:") && Self.isPlainName(String(entry.kind.dropFirst(5)), limit: 64)) else {
                return "\(field).kind \(entry.kind.prefix(40).debugDescription) is neither memory nor disk:TARGET"
            }
            if let problem = Self.pathProblem(entry.path, field: "\(field).path") { return problem }
            guard Self.isDigest(entry.sha256) else { return "\(field).sha256 is not a SHA-256" }
            guard entry.bytes >= 0 else { return "\(field).bytes is negative" }
        }
        for (index, snapshot) in snapshots.enumerated() {
            let field = "snapshots[\(index)]"
            guard ResponseNames.isSnapshotName(snapshot.name) else { return "\(field).name \(snapshot.name.prefix(80).debugDescription) is not a snapshot name" }
            guard Self.isPlainName(snapshot.target, limit: 64) else { return "\(field).target is not a disk target" }
            if let problem = Self.pathProblem(snapshot.base, field: "\(field).base") { return problem }
            guard DomainFacts.snapshotFormats.contains(snapshot.format) else { return "\(field).format \(snapshot.format.prefix(20).debugDescription) is neither raw nor qcow2" }
            guard Self.isDigest(snapshot.sha256) else { return "\(field).sha256 is not a SHA-256" }
        }
        if let pending = pendingSnapshot {
            guard ResponseNames.isSnapshotName(pending.name) else { return "pendingSnapshot.name is not a snapshot name" }
            guard pending.purpose == "golden" || pending.purpose == "evidence" else { return "pendingSnapshot.purpose is neither golden nor evidence" }
            if let problem = Self.disksProblem(pending.disks, label: pending.name, field: "pendingSnapshot") { return problem }
        }
        if let pending = pendingRestore {
            guard ResponseNames.isSnapshotName(pending.name) else { return "pendingRestore.name is not a snapshot name" }
            if let id = pending.id, !ResponseNames.isRestoreID(id) { return "pendingRestore.id \(id.prefix(40).debugDescription) is not an id" }
            if let disks = pending.disks {
                guard let id = pending.id else { return "pendingRestore has disks but no id" }
                if let problem = Self.disksProblem(disks, label: ResponseNames.restoreLabel(id: id), field: "pendingRestore") { return problem }
            }
        }
        if let step = pendingStep, !Self.pendingStepKinds.contains(step.kind) {
            return "pendingStep.kind \(step.kind.prefix(40).debugDescription) is not a step this case can have pending"
        }
        return nil
    }

    static func disksProblem(_ disks: [PendingDisk], label: String, field: String) -> String? {
        for (index, disk) in disks.enumerated() {
            let field = "\(field).disks[\(index)]"
            guard isPlainName(disk.target, limit: 64) else { return "\(field).target is not a disk target" }
            if let problem = pathProblem(disk.base, field: "\(field).base") { return problem }
            guard DomainFacts.snapshotFormats.contains(disk.format) else { return "\(field).format is neither raw nor qcow2" }
            guard disk.overlay == ResponseNames.overlay(base: disk.base, label: label) else {
                return "\(field).overlay \(disk.overlay.prefix(120).debugDescription) is not the overlay response names for its base"
            }
        }
        return nil
    }

    /// A problem with a path response would act on: absolute, no `.` or `..` component, no
    /// control character.
    static func pathProblem(_ path: String, field: String) -> String? {
        guard path.hasPrefix("/"), path.count <= 4096 else { return "\(field) is not an absolute path" }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return "\(field) has a control character" }
        guard !path.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) else {
            return "\(field) \(path.prefix(120).debugDescription) has a . or .. component"
        }
        return nil
    }

    /// An interface, disk target or namespace name: printable ASCII without `/`, spaces or quotes.
    static func isPlainName(_ name: String, limit: Int) -> Bool {
        !name.isEmpty && name.utf8.count <= limit && name != "." && name != ".."
            && name.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && !"/\"'\\".unicodeScalars.contains($0) }
    }

    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }
}
