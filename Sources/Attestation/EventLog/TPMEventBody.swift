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

/// What an event's data says, decoded where this module knows the layout; anything else (an
/// unknown type, or a known type whose data does not fit its layout) stays ``raw``.
public enum TPMEventBody: Hashable, Sendable {
    /// Data kept as bytes only (``TPMEvent/data``).
    case raw
    /// The "Spec ID Event03" header of a crypto-agile log (PC Client FPF §10.4.5.1).
    case specID(SpecIDEvent)
    /// An EV_NO_ACTION "StartupLocality" event: the locality the startup came from (§10.4.5.3).
    case startupLocality(UInt8)
    /// An EV_SEPARATOR: `isError` for the error value (1 or 0xFFFFFFFF, §10.4.4.1).
    case separator(value: UInt32, isError: Bool)
    /// Text: EV_EFI_ACTION, EV_ACTION, EV_EFI_HCRTM_EVENT, EV_IPL and EV_S_CRTM_VERSION (UTF-16
    /// when they decode so), printable EV_POST_CODE and EV_COMPACT_HASH.
    case text(String)
    /// A UEFI_VARIABLE_DATA structure of an EV_EFI_VARIABLE_* event.
    case efiVariable(EFIVariable)
    /// A UEFI_IMAGE_LOAD_EVENT of an EV_EFI_BOOT_SERVICES_* or runtime driver event.
    case efiImageLoad(EFIImageLoad)
    /// The UEFI_GPT_DATA of an EV_EFI_GPT_EVENT or EV_EFI_GPT_EVENT2.
    case efiGPT(UEFIGPTData)
    /// A firmware blob's place: EV_EFI_PLATFORM_FIRMWARE_BLOB(2), or a 16-byte EV_POST_CODE.
    case firmwareBlob(EFIPlatformFirmwareBlob)
    /// The configuration tables of an EV_EFI_HANDOFF_TABLES(2).
    case handoffTables(EFIHandoffTables)
}

extension TPMEventBody {
    static let startupLocalitySignature: [UInt8] = Array("StartupLocality".utf8) + [0]

    /// Decodes `data` for an event of `type`; raw when the layout is unknown or does not fit.
    static func decode(type: TPMEventType, data: [UInt8]) -> TPMEventBody {
        switch type {
        case .noAction:
            if data.count == 17, Array(data.prefix(16)) == startupLocalitySignature { return .startupLocality(data[16]) }
            if let spec = SpecIDEvent.decode(data) { return .specID(spec) }
            return .raw
        case .separator:
            guard data.count == 4 else { return .raw }
            let value = UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24
            return .separator(value: value, isError: value == 1 || value == 0xFFFF_FFFF)
        case .efiAction, .action, .efiHCRTMEvent:
            return .text(decodeText(data))
        case .ipl:
            // systemd-boot measures the kernel command line as UTF-16 (PCR 12); GRUB as 8-bit text.
            if looksLikeUTF16(data) { return .text(decodeUTF16(data)) }
            return .text(decodeText(data))
        case .postCode:
            // Text (`ACPI DATA`, `Embedded UEFI Driver`) or a UEFI_PLATFORM_FIRMWARE_BLOB (FPF §10.4.2).
            if isPrintableText(data) { return .text(decodeText(data)) }
            return EFIPlatformFirmwareBlob.decode(data).map(TPMEventBody.firmwareBlob) ?? .raw
        case .compactHash:
            return isPrintableText(data) ? .text(decodeText(data)) : .raw
        case .efiGPTEvent, .efiGPTEvent2:
            return UEFIGPTData.decode(data).map(TPMEventBody.efiGPT) ?? .raw
        case .efiPlatformFirmwareBlob:
            return EFIPlatformFirmwareBlob.decode(data).map(TPMEventBody.firmwareBlob) ?? .raw
        case .efiPlatformFirmwareBlob2:
            return EFIPlatformFirmwareBlob.decode2(data).map(TPMEventBody.firmwareBlob) ?? .raw
        case .efiHandoffTables:
            return EFIHandoffTables.decode(data, withDescription: false).map(TPMEventBody.handoffTables) ?? .raw
        case .efiHandoffTables2:
            return EFIHandoffTables.decode(data, withDescription: true).map(TPMEventBody.handoffTables) ?? .raw
        case .sCRTMVersion:
            // Usually a UTF-16 string (EDK2 writes the firmware version so); else 8-bit text.
            if looksLikeUTF16(data) { return .text(decodeUTF16(data)) }
            return .text(decodeText(data))
        case .efiVariableDriverConfig, .efiVariableBoot, .efiVariableBoot2, .efiVariableAuthority:
            return EFIVariable.decode(data).map(TPMEventBody.efiVariable) ?? .raw
        case .efiBootServicesApplication, .efiBootServicesDriver, .efiRuntimeServicesDriver:
            return EFIImageLoad.decode(data).map(TPMEventBody.efiImageLoad) ?? .raw
        default:
            return .raw
        }
    }

    /// Whether `data` reads as UTF-16LE text: an even length and a zero high byte in its first unit.
    static func looksLikeUTF16(_ data: [UInt8]) -> Bool {
        data.count >= 2 && data.count % 2 == 0 && data[1] == 0
    }
}
