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


import FixtureSupport
import Foundation
import HyperwardCore
import Testing

@testable import Attestation

/// The values of `key: value` lines at `indent` spaces in a tpm2-tools YAML decode, in order,
/// quotes removed.
func yamlValues(_ key: String, indent: Int, in text: String) -> [String] {
    let prefix = String(repeating: " ", count: indent) + key + ": "
    return text.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map { line in
        var value = String(line.dropFirst(prefix.count))
        if value.count >= 2, let first = value.first, first == "'" || first == "\"", value.last == first {
            value = String(value.dropFirst().dropLast())
        }
        return value
    }
}

@Suite("Event bodies of real logs against tpm2-tools 5.8", .needsFixtures("eventlogs"))
struct EventBodyOracleTests {
    static let folder = "eventlogs/tpm2-tools"

    static func load(_ name: String) throws -> (TPMEventLog, String) {
        let log = TPMEventLog(parsing: try readLog(name, in: folder), source: name)
        let yaml = try String(contentsOf: try Fixtures.file("expected/\(name).yaml", in: folder), encoding: .utf8)
        return (log, yaml)
    }

    /// Every image load's device path text is the one tpm2-tools 5.8 (libefivar) prints.
    @Test(arguments: TPMEventLogOracleTests.tpm2Logs)
    func devicePathsMatch(_ name: String) throws {
        let (log, yaml) = try Self.load(name)
        let ours = log.events.compactMap { event -> String? in
            if case .efiImageLoad(let image) = event.body { image.devicePathText } else { nil }
        }
        #expect(ours == yamlValues("DevicePath", indent: 4, in: yaml), "\(name)")
        // The expected paths of the image events end the decode without a bad node.
        for event in log.events {
            if case .efiImageLoad(let image) = event.body { #expect(!image.decodedDevicePath.isTruncated || image.devicePath.isEmpty) }
        }
    }

    @Test func filePathsAreTheFileNodes() throws {
        let (log, yaml) = try Self.load("event-bootorder.bin")
        let files = log.events.compactMap { event -> String? in
            if case .efiImageLoad(let image) = event.body { image.filePath } else { nil }
        }
        // tpm2-tools writes the node as File(PATH).
        let expected = yamlValues("DevicePath", indent: 4, in: yaml).compactMap { path -> String? in
            guard let range = path.range(of: "File(") else { return nil }
            return String(path[range.upperBound...].dropLast())
        }
        #expect(files == expected)
        #expect(files.contains("\\EFI\\BOOT\\BOOTX64.EFI"))
    }

    /// Firmware blob events decode to the base and length tpm2-tools prints.
    @Test(arguments: ["event.bin", "event-bootorder.bin", "event-sd-boot-fedora37.bin"])
    func firmwareBlobsMatch(_ name: String) throws {
        let (log, yaml) = try Self.load(name)
        let blobs = log.events.compactMap { event -> EFIPlatformFirmwareBlob? in
            if case .firmwareBlob(let blob) = event.body { blob } else { nil }
        }
        #expect(blobs.map { "0x" + String($0.base, radix: 16) } == yamlValues("BlobBase", indent: 4, in: yaml))
        #expect(blobs.map { "0x" + String($0.length, radix: 16) } == yamlValues("BlobLength", indent: 4, in: yaml))
        #expect(!blobs.isEmpty)
    }

    /// The GPT events decode whole, and the partition the boot loader was loaded from (the HD()
    /// node tpm2-tools prints) is one of their entries, with the EFI system partition's type GUID
    /// (UEFI 2.10 §5.3.3, Table 5.7).
    @Test(arguments: ["event-bootorder.bin", "event-gce-ubuntu-2104-log.bin", "event-uefi-sha1-log.bin"])
    func gptHoldsTheBootPartition(_ name: String) throws {
        let (log, yaml) = try Self.load(name)
        let gptEvents = log.events.filter { $0.type == .efiGPTEvent }
        #expect(gptEvents.count == yamlValues("EventType", indent: 2, in: yaml).filter { $0 == "EV_EFI_GPT_EVENT" }.count)
        let gpts = gptEvents.compactMap { event -> UEFIGPTData? in
            if case .efiGPT(let gpt) = event.body { gpt } else { nil }
        }
        try #require(gpts.count == gptEvents.count && !gpts.isEmpty)
        for (event, gpt) in zip(gptEvents, gpts) {
            #expect(event.data.count == 100 + gpt.partitions.count * Int(gpt.sizeOfPartitionEntry))
            #expect(gpt.partitions.allSatisfy { $0.startingLBA <= $0.endingLBA && $0.endingLBA <= gpt.lastUsableLBA })
            #expect(gpt.partitions.allSatisfy { !$0.name.isEmpty || $0.typeGUID != "00000000-0000-0000-0000-000000000000" })
        }
        var matched = 0
        for path in yamlValues("DevicePath", indent: 4, in: yaml) {
            // HD(number,GPT,guid,0xstart,0xsize)
            guard let open = path.range(of: "HD("), let close = path[open.upperBound...].firstIndex(of: ")") else { continue }
            let fields = path[open.upperBound..<close].split(separator: ",").map(String.init)
            guard fields.count == 5, fields[1] == "GPT", let start = UInt64(fields[3].dropFirst(2), radix: 16),
                  let size = UInt64(fields[4].dropFirst(2), radix: 16) else { continue }
            let entry = gpts.flatMap(\.partitions).first { $0.uniqueGUID == fields[2] }
            #expect(entry?.startingLBA == start, "\(name): \(path)")
            #expect(entry?.endingLBA == start + size - 1, "\(name): \(path)")
            #expect(entry?.typeGUID == "c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
            matched += 1
        }
        #expect(matched >= 1)
    }

    /// systemd-boot's EV_IPL command line is UTF-16; tpm2-tools shows its bytes escaped.
    @Test func systemdBootCommandLineIsUTF16() throws {
        let (log, yaml) = try Self.load("event-sd-boot-fedora37.bin")
        let escaped = try #require(yamlValues("String", indent: 4, in: yaml).first)
        let expected = escaped.replacingOccurrences(of: "\\x20", with: " ").replacingOccurrences(of: "\\0", with: "")
        let texts = log.events.filter { $0.type == .ipl && $0.pcr == 12 }.compactMap { event -> String? in
            if case .text(let text) = event.body { text } else { nil }
        }
        #expect(texts.first == expected)
    }
}

@Suite("Event bodies built from the spec's layouts")
struct EventBodyLayoutTests {
    static func u16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func u64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func node(_ type: UInt8, _ subtype: UInt8, _ data: [UInt8]) -> [UInt8] {
        [type, subtype] + u16(UInt16(4 + data.count)) + data
    }
    static func utf16(_ s: String) -> [UInt8] { s.utf16.flatMap { u16($0) } + [0, 0] }
    static let end: [UInt8] = [0x7F, 0xFF, 4, 0]
    /// The GUID 3cb9643c-6c08-4fe5-852d-17e1ae701158 in its mixed-endian bytes.
    static let guid: [UInt8] = [0x3c, 0x64, 0xb9, 0x3c, 0x08, 0x6c, 0xe5, 0x4f, 0x85, 0x2d, 0x17, 0xe1, 0xae, 0x70, 0x11, 0x58]

