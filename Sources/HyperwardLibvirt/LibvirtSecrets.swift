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

import CLibvirt
import Foundation
import HyperwardCore
import HyperwardHost

/// libvirt secrets (the disk keys QEMU needs while a VM starts), through the C API: the key goes
/// from this process's memory to libvirtd over its socket, never through a file or another process.
extension LibvirtConnection {
    /// Defines a secret from its XML (`ephemeral` and `private` secrets are never written to
    /// disk by libvirt nor read back); returns its UUID as libvirt reports it.
    public func defineSecret(xml: String) throws(HyperwardError) -> String {
        lock.lock()
        defer { lock.unlock() }
        guard let secret = virSecretDefineXML(pointer, xml, 0) else {
            throw HyperwardError(.libvirt, "libvirt refused the secret: \(Libvirt.lastError())")
        }
        defer { virSecretFree(secret) }
        var uuid = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
        guard virSecretGetUUIDString(secret, &uuid) == 0 else {
            throw HyperwardError(.libvirt, "cannot read the secret's UUID: \(Libvirt.lastError())")
        }
        return String(decoding: uuid.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sets the value of the secret `uuid`.
    public func setSecretValue(uuid: String, _ value: [UInt8]) throws(HyperwardError) {
        lock.lock()
        defer { lock.unlock() }
        guard let secret = virSecretLookupByUUIDString(pointer, uuid) else {
            throw HyperwardError(.notFound, "no libvirt secret \(uuid)")
        }
        defer { virSecretFree(secret) }
        let status = value.withUnsafeBufferPointer { virSecretSetValue(secret, $0.baseAddress, $0.count, 0) }
        guard status == 0 else {
            throw HyperwardError(.libvirt, "libvirt refused the value of secret \(uuid): \(Libvirt.lastError())")
        }
    }

    /// Removes the secret `uuid`; true when it existed and is gone.
    @discardableResult
    public func undefineSecret(uuid: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let secret = virSecretLookupByUUIDString(pointer, uuid) else { return false }
        defer { virSecretFree(secret) }
        return virSecretUndefine(secret) == 0
    }
}
