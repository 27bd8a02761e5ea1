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


/// One GPT partition entry as a GPT event carries it (UEFI 2.10 §5.3.3, `EFI_PARTITION_ENTRY`).
public struct GPTPartitionEntry: Hashable, Sendable {
    /// The partition type GUID (`c12a7328-f81f-11d2-ba4b-00a0c93ec93b` for an EFI system partition).
    public var typeGUID: String
    /// The partition's own GUID (zero in an EV_EFI_GPT_EVENT2).
    public var uniqueGUID: String
    /// The first LBA.
    public var startingLBA: UInt64
    /// The last LBA, inclusive.
    public var endingLBA: UInt64
    /// The attribute bits.
    public var attributes: UInt64
    /// The partition name (36 UTF-16 units at most).
    public var name: String

    /// The size of the fields above; an entry may be larger (`SizeOfPartitionEntry`).
    static let minimumSize = 128
}