    static func hdNode(_ number: UInt32, start: UInt64, size: UInt64) -> [UInt8] {
        node(4, 1, u32(number) + u64(start) + u64(size) + guid + [2, 2])
    }

    @Test func decodesTheCommonNodes() {
        let path = Self.node(2, 1, Self.u32(0x0A03_41D0) + Self.u32(0)) + Self.node(1, 1, [1, 1])
            + Self.hdNode(1, start: 0x800, size: 0x100000) + Self.node(4, 4, Self.utf16("\\EFI\\debian\\shimx64.efi")) + Self.end
        let decoded = UEFIDevicePath(decoding: path)
        #expect(decoded.text == "PciRoot(0x0)/Pci(0x1,0x1)/HD(1,GPT,3cb9643c-6c08-4fe5-852d-17e1ae701158,0x800,0x100000)/File(\\EFI\\debian\\shimx64.efi)")
        #expect(decoded.filePath == "\\EFI\\debian\\shimx64.efi")
        #expect(!decoded.isTruncated)
    }

    @Test func decodesMessagingAndMediaNodes() {
        let cases: [([UInt8], String)] = [
            (Self.node(3, 18, Self.u16(2) + Self.u16(0xFFFF) + Self.u16(0)), "Sata(2,-1,0)"),
            (Self.node(3, 23, Self.u32(1) + [0x00, 0x25, 0x38, 0xB5, 0x71, 0xB2, 0x3A, 0x01]), "NVMe(0x1,00-25-38-B5-71-B2-3A-01)"),
            (Self.node(3, 2, Self.u16(1) + Self.u16(0)), "SCSI(1,0)"),
            (Self.node(3, 5, [11, 0]), "USB(11,0)"),
            (Self.node(3, 11, [0x52, 0x54, 0x00, 0x12, 0x34, 0x56] + [UInt8](repeating: 0, count: 26) + [1]), "MAC(525400123456,1)"),
            (Self.node(3, 12, [192, 168, 1, 10] + [192, 168, 1, 1] + Self.u16(0) + Self.u16(69) + Self.u16(17) + [1]
                       + [192, 168, 1, 254] + [255, 255, 255, 0]), "IPv4(192.168.1.1:69,UDP,Static,192.168.1.10,192.168.1.254,255.255.255.0)"),
            (Self.node(4, 2, Self.u32(0) + Self.u64(0x10) + Self.u64(0x2000)), "CDROM(0,0x10,0x2000)"),
            (Self.node(4, 7, Self.guid), "FvVol(3cb9643c-6c08-4fe5-852d-17e1ae701158)"),
            (Self.node(4, 6, Self.guid), "FvFile(3cb9643c-6c08-4fe5-852d-17e1ae701158)"),
            (Self.node(2, 1, Self.u32(0x0A08_41D0) + Self.u32(2)), "PcieRoot(0x2)"),
            (Self.node(5, 1, Self.u16(2) + Self.u16(0) + Array("VirtScsi(0,3,0) Disk".utf8) + [0]), "BBS(HD,VirtScsi(0,3,0) Disk,0x0)"),
            (Self.node(0x42, 7, [0xAB, 0xCD]), "Path(66,7,abcd)"),
        ]
        for (bytes, text) in cases {
            #expect(UEFIDevicePath(decoding: bytes + Self.end).text == text)
        }
        // Two instances: libefivar separates them with a comma.
        let two = Self.node(3, 5, [1, 0]) + [0x7F, 0x01, 4, 0] + Self.node(3, 5, [2, 0]) + Self.end
        #expect(UEFIDevicePath(decoding: two).text == "USB(1,0),USB(2,0)")
    }

