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

/// The envelope's JSON form, `docs/events.schema.json`: every envelope key is always present
/// (`null` when unknown), `body` is an object (or `null`), never a string holding JSON.
extension Event: Codable {
    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case id, time, host, engine, kind, severity, subject, vm, interface, threat, summary, evidence, body
        // Schema 0 (before the envelope) printed these; `hyperward events` keeps them for one
        // version (see docs/events.md).
        case message, data
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Event.schemaVersion, forKey: .schemaVersion)
        try container.encode(id, forKey: .id)
        try container.encode(time, forKey: .time)
        try container.encode(host, forKey: .host)
        try container.encode(engine, forKey: .engine)
        try container.encode(kind, forKey: .kind)
        try container.encode(severity, forKey: .severity)
        try container.encode(subject, forKey: .subject)
        try container.encode(vm, forKey: .vm)
        try container.encode(interface, forKey: .interface)
        try container.encode(threat, forKey: .threat)
        try container.encode(summary, forKey: .summary)
        try container.encode(evidence, forKey: .evidence)
        try container.encode(bodyObject, forKey: .body)
    }

    /// Reads an envelope; also accepts schema 0's `message` and `data` (JSON text) for `summary`
    /// and `body`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        time = try container.decode(String.self, forKey: .time)
        host = try container.decodeIfPresent(String.self, forKey: .host)
        engine = try container.decode(Engine.self, forKey: .engine)
        kind = try container.decode(String.self, forKey: .kind)
        severity = try container.decodeIfPresent(Severity.self, forKey: .severity)
        subject = try container.decodeIfPresent(String.self, forKey: .subject)
        vm = try container.decodeIfPresent(String.self, forKey: .vm)
        interface = try container.decodeIfPresent(String.self, forKey: .interface)
        threat = try container.decodeIfPresent(ThreatClass.self, forKey: .threat)
        if let summary = try container.decodeIfPresent(String.self, forKey: .summary) {
            self.summary = summary
        } else {
            summary = try container.decode(String.self, forKey: .message)
        }
        evidence = try container.decodeIfPresent([EventEvidence].self, forKey: .evidence) ?? []
        if let object = try container.decodeIfPresent(JSONValue.self, forKey: .body), object != .null {
            body = object.text
        } else {
            body = try container.decodeIfPresent(String.self, forKey: .data)
        }
    }

    /// `body` as the object the schema promises: a body that is valid JSON but not an object is
    /// wrapped as `{"value": …}`, one that does not parse (never written by Hyperward; the store
    /// refuses it) as `{"text": "…"}`, so a consumer never sees a string holding JSON.
    var bodyObject: JSONValue? {
        guard let body else { return nil }
        guard let value = JSONValue(parsing: body) else { return .object(["text": .string(body)]) }
        if case .object = value { return value }
        return .object(["value": value])
    }

    /// The event as one line of compact JSON (no newline), keys sorted.
    ///
    /// - Parameter compatibilityKeys: also write schema 0's `message` (the summary) and `data`
    ///   (the body as JSON text), which `hyperward events --format json` keeps for one version.
    public func jsonLine(compatibilityKeys: Bool = false) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data?
        if compatibilityKeys {
            data = try? encoder.encode(CompatibleEvent(event: self))
        } else {
            data = try? encoder.encode(self)
        }
        // Encoding strings, numbers and a parsed body cannot fail; the fallback keeps a line valid.
        let line = data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        // U+2028 and U+2029 are valid in a JSON string, but tools that split on Unicode line
        // boundaries (Python's splitlines) would cut the line there: escaped, as the sensor's own
        // JSON does. Outside strings JSON never has them, so the replacement is exact.
        guard line.unicodeScalars.contains(where: { $0 == "\u{2028}" || $0 == "\u{2029}" }) else { return line }
        return line.replacingOccurrences(of: "\u{2028}", with: "\\u2028").replacingOccurrences(of: "\u{2029}", with: "\\u2029")
    }

    /// The envelope plus schema 0's keys, in one object.
    struct CompatibleEvent: Encodable {
        var event: Event

        func encode(to encoder: any Encoder) throws {
            try event.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(event.summary, forKey: .message)
            try container.encodeIfPresent(event.body, forKey: .data)
        }
    }
}
