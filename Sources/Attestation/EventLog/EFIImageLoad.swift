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

/// UEFI_IMAGE_LOAD_EVENT (PC Client FPF §10.2.3): where an image was and its device path.
public struct EFIImageLoad: Hashable, Sendable {
    /// The image's address in memory.
    public var locationInMemory: UInt64
    /// The image's length in memory.
    public var lengthInMemory: UInt64
    /// The address the image was linked for.
    public var linkTimeAddress: UInt64
    /// The UEFI device path as logged.
    public var devicePath: [UInt8]
    /// The device path decoded (its nodes and text; `isTruncated` when it is malformed).
    public var decodedDevicePath: UEFIDevicePath

    /// The device path in text form, as tpm2-tools prints it:
    /// `PciRoot(0x0)/Pci(0x3,0x0)/SCSI(1,0)/HD(15,GPT,…,0x2800,0x35000)/File(\EFI\ubuntu\shimx64.efi)`.
    public var devicePathText: String { decodedDevicePath.text }

    /// The path of the image on its file system (`\EFI\debian\grubx64.efi`), when the device
    /// path has a FilePath node.
    public var filePath: String? { decodedDevicePath.filePath }

    static func decode(_ bytes: [UInt8]) -> EFIImageLoad? {
        var reader = ByteReader(bytes)
        guard let location = reader.readUInt64(), let length = reader.readUInt64(), let link = reader.readUInt64(),
              let pathLength = reader.readUInt64(), pathLength <= UInt64(reader.remaining),
              let path = reader.readBytes(Int(pathLength))
        else { return nil }
        return EFIImageLoad(locationInMemory: location, lengthInMemory: length, linkTimeAddress: link, devicePath: path,
                            decodedDevicePath: UEFIDevicePath(decoding: path))
    }
}
