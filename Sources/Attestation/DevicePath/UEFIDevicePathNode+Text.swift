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


extension UEFIDevicePathNode {
    /// The text of one node, in libefivar's forms (`dp-hw.c`, `dp-acpi.c`, `dp-message.c`,
    /// `dp-media.c`, BBS in `dp.c`); data too short for its node's layout gives the generic form.
    static func format(type: UInt8, subtype: UInt8, data: [UInt8]) -> String {
        let text: String? = switch type {
        case 1: hardware(subtype, data)
        case 2: acpi(subtype, data)
        case 3: messaging(subtype, data)
        case 4: media(subtype, data)
        case 5: bios(subtype, data)
        default: nil
        }
        return text ?? "Path(\(type),\(subtype),\(hexString(data)))"
    }

    private static func hardware(_ subtype: UInt8, _ data: [UInt8]) -> String? {
        var r = ByteReader(data)
        switch subtype {
        case 1:
            guard let function = r.readUInt8(), let device = r.readUInt8() else { return nil }
            return "Pci(\(hex0x(device)),\(hex0x(function)))"
        case 2:
            guard let function = r.readUInt8() else { return nil }
            return "PcCard(\(hex0x(function)))"
        case 3:
            guard let kind = r.readUInt32(), let start = r.readUInt64(), let end = r.readUInt64() else { return nil }
            return "MemoryMapped(\(hex0x(kind)),\(hex0x(start)),\(hex0x(end)))"
        case 4:
            return vendor("VenHw", data)
        case 5:
            guard let controller = r.readUInt32() else { return nil }
            return "Ctrl(\(hex0x(controller)))"
        case 6:
            guard let interface = r.readUInt8(), let base = r.readUInt64() else { return nil }
            return "BMC(\(interface),\(hex0x(base)))"
        default:
            return "HardwarePath(\(subtype),\(hexString(data)))"
        }
    }

