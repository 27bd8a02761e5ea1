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

/// The Spec ID event's algorithm table and version (TCG_EfiSpecIdEvent).
public struct SpecIDEvent: Hashable, Sendable {
    /// One row of the table: an algorithm and the size of its digests in this log.
    public struct AlgorithmSize: Hashable, Sendable {
        public var algorithm: TPMAlgorithm
        public var digestSize: Int
    }
    public var platformClass: UInt32
    public var major: UInt8
    public var minor: UInt8
    public var errata: UInt8
    public var uintnSize: UInt8
    public var algorithms: [AlgorithmSize]
    public var vendorInfo: [UInt8]
    /// The vendor info size the event states; more than `vendorInfo.count` when it runs past the event.
    public var declaredVendorInfoSize: Int

    /// Whether the stated vendor info runs past the end of the event data.
    public var isVendorInfoTruncated: Bool { declaredVendorInfoSize > vendorInfo.count }

    /// The signature that opens a crypto-agile log's first event.
    public static let signature: [UInt8] = Array("Spec ID Event03".utf8) + [0]

    /// At most this many algorithms (the registry has far fewer hash algorithms).
    public static let maxAlgorithms = 16

    /// Decodes the event data, or nil when it is not a well-formed Spec ID event.
    static func decode(_ data: [UInt8]) -> SpecIDEvent? {
        var reader = ByteReader(data)
        guard reader.readBytes(16) == signature,
              let platformClass = reader.readUInt32(),
              let minor = reader.readUInt8(), let major = reader.readUInt8(), let errata = reader.readUInt8(),
              let uintnSize = reader.readUInt8(),
              let count = reader.readUInt32(), count >= 1, count <= maxAlgorithms
        else { return nil }
        var algorithms: [AlgorithmSize] = []
        for _ in 0..<count {
            guard let id = reader.readUInt16(), let size = reader.readUInt16(), size > 0 else { return nil }
            let algorithm = TPMAlgorithm(id: id)
            // A known algorithm with another size would make every later event misread.
            if let known = algorithm.knownDigestSize, known != Int(size) { return nil }
            if algorithms.contains(where: { $0.algorithm == algorithm }) { return nil }
            algorithms.append(AlgorithmSize(algorithm: algorithm, digestSize: Int(size)))
        }
        guard let vendorSize = reader.readUInt8() else { return nil }
        // The algorithm table is what later events depend on; vendor info that runs past the event
        // (tpm2-tools' specid-vendordata.bin fixture) is kept as far as the event goes and flagged.
        let vendorInfo = reader.readBytes(min(Int(vendorSize), reader.remaining)) ?? []
        return SpecIDEvent(platformClass: platformClass, major: major, minor: minor, errata: errata,
                           uintnSize: uintnSize, algorithms: algorithms, vendorInfo: vendorInfo,
                           declaredVendorInfoSize: Int(vendorSize))
    }
}

/// UEFI_VARIABLE_DATA (PC Client FPF §10.4.8, UEFI 2.x variable measurement).
public struct EFIVariable: Hashable, Sendable {
    /// The vendor GUID in its canonical text form (`8be4df61-93ca-11d2-aa0d-00e098032b8c`).
    public var vendorGUID: String
    /// The variable name (UTF-16LE in the log).
    public var name: String
    /// The length of the variable data as measured.
    public var dataLength: Int
    /// The variable data.
    public var data: [UInt8]

    static func decode(_ bytes: [UInt8]) -> EFIVariable? {
        var reader = ByteReader(bytes)
        guard let guid = reader.readBytes(16),
              let nameLength = reader.readUInt64(), let dataLength = reader.readUInt64(),
              nameLength <= UInt64(reader.remaining / 2), dataLength <= UInt64(reader.remaining),
              let nameBytes = reader.readBytes(Int(nameLength) * 2),
              let data = reader.readBytes(Int(dataLength))
        else { return nil }
        return EFIVariable(vendorGUID: formatGUID(guid), name: decodeUTF16(nameBytes), dataLength: Int(dataLength), data: data)
    }
}

/// UEFI_IMAGE_LOAD_EVENT (PC Client FPF §10.2.3): where an image was and its device path.
public struct EFIImageLoad: Hashable, Sendable {
    public var locationInMemory: UInt64
    public var lengthInMemory: UInt64
    public var linkTimeAddress: UInt64
    /// The UEFI device path, undecoded.
    public var devicePath: [UInt8]

    static func decode(_ bytes: [UInt8]) -> EFIImageLoad? {
        var reader = ByteReader(bytes)
        guard let location = reader.readUInt64(), let length = reader.readUInt64(), let link = reader.readUInt64(),
              let pathLength = reader.readUInt64(), pathLength <= UInt64(reader.remaining),
              let path = reader.readBytes(Int(pathLength))
        else { return nil }
        return EFIImageLoad(locationInMemory: location, lengthInMemory: length, linkTimeAddress: link, devicePath: path)
    }
}

/// A GUID's mixed-endian bytes (little-endian first three fields) as text.
func formatGUID(_ b: [UInt8]) -> String {
    func hex(_ slice: [UInt8]) -> String { slice.map { byte in
        let s = String(byte, radix: 16)
        return s.count == 1 ? "0" + s : s
    }.joined() }
    guard b.count == 16 else { return hex(b) }
    return hex([b[3], b[2], b[1], b[0]]) + "-" + hex([b[5], b[4]]) + "-" + hex([b[7], b[6]]) + "-"
        + hex(Array(b[8..<10])) + "-" + hex(Array(b[10..<16]))
}

/// UTF-16LE text up to its first NUL, with invalid units replaced.
func decodeUTF16(_ bytes: [UInt8]) -> String {
    var units: [UInt16] = []
    units.reserveCapacity(bytes.count / 2)
    var i = 0
    while i + 1 < bytes.count {
        let unit = UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8
        if unit == 0 { break }
        units.append(unit)
        i += 2
    }
    return String(decoding: units, as: UTF16.self)
}

/// 8-bit text up to its first NUL.
func decodeText(_ bytes: [UInt8]) -> String {
    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
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
