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

/// Rogue IPv6 router advertisements (RFC 6104's problem; the attack of `fake_router6` and
/// `radvd` run by a guest): an RA from a sender the inventory does not list as a router, or from
/// any VM — see ``RogueSenderJudge`` for the rules. One incident per sender MAC
/// (`rogue-ra/<MAC>`), with the advertised router lifetime and prefixes; high severity (medium
/// when judged by first use without an inventory of routers), critical when a VM advertises
/// itself as a default router (lifetime > 0: traffic of every guest that accepts RAs would flow
/// through it). Threat T2 when the sender is a VM, else T5.
public struct RogueRADetector: Sendable {
    /// Sizes.
    public struct Configuration: Sendable, Hashable {
        /// Routers remembered by first use when the inventory lists none.
        public var maximumLearnedRouters = 16
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
        var lifetime: UInt16 = 0
        var prefixes: [RouterAdvertisementObservation.Prefix] = []
        var linkLayer: [UInt64] = []
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
        self.judge = RogueSenderJudge(maximumLearned: configuration.maximumLearnedRouters)
        self.incidents = IncidentBook(capacity: configuration.maximumIncidents, realertInterval: configuration.realertInterval,
                                      idleTimeout: configuration.incidentIdleTimeout)
    }

    /// Incidents evicted from the full table so far.
    public var evictions: Int { incidents.evictions }

    /// Judges one router advertisement; appends an alert when an incident opens or is due for an update.
    public mutating func observe(_ advertisement: RouterAdvertisementObservation, into alerts: inout [Alert]) {
        let inventory = self.inventory
        let verdict = judge.judge(ingress: advertisement.ingress, ethSource: advertisement.ethSource, inventory: inventory,
                                  hasListed: inventory.hasRouters) {
            inventory.isRouter(mac: advertisement.ethSource, address: advertisement.source)
        }
        guard case let .rogue(index, portVerified, learned) = verdict else { return }
        let vm = index.map(inventory.vmName)
        let severity: Severity = vm != nil ? (advertisement.routerLifetime > 0 ? .critical : .high) : (learned ? .medium : .high)
        let key = advertisement.ethSource
        if let incident = incidents.record(key, at: advertisement.time, severity: severity, initial: Detail(), update: { detail in
            detail.vm = detail.vm ?? vm
            detail.portVerified = detail.portVerified || portVerified
            detail.learned = learned
            if advertisement.ingress != nil { detail.ingress = advertisement.ingress }
            L2Evidence.sample(&detail.sources, advertisement.source)
            detail.lifetime = advertisement.routerLifetime
            for prefix in advertisement.prefixes { L2Evidence.sample(&detail.prefixes, prefix) }
            if let linkLayer = advertisement.sourceLinkLayer { L2Evidence.sample(&detail.linkLayer, linkLayer) }
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
        let prefixes = detail.prefixes.map(\.description).joined(separator: ", ")
        let reason = detail.vm != nil ? "a VM may not advertise routes"
            : detail.learned ? "not the first router seen (no routers in the inventory)" : "not a router in the inventory"
        let summary = "Rogue router advertisement from \(who): \(reason); lifetime \(detail.lifetime) s"
            + (prefixes.isEmpty ? "" : ", prefixes \(prefixes)")
        var evidence = L2Evidence.counts(incident)
        evidence.append(("attacker_mac", .string(macText)))
        if let vm = detail.vm { evidence.append(("attacker_vm", .string(vm))) }
        if let ingress = detail.ingress { evidence.append(("ingress", .string(ingress))) }
        evidence.append(("sources", L2Evidence.addresses(detail.sources)))
        evidence.append(("router_lifetime", .int(Int64(detail.lifetime))))
        evidence.append(("prefixes", .list(detail.prefixes.map { .string($0.description) })))
        if !detail.linkLayer.isEmpty { evidence.append(("source_link_layer", L2Evidence.macs(detail.linkLayer))) }
        let routers = inventory.infrastructure.filter { $0.roles.contains(.router) }
        evidence.append(("authoritative_routers", .list(routers.map { router in
            .object([("name", .string(router.name)), ("macs", L2Evidence.macs(router.macs)), ("addresses", L2Evidence.addresses(router.addresses))])
        })))
        evidence.append(("judged_by", .string(detail.learned ? "first-use" : "inventory")))
        return Alert(time: incident.lastSeen, detector: .rogueRA, severity: incident.severity,
                     threat: detail.vm != nil ? .maliciousVM : .networkThreat, summary: summary, src: macText,
                     dst: "ff02::1", sourceMayBeSpoofed: !detail.portVerified, incident: "rogue-ra/\(macText)",
                     occurrence: incident.occurrence, evidence: evidence)
    }
}
