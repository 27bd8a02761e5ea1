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


/// One node of a UEFI device path (UEFI 2.10 §10.3): its type, subtype and data, and the text
/// form of the node.
public struct UEFIDevicePathNode: Hashable, Sendable {
    /// The node type: 1 hardware, 2 ACPI, 3 messaging, 4 media, 5 BIOS boot, 0x7F end.
    public var type: UInt8
    /// The subtype within the type.
    public var subtype: UInt8
    /// The bytes after the 4-byte node header.
    public var data: [UInt8]
    /// The node in text form (`Pci(0x1,0x1)`, `HD(1,GPT,…)`, `File(\EFI\BOOT\BOOTX64.EFI)`).
    public var text: String

    /// Creates a node; `text` is derived from the bytes.
    public init(type: UInt8, subtype: UInt8, data: [UInt8]) {
        self.type = type
        self.subtype = subtype
        self.data = data
        self.text = UEFIDevicePathNode.format(type: type, subtype: subtype, data: data)
    }

    /// The path of a media FilePath node (type 4, subtype 4), else nil.
    public var filePath: String? {
        guard type == 4, subtype == 4 else { return nil }
        return decodeUTF16(data)
    }
}