    private static func acpi(_ subtype: UInt8, _ data: [UInt8]) -> String? {
        var r = ByteReader(data)
        switch subtype {
        case 1:
            guard let hid = r.readUInt32(), let uid = r.readUInt32() else { return nil }
            // EISA IDs as ACPI writes them: PNP0A03 is 0x0a0341d0.
            switch hid {
            case 0x0A03_41D0: return "PciRoot(\(hex0x(uid)))"
            case 0x0A08_41D0: return "PcieRoot(\(hex0x(uid)))"
            case 0x0A05_41D0, 0x0A06_41D0: return "AcpiContainer()"
            case 0x0C09_41D0: return "EmbeddedController()"
            case 0x0604_41D0: return "Floppy(\(hex0x(uid)))"
            case 0x0301_41D0: return "Keyboard(\(hex0x(uid)))"
            case 0x0501_41D0: return "Serial(\(hex0x(uid)))"
            default:
                let padded = String(hid, radix: 16)
                return "Acpi(0x\(String(repeating: "0", count: max(0, 8 - padded.count)) + padded),\(hex0x(uid)))"
            }
        case 2:
            guard let hid = r.readUInt32(), let uid = r.readUInt32(), let cid = r.readUInt32() else { return nil }
            // Three NUL-terminated strings follow: HID, UID, CID; an empty one means the number.
            let strings = (r.readBytes(r.remaining) ?? []).split(separator: 0, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            func pick(_ index: Int, _ number: UInt32) -> String {
                index < strings.count && !strings[index].isEmpty ? strings[index] : hex0x(number)
            }
            return "AcpiEx(\(pick(0, hid)),\(pick(2, cid)),\(pick(1, uid)))"
        case 3:
            guard data.count >= 4 else { return nil }
            var values: [String] = []
            while let adr = r.readUInt32() { values.append(hex0x(adr)) }
            return "AcpiAdr(\(values.joined(separator: ",")))"
        default:
            return "AcpiPath(\(subtype),\(hexString(data)))"
        }
    }

    private static func messaging(_ subtype: UInt8, _ data: [UInt8]) -> String? {
        var r = ByteReader(data)
        switch subtype {
        case 1:
            guard let primary = r.readUInt8(), let slave = r.readUInt8(), let lun = r.readUInt16() else { return nil }
            return "Ata(\(primary),\(slave),\(lun))"
        case 2:
            guard let target = r.readUInt16(), let lun = r.readUInt16() else { return nil }
            return "SCSI(\(target),\(lun))"
        case 5:
            guard let port = r.readUInt8(), let interface = r.readUInt8() else { return nil }
            return "USB(\(port),\(interface))"
        case 10:
            return vendor("VenMsg", data)
        case 11:
            guard data.count >= 33 else { return nil }
            let interfaceType = data[32]
            return "MAC(\(hexString(data.prefix(interfaceType < 2 ? 6 : 32))),\(interfaceType))"
        case 12:
            guard data.count >= 23 else { return nil }
            func address(_ at: Int, port: UInt16 = 0) -> String {
                "\(data[at]).\(data[at + 1]).\(data[at + 2]).\(data[at + 3])" + (port > 0 ? ":\(port)" : "")
            }
            func u16(_ at: Int) -> UInt16 { UInt16(data[at]) | UInt16(data[at + 1]) << 8 }
            let proto = u16(12)
            let protocolText = proto == 6 ? "TCP" : proto == 17 ? "UDP" : "\(proto)"
            return "IPv4(\(address(4, port: u16(10))),\(protocolText),\(data[14] != 0 ? "Static" : "DHCP"),"
                + "\(address(0, port: u16(8))),\(address(15)),\(address(19)))"
        case 18:
            guard let hba = r.readUInt16(), let multiplier = r.readUInt16(), let lun = r.readUInt16() else { return nil }
            return "Sata(\(hba),\(Int16(bitPattern: multiplier)),\(lun))"
        case 23:
            guard let namespace = r.readUInt32(), let eui = r.readBytes(8) else { return nil }
            return "NVMe(\(hex0x(namespace)),\(eui.map { hexString([$0]).uppercased() }.joined(separator: "-")))"
        case 24:
            return "Uri(\(decodeText(data)))"
        default:
            return "Msg(\(subtype),\(hexString(data)))"
        }
    }

    private static func media(_ subtype: UInt8, _ data: [UInt8]) -> String? {
        var r = ByteReader(data)
        switch subtype {
        case 1:
            guard let number = r.readUInt32(), let start = r.readUInt64(), let size = r.readUInt64(),
                  let signature = r.readBytes(16), r.readUInt8() != nil, let signatureType = r.readUInt8()
            else { return nil }
            let range = "\(hex0x(start)),\(hex0x(size))"
            switch signatureType {
            case 1:
                let mbr = UInt32(signature[0]) | UInt32(signature[1]) << 8 | UInt32(signature[2]) << 16 | UInt32(signature[3]) << 24
                return "HD(\(number),MBR,\(hex0x(mbr)),\(range))"
            case 2:
                return "HD(\(number),GPT,\(formatGUID(signature)),\(range))"
            default:
                return "HD(\(number),\(signatureType),\(hexString(signature)),\(range))"
            }
        case 2:
            guard let entry = r.readUInt32(), let start = r.readUInt64(), let size = r.readUInt64() else { return nil }
            return "CDROM(\(entry),\(hex0x(start)),\(hex0x(size)))"
        case 3:
            return vendor("VenMedia", data)
        case 4:
            return "File(\(decodeUTF16(data)))"
        case 5, 6, 7:
            guard data.count >= 16 else { return nil }
            let name = subtype == 5 ? "Media" : subtype == 6 ? "FvFile" : "FvVol"
            return "\(name)(\(formatGUID(Array(data.prefix(16)))))"
        case 8:
            guard r.readUInt32() != nil, let first = r.readUInt64(), let last = r.readUInt64() else { return nil }
            return "Offset(\(hex0x(first)),\(hex0x(last)))"
        default:
            return "MediaPath(\(subtype),\(hexString(data)))"
        }
    }

    /// BIOS Boot Specification nodes (type 5): device type, status flags, an ASCII description.
    private static func bios(_ subtype: UInt8, _ data: [UInt8]) -> String? {
        guard subtype == 1 else { return "BbsPath(\(subtype),\(hexString(data)))" }
        var r = ByteReader(data)
        guard let deviceType = r.readUInt16(), let status = r.readUInt16() else { return nil }
        let names = ["", "Floppy", "HD", "CDROM", "PCMCIA", "USB", "Network"]
        let kind = (1...6).contains(deviceType) ? names[Int(deviceType)] : "\(deviceType)"
        return "BBS(\(kind),\(decodeText(r.readBytes(r.remaining) ?? [])),\(hex0x(status)))"
    }

    private static func vendor(_ name: String, _ data: [UInt8]) -> String? {
        guard data.count >= 16 else { return nil }
        let rest = data.count > 16 ? "," + hexString(data.dropFirst(16)) : ""
        return "\(name)(\(formatGUID(Array(data.prefix(16))))\(rest))"
    }
}
