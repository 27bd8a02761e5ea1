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


/// UEFI_HANDOFF_TABLE_POINTERS (PC Client FPF §10.4.4) or, with a description,
/// UEFI_HANDOFF_TABLE_POINTERS2: the configuration tables firmware handed to the OS (SMBIOS, ACPI).
public struct EFIHandoffTables: Hashable, Sendable {
    /// The TABLES2 description, nil for a TABLES event.
    public var description: String?
    /// The tables.
    public var tables: [EFIConfigurationTable]

    /// At most this many tables are decoded.
    public static let maxTables = 1024

    /// Decodes TABLES (`withDescription` false) or TABLES2: the count must fit the data exactly.
    static func decode(_ data: [UInt8], withDescription: Bool) -> EFIHandoffTables? {
        var r = ByteReader(data)
        var description: String?
        if withDescription {
            guard let size = r.readUInt8(), let text = r.readBytes(Int(size)) else { return nil }
            description = decodeText(text)
        }
        guard let count = r.readUInt64(), count <= UInt64(maxTables), count * 24 == UInt64(r.remaining) else { return nil }
        var tables: [EFIConfigurationTable] = []
        tables.reserveCapacity(Int(count))
        for _ in 0..<Int(count) {
            guard let guid = r.readBytes(16), let address = r.readUInt64() else { return nil }
            tables.append(EFIConfigurationTable(vendorGUID: formatGUID(guid), address: address))
        }
        return EFIHandoffTables(description: description, tables: tables)
    }
}
