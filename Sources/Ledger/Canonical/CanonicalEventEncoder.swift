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

/// The columns of one stored event as raw UTF-8, to derive its leaf straight from the database
/// without building an ``Event`` (the verifier does this for every row). Each pointer is valid
/// only during the call it is given to; `nil` is SQL NULL.
public struct EventColumns {
    public var id: UnsafeRawBufferPointer
    public var time: UnsafeRawBufferPointer
    public var host: UnsafeRawBufferPointer?
    public var engine: UnsafeRawBufferPointer
    public var kind: UnsafeRawBufferPointer
    public var severity: UnsafeRawBufferPointer?
    public var subject: UnsafeRawBufferPointer?
    public var vm: UnsafeRawBufferPointer?
    public var interface: UnsafeRawBufferPointer?
    public var threat: UnsafeRawBufferPointer?
    public var summary: UnsafeRawBufferPointer
    /// The evidence array as JSON text (the store's `evidence` column).
    public var evidence: UnsafeRawBufferPointer?
    /// The body as JSON text (the store's `data` column).
    public var body: UnsafeRawBufferPointer?

    /// Columns from their bytes.
    public init(id: UnsafeRawBufferPointer, time: UnsafeRawBufferPointer, host: UnsafeRawBufferPointer?, engine: UnsafeRawBufferPointer,
                kind: UnsafeRawBufferPointer, severity: UnsafeRawBufferPointer?, subject: UnsafeRawBufferPointer?,
                vm: UnsafeRawBufferPointer?, interface: UnsafeRawBufferPointer?, threat: UnsafeRawBufferPointer?,
                summary: UnsafeRawBufferPointer, evidence: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer?) {
        self.id = id
        self.time = time
        self.host = host
        self.engine = engine
        self.kind = kind
        self.severity = severity
        self.subject = subject
        self.vm = vm
        self.interface = interface
        self.threat = threat
        self.summary = summary
        self.evidence = evidence
        self.body = body
    }
}

/// The ledger's leaf data: the canonical JSON of an event (docs/governance.md), and its leaf hash.
///
/// The object has the envelope's keys (`schema_version` 1) in sorted order, without those that
/// are `null` and without `evidence` when there is none; `body` is the body's JSON embedded
/// canonicalised (a body that is not JSON — never written by Hyperward — as a string). The
/// compatibility keys `message` and `data` are not part of it.
///
/// One encoder is reused for every event: its buffer keeps its capacity, and starts with the
/// RFC 9162 leaf prefix 0x00 so the leaf hash is one SHA-256 call over it.
public struct CanonicalEventEncoder: Sendable {
    var writer = CanonicalJSONWriter()
    var needsComma = false

    /// The leaf format's version, written as `schema_version`.
    public static let formatVersion: Int64 = 1

    /// An encoder with an empty buffer.
    public init() {}

    /// The canonical JSON of the last event encoded.
    public var json: ArraySlice<UInt8> { writer.bytes.dropFirst() }

    /// The RFC 9162 leaf hash of the last event encoded.
    public var leafHash: MerkleHash {
        writer.bytes.withUnsafeBytes { MerkleTree.leafHash(prefixed: $0) }
    }

    mutating func begin() {
        writer.removeAll()
        writer.bytes.append(0x00)
        writer.bytes.append(0x7B)
        needsComma = false
    }

