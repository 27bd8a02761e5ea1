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
import HyperwardHost
import HyperwardLibvirt
import KeyManagement

/// Starting a VM whose disks are encrypted: every disk key is authorized for this VM (its UUID)
/// on this host before anything is handed to libvirt; the keys go to libvirt as ephemeral private
/// secrets through its C API, the domain starts, and the secrets are removed. A plain
/// `virsh start` finds no secret and fails instead of booting without its disks.
public enum EncryptedVMStart {
    /// Starts `name`; returns how many encrypted disks it has. A refusal starts nothing and is
    /// recorded as an event (`vm.start.refused`); a start as `vm.start`.
    public static func start(_ name: String, operations: KeyOperations, access: KeyAccess) throws -> Int {
        // Measured boot first: a host that booted something unverified releases no key.
        do { try AttestationGate.check(operations.configuration, releasing: "start \(name)") } catch {
            operations.record("vm.start.refused", key: nil, version: nil, outcome: KeyError(.unauthorized, "attestation"), vm: name,
                              message: String(error.message.prefix(400)))
            throw error
        }
        guard let uuid = VirtHost.domainUUID(name) else {
            throw HyperwardError(.unknownItem, "no libvirt domain named \(name.debugDescription)")
        }
        let host = try VirtHost.machineID()
        let store = try operations.open(access)
        let disks = try store.diskKeys(vmName: name)
        // Authorize every disk before anything is defined.
        var released: [(DiskKeyRecord, [UInt8])] = []
        defer { for i in released.indices { for j in released[i].1.indices { released[i].1[j] = 0 } } }
        for disk in disks {
            do throws(KeyError) {
                released.append((disk, try store.releaseDiskKey(disk, vmUUID: uuid, host: host)))
            } catch {
                operations.record("vm.start.refused", key: disk.keyName, version: nil, outcome: error, vm: name,
                                  message: "refused to release the disk key of \(disk.path) to \(name) \(uuid): \(error.code.rawValue)")
                throw HyperwardError(exitStatus: error.exitCode, "refused to start \(name): \(error.message)")
            }
        }
        let libvirt = try LibvirtConnection(readOnly: false)
        var defined: [String] = []
        var undo: [Int] = []
        defer {
            for secret in defined { libvirt.undefineSecret(uuid: secret) }
            for token in undo { Cleanup.untrack(token) }
        }
        for (disk, passphrase) in released {
            let xml = """
                <secret ephemeral='yes' private='yes'>
                  <uuid>\(disk.secretUUID)</uuid>
                  <description>hyperward disk key for \(DomainXML.escaped(name))</description>
                  <usage type='volume'><volume>\(DomainXML.escaped(disk.path))</volume></usage>
                </secret>
                """
            // Stopped by a signal half-way, libvirt's copy of the key is removed all the same.
            let secretUUID = disk.secretUUID
            undo.append(Cleanup.track(action: { libvirt.undefineSecret(uuid: secretUUID) }))
            _ = try libvirt.defineSecret(xml: xml)
            defined.append(secretUUID)
            try libvirt.setSecretValue(uuid: secretUUID, passphrase)
        }
        do {
            try LibvirtDomainControl(connection: libvirt).start(name)
        } catch {
            operations.record("vm.start", key: nil, version: nil, outcome: KeyError(.storage, "libvirt"), vm: name,
                              message: "libvirt could not start \(name): \(error.message.prefix(200))")
            throw HyperwardError(.software, "starting \(name) failed: \(error.message.prefix(500))")
        }
        // QEMU holds the keys now; the deferred undefine removes libvirt's copies.
        operations.record("vm.start", key: disks.first?.keyName, version: nil, outcome: nil, vm: name,
                          message: "started \(name) \(uuid) with \(disks.count) encrypted disk(s); secrets removed")
        return disks.count
    }
}
