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

import ArgumentParser
import Foundation
import HyperwardCore
import HyperwardHost
import KeyManagement

/// `hyperward vm`: VM operations that need the key service.
struct VMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm",
        abstract: "Start VMs whose disks are encrypted: keys are released only to the VM they belong to, on its host.",
        subcommands: [Start.self]
    )

    /// A VM's recorded disk: the one at `path`, or its only one.
    static func disk(of vm: String, path: String?, in store: Keystore) throws -> DiskKeyRecord {
        let disks = try store.diskKeys(vmName: vm)
        if let path {
            guard let record = disks.first(where: { $0.path == path }) else {
                throw HyperwardError(.unknownItem, "\(path) is not a recorded disk of \(vm)")
            }
            return record
        }
        guard disks.count == 1, let record = disks.first else {
            throw HyperwardError(.unknownItem, disks.isEmpty ? "\(vm) has no encrypted disk recorded" : "\(vm) has \(disks.count) disks: name one with --disk")
        }
        return record
    }
}

extension VMCommand {
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start",
            abstract: "Authorize the start, hand the disk keys to libvirt as ephemeral private secrets, start the domain, remove the secrets.",
            discussion: """
                The domain's UUID must be the one its disks were made for and this host the one they \
                may start on; a refusal starts nothing and is recorded as an event. The secrets exist \
                only while QEMU starts: a plain `virsh start` finds none and fails instead of booting \
                without its disks. Exit codes as for `hyperward keys`; 69 refused; 70 libvirt failed.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Argument(help: "The libvirt domain.") var name: String

        func run() async throws {
            try await reportingErrors {
                let context = try KeyCommandContext(global: global)
                guard let uuid = VirtHost.domainUUID(name) else {
                    throw HyperwardError(.unknownItem, "no libvirt domain named \(name.debugDescription)")
                }
                let host = try VirtHost.machineID()
                let store = try context.open(access)
                let disks = try store.diskKeys(vmName: name)
                // Authorize every disk before anything is defined.
                var released: [(DiskKeyRecord, [UInt8])] = []
                for disk in disks {
                    do throws(KeyError) {
                        released.append((disk, try store.releaseDiskKey(disk, vmUUID: uuid, host: host)))
                    } catch {
                        context.record("vm.start.refused", key: disk.keyName, version: nil, outcome: error, vm: name,
                                       message: "refused to release the disk key of \(disk.path) to \(name) \(uuid): \(error.code.rawValue)")
                        throw HyperwardError(exitStatus: error.exitCode, "refused to start \(name): \(error.message)")
                    }
                }
                var defined: [String] = []
                var undo: [Int] = []
                defer {
                    for secret in defined { _ = VirtHost.virsh(["secret-undefine", secret]) }
                    for token in undo { Cleanup.untrack(token) }
                    for i in released.indices { for j in released[i].1.indices { released[i].1[j] = 0 } }
                }
                for (disk, passphrase) in released {
                    let xml = """
                        <secret ephemeral='yes' private='yes'>
                          <uuid>\(disk.secretUUID)</uuid>
                          <description>hyperward disk key for \(DiskCommand.Create.xmlEscaped(name))</description>
                          <usage type='volume'><volume>\(DiskCommand.Create.xmlEscaped(disk.path))</volume></usage>
                        </secret>
                        """
                    // Stopped by a signal half-way, libvirt's copy of the key is removed all the same.
                    let uuid = disk.secretUUID
                    undo.append(Cleanup.track(action: { _ = VirtHost.virsh(["secret-undefine", uuid]) }))
                    try VirtHost.withSecret(Array(xml.utf8)) { file in
                        let result = VirtHost.virsh(["secret-define", "--file", file])
                        guard result.status == 0 else {
                            throw HyperwardError(.software, "virsh secret-define failed: \(result.stderr.prefix(300))")
                        }
                    }
                    defined.append(disk.secretUUID)
                    try VirtHost.withSecret(passphrase) { file in
                        let result = VirtHost.virsh(["secret-set-value", "--secret", disk.secretUUID, "--file", file, "--plain"])
                        guard result.status == 0 else {
                            throw HyperwardError(.software, "virsh secret-set-value failed: \(result.stderr.prefix(300))")
                        }
                    }
                }
                let start = VirtHost.virsh(["start", "--", name])
                guard start.status == 0 else {
                    context.record("vm.start", key: nil, version: nil, outcome: KeyError(.storage, "libvirt"), vm: name, message: "libvirt could not start \(name): \(start.stderr.prefix(200))")
                    throw HyperwardError(.software, "virsh start \(name) failed: \(start.stderr.prefix(500))")
                }
                // QEMU holds the keys now; the deferred undefine removes libvirt's copies.
                context.record("vm.start", key: disks.first?.keyName, version: nil, outcome: nil, vm: name,
                               message: "started \(name) \(uuid) with \(disks.count) encrypted disk(s); secrets removed")
                Output.write("started \(name) (\(disks.count) encrypted disk\(disks.count == 1 ? "" : "s"))\n")
                return ExitStatus.completed
            }
        }
    }
}