    /// Writes a member's name; `name` is given with its quotes and colon (`"id":`), so that it
    /// is one append (this runs fourteen times for each leaf verified).
    mutating func key(_ name: StaticString) {
        if needsComma { writer.bytes.append(0x2C) }
        needsComma = true
        writer.appendBytes(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    mutating func embed(json: UnsafeRawBufferPointer) {
        if !writer.appendCanonicalized(json: json) { writer.appendString(json) }
    }

    /// Encodes the event stored with these columns; returns its leaf hash.
    @discardableResult
    public mutating func encode(_ c: EventColumns) -> MerkleHash {
        begin()
        // Keys in sorted order: body engine evidence host id interface kind schema_version
        // severity subject summary threat time vm.
        if let body = c.body {
            key("\"body\":")
            embed(json: body)
        }
        key("\"engine\":")
        writer.appendString(c.engine)
        if let evidence = c.evidence {
            let mark = writer.bytes.count
            key("\"evidence\":")
            embed(json: evidence)
            // An empty array is no evidence, as an event without any is written.
            if writer.bytes.count - mark >= 2, writer.bytes[writer.bytes.count - 2] == 0x5B, writer.bytes.last == 0x5D,
               writer.bytes[writer.bytes.count - 3] == 0x3A {
                writer.bytes.removeSubrange(mark...)
            }
        }
        if let host = c.host {
            key("\"host\":")
            writer.appendString(host)
        }
        key("\"id\":")
        writer.appendString(c.id)
        if let interface = c.interface {
            key("\"interface\":")
            writer.appendString(interface)
        }
        key("\"kind\":")
        writer.appendString(c.kind)
        key("\"schema_version\":")
        writer.appendInteger(CanonicalEventEncoder.formatVersion)
        if let severity = c.severity {
            key("\"severity\":")
            writer.appendString(severity)
        }
        if let subject = c.subject {
            key("\"subject\":")
            writer.appendString(subject)
        }
        key("\"summary\":")
        writer.appendString(c.summary)
        if let threat = c.threat {
            key("\"threat\":")
            writer.appendString(threat)
        }
        key("\"time\":")
        writer.appendString(c.time)
        if let vm = c.vm {
            key("\"vm\":")
            writer.appendString(vm)
        }
        writer.bytes.append(0x7D)
        return leafHash
    }

    /// Encodes an event; returns its leaf hash. Gives the same bytes as the event's stored
    /// columns do.
    @discardableResult
    public mutating func encode(_ event: Event) -> MerkleHash {
        begin()
        if let body = event.body {
            key("\"body\":")
            var body = body
            body.withUTF8 { embed(json: UnsafeRawBufferPointer($0)) }
        }
        key("\"engine\":")
        writer.appendString(event.engine.rawValue)
        if !event.evidence.isEmpty {
            key("\"evidence\":")
            writer.bytes.append(0x5B)
            for (i, item) in event.evidence.enumerated() {
                if i > 0 { writer.bytes.append(0x2C) }
                writeEvidence(item)
            }
            writer.bytes.append(0x5D)
        }
        if let host = event.host {
            key("\"host\":")
            writer.appendString(host)
        }
        key("\"id\":")
        writer.appendString(event.id)
        if let interface = event.interface {
            key("\"interface\":")
            writer.appendString(interface)
        }
        key("\"kind\":")
        writer.appendString(event.kind)
        key("\"schema_version\":")
        writer.appendInteger(CanonicalEventEncoder.formatVersion)
        if let severity = event.severity {
            key("\"severity\":")
            writer.appendString(severity.rawValue)
        }
        if let subject = event.subject {
            key("\"subject\":")
            writer.appendString(subject)
        }
        key("\"summary\":")
        writer.appendString(event.summary)
        if let threat = event.threat {
            key("\"threat\":")
            writer.appendString(threat.rawValue)
        }
        key("\"time\":")
        writer.appendString(event.time)
        if let vm = event.vm {
            key("\"vm\":")
            writer.appendString(vm)
        }
        writer.bytes.append(0x7D)
        return leafHash
    }

    /// One evidence item, its keys sorted: bytes kind line path sha256 value.
    mutating func writeEvidence(_ item: EventEvidence) {
        writer.bytes.append(0x7B)
        var first = true
        func separator(_ w: inout CanonicalJSONWriter) {
            if !first { w.bytes.append(0x2C) }
            first = false
        }
        if let bytes = item.bytes {
            separator(&writer)
            writer.bytes.append(contentsOf: Array("\"bytes\":".utf8))
            writer.appendInteger(bytes)
        }
        separator(&writer)
        writer.bytes.append(contentsOf: Array("\"kind\":".utf8))
        writer.appendString(item.kind)
        if let line = item.line {
            separator(&writer)
            writer.bytes.append(contentsOf: Array("\"line\":".utf8))
            writer.appendInteger(Int64(line))
        }
        if let path = item.path {
            separator(&writer)
            writer.bytes.append(contentsOf: Array("\"path\":".utf8))
            writer.appendString(path)
        }
        if let sha256 = item.sha256 {
            separator(&writer)
            writer.bytes.append(contentsOf: Array("\"sha256\":".utf8))
            writer.appendString(sha256)
        }
        if let value = item.value {
            separator(&writer)
            writer.bytes.append(contentsOf: Array("\"value\":".utf8))
            writer.appendString(value)
        }
        writer.bytes.append(0x7D)
    }

    /// The canonical JSON of `event`.
    public static func json(of event: Event) -> [UInt8] {
        var encoder = CanonicalEventEncoder()
        encoder.encode(event)
        return Array(encoder.json)
    }
}

/// The texts of an event as the store writes them into its columns (`evidence` and `body` as
/// JSON text), to derive the leaf at insertion through the same path the verifier takes from the
/// stored bytes.
public struct StoredEventTexts: Sendable {
    public var id: String, time: String, host: String?, engine: String, kind: String, severity: String?, subject: String?
    public var vm: String?, interface: String?, threat: String?, summary: String, evidence: String?, body: String?

    /// The texts of `event`, with its evidence as the JSON text stored (`nil` for none).
    public init(_ event: Event, evidenceText: String?) {
        id = event.id
        time = event.time
        host = event.host
        engine = event.engine.rawValue
        kind = event.kind
        severity = event.severity?.rawValue
        subject = event.subject
        vm = event.vm
        interface = event.interface
        threat = event.threat?.rawValue
        summary = event.summary
        evidence = evidenceText
        body = event.body
    }
}

extension CanonicalEventEncoder {
    /// Encodes an event from the texts its columns hold; returns its leaf hash.
    @discardableResult
    public mutating func encode(_ texts: StoredEventTexts) -> MerkleHash {
        let fields: [String?] = [texts.id, texts.time, texts.host, texts.engine, texts.kind, texts.severity, texts.subject, texts.vm,
                                 texts.interface, texts.threat, texts.summary, texts.evidence, texts.body]
        // All fields in one buffer; each column a slice of it.
        var storage: [UInt8] = []
        var ranges: [Range<Int>?] = []
        for field in fields {
            guard let field else {
                ranges.append(nil)
                continue
            }
            let start = storage.count
            storage.append(contentsOf: field.utf8)
            ranges.append(start..<storage.count)
        }
        return storage.withUnsafeBytes { all in
            func column(_ i: Int) -> UnsafeRawBufferPointer? { ranges[i].map { UnsafeRawBufferPointer(rebasing: all[$0]) } }
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            return encode(EventColumns(id: column(0) ?? empty, time: column(1) ?? empty, host: column(2), engine: column(3) ?? empty,
                                       kind: column(4) ?? empty, severity: column(5), subject: column(6), vm: column(7),
                                       interface: column(8), threat: column(9), summary: column(10) ?? empty,
                                       evidence: column(11), body: column(12)))
        }
    }
}
