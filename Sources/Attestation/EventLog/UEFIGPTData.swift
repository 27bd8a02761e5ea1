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


/// UEFI_GPT_DATA of an EV_EFI_GPT_EVENT or EV_EFI_GPT_EVENT2 (PC Client FPF §10.4.6 and §9.4.5):
/// the disk's GPT header and its non-empty partition entries.
public struct UEFIGPTData: Hashable, Sendable {
    /// The header's revision (0x00010000).
    public var revision: UInt32
    /// The header size the header states.
    public var headerSize: UInt32
    /// The LBA of this header.
    public var myLBA: UInt64
    /// The LBA of the backup header.
    public var alternateLBA: UInt64
    /// The first LBA a partition may use.
    public var firstUsableLBA: UInt64
    /// The last LBA a partition may use.
    public var lastUsableLBA: UInt64
    /// The disk GUID (zero in an EV_EFI_GPT_EVENT2).
    public var diskGUID: String
    /// The LBA of the partition entry array.
    public var partitionEntryLBA: UInt64
    /// The number of entries in the disk's array (used or not).
    public var numberOfPartitionEntries: UInt32
    /// The size of one entry.
    public var sizeOfPartitionEntry: UInt32
    /// The partitions the event lists (the used entries).
    public var partitions: [GPTPartitionEntry]

    /// `EFI PART`.
    public static let signature: [UInt8] = Array("EFI PART".utf8)
    /// The size of the header in the event (`EFI_PARTITION_TABLE_HEADER`, packed).
    static let headerLength = 92
    /// At most this many partitions are decoded (a GPT has 128 entries by default).
    public static let maxPartitions = 1024
    /// At most this large an entry (the spec's size is 128 × 2^n).
    static let maxEntrySize = 4096

    /// Decodes the event data, or nil when it does not fit the layout (no `EFI PART` signature,
    /// an entry size under 128 or over 4096, more partitions than the data holds or than
    /// ``maxPartitions``).
    static func decode(_ data: [UInt8]) -> UEFIGPTData? {
        var r = ByteReader(data)
        guard r.readBytes(8) == signature,
              let revision = r.readUInt32(), let headerSize = r.readUInt32(),
              r.skip(8), // header CRC32, reserved
              let myLBA = r.readUInt64(), let alternateLBA = r.readUInt64(),
              let firstUsable = r.readUInt64(), let lastUsable = r.readUInt64(),
              let diskGUID = r.readBytes(16), let entryLBA = r.readUInt64(),
              let entryCount = r.readUInt32(), let entrySize = r.readUInt32(),
              r.skip(4), // entry array CRC32
              r.offset == headerLength,
              let count = r.readUInt64(),
              entrySize >= UInt32(GPTPartitionEntry.minimumSize), entrySize <= UInt32(maxEntrySize),
              count <= UInt64(maxPartitions), count * UInt64(entrySize) <= UInt64(r.remaining)
        else { return nil }
        var partitions: [GPTPartitionEntry] = []
        partitions.reserveCapacity(Int(count))
        for _ in 0..<Int(count) {
            guard let entry = r.readBytes(Int(entrySize)) else { return nil }
            var e = ByteReader(entry)
            guard let type = e.readBytes(16), let unique = e.readBytes(16), let start = e.readUInt64(),
                  let end = e.readUInt64(), let attributes = e.readUInt64(), let name = e.readBytes(72)
            else { return nil }
            partitions.append(GPTPartitionEntry(typeGUID: formatGUID(type), uniqueGUID: formatGUID(unique),
                                                startingLBA: start, endingLBA: end, attributes: attributes,
                                                name: decodeUTF16(name)))
        }
        return UEFIGPTData(revision: revision, headerSize: headerSize, myLBA: myLBA, alternateLBA: alternateLBA,
                           firstUsableLBA: firstUsable, lastUsableLBA: lastUsable, diskGUID: formatGUID(diskGUID),
                           partitionEntryLBA: entryLBA, numberOfPartitionEntries: entryCount,
                           sizeOfPartitionEntry: entrySize, partitions: partitions)
    }
}
