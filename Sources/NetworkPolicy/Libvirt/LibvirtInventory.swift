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
import HyperwardHost
import HyperwardLibvirt

/// Where libvirt's XML comes from: libvirt's C API for real (`LibvirtAPIXMLSource`), strings in tests.
public protocol LibvirtXMLSource: Sendable {
    /// The live XML of domain `name` (`virDomainGetXMLDesc`).
    func domainXML(_ name: String) throws(HyperwardError) -> String
    /// The XML of network `name` (`virNetworkGetXMLDesc`).
    func networkXML(_ name: String) throws(HyperwardError) -> String
    /// The names of the running domains.
    func activeDomainNames() throws(HyperwardError) -> [String]
}

extension LibvirtXMLSource {
    /// None by default (sources that only answer for named domains).
    public func activeDomainNames() throws(HyperwardError) -> [String] { [] }
}

/// libvirt's C API over a read-only connection, opened on first use.
public final class LibvirtAPIXMLSource: LibvirtXMLSource, @unchecked Sendable {
    public let uri: String
    private let lock = NSLock()
    private var connection: LibvirtConnection?

    /// Creates a source for `uri`.
    public init(uri: String = LibvirtConnection.systemURI) { self.uri = uri }

    public func domainXML(_ name: String) throws(HyperwardError) -> String {
        try connected().xml(ofDomain: name)
    }

    public func networkXML(_ name: String) throws(HyperwardError) -> String {
        try connected().xml(ofNetwork: name)
    }

    public func activeDomainNames() throws(HyperwardError) -> [String] {
        try connected().domains(activeOnly: true).map(\.name)
    }

    private func connected() throws(HyperwardError) -> LibvirtConnection {
        lock.lock()
        defer { lock.unlock() }
        if let connection { return connection }
        let opened = try LibvirtConnection(uri: uri, readOnly: true)
        connection = opened
        return opened
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
            do { domainInterfaces = try DomainXML.interfaces(ofDomain: try source.domainXML(name)) } catch {
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
                        dhcpCache[network] = (try? DomainXML.dhcpHosts(ofNetwork: try source.networkXML(network))) ?? []
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
