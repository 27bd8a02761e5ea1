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


/// One captured frame, as a reader or a live capture hands it to its caller.
///
/// `bytes` points into the reader's buffer: it is valid only until the reader's next call
/// (`next()`) or for the duration of the callback that received the frame. Copy what must outlive that.
public struct CapturedFrame {
    /// When the frame was captured.
    public var timestamp: Timestamp
    /// The frame's link-layer header type.
    public var linkType: LinkType
    /// The capturing interface: the pcapng Interface Description Block's index within its
    /// section, 0 for pcap files and live captures.
    public var interfaceIndex: Int
    /// The frame's length on the wire; at least `bytes.count` (more when the snapshot length cut it).
    public var originalLength: Int
    /// The captured bytes (valid only during the call, see the type's documentation).
    public var bytes: UnsafeRawBufferPointer

    /// Creates a frame.
    public init(timestamp: Timestamp, linkType: LinkType, interfaceIndex: Int = 0, originalLength: Int, bytes: UnsafeRawBufferPointer) {
        self.timestamp = timestamp
        self.linkType = linkType
        self.interfaceIndex = interfaceIndex
        self.originalLength = max(originalLength, bytes.count)
        self.bytes = bytes
    }

    /// Whether the snapshot length cut the frame (fewer bytes captured than were on the wire).
    public var isTruncated: Bool { bytes.count < originalLength }
}