    @Test func badNodeLengthStopsWithTheTextSoFar() {
        let good = Self.node(2, 1, Self.u32(0x0A03_41D0) + Self.u32(0))
        for bad in [[1, 1, 2, 0] as [UInt8], [1, 1, 0, 0], [1, 1, 0xFF, 0xFF, 1, 2], [1, 1]] {
            let decoded = UEFIDevicePath(decoding: good + bad)
            #expect(decoded.text == "PciRoot(0x0)")
            #expect(decoded.isTruncated)
        }
        // No end node: what was there, flagged.
        #expect(UEFIDevicePath(decoding: good).isTruncated)
        #expect(!UEFIDevicePath(decoding: []).isTruncated)
        #expect(UEFIDevicePath(decoding: [0, 0, 0, 0, 0, 0, 0, 0]).text == "")
        // Too short for its layout: the generic form, not a trap.
        #expect(UEFIDevicePath(decoding: Self.node(4, 1, [1, 2, 3]) + Self.end).text == "Path(4,1,010203)")
    }

    @Test func nodeCountAndTextAreBounded() {
        let many = [[UInt8]](repeating: Self.node(3, 5, [1, 0]), count: 10_000).joined()
        let decoded = UEFIDevicePath(decoding: Array(many) + Self.end)
        #expect(decoded.nodes.count == UEFIDevicePath.maxNodes)
        #expect(decoded.isTruncated)
        let long = Self.node(4, 4, Self.utf16(String(repeating: "A", count: 30_000)))
        let text = UEFIDevicePath(decoding: long + Self.end)
        #expect(text.text.count <= UEFIDevicePath.maxTextLength)
        #expect(text.isTruncated)
    }

    static func gpt(count: UInt64, entrySize: UInt32 = 128, entries: [[UInt8]]) -> [UInt8] {
        var header: [UInt8] = Array("EFI PART".utf8) + Self.u32(0x0001_0000) + Self.u32(92) + Self.u32(0) + Self.u32(0)
        header += Self.u64(1) + Self.u64(0x3FFFFF) + Self.u64(34) + Self.u64(0x3FFFDE) + Self.guid + Self.u64(2)
        header += Self.u32(128) + Self.u32(entrySize) + Self.u32(0)
        return header + Self.u64(count) + entries.joined()
    }

    static func entry(name: String, start: UInt64, end: UInt64) -> [UInt8] {
        let type: [UInt8] = [0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b]
        var nameBytes = name.utf16.flatMap { Self.u16($0) }
        nameBytes += [UInt8](repeating: 0, count: 72 - nameBytes.count)
        return type + Self.guid + Self.u64(start) + Self.u64(end) + Self.u64(0) + nameBytes
    }

