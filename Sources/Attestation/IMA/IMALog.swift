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

import HyperwardCore

/// A Linux IMA runtime measurement log (`/sys/kernel/security/ima/ascii_runtime_measurements` or
/// `binary_runtime_measurements`) for the `ima`, `ima-ng` and `ima-sig` templates.
///
/// Like ``TPMEventLog``, parsing never traps: it stops where the framing breaks, keeps the entries
/// before that point and says why in ``problem``.
public struct IMALog: Sendable {
    /// One measurement.
    public struct Entry: Hashable, Sendable {
        /// The PCR extended (10 unless the policy says otherwise).
        public var pcr: UInt32
        /// The SHA-1 template hash the log records; all zero for a violation.
        public var templateHash: [UInt8]
        /// `ima`, `ima-ng`, `ima-sig`, or another template (kept, replayed only through the SHA-1 hash).
        public var templateName: String
        /// The template data in the kernel's binary layout (per-field u32 length and bytes;
        /// for `ima`, the 20-byte digest and the name), or nil when it could not be rebuilt.
        public var templateData: [UInt8]?
        /// The file path (`n`/`n-ng` field), when known.
        public var path: String?

        /// Whether this is a violation entry (a file measured while open for write, or a
        /// ToMToU): its template hash is zero and it extends all ones (IMA `ima_add_violation`).
        public var isViolation: Bool { templateHash.allSatisfy { $0 == 0 } }
    }

    /// The entries, in log order.
    public var entries: [Entry]
    /// Why parsing stopped before the end, or nil.
    public var problem: HyperwardError?

    /// At most this many entries.
    public static let maxEntries = 1_000_000
    /// At most this many bytes in one template name or template data.
    public static let maxFieldSize = 1 << 20
    /// The `ima` template pads the name to this many bytes when hashing (IMA_EVENT_NAME_LEN_MAX + 1).
    static let imaNameHashLength = 256

    /// Parses either form: the ASCII list starts with the PCR number in digits, the binary one
    /// with a little-endian u32.
    public init(parsing bytes: [UInt8], source: String = "runtime_measurements") {
        if let first = bytes.first, (0x30...0x39).contains(first) {
            self.init(parsingASCII: String(decoding: bytes, as: UTF8.self), source: source)
        } else {
            self.init(parsingBinary: bytes, source: source)
        }
    }

