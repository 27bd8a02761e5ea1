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

import Foundation
import Testing

@testable import Sensor

/// A capture whose link type the decoder cannot read is refused when asked, naming it and the
/// supported ones, instead of delivering frames that all decode as malformed.
@Suite("Capture link types")
struct CaptureLinkTypeTests {
    static func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    static func pcap(linkType: UInt32) -> [UInt8] {
        le32(0xA1B2_C3D4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(65535) + le32(linkType)
            + le32(1) + le32(0) + le32(4) + le32(4) + [1, 2, 3, 4]
    }

    static func pcapng(linkType: UInt16) -> [UInt8] {
        let section = le32(0x0A0D_0D0A) + le32(28) + le32(0x1A2B_3C4D) + le16(1) + le16(0) + [UInt8](repeating: 0xFF, count: 8) + le32(28)
        let interface = le32(1) + le32(20) + le16(linkType) + le16(0) + le32(0) + le32(20)
        return section + interface
    }

    static var decodableOnly: CaptureFile.Options {
        var options = CaptureFile.Options()
        options.linkTypes = LinkType.decodable
        return options
    }

    @Test func anUnknownPCAPLinkTypeIsUnsupported() throws {
        #expect {
            try CaptureFile(bytes: Self.pcap(linkType: 147), options: Self.decodableOnly)
        } throws: { error in
            guard let e = error as? CaptureError else { return false }
            return e.code == .unsupported && e.message.contains("LINKTYPE_147 (147)") && e.message.contains("EN10MB (1)")
        }
        // Without the option every link type is delivered, as before (fuzzing, tools).
        let reader = try CaptureFile(bytes: Self.pcap(linkType: 147))
        #expect(try reader.next()?.linkType == LinkType(rawValue: 147))
    }

    @Test func anUnknownPCAPNGInterfaceLinkTypeIsUnsupported() throws {
        let reader = try CaptureFile(bytes: Self.pcapng(linkType: 147), options: Self.decodableOnly)
        #expect {
            _ = try reader.next()
        } throws: { ($0 as? CaptureError)?.code == .unsupported }
        #expect(try CaptureFile(bytes: Self.pcapng(linkType: 1), options: Self.decodableOnly).next() == nil)
    }

    @Test func theDecodableListIsWhatTheDecoderReads() {
        let frame = [UInt8](repeating: 0x45, count: 64)
        frame.withUnsafeBytes { bytes in
            for linkType in LinkType.decodable {
                #expect(PacketDecoder.decode(bytes, linkType: linkType).malformed != .unsupportedLinkType, "\(linkType)")
            }
            #expect(PacketDecoder.decode(bytes, linkType: LinkType(rawValue: 147)).malformed == .unsupportedLinkType)
        }
    }
}
