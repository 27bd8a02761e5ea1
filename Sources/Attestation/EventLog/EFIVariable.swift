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
