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
#if canImport(FoundationXML)
import FoundationXML
#endif
import HyperwardCore

/// One `<interface>` of a domain: its MAC, its host-side tap (`<target dev>`), and its network.
public struct DomainInterface: Sendable, Hashable {
    public var mac: String
    public var device: String?
    public var network: String?

    public init(mac: String, device: String?, network: String?) {
        self.mac = mac
        self.device = device
        self.network = network
    }
}

/// One file-backed `<disk>` of a domain.
public struct DomainDisk: Sendable, Hashable {
    public var target: String
    public var source: String
    /// The format the domain declares (`<driver type>`), never one probed from the image.
    public var format: String?

    public init(target: String, source: String, format: String?) {
        self.target = target
        self.source = source
        self.format = format
    }
}

/// The one reader of libvirt's XML (domains and networks): `<interface>` elements of a domain and
/// `<host mac ip>` DHCP entries of a network. The XML is untrusted (a domain's definition is
/// whatever its creator wrote): parsed with Foundation's XMLParser, external entities off, DTDs
/// and data-less processing instructions refused, bounded size and event count. Fuzzed
/// (fuzz target `libvirt-xml`, docs/fuzzing.md).
public enum DomainXML {
    /// The largest XML accepted (domain XML is a few KB).
    public static let maxBytes = 4 << 20

    /// `text` escaped for an XML attribute (quoted with ' or ") or element: the one escaper of
    /// every XML Hyperward writes for libvirt (domains, disks, secrets, snapshots).
    public static func escaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "'": result += "&apos;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }

    /// The interfaces of a domain XML.
    public static func interfaces(ofDomain xml: String) throws(HyperwardError) -> [DomainInterface] {
        let delegate = Collector(interesting: ["interface", "mac", "target", "source"])
        try parse(xml, delegate: delegate)
        var result: [DomainInterface] = []
        var current: DomainInterface?
        for event in delegate.events {
            switch (event.isStart, event.name) {
            case (true, "interface"): current = DomainInterface(mac: "", device: nil, network: nil)
            case (true, "mac"): if current != nil { current?.mac = event.attributes["address"] ?? "" }
            case (true, "target"): if current != nil { current?.device = event.attributes["dev"] }
            case (true, "source"): if current != nil { current?.network = event.attributes["network"] ?? event.attributes["bridge"] }
            case (false, "interface"):
                if let c = current, !c.mac.isEmpty { result.append(c) }
                current = nil
            default: break
            }
        }
        return result
    }

    /// The file-backed disks of a domain XML (`<disk type='file' device='disk'>`): target
    /// device, source file and the driver's declared format (nil when the domain declares none).
    public static func fileDisks(ofDomain xml: String) throws(HyperwardError) -> [DomainDisk] {
        let delegate = Collector(interesting: ["disk", "source", "target", "driver"])
        try parse(xml, delegate: delegate)
        var result: [DomainDisk] = []
        var current: DomainDisk?
        var depth = 0
        for event in delegate.events {
            switch (event.isStart, event.name) {
            case (true, "disk"):
                depth += 1
                let isFileDisk = event.attributes["type"] == "file" && event.attributes["device"] == "disk"
                current = depth == 1 && isFileDisk ? DomainDisk(target: "", source: "", format: nil) : nil
            // A disk's own <source>/<target>/<driver>, not those of a <backingStore> inside it.
            case (true, "source"): if current?.source.isEmpty == true { current?.source = event.attributes["file"] ?? "" }
            case (true, "target"): if current?.target.isEmpty == true { current?.target = event.attributes["dev"] ?? "" }
            case (true, "driver"): if current != nil, current?.format == nil { current?.format = event.attributes["type"] }
            case (false, "disk"):
                depth -= 1
                if depth == 0, let disk = current, !disk.target.isEmpty, !disk.source.isEmpty { result.append(disk) }
                if depth == 0 { current = nil }
            default: break
            }
        }
        return result
    }

    /// The static DHCP hosts of a network XML: MAC → IPv4 (and IPv6 entries by MAC when present).
    public static func dhcpHosts(ofNetwork xml: String) throws(HyperwardError) -> [(mac: String, ip: String)] {
        let delegate = Collector(interesting: ["host"])
        try parse(xml, delegate: delegate)
        return delegate.events.compactMap { e in
            guard e.isStart, let mac = e.attributes["mac"], let ip = e.attributes["ip"] else { return nil }
            return (mac.lowercased(), ip)
        }
    }

    static func parse(_ xml: String, delegate: Collector) throws(HyperwardError) {
        let data = Data(xml.utf8)
        guard data.count <= maxBytes else { throw HyperwardError(.tooLarge, "libvirt XML larger than \(maxBytes) bytes") }
        if let refused = refusedMarkup(data) { throw HyperwardError(.invalidInput, "malformed libvirt XML: \(refused)") }
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let ok = parser.parse()
        guard ok, delegate.failure == nil, delegate.sawRoot else {
            let reason = (delegate.failure ?? parser.parserError).map { "\($0.localizedDescription)" }
                ?? (delegate.sawRoot ? "parse error" : "the document ends before its root element is closed")
            throw HyperwardError(.invalidInput, "malformed libvirt XML at line \(parser.lineNumber): \(reason)")
        }
    }

    /// Markup libvirt never writes and Foundation's XMLParser cannot take: on Linux it crashes (a
    /// NULL string read) on a processing instruction without data (`<?x?>`), also one that an
    /// entity of a document type declaration expands to. So DTDs (which also carry every entity
    /// trick) and data-less processing instructions are refused before parsing, anywhere in the
    /// text, comments included.
    static func refusedMarkup(_ data: Data) -> String? {
        let bytes = [UInt8](data)
        let doctype = Array("<!DOCTYPE".utf8)
        var i = 0
        while i + 1 < bytes.count {
            defer { i += 1 }
            guard bytes[i] == UInt8(ascii: "<") else { continue }
            if bytes[i + 1] == UInt8(ascii: "!"), i + doctype.count <= bytes.count,
               zip(bytes[i..<(i + doctype.count)], doctype).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) {
                return "a document type declaration (<!DOCTYPE) is not accepted"
            }
            guard bytes[i + 1] == UInt8(ascii: "?") else { continue }
            var j = i + 2
            while j < bytes.count, ![0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "?")].contains(bytes[j]) { j += 1 }
            if j + 1 < bytes.count, bytes[j] == UInt8(ascii: "?"), bytes[j + 1] == UInt8(ascii: ">") {
                return "a processing instruction without data is not accepted"
            }
        }
        return nil
    }

    final class Collector: NSObject, XMLParserDelegate {
        struct Event { var isStart: Bool; var name: String; var attributes: [String: String] }
        let interesting: Set<String>
        var events: [Event] = []
        var failure: (any Error)?
        var sawRoot = false
        var depth = 0
        init(interesting: Set<String>) { self.interesting = interesting }
        // Not `abortParsing()` here: called from this callback it crashes libxml2 (a NULL read in
        // xmlParseChunk) on Linux.
        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) { failure = failure ?? parseError }
        func parser(_ parser: XMLParser, validationErrorOccurred validationError: any Error) { failure = failure ?? validationError }
        func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? { nil }
        func parser(_ parser: XMLParser, foundCharacters string: String) {}
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            depth += 1
            if interesting.contains(name) && events.count < 100_000 { events.append(Event(isStart: true, name: name, attributes: attributes)) }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            depth -= 1
            if depth == 0 { sawRoot = true }
            if interesting.contains(name) && events.count < 100_000 { events.append(Event(isStart: false, name: name, attributes: [:])) }
        }
    }
}

