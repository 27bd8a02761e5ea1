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

/// Alert output: one JSON object per line (`--format json`), or one line of text per alert.
public enum AlertRendering {
    /// `alert` as one line of JSON (no newline). Keys: `type` ("alert"), `time`, `detector`,
    /// `severity`, `threat`, `summary`, `src`, `dst`, `dst_port`, `protocol`, `user`,
    /// `outcome` (where they apply), `incident`, `occurrence`, `source_may_be_spoofed`,
    /// `evidence`.
    public static func json(_ alert: Alert) -> String {
        var members: [(String, EvidenceValue)] = [
            ("type", .string("alert")),
            ("time", .string(alert.time.description)),
            ("detector", .string(alert.detector.rawValue)),
            ("severity", .string(alert.severity.rawValue)),
            ("threat", .string(alert.threat.code)),
            ("summary", .string(alert.summary)),
        ]
        if let src = alert.src { members.append(("src", .string(src))) }
        if let dst = alert.dst { members.append(("dst", .string(dst))) }
        if let port = alert.dstPort { members.append(("dst_port", .int(Int64(port)))) }
        if let proto = alert.protocolName { members.append(("protocol", .string(proto))) }
        if let user = alert.user { members.append(("user", .string(user))) }
        if let outcome = alert.outcome { members.append(("outcome", .string(outcome))) }
        members.append(("incident", .string(alert.incident)))
        members.append(("occurrence", .int(Int64(alert.occurrence))))
        members.append(("source_may_be_spoofed", .bool(alert.sourceMayBeSpoofed)))
        members.append(("evidence", .object(alert.evidence)))
        return render(.object(members))
    }

    /// `alert` as one line of JSON (no newline) followed by its event envelope under `event`
    /// (`docs/events.schema.json`), whose `body` is `null`: this line is the body. The alert's own
    /// keys are those of ``json(_:)``, unchanged.
    public static func json(_ alert: Alert, event: Event) -> String {
        var envelope = event
        envelope.body = nil
        // `json(_:)` always ends with the object's closing brace: the envelope goes in before it.
        return String(json(alert).dropLast()) + ",\"event\":" + envelope.jsonLine() + "}"
    }

    /// `alert` as one line of text: time, severity, detector, summary, occurrence.
    public static func text(_ alert: Alert) -> String {
        var line = "\(alert.time) \(alert.severity.rawValue.uppercased()) \(alert.detector.rawValue) \(alert.threat.code): \(alert.summary)"
        if alert.occurrence > 1 { line += " (update \(alert.occurrence))" }
        return escapeControls(line)
    }

    /// A JSON value as compact text.
    public static func render(_ value: EvidenceValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    static func write(_ value: EvidenceValue, into out: inout String) {
        switch value {
        case .int(let v): out += String(v)
        case .double(let v):
            if v.isFinite {
                out += v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
            } else {
                out += "null"
            }
        case .string(let s): writeString(s, into: &out)
        case .bool(let b): out += b ? "true" : "false"
        case .list(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, item)) in members.enumerated() {
                if index > 0 { out += "," }
                writeString(key, into: &out)
                out += ":"
                write(item, into: &out)
            }
            out += "}"
        }
    }

    /// A JSON string literal: quotes, backslashes and every control character escaped (so a
    /// user name from the wire can never break the line or forge another record).
    static func writeString(_ s: String, into out: inout String) {
        out += JSONText.quoted(s)
    }

    /// Text with control characters shown as `\xNN` (terminal-safe).
    static func escapeControls(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7f {
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" : "") + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
