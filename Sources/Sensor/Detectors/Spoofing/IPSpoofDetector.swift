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

/// IPv4/IPv6 source address spoofing from a VM port.
///
/// A packet is attributed to a VM interface by its ingress port (cannot be forged) or, when the
/// port is unknown, by its Ethernet source MAC; packets entering on a known non-VM port, or from an
/// unknown MAC, are not judged. The source is accepted when it is:
/// - unspecified (0.0.0.0 for DHCP discovery, :: for duplicate address detection and MLD: they
///   claim no identity);
/// - owned by the VM — a declared address of any of its interfaces, an allowed pair, or the EUI-64
///   link-local address of an interface MAC (exactly what the NetworkPolicy compiler's
///   anti-spoofing sets let through);
/// - not owned by anyone in the inventory *and* of a family the interface declares no address of
///   (the family is unmanaged: a DHCP/SLAAC guest whose addresses the inventory does not pin);
/// - a link-local fe80::/64 address owned by no other VM, when
///   ``Configuration/acceptsAnyLinkLocal`` is set (guests using RFC 7217 stable-privacy
///   identifiers; off by default, matching the policy's anti-spoofing).
/// Anything else — in particular an address owned by another VM or by infrastructure, which is
/// always spoofing — is an `ip-spoof` incident per VM interface (`ip-spoof/<vm>/<device>`), with a
/// sample of the forged sources and their distinct count, so a random-source flood is one incident.
/// Threat T2 (the attacker is a VM); `src` is the VM name; the source may be spoofed (the VM
/// framed by its MAC) unless the port is known. Critical when it impersonates infrastructure.
public struct IPSpoofDetector: Sendable {
    /// Thresholds and sizes.
    public struct Configuration: Sendable, Hashable {
        /// Accept any fe80::/64 source not owned by another VM (see the type's documentation).
        public var acceptsAnyLinkLocal = false
        /// Distinct forged sources counted per incident (beyond this the count is a lower bound).
        public var maximumDistinctSources = 4096
        /// Open incidents kept.
        public var maximumIncidents = 4096
        /// Seconds between updates of an incident that goes on.
        public var realertInterval: Double = 60
        /// Seconds after which a silent incident may be dropped to make room.
        public var incidentIdleTimeout: Double = 900
        /// The defaults.
        public init() {}
    }

    struct Detail: Sendable {
        var sample: [IPAddress] = []
        var distinct: Set<IPAddress> = []
        var impersonated: [String] = []
        var ethSources: [UInt64] = []
        var destinations: [IPAddress] = []
        var portVerified = false
        var impersonatesInfrastructure = false
    }

    /// The authoritative bindings.
    public let inventory: SensorInventory
    /// The thresholds.
    public let configuration: Configuration
    var incidents: IncidentBook<Int, Detail>

    /// Creates a detector.
    public init(inventory: SensorInventory, configuration: Configuration = Configuration()) {
        self.inventory = inventory
        self.configuration = configuration
        self.incidents = IncidentBook(capacity: configuration.maximumIncidents, realertInterval: configuration.realertInterval,
                                      idleTimeout: configuration.incidentIdleTimeout)
    }

    /// Incidents evicted from the full table so far.
    public var evictions: Int { incidents.evictions }

