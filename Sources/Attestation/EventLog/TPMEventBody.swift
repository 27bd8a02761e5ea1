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
    /// Text: EV_EFI_ACTION, EV_ACTION, EV_IPL, EV_S_CRTM_VERSION (UTF-16 when it decodes so).
    case text(String)
    /// A UEFI_VARIABLE_DATA structure of an EV_EFI_VARIABLE_* event.
    case efiVariable(EFIVariable)
    /// A UEFI_IMAGE_LOAD_EVENT of an EV_EFI_BOOT_SERVICES_* or runtime driver event.
    case efiImageLoad(EFIImageLoad)
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
        case .efiAction, .action, .ipl:
            return .text(decodeText(data))
        case .sCRTMVersion:
            // Usually a UTF-16 string (EDK2 writes the firmware version so); else 8-bit text.
            if data.count >= 2, data.count % 2 == 0, data[1] == 0 { return .text(decodeUTF16(data)) }
            return .text(decodeText(data))
        case .efiVariableDriverConfig, .efiVariableBoot, .efiVariableBoot2, .efiVariableAuthority:
            return EFIVariable.decode(data).map(TPMEventBody.efiVariable) ?? .raw
        case .efiBootServicesApplication, .efiBootServicesDriver, .efiRuntimeServicesDriver:
            return EFIImageLoad.decode(data).map(TPMEventBody.efiImageLoad) ?? .raw
        default:
            return .raw
        }
    }
}
