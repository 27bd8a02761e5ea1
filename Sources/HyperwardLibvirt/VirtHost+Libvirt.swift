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
import HyperwardHost

/// Quick questions to libvirt about one domain.
extension VirtHost {
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
}
