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


/// A JSON document whose objects keep their keys in the order they were built, so every renderer
/// output is byte-for-byte stable and reads in a sensible order (`schema` first, `findings` last).
///
/// Foundation's `JSONEncoder` only offers alphabetical order and escapes `/`; this writer is small
/// enough to own, and owning it means we decide how hostile strings are escaped.
enum ReportJSON: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    case array([ReportJSON])
    case object([(String, ReportJSON)])

    static func == (lhs: ReportJSON, rhs: ReportJSON) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: false
        }
    }

    /// `value` as a JSON string, or `null` when absent.
    static func optional(_ value: String?) -> ReportJSON { value.map(ReportJSON.string) ?? .null }

    /// `value` as a JSON integer, or `null` when absent.
    static func optional(_ value: Int?) -> ReportJSON { value.map(ReportJSON.int) ?? .null }

    /// The document pretty-printed with two-space indentation and a trailing newline.
    func prettyPrinted() -> String {
        var out = ""
        write(to: &out, indent: 0)
        out.append("\n")
        return out
    }

    private func write(to out: inout String, indent: Int) {
        switch self {
        case .string(let s): ReportJSON.writeString(s, to: &out)
        case .int(let i): out.append(String(i))
        case .double(let d):
            // JSON has no NaN or infinity; a non-finite duration is meaningless, so it becomes null.
            if d.isFinite {
                if d == d.rounded(), abs(d) < 1e15 { out.append(String(Int(d))) } else { out.append(String(d)) }
            } else {
                out.append("null")
            }
        case .bool(let b): out.append(b ? "true" : "false")
        case .null: out.append("null")
        case .array(let items):
            if items.isEmpty { out.append("[]"); return }
            out.append("[\n")
            for (index, item) in items.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                item.write(to: &out, indent: indent + 2)
                out.append(index == items.count - 1 ? "\n" : ",\n")
            }
            out.append(String(repeating: " ", count: indent) + "]")
        case .object(let members):
            if members.isEmpty { out.append("{}"); return }
            out.append("{\n")
            for (index, (key, value)) in members.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                ReportJSON.writeString(key, to: &out)
                out.append(": ")
                value.write(to: &out, indent: indent + 2)
                out.append(index == members.count - 1 ? "\n" : ",\n")
            }
            out.append(String(repeating: " ", count: indent) + "}")
        }
    }

    /// Writes `s` as a JSON string literal (RFC 8259 §7): quotes, backslashes and every control
    /// character escaped; U+2028/U+2029 escaped too so the output is also safe to embed in JavaScript.
    static func writeString(_ s: String, to out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            case "\u{00}"..."\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}":
                out.append("\\u" + ReportJSON.hex4(scalar.value))
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: false)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