    /// Judges one packet's source; appends an alert when an incident opens or is due for an update.
    public mutating func observe(_ packet: IPSourceObservation, into alerts: inout [Alert]) {
        guard !inventory.interfaces.isEmpty, !packet.source.isUnspecified else { return }
        let sender = inventory.sender(ingress: packet.ingress, ethSource: packet.ethSource)
        guard let index = sender.interface else { return }
        let interface = inventory.interfaces[index]
        let source = packet.source
        if interface.owns(source) { return }
        let bindings = inventory.bindings(for: source)
        var impersonated: String?
        var infrastructure = false
        for binding in bindings {
            switch binding.owner {
            case .vm(let other):
                // Another interface of the same VM (weak host model: Linux may answer from any of its addresses).
                if inventory.vmName(other) == interface.vm { return }
                impersonated = impersonated ?? inventory.vmName(other)
            case .infrastructure:
                infrastructure = true
                impersonated = impersonated ?? inventory.ownerName(binding.owner)
            }
        }
        if impersonated == nil {
            if !interface.declaresFamily(of: source) { return }
            if configuration.acceptsAnyLinkLocal, source.isIPv6, source.high == 0xfe80_0000_0000_0000 { return }
        }
        let limit = configuration.maximumDistinctSources
        let portVerified = sender.portVerified
        if let incident = incidents.record(index, at: packet.time, severity: infrastructure ? .critical : .high, initial: Detail(), update: { detail in
            L2Evidence.sample(&detail.sample, source)
            if detail.distinct.count < limit { detail.distinct.insert(source) }
            if let impersonated { L2Evidence.sample(&detail.impersonated, impersonated) }
            L2Evidence.sample(&detail.ethSources, packet.ethSource)
            L2Evidence.sample(&detail.destinations, packet.destination)
            detail.portVerified = detail.portVerified || portVerified
            detail.impersonatesInfrastructure = detail.impersonatesInfrastructure || infrastructure
        }) {
            alerts.append(alert(index, incident))
        }
    }

    /// Final updates for every incident with frames not yet reported (end of a capture).
    public mutating func flush(into alerts: inout [Alert]) {
        for (key, incident) in incidents.drainUnreported() { alerts.append(alert(key, incident)) }
    }

    func alert(_ index: Int, _ incident: Incident<Detail>) -> Alert {
        let detail = incident.detail
        let interface = inventory.interfaces.indices.contains(index) ? inventory.interfaces[index]
            : SensorInventory.Interface(vm: "?", device: "?", mac: 0)
        let distinct = detail.distinct.count
        let sampleText = detail.sample.prefix(3).map(\.description).joined(separator: ", ")
        let more = distinct > 3 ? " (\(distinct >= configuration.maximumDistinctSources ? "at least " : "")\(distinct) distinct)" : ""
        let imitating = detail.impersonated.isEmpty ? "" : ", impersonating \(detail.impersonated.joined(separator: ", "))"
        let summary = "IP spoofing: VM \(interface.vm) (port \(interface.device)) sends from addresses it does not own: \(sampleText)\(more)\(imitating)"
        var evidence = L2Evidence.counts(incident)
        evidence.append(("attacker_vm", .string(interface.vm)))
        evidence.append(("device", .string(interface.device)))
        evidence.append(("eth_src", L2Evidence.macs(detail.ethSources)))
        evidence.append(("spoofed_sources", L2Evidence.addresses(detail.sample)))
        evidence.append(("distinct_sources", .int(Int64(distinct))))
        evidence.append(("destinations", L2Evidence.addresses(detail.destinations)))
        if !detail.impersonated.isEmpty { evidence.append(("impersonated", .list(detail.impersonated.map { .string($0) }))) }
        let own = inventory.interfaces.filter { $0.vm == interface.vm }
        let addresses = own.flatMap { $0.ipv4 + $0.ipv6 + [$0.linkLocal] + $0.allowedPairs.map(\.address) }
        evidence.append(("authoritative_binding", .object([
            ("vm", .string(interface.vm)), ("macs", L2Evidence.macs(own.map(\.mac))), ("addresses", L2Evidence.addresses(addresses)),
        ])))
        evidence.append(("identified_by", .string(detail.portVerified ? "port" : "mac")))
        return Alert(time: incident.lastSeen, detector: .ipSpoof, severity: incident.severity, threat: .maliciousVM, summary: summary,
                     src: interface.vm, dst: detail.destinations.first?.description, sourceMayBeSpoofed: !detail.portVerified,
                     incident: "ip-spoof/\(interface.vm)/\(interface.device)", occurrence: incident.occurrence, evidence: evidence)
    }
}
