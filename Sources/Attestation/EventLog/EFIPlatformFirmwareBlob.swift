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


/// UEFI_PLATFORM_FIRMWARE_BLOB (PC Client FPF §10.4.2) or, with a description,
/// UEFI_PLATFORM_FIRMWARE_BLOB2 (§10.4.3): where a measured firmware volume was.
public struct EFIPlatformFirmwareBlob: Hashable, Sendable {
    /// The BLOB2 description (`fvMain`…), nil for a BLOB event.
    public var description: String?
    /// The blob's base address.
    public var base: UInt64
    /// The blob's length.
    public var length: UInt64

    /// Decodes a BLOB (base, length: 16 bytes exactly).
    static func decode(_ data: [UInt8]) -> EFIPlatformFirmwareBlob? {
        var r = ByteReader(data)
        guard data.count == 16, let base = r.readUInt64(), let length = r.readUInt64() else { return nil }
        return EFIPlatformFirmwareBlob(description: nil, base: base, length: length)
    }

    /// Decodes a BLOB2: a one-byte description size, the description, base, length.
    static func decode2(_ data: [UInt8]) -> EFIPlatformFirmwareBlob? {
        var r = ByteReader(data)
        guard let size = r.readUInt8(), let description = r.readBytes(Int(size)),
              let base = r.readUInt64(), let length = r.readUInt64(), r.isAtEnd
        else { return nil }
        return EFIPlatformFirmwareBlob(description: decodeText(description), base: base, length: length)
    }
}