    /// Parses the ASCII log: `PCR TEMPLATE-HASH TEMPLATE FILE-DIGEST PATH [SIGNATURE]` per line.
    public init(parsingASCII text: String, source: String = "ascii_runtime_measurements") {
        entries = []
        problem = nil
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }
            guard entries.count < Self.maxEntries else {
                problem = HyperwardError(.tooLarge, "more than \(Self.maxEntries) entries", location: .init(file: source, line: lineNumber))
                return
            }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count >= 5, let pcr = UInt32(fields[0]), let hash = Hex.decode(fields[1]), hash.count == 20 else {
                problem = HyperwardError(.invalidInput, "expected 'PCR TEMPLATE-HASH TEMPLATE DIGEST PATH', a decimal PCR and a 40-digit SHA-1 hash",
                                         location: .init(file: source, line: lineNumber))
                return
            }
            let template = fields[2]
            var path = fields[4...].joined(separator: " ")
            var signature: [UInt8]?
            if template == "ima-sig", fields.count >= 6, let sig = Hex.decode(fields[fields.count - 1]) {
                signature = sig
                path = fields[4..<(fields.count - 1)].joined(separator: " ")
            }
            let data = Self.templateData(template: template, digestField: fields[3], path: path, signature: signature)
            entries.append(Entry(pcr: pcr, templateHash: hash, templateName: template, templateData: data, path: path))
        }
    }

    /// Parses the binary log: per entry u32 PCR, 20-byte template hash, u32 name length, name,
    /// then u32 data length and data (no length for `ima`, whose data is digest, u32 length, name).
    public init(parsingBinary bytes: [UInt8], source: String = "binary_runtime_measurements") {
        entries = []
        problem = nil
        var reader = ByteReader(bytes)
        let location = HyperwardError.SourceLocation(file: source)
        while !reader.isAtEnd {
            let offset = reader.offset
            guard entries.count < Self.maxEntries else {
                problem = HyperwardError(.tooLarge, "more than \(Self.maxEntries) entries; stopped at offset \(offset)", location: location)
                return
            }
            guard let pcr = reader.readUInt32(), let hash = reader.readBytes(20), let nameLength = reader.readUInt32(),
                  nameLength <= UInt32(min(reader.remaining, 255)), let nameBytes = reader.readBytes(Int(nameLength))
            else {
                problem = HyperwardError(.invalidInput, "entry \(entries.count) at offset \(offset): the log ends inside the entry header, or its template name is too long", location: location)
                return
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            var data: [UInt8]
            var path: String?
            if name == "ima" {
                guard let digest = reader.readBytes(20), let length = reader.readUInt32(), length <= UInt32(min(reader.remaining, Self.maxFieldSize)),
                      let nameField = reader.readBytes(Int(length))
                else {
                    problem = HyperwardError(.invalidInput, "entry \(entries.count) at offset \(offset): the 'ima' template data runs past the end", location: location)
                    return
                }
                data = digest + Self.lengthPrefix(nameField.count) + nameField
                path = String(decoding: nameField, as: UTF8.self)
            } else {
                guard let length = reader.readUInt32(), length <= UInt32(Self.maxFieldSize), let bytes = reader.readBytes(Int(length)) else {
                    problem = HyperwardError(.invalidInput, "entry \(entries.count) at offset \(offset): the template data is larger than \(Self.maxFieldSize) bytes or runs past the end", location: location)
                    return
                }
                data = bytes
                path = Self.fields(of: bytes).flatMap { $0.count >= 2 ? decodeText($0[1]) : nil }
            }
            entries.append(Entry(pcr: pcr, templateHash: hash, templateName: name, templateData: data, path: path))
        }
    }

    /// The value `pcr` holds after replaying the log into `bank` (sha1, sha256, sha384, sha512),
    /// from zero; nil when an entry's template data is unknown for a bank other than SHA-1, or the
    /// bank has no hash function here.
    public func replay(pcr: UInt32 = 10, bank: TPMAlgorithm) -> [UInt8]? {
        guard let size = bank.knownDigestSize, PCRHash.canReplay(bank) else { return nil }
        var value = [UInt8](repeating: 0, count: size)
        for entry in entries where entry.pcr == pcr {
            guard let measurement = measurement(of: entry, bank: bank), let next = PCRHash.digest(bank, value + measurement) else { return nil }
            value = next
        }
        return value
    }

    /// The value the kernel extended into `bank` for `entry`: the logged template hash (sha1),
    /// the template data hashed with the bank's algorithm (other banks), all ones for a violation.
    public func measurement(of entry: Entry, bank: TPMAlgorithm) -> [UInt8]? {
        guard let size = bank.knownDigestSize, PCRHash.canReplay(bank) else { return nil }
        if entry.isViolation { return [UInt8](repeating: 0xFF, count: size) }
        if bank == .sha1 { return entry.templateHash }
        guard let input = hashInput(of: entry) else { return nil }
        return PCRHash.digest(bank, input)
    }

    /// What the kernel hashes for a template digest: the template data, except that the `ima`
    /// template hashes its digest and its name zero-padded to 256 bytes, without lengths
    /// (ima_calc_field_array_hash_tfm).
    func hashInput(of entry: Entry) -> [UInt8]? {
        guard let data = entry.templateData else { return nil }
        guard entry.templateName == "ima" else { return data }
        guard data.count >= 24 else { return nil }
        let name = Array(data[24...].prefix(Self.imaNameHashLength))
        return Array(data[0..<20]) + name + [UInt8](repeating: 0, count: Self.imaNameHashLength - name.count)
    }

    /// The binary template data the ASCII fields stand for.
    static func templateData(template: String, digestField: String, path: String, signature: [UInt8]?) -> [UInt8]? {
        let name = Array(path.utf8)
        switch template {
        case "ima":
            guard let digest = Hex.decode(digestField), digest.count == 20 else { return nil }
            return digest + lengthPrefix(name.count) + name
        case "ima-ng", "ima-sig":
            // d-ng: "ALGO:" NUL digest; n-ng: the path and its NUL (ima_template_lib.c).
            guard let colon = digestField.firstIndex(of: ":"), let digest = Hex.decode(String(digestField[digestField.index(after: colon)...])) else { return nil }
            let digestBytes = Array(digestField[...colon].utf8) + [0] + digest
            var data = lengthPrefix(digestBytes.count) + digestBytes + lengthPrefix(name.count + 1) + name + [0]
            if template == "ima-sig" {
                let sig = signature ?? []
                data += lengthPrefix(sig.count) + sig
            }
            return data
        default:
            return nil
        }
    }

    /// The u32-length-prefixed fields of template data, or nil when they do not tile it.
    static func fields(of data: [UInt8]) -> [[UInt8]]? {
        var reader = ByteReader(data)
        var result: [[UInt8]] = []
        while !reader.isAtEnd {
            guard result.count < 64, let length = reader.readUInt32(), let field = reader.readBytes(Int(min(length, UInt32(Int32.max)))) else { return nil }
            result.append(field)
        }
        return result
    }

    static func lengthPrefix(_ count: Int) -> [UInt8] {
        let value = UInt32(truncatingIfNeeded: count)
        return [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }
}
