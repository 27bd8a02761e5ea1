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

extension EventLogReport {
    /// The report as one JSON object: `source`, `format`, `banks`, `events` (each with `index`,
    /// `offset`, `pcr`, `type`, `type_value`, `digests`, `size`, `event`: the decoded fields in
    /// snake case, or the data's hex when it is not decoded), `pcrs` (bank → PCR → hex), `notes`,
    /// `problem` (null when the whole log was read), and `ima` when an IMA log was given.
    public func json() -> String {
        var out = "{\"source\":" + Self.jsonString(source)
        out += ",\"format\":\"\(formatName)\",\"banks\":[" + log.banks.map { "\"\($0.name)\"" }.joined(separator: ",") + "]"
        out += ",\"events\":["
        for (i, event) in log.events.enumerated() {
            if i > 0 { out += "," }
            out += "{\"index\":\(event.index),\"offset\":\(event.offset),\"pcr\":\(event.pcr),\"type\":\"\(event.type.name)\""
            out += ",\"type_value\":\(event.type.rawValue),\"digests\":["
            out += event.digests.map { "{\"algorithm\":\"\($0.algorithm.name)\",\"digest\":\"\(hexString($0.bytes))\"}" }
                .joined(separator: ",")
            out += "],\"size\":\(event.data.count),\"decoded\":\(event.body == .raw ? "false" : "true"),\"event\":"
            Self.appendJSON(event.reportValue, to: &out)
            out += "}"
        }
        out += "],\"pcrs\":{"
        out += pcrRows.map { row in
            "\"\(row.bank.name)\":{" + row.values.map { "\"\($0.pcr)\":\"\(hexString($0.value))\"" }.joined(separator: ",") + "}"
        }.joined(separator: ",")
        out += "},\"notes\":[" + replay.notes.map(Self.jsonString).joined(separator: ",") + "]"
        out += ",\"problem\":" + (log.problem.map { Self.jsonString($0.description) } ?? "null")
        if let ima {
            out += ",\"ima\":{\"entries\":\(ima.entries.count),\"pcr10\":{"
            out += imaRows.map { "\"\($0.bank.name)\":\"\(hexString($0.value))\"" }.joined(separator: ",")
            out += "},\"problem\":" + (ima.problem.map { Self.jsonString($0.description) } ?? "null") + "}"
        }
        return out + "}\n"
    }

    private static func appendJSON(_ value: ReportValue, to out: inout String) {
        switch value {
        case .string(let s): out += jsonString(s)
        case .integer(let n): out += String(n)
        case .address(let n): out += "\"" + hex0x(n) + "\""
        case .bytes(let b): out += "\"" + hexString(b) + "\""
        case .boolean(let b): out += b ? "true" : "false"
        case .list(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                appendJSON(item, to: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, (key, field)) in fields.enumerated() {
                if i > 0 { out += "," }
                out += "\"" + snakeCase(key) + "\":"
                appendJSON(field, to: &out)
            }
            out += "}"
        }
    }

    /// A JSON string literal (``JSONText/quoted(_:)``).
    static func jsonString(_ s: String) -> String { JSONText.quoted(s) }

    /// `ImageLocationInMemory` → `image_location_in_memory`, `MyLBA` → `my_lba`,
    /// `specVersionMinor` → `spec_version_minor`.
    static func snakeCase(_ key: String) -> String {
        // Keys are ASCII identifiers; bytes, not Characters, keep this off the rendering profile.
        let chars = Array(key.utf8)
        func isUpper(_ c: UInt8) -> Bool { (0x41...0x5A).contains(c) }
        func isLowerOrDigit(_ c: UInt8) -> Bool { (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count + 8)
        for (i, c) in chars.enumerated() {
            if isUpper(c), i > 0 {
                let previous = chars[i - 1]
                let nextIsLower = i + 1 < chars.count && (0x61...0x7A).contains(chars[i + 1])
                if isLowerOrDigit(previous) || (isUpper(previous) && nextIsLower) { out.append(0x5F) }
            }
            out.append(isUpper(c) ? c + 0x20 : c)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
