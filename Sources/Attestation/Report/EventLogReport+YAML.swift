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


extension EventLogReport {
    /// The report in the shape of tpm2-tools' `tpm2_eventlog` YAML: `version`, an `events:` list
    /// (EventNum, PCRIndex, EventType, DigestCount, Digests with AlgorithmId and Digest, EventSize,
    /// Event), then `notes:`, `problem:` and `ima:` where there are any, and last a `pcrs:` section
    /// written exactly as tpm2-tools writes it (`    0  : 0x…`, lowercase hex), so the two can be
    /// compared line by line.
    public func yaml() -> String {
        var out = "---\nversion: 1\nevents:\n"
        for event in log.events {
            out += "- EventNum: \(event.index)\n  PCRIndex: \(event.pcr)\n  EventType: \(event.type.name)\n"
            out += "  DigestCount: \(event.digests.count)\n  Digests:\n"
            for digest in event.digests {
                out += "  - AlgorithmId: \(digest.algorithm.name)\n    Digest: \"\(hexString(digest.bytes))\"\n"
            }
            out += "  EventSize: \(event.data.count)\n  Event:"
            Self.appendYAML(event.reportValue, indent: "    ", to: &out)
        }
        if !replay.notes.isEmpty {
            out += "notes:\n"
            for note in replay.notes { out += "- " + Self.yamlString(note) + "\n" }
        }
        if let problem = log.problem { out += "problem: " + Self.yamlString(problem.description) + "\n" }
        if let ima {
            out += "ima:\n  entries: \(ima.entries.count)\n"
            if let problem = ima.problem { out += "  problem: " + Self.yamlString(problem.description) + "\n" }
            out += "  pcr10:\n"
            for row in imaRows { out += "    \(row.bank.name): 0x\(hexString(row.value))\n" }
        }
        out += "pcrs:\n"
        for row in pcrRows {
            out += "  \(row.bank.name):\n"
            for (pcr, value) in row.values {
                let index = String(pcr)
                out += "    " + index + String(repeating: " ", count: max(1, 3 - index.count)) + ": 0x" + hexString(value) + "\n"
            }
        }
        return out
    }

    /// Appends ` scalar\n`, or a newline and the nested block at `indent`.
    private static func appendYAML(_ value: ReportValue, indent: String, to out: inout String) {
        switch value {
        case .object(let fields):
            if fields.isEmpty { out += " {}\n"; return }
            out += "\n"
            appendFields(fields, indent: indent, firstPrefix: indent, to: &out)
        case .list(let items):
            if items.isEmpty { out += " []\n"; return }
            out += "\n"
            for item in items {
                if case .object(let fields) = item, !fields.isEmpty {
                    appendFields(fields, indent: indent + "  ", firstPrefix: indent + "- ", to: &out)
                } else {
                    out += indent + "-"
                    appendYAML(item, indent: indent + "  ", to: &out)
                }
            }
        default:
            out += " " + scalar(value) + "\n"
        }
    }

    private static func appendFields(_ fields: [(String, ReportValue)], indent: String, firstPrefix: String, to out: inout String) {
        for (i, (key, field)) in fields.enumerated() {
            out += (i == 0 ? firstPrefix : indent) + key + ":"
            appendYAML(field, indent: indent + "  ", to: &out)
        }
    }

    private static func scalar(_ value: ReportValue) -> String {
        switch value {
        case .string(let s): yamlString(s)
        case .integer(let n): String(n)
        case .address(let n): hex0x(n)
        case .bytes(let b): "\"" + hexString(b) + "\""
        case .boolean(let b): b ? "true" : "false"
        case .list, .object: "null"
        }
    }

    /// A YAML string: plain when it is a simple word (`sha256`, `SecureBoot`), single-quoted when
    /// every character is printable in YAML (tpm2-tools' style for device paths), else
    /// double-quoted with `\uXXXX` escapes for the rest: C0 and C1 controls, DEL, the byte-order
    /// mark, U+2028/U+2029 and the non-characters U+FFFE/U+FFFF, which YAML does not allow even
    /// inside quotes (the quote fuzz target found a baseline that did not parse back).
    static func yamlString(_ s: String) -> String {
        if isPlainWord(s) { return s }
        func needsEscape(_ u: Unicode.Scalar) -> Bool {
            u.value < 0x20 || (0x7F...0x9F).contains(u.value) || u.value == 0xFEFF || u.value == 0x2028 || u.value == 0x2029
                || u.value == 0xFFFE || u.value == 0xFFFF
        }
        if !s.unicodeScalars.contains(where: needsEscape) {
            return "'" + (s.utf8.contains(0x27) ? s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") : s) + "'"
        }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if needsEscape(u) {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// Letters, digits, `_`, `-` and `.`, starting with a letter, and not a word YAML reads as a
    /// boolean or null.
    private static func isPlainWord(_ s: String) -> Bool {
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("A"..."Z").contains(c) || ("a"..."z").contains(c) }
        guard let first = s.unicodeScalars.first, isLetter(first),
              s.unicodeScalars.allSatisfy({ isLetter($0) || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0) })
        else { return false }
        return !["true", "false", "yes", "no", "on", "off", "null", "y", "n"].contains(s.lowercased())
    }
}
