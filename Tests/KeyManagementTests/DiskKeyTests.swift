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
import Testing

@testable import KeyManagement

@Suite("Disk keys")
struct DiskKeyTests {
    static let uuid = "6f2c9e4a-1b3d-4c5e-8f70-a1b2c3d4e5f6"
    static let host = "3d1219c7c4c5404aaa1f6d2a48adfda4"

    @Test("a disk key is released to its VM on its host, and to nothing else")
    func release() throws {
        let directory = KeyLab.directory()
        let store = try KeyLab.keystore(directory)
        let (record, passphrase) = try store.newDiskKey(vmName: "web1", vmUUID: Self.uuid.uppercased(), host: Self.host, path: "/var/lib/disks/web1.img", format: "luks")
        #expect(passphrase.count == 44 && record.keyName == "vm.web1" && record.vmUUID == Self.uuid)
        try store.store(record)
        KeyLab.expectError(.invalidArgument) { try store.store(record) }
        let stored = try #require(try store.diskKeys(vmName: "web1").first)
        #expect(try store.releaseDiskKey(stored, vmUUID: Self.uuid, host: Self.host) == passphrase)

        KeyLab.expectError(.unauthorized) { _ = try store.releaseDiskKey(stored, vmUUID: UUID().uuidString, host: Self.host) }
        KeyLab.expectError(.unauthorized) { _ = try store.releaseDiskKey(stored, vmUUID: Self.uuid, host: "0" + Self.host.dropFirst()) }
        // A record edited to name another VM or path no longer decrypts: its context is bound.
        var moved = stored
        moved.path = "/var/lib/disks/other.img"
        KeyLab.expectError(.unauthorized) { _ = try store.releaseDiskKey(moved, vmUUID: Self.uuid, host: Self.host) }
        var adopted = stored
        adopted.vmUUID = "00000000-0000-4000-8000-000000000000"
        KeyLab.expectError(.unauthorized) { _ = try store.releaseDiskKey(adopted, vmUUID: adopted.vmUUID, host: Self.host) }

        #expect(try store.revokeDisks(vmName: "web1") == 1)
        let revoked = try #require(try store.diskKeys(vmName: "web1").first)
        KeyLab.expectError(.unauthorized) { _ = try store.releaseDiskKey(revoked, vmUUID: Self.uuid, host: Self.host) }
        // The VM's key version gone below the minimum: refused as disabled.
        try store.rotate("vm.web1")
        try store.configure("vm.web1", minDecryptionVersion: 2)
        KeyLab.expectError(.versionDisabled) { _ = try store.releaseDiskKey(stored, vmUUID: Self.uuid, host: Self.host) }
    }

    @Test("bad disk arguments", arguments: [
        ("not-a-uuid", "/d.img", "luks"), (uuid, "relative.img", "luks"), (uuid, "/d.img", "vmdk"), (uuid, "/a\nb", "luks"),
    ])
    func arguments(uuid: String, path: String, format: String) throws {
        let store = try KeyLab.keystore()
        KeyLab.expectError(.invalidArgument) { _ = try store.newDiskKey(vmName: "web1", vmUUID: uuid, host: Self.host, path: path, format: format) }
    }
}
