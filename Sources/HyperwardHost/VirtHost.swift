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

/// The host facts a disk key is bound to, and the libvirt/QEMU plumbing of the commands that
/// start VMs, make disks and respond to incidents.
public enum VirtHost {
    /// This host's identity: /etc/machine-id.
    public static func machineID() throws(HyperwardError) -> String {
        guard let text = try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8) else {
            throw HyperwardError(.hostFacts, "cannot read /etc/machine-id (the host's identity)")
        }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard id.count == 32, id.allSatisfy(\.isHexDigit) else { throw HyperwardError(.hostFacts, "/etc/machine-id is not a machine id") }
        return id
    }

    /// `virsh -c qemu:///system ARGUMENTS`, for the changes that have no call in
    /// `LibvirtConnection` yet (secrets, domain lifecycle, snapshots, block jobs, memory dumps);
    /// every read goes through the C API.
    public static func virsh(_ arguments: [String]) -> HostCommand.Result {
        HostCommand.run(["/usr/bin/virsh", "-c", LibvirtConnection.systemURI] + arguments)
    }

    /// A read-only connection to the system driver, opened for one question.
    static func withConnection<T>(_ body: (LibvirtConnection) -> T?) -> T? {
        guard let connection = try? LibvirtConnection(uri: LibvirtConnection.systemURI, readOnly: true) else { return nil }
        return body(connection)
    }

    /// The UUID of a defined domain (lower case), or nil.
    public static func domainUUID(_ name: String) -> String? {
        withConnection { $0.domain(named: name)?.uuid.lowercased() }
    }

    /// Whether the domain is running or paused (it has a QEMU process).
    public static func domainIsActive(_ name: String) -> Bool {
        withConnection { $0.domain(named: name)?.isActive } ?? false
    }

    /// Runs `body` with the path of a memory file holding `secret` (see `SecretMemoryFile`): a
    /// client such as virsh reads it, and it never exists on a file system.
    public static func withSecret<T>(_ secret: [UInt8], _ body: (String) throws -> T) throws -> T {
        let file: SecretMemoryFile
        do { file = try SecretMemoryFile(secret) } catch let error as FileCreationError {
            throw HyperwardError(.commandFailed, error.message)
        }
        return try withExtendedLifetime(file) { try body(file.path) }
    }

    /// Sizes like 10G, 512M, 1048576 (bytes), as qemu-img takes them.
    public static func validSize(_ size: String) -> Bool {
        guard let last = size.last else { return false }
        let digits = "KMGT".contains(last.uppercased()) ? size.dropLast() : Substring(size)
        return !digits.isEmpty && digits.count <= 15 && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
            && (Int(digits) ?? 0) > 0
    }
}

extension HyperwardError.Code {
    /// A fact about this host (its machine id) cannot be read.
    public static let hostFacts = HyperwardError.Code("host-facts")
}