    @Test func gptEventsDecodeAndRefuseWhatDoesNotFit() {
        let data = Self.gpt(count: 2, entries: [Self.entry(name: "EFI", start: 2048, end: 4095), Self.entry(name: "root", start: 4096, end: 8191)])
        for type in [TPMEventType.efiGPTEvent, .efiGPTEvent2] {
            guard case .efiGPT(let gpt) = TPMEventBody.decode(type: type, data: data) else {
                Issue.record("not decoded")
                continue
            }
            #expect(gpt.partitions.map(\.name) == ["EFI", "root"])
            #expect(gpt.partitions[0].typeGUID == "c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
            #expect(gpt.partitions[1].startingLBA == 4096)
            #expect(gpt.diskGUID == "3cb9643c-6c08-4fe5-852d-17e1ae701158")
        }
        // A count past the data, a huge count, an entry size under 128, a cut: raw.
        let bad = [
            Self.gpt(count: 3, entries: [Self.entry(name: "a", start: 1, end: 2)]),
            Self.gpt(count: UInt64.max, entries: []),
            Self.gpt(count: 1, entrySize: 64, entries: [Array(Self.entry(name: "a", start: 1, end: 2).prefix(64))]),
            Array(data.prefix(99)),
        ]
        for bytes in bad { #expect(TPMEventBody.decode(type: .efiGPTEvent, data: bytes) == .raw) }
        for length in 0..<data.count { _ = TPMEventBody.decode(type: .efiGPTEvent, data: Array(data.prefix(length))) }
    }

    @Test func firmwareBlobsHandoffTablesAndText() {
        let blob = Self.u64(0x82_0000) + Self.u64(0xE_0000)
        #expect(TPMEventBody.decode(type: .efiPlatformFirmwareBlob, data: blob)
                == .firmwareBlob(EFIPlatformFirmwareBlob(description: nil, base: 0x82_0000, length: 0xE_0000)))
        #expect(TPMEventBody.decode(type: .postCode, data: blob)
                == .firmwareBlob(EFIPlatformFirmwareBlob(description: nil, base: 0x82_0000, length: 0xE_0000)))
        #expect(TPMEventBody.decode(type: .postCode, data: Array("ACPI DATA".utf8)) == .text("ACPI DATA"))
        #expect(TPMEventBody.decode(type: .postCode, data: [1, 2, 3]) == .raw)
        let blob2 = [6] + Array("fvMain".utf8) + blob
        #expect(TPMEventBody.decode(type: .efiPlatformFirmwareBlob2, data: blob2)
                == .firmwareBlob(EFIPlatformFirmwareBlob(description: "fvMain", base: 0x82_0000, length: 0xE_0000)))
        #expect(TPMEventBody.decode(type: .efiPlatformFirmwareBlob2, data: [200] + blob) == .raw)
        #expect(TPMEventBody.decode(type: .efiPlatformFirmwareBlob, data: Array(blob.prefix(15))) == .raw)

        let table = Self.guid + Self.u64(0x7FB7_E000)
        let tables = Self.u64(2) + table + table
        guard case .handoffTables(let handoff) = TPMEventBody.decode(type: .efiHandoffTables, data: tables) else {
            Issue.record("tables not decoded")
            return
        }
        #expect(handoff.tables.count == 2 && handoff.description == nil)
        #expect(handoff.tables[0] == EFIConfigurationTable(vendorGUID: "3cb9643c-6c08-4fe5-852d-17e1ae701158", address: 0x7FB7_E000))
        let tables2 = [5] + Array("SMBIOS".utf8.prefix(5)) + Self.u64(1) + table
        if case .handoffTables(let two) = TPMEventBody.decode(type: .efiHandoffTables2, data: tables2) {
            #expect(two.description == "SMBIO" && two.tables.count == 1)
        } else {
            Issue.record("tables2 not decoded")
        }
        #expect(TPMEventBody.decode(type: .efiHandoffTables, data: Self.u64(UInt64.max) + table) == .raw)
        #expect(TPMEventBody.decode(type: .efiHandoffTables, data: Self.u64(3) + table) == .raw)

        #expect(TPMEventBody.decode(type: .compactHash, data: Array("kernel cmdline".utf8)) == .text("kernel cmdline"))
        #expect(TPMEventBody.decode(type: .compactHash, data: [0xDE, 0xAD]) == .raw)
        #expect(TPMEventBody.decode(type: .efiHCRTMEvent, data: Array("HCRTM".utf8)) == .text("HCRTM"))
    }
}
