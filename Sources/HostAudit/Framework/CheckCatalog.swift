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

/// The full check catalog, in report order: side channels, hardware isolation, least privilege,
/// boot integrity, packages, other hypervisors.
public enum CheckCatalog {
    /// Every check Hyperward runs.
    public static var all: [any Check] {
        SideChannelChecks.all
            + HardwareIsolationChecks.all
            + LeastPrivilegeChecks.all
            + BootIntegrityChecks.all
            + PackageChecks.all
            + PlatformChecks.all
    }
}
