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

/// An event type of the TCG PC Client Platform Firmware Profile (§10.4.1, Table 9 and the
/// `EV_EFI_*` types), open so an unknown value is kept rather than rejected.
public struct TPMEventType: Hashable, Sendable, CustomStringConvertible {
    /// The 32-bit value in the log.
    public var rawValue: UInt32

    /// Creates a type from its value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `EV_PREBOOT_CERT`.
    public static let preBootCert = TPMEventType(rawValue: 0x0)
    /// `EV_POST_CODE`.
    public static let postCode = TPMEventType(rawValue: 0x1)
    /// `EV_NO_ACTION`.
    public static let noAction = TPMEventType(rawValue: 0x3)
    /// `EV_SEPARATOR`.
    public static let separator = TPMEventType(rawValue: 0x4)
    /// `EV_ACTION`.
    public static let action = TPMEventType(rawValue: 0x5)
    /// `EV_S_CRTM_CONTENTS`.
    public static let sCRTMContents = TPMEventType(rawValue: 0x7)
    /// `EV_S_CRTM_VERSION`.
    public static let sCRTMVersion = TPMEventType(rawValue: 0x8)
    /// `EV_COMPACT_HASH`.
    public static let compactHash = TPMEventType(rawValue: 0xC)
    /// `EV_IPL`.
    public static let ipl = TPMEventType(rawValue: 0xD)
    /// `EV_EFI_VARIABLE_DRIVER_CONFIG`.
    public static let efiVariableDriverConfig = TPMEventType(rawValue: 0x8000_0001)
    /// `EV_EFI_VARIABLE_BOOT`.
    public static let efiVariableBoot = TPMEventType(rawValue: 0x8000_0002)
    /// `EV_EFI_BOOT_SERVICES_APPLICATION`.
    public static let efiBootServicesApplication = TPMEventType(rawValue: 0x8000_0003)
    /// `EV_EFI_BOOT_SERVICES_DRIVER`.
    public static let efiBootServicesDriver = TPMEventType(rawValue: 0x8000_0004)
    /// `EV_EFI_RUNTIME_SERVICES_DRIVER`.
    public static let efiRuntimeServicesDriver = TPMEventType(rawValue: 0x8000_0005)
    /// `EV_EFI_GPT_EVENT`.
    public static let efiGPTEvent = TPMEventType(rawValue: 0x8000_0006)
    /// `EV_EFI_ACTION`.
    public static let efiAction = TPMEventType(rawValue: 0x8000_0007)
    /// `EV_EFI_PLATFORM_FIRMWARE_BLOB`.
    public static let efiPlatformFirmwareBlob = TPMEventType(rawValue: 0x8000_0008)
    /// `EV_EFI_HANDOFF_TABLES`.
    public static let efiHandoffTables = TPMEventType(rawValue: 0x8000_0009)
    /// `EV_EFI_PLATFORM_FIRMWARE_BLOB2`.
    public static let efiPlatformFirmwareBlob2 = TPMEventType(rawValue: 0x8000_000A)
    /// `EV_EFI_HANDOFF_TABLES2`.
    public static let efiHandoffTables2 = TPMEventType(rawValue: 0x8000_000B)
    /// `EV_EFI_VARIABLE_BOOT2`.
    public static let efiVariableBoot2 = TPMEventType(rawValue: 0x8000_000C)
    /// `EV_EFI_GPT_EVENT2`.
    public static let efiGPTEvent2 = TPMEventType(rawValue: 0x8000_000D)
    /// `EV_EFI_HCRTM_EVENT`.
    public static let efiHCRTMEvent = TPMEventType(rawValue: 0x8000_0010)
    /// `EV_EFI_VARIABLE_AUTHORITY`.
    public static let efiVariableAuthority = TPMEventType(rawValue: 0x8000_00E0)

    /// The spec's name (`EV_EFI_ACTION`), or `EV_UNKNOWN_0x…`.
    public var name: String {
        Self.names[rawValue] ?? "EV_UNKNOWN_0x" + String(rawValue, radix: 16)
    }

    public var description: String { name }

    private static let names: [UInt32: String] = [
        0x0: "EV_PREBOOT_CERT", 0x1: "EV_POST_CODE", 0x2: "EV_UNUSED", 0x3: "EV_NO_ACTION",
        0x4: "EV_SEPARATOR", 0x5: "EV_ACTION", 0x6: "EV_EVENT_TAG", 0x7: "EV_S_CRTM_CONTENTS",
        0x8: "EV_S_CRTM_VERSION", 0x9: "EV_CPU_MICROCODE", 0xA: "EV_PLATFORM_CONFIG_FLAGS",
        0xB: "EV_TABLE_OF_DEVICES", 0xC: "EV_COMPACT_HASH", 0xD: "EV_IPL", 0xE: "EV_IPL_PARTITION_DATA",
        0xF: "EV_NONHOST_CODE", 0x10: "EV_NONHOST_CONFIG", 0x11: "EV_NONHOST_INFO",
        0x12: "EV_OMIT_BOOT_DEVICE_EVENTS", 0x13: "EV_POST_CODE2",
        0x8000_0000: "EV_EFI_EVENT_BASE", 0x8000_0001: "EV_EFI_VARIABLE_DRIVER_CONFIG",
        0x8000_0002: "EV_EFI_VARIABLE_BOOT", 0x8000_0003: "EV_EFI_BOOT_SERVICES_APPLICATION",
        0x8000_0004: "EV_EFI_BOOT_SERVICES_DRIVER", 0x8000_0005: "EV_EFI_RUNTIME_SERVICES_DRIVER",
        0x8000_0006: "EV_EFI_GPT_EVENT", 0x8000_0007: "EV_EFI_ACTION",
        0x8000_0008: "EV_EFI_PLATFORM_FIRMWARE_BLOB", 0x8000_0009: "EV_EFI_HANDOFF_TABLES",
        0x8000_000A: "EV_EFI_PLATFORM_FIRMWARE_BLOB2", 0x8000_000B: "EV_EFI_HANDOFF_TABLES2",
        0x8000_000C: "EV_EFI_VARIABLE_BOOT2", 0x8000_000D: "EV_EFI_GPT_EVENT2",
        0x8000_0010: "EV_EFI_HCRTM_EVENT", 0x8000_00E0: "EV_EFI_VARIABLE_AUTHORITY",
        0x8000_00E1: "EV_EFI_SPDM_FIRMWARE_BLOB", 0x8000_00E2: "EV_EFI_SPDM_FIRMWARE_CONFIG",
    ]
}
