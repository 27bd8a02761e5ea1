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


/// A UEFI device path (UEFI 2.10 §10.3) decoded to its nodes and its text form.
///
/// The text follows libefivar's `efidp_format_device_path`, which tpm2-tools prints in its event
/// log decode, so the two can be compared: `PciRoot(0x0)/Pci(0x3,0x0)/SCSI(1,0)/HD(15,GPT,<guid>,
/// 0x2800,0x35000)/File(\EFI\ubuntu\shimx64.efi)`. (EDK2's own text form differs in places: it
/// writes a FilePath node as the bare path and some numbers in hex.) A node of a type this module
/// does not know is written `Path(type,subtype,hex)`.
///
/// Decoding is bounded and never traps: at most ``maxNodes`` nodes and ``maxTextLength``
/// characters; a node whose length is under 4 or runs past the end stops decoding with the text
/// so far and sets ``isTruncated``.
public struct UEFIDevicePath: Hashable, Sendable {
    /// The nodes before the end node (end-of-instance nodes are kept, written `,`).
    public var nodes: [UEFIDevicePathNode]
    /// The nodes' text joined with `/` (instances with `,`).
    public var text: String
    /// Whether decoding stopped before an end node: a bad node length, the bytes ran out, or a bound.
    public var isTruncated: Bool

    /// At most this many nodes are decoded.
    public static let maxNodes = 64
    /// At most this many characters of text are kept.
    public static let maxTextLength = 4096

    /// The path of the FilePath nodes (consecutive ones concatenate, UEFI §10.3.5.4), or nil
    /// when there is none: `\EFI\debian\grubx64.efi`.
    public var filePath: String? {
        let paths = nodes.compactMap(\.filePath)
        return paths.isEmpty ? nil : paths.joined()
    }

    /// Decodes `bytes` (a device path as an image load event carries it).
    public init(decoding bytes: [UInt8]) {
        nodes = []
        text = ""
        isTruncated = false
        var offset = 0
        var startsInstance = true
        var ended = bytes.isEmpty
        decoding: while offset < bytes.count {
            guard nodes.count < Self.maxNodes, text.count < Self.maxTextLength else {
                isTruncated = true
                break
            }
            guard bytes.count - offset >= 4 else {
                isTruncated = true
                break
            }
            let type = bytes[offset], subtype = bytes[offset + 1]
            let length = Int(bytes[offset + 2]) | Int(bytes[offset + 3]) << 8
            guard length >= 4, length <= bytes.count - offset else {
                isTruncated = true
                break
            }
            let data = Array(bytes[offset + 4..<offset + length])
            offset += length
            if type == 0x7F {
                // End of the whole path (0xFF) or of one instance (0x01, libefivar writes `,`).
                if subtype == 0x01 {
                    nodes.append(UEFIDevicePathNode(type: type, subtype: subtype, data: data))
                    text += ","
                    startsInstance = true
                    continue
                }
                ended = true
                break decoding
            }
            let node = UEFIDevicePathNode(type: type, subtype: subtype, data: data)
            nodes.append(node)
            if !startsInstance { text += "/" }
            text += node.text
            startsInstance = false
        }
        // A path that stops without its end node was cut short.
        if !ended { isTruncated = true }
        if text.count > Self.maxTextLength {
            text = String(text.prefix(Self.maxTextLength))
            isTruncated = true
        }
    }
}
