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

/// Rogue DHCP servers: a DHCPv4 OFFER/ACK/NAK (UDP 67 to 68) or DHCPv6 ADVERTISE/REPLY from a
/// sender the inventory does not list as a DHCP server (by MAC; by address or Server Identifier
/// when its MAC is not listed), or from any VM — see ``RogueSenderJudge``. One incident per sender
/// MAC (`rogue-dhcp/<MAC>`) naming the offered addresses, the server identifiers and the clients;
/// high severity (medium when judged by first use), threat T2 when the sender is a VM, else T5.
public struct RogueDHCPDetector: Sendable {
    /// Sizes.
    public struct Configuration: Sendable, Hashable {
        /// Servers remembered by first use when the inventory lists none.
        public var maximumLearnedServers = 16
        /// Open incidents kept.
        public var maximumIncidents = 1024
        /// Seconds between updates of an incident that goes on.
        public var realertInterval: Double = 60
        /// Seconds after which a silent incident may be dropped to make room.
        public var incidentIdleTimeout: Double = 900
        /// The defaults.
        public init() {}
    }

    struct Detail: Sendable {
        var vm: String?
        var portVerified = false
        var learned = false
        var ingress: String?
        var sources: [IPAddress] = []
        var offered: [IPAddress] = []
        var serverIdentifiers: [IPAddress] = []
        var clients: [UInt64] = []
        var types: [String: Int] = [:]
    }

    /// The authoritative bindings.
    public let inventory: SensorInventory
    /// The sizes.
    public let configuration: Configuration
    var judge: RogueSenderJudge
    var incidents: IncidentBook<UInt64, Detail>

    /// Creates a detector.
    public init(inventory: SensorInventory = SensorInventory(), configuration: Configuration = Configuration()) {
        self.inventory = inventory
        self.configuration = configuration
        self.judge = RogueSenderJudge(maximumLearned: configuration.maximumLearnedServers)
        self.incidents = IncidentBook(capacity: configuration.maximumIncidents, realertInterval: configuration.realertInterval,
                                      idleTimeout: configuration.incidentIdleTimeout)
    }

    /// Incidents evicted from the full table so far.
    public var evictions: Int { incidents.evictions }

    /// Judges one DHCP server message; appends an alert when an incident opens or is due for an update.
    public mutating func observe(_ message: DHCPServerObservation, into alerts: inout [Alert]) {
        let inventory = self.inventory
        let verdict = judge.judge(ingress: message.ingress, ethSource: message.ethSource, inventory: inventory,
                                  hasListed: inventory.hasDHCPServers) {
            inventory.isDHCPServer(mac: message.ethSource, address: message.source, serverIdentifier: message.serverIdentifier)
        }
        guard case let .rogue(index, portVerified, learned) = verdict else { return }
        let vm = index.map(inventory.vmName)
        let key = message.ethSource
        if let incident = incidents.record(key, at: message.time, severity: learned ? .medium : .high, initial: Detail(), update: { detail in
            detail.vm = detail.vm ?? vm
            detail.portVerified = detail.portVerified || portVerified
            detail.learned = learned
            if message.ingress != nil { detail.ingress = message.ingress }
            L2Evidence.sample(&detail.sources, message.source)
            if !message.offeredAddress.isUnspecified { L2Evidence.sample(&detail.offered, message.offeredAddress) }
            if let server = message.serverIdentifier { L2Evidence.sample(&detail.serverIdentifiers, server) }
            if message.clientMAC != 0 { L2Evidence.sample(&detail.clients, message.clientMAC) }
            detail.types[message.messageType.rawValue, default: 0] &+= 1
        }) {
            alerts.append(alert(key, incident))
        }
    }

    /// Final updates for every incident with frames not yet reported (end of a capture).
    public mutating func flush(into alerts: inout [Alert]) {
        for (key, incident) in incidents.drainUnreported() { alerts.append(alert(key, incident)) }
    }

    func alert(_ mac: UInt64, _ incident: Incident<Detail>) -> Alert {
        let detail = incident.detail
        let macText = MACText.string(mac)
        let who = macText + (detail.vm.map { " (VM \($0))" } ?? "")
        let reason = detail.vm != nil ? "a VM may not serve DHCP"
            : detail.learned ? "not the first DHCP server seen (none in the inventory)" : "not a DHCP server in the inventory"
        let offered = detail.offered.map(\.description).joined(separator: ", ")
        let servers = detail.serverIdentifiers.map(\.description).joined(separator: ", ")
        let summary = "Rogue DHCP server \(who): \(reason)" + (offered.isEmpty ? "" : "; offers \(offered)")
            + (servers.isEmpty ? "" : "; server ID \(servers)")
        var evidence = L2Evidence.counts(incident)
        evidence.append(("attacker_mac", .string(macText)))
        if let vm = detail.vm { evidence.append(("attacker_vm", .string(vm))) }
        if let ingress = detail.ingress { evidence.append(("ingress", .string(ingress))) }
        evidence.append(("sources", L2Evidence.addresses(detail.sources)))
        evidence.append(("offered", L2Evidence.addresses(detail.offered)))
        evidence.append(("server_ids", L2Evidence.addresses(detail.serverIdentifiers)))
        evidence.append(("clients", L2Evidence.macs(detail.clients)))
        evidence.append(("messages", .object(detail.types.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })))
        let servers2 = inventory.infrastructure.filter { $0.roles.contains(.dhcpServer) }
        evidence.append(("authoritative_servers", .list(servers2.map { server in
            .object([("name", .string(server.name)), ("macs", L2Evidence.macs(server.macs)), ("addresses", L2Evidence.addresses(server.addresses))])
        })))
        evidence.append(("judged_by", .string(detail.learned ? "first-use" : "inventory")))
        return Alert(time: incident.lastSeen, detector: .rogueDHCP, severity: incident.severity,
                     threat: detail.vm != nil ? .maliciousVM : .networkThreat, summary: summary, src: macText,
                     dst: detail.clients.first.map(MACText.string), sourceMayBeSpoofed: !detail.portVerified,
                     incident: "rogue-dhcp/\(macText)", occurrence: incident.occurrence, evidence: evidence)
    }
}
