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


/// One entry of a handoff tables event: an `EFI_CONFIGURATION_TABLE` (UEFI 2.10 §4.6).
public struct EFIConfigurationTable: Hashable, Sendable {
    /// The table's vendor GUID (`eb9d2d30-2d88-11d3-9a16-0090273fc14d` for ACPI 1.0, …).
    public var vendorGUID: String
    /// The table's address.
    public var address: UInt64
}
