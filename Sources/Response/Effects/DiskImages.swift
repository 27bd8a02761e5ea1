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

/// Disk images: making a qcow2 overlay on a base. The real default is ``QemuImg``.
public protocol DiskImages: Sendable {
    /// Creates a qcow2 overlay at `path` backed by `base`, whose format is given (never probed).
    /// `path` appears only complete, so an existing one was made whole.
    func createOverlay(at path: String, base: String, baseFormat: String) throws(HyperwardError)
}

/// `qemu-img create`: the overlay is made under a temporary name, owned by the QEMU user, 0600,
/// and renamed into place.
public struct QemuImg: DiskImages {
    /// The `qemu-img` binary.
    public var qemuImgPath = "/usr/bin/qemu-img"

    /// The system's qemu-img.
    public init() {}

    /// See ``DiskImages/createOverlay(at:base:baseFormat:)``.
    public func createOverlay(at path: String, base: String, baseFormat: String) throws(HyperwardError) {
        let partial = path + ".partial"
        unlink(partial)
        let result = HostCommand.run([qemuImgPath, "create", "-q", "-f", "qcow2", "-b", base, "-F", baseFormat, partial])
        guard result.status == 0 else {
            unlink(partial)
            throw HyperwardError(.software, "qemu-img create failed: \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))")
        }
        if let user = getpwnam("libvirt-qemu") { chown(partial, user.pointee.pw_uid, user.pointee.pw_gid) }
        chmod(partial, 0o600)
        guard rename(partial, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            throw HyperwardError(.software, "cannot move the overlay into place at \(path): \(reason)")
        }
    }
}
