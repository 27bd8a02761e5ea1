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

/// Least-privilege checks: QEMU processes, libvirt daemons and their configuration, permissions.
public enum LeastPrivilegeChecks {
    /// The checks of this area, in report order.
    public static var all: [any Check] {
        [
            QEMUProcessCheck(),
            QEMUConfigCheck(),
            DaemonConfigCheck(),
            LibvirtPermissionsCheck(),
            LibvirtGroupCheck(),
            MACEnforcementCheck(),
        ]
    }
}
