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

/// Where libvirt's XML comes from: `virsh` for real, strings in tests.
public protocol LibvirtXMLSource: Sendable {
    /// The live XML of domain `name` (`virsh dumpxml`).
    func domainXML(_ name: String) throws(HyperwardError) -> String
    /// The XML of network `name` (`virsh net-dumpxml`).
    func networkXML(_ name: String) throws(HyperwardError) -> String
}

/// `virsh -c qemu:///system`.
public struct VirshXMLSource: LibvirtXMLSource {
    public var uri: String
    /// Creates a source for `uri`.
    public init(uri: String = "qemu:///system") { self.uri = uri }

    public func domainXML(_ name: String) throws(HyperwardError) -> String {
        try virsh(["dumpxml", "--", name])
    }

    public func networkXML(_ name: String) throws(HyperwardError) -> String {
        try virsh(["net-dumpxml", "--", name])
    }

    func virsh(_ args: [String]) throws(HyperwardError) -> String {
        let result = Subprocess.run(["/usr/bin/virsh", "-c", uri] + args, input: nil)
        guard result.status == 0 else {
            throw HyperwardError(.commandFailed, "virsh \(args.joined(separator: " ")): \(result.stderr.trimmingWhitespace())")
        }
        return result.stdout
    }
}

/// One `<interface>` of a domain: its MAC, its host-side tap (`<target dev>`), and its network.
public struct DomainInterface: Sendable, Hashable {
    public var mac: String
    public var device: String?
    public var network: String?
}

/// Reads `<interface>` elements of a domain and `<host mac ip>` DHCP entries of a network.
/// The XML is untrusted-ish (a domain's definition): parsed with Foundation's XMLParser, external
/// entities off, bounded size.
public enum LibvirtXML {
    /// The largest XML accepted (domain XML is a few KB).
    public static let maxBytes = 4 << 20

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

extension NetworkPolicy {
    /// The policy with libvirt's facts filled in: a VM listed without `interfaces` gets the running
    /// domain's interfaces (MAC and tap device from its XML); an interface without addresses gets
    /// the IPv4 its libvirt network's DHCP host entry assigns to its MAC. Addresses are never
    /// learned from the guest's own traffic. VMs whose domain is not running are left out.
    /// - Returns: the resolved policy and a note per VM that could not be resolved.
    public func resolvingLibvirt(_ source: any LibvirtXMLSource) -> (NetworkPolicy, [String]) {
        var resolved = self
        var notes: [String] = []
        var dhcpCache: [String: [(mac: String, ip: String)]] = [:]
        for (name, vm) in vms.sorted(by: { $0.key < $1.key }) {
            let needsDomain = vm.interfaces.isEmpty || vm.interfaces.contains { $0.device.isEmpty }
            guard needsDomain else { continue }
            let domainInterfaces: [DomainInterface]
            do { domainInterfaces = try LibvirtXML.interfaces(ofDomain: try source.domainXML(name)) } catch {
                notes.append("VM \(name): \(error.message); not filtered")
                resolved.vms[name] = nil
                continue
            }
            let declared = vm.interfaces
            var interfaces = declared.filter { !$0.device.isEmpty }
            for di in domainInterfaces {
                guard let device = di.device, let mac = try? MACAddress(parsing: di.mac) else {
                    notes.append("VM \(name): interface \(di.mac) has no tap device (domain not running?)")
                    continue
                }
                if interfaces.contains(where: { $0.device == device }) { continue }
                // Addresses the policy states for this MAC, plus its network's DHCP host entry.
                let stated = declared.first { $0.device.isEmpty && $0.mac == mac }
                var v4 = stated?.ipv4 ?? []
                let v6 = stated?.ipv6 ?? []
                if let network = di.network {
                    if dhcpCache[network] == nil {
                        dhcpCache[network] = (try? LibvirtXML.dhcpHosts(ofNetwork: try source.networkXML(network))) ?? []
                    }
                    for host in dhcpCache[network] ?? [] where host.mac == mac.description {
                        if let ip = try? IPNetwork(address: host.ip), ip.family == .ipv4, !v4.contains(ip) { v4.append(ip) }
                    }
                }
                interfaces.append(VMInterface(device: device, mac: mac, ipv4: v4, ipv6: v6))
            }
            for stated in declared where stated.device.isEmpty && !interfaces.contains(where: { $0.mac == stated.mac }) {
                notes.append("VM \(name): interface \(stated.mac) is not in the running domain; not filtered")
            }
            resolved.vms[name]?.interfaces = interfaces
        }
        return (resolved, notes)
    }
}
