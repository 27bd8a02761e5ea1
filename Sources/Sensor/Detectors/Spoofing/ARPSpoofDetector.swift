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

/// ARP spoofing and IPv6 neighbour-cache poisoning: who claims which address with which MAC.
///
/// Judged in this order for every ARP packet (RFC 826) and neighbour advertisement (RFC 4861
/// §4.4; a poisoned neighbour cache is the same attack, so NAs raise `arp-spoof` alerts too):
/// 1. **Inventory** (authoritative, never learned): a claim of an address the inventory binds to
///    VM X (or to infrastructure) with another MAC, or from a port that is not X's, is spoofing on
///    first sight — critical when it claims an infrastructure address (the gateway), else high. A
///    VM (by port, or by MAC when the port is unknown) claiming an address that is not its own, when
///    its interface declares addresses of that family, is spoofing too (the policy drops it).
/// 2. **Learned** (addresses the inventory does not cover): the first MAC seen for an address is
///    its *established* binding. Another MAC while the established one was seen within
///    ``Configuration/rebindAfter`` is a *changed address* (medium); the established MAC answering
///    again within ``Configuration/flipFlopWindow`` makes it a *flip-flop* (high: two stations
///    fight over the address). An established MAC silent longer than `rebindAfter` may hand the
///    address over without alert (DHCP reuse) — arpwatch alerts on every change and learns
///    poisoned bindings first-come; this detector prefers the inventory and tolerates reuse.
/// 3. **Ethernet/ARP mismatch**: the frame's source MAC differs from the ARP sender MAC (medium;
///    frames from infrastructure MACs, e.g. proxy ARP, are exempt). Not raised when the same frame
///    already joined a spoofing incident.
/// 4. **One MAC, many addresses**: one MAC claiming ``Configuration/manyAddressThreshold`` or more
///    IPv4 addresses within ``Configuration/manyAddressWindow`` (addresses the inventory binds to
///    that MAC, including allowed pairs, and infrastructure MACs do not count). IPv6 is exempt:
///    hosts legitimately hold many (privacy) addresses.
/// 5. **Gratuitous/unsolicited flood**: ``Configuration/floodThreshold`` or more gratuitous ARPs
///    (sender address = target address) or replies nobody asked for (no request for that address
///    from the reply's target MAC within ``Configuration/requestMemory``) from one sender MAC
///    within ``Configuration/floodWindow``.
///
/// One alert per incident — `arp-spoof/<address>/<attacker MAC>`, `arp-spoof/eth-mismatch/<MAC>`,
/// `arp-spoof/many-addresses/<MAC>`, `arp-spoof/flood/<MAC>` — re-alerted with counts (see
/// ``IncidentBook``): arpspoof's reply every 2 s is one incident that grows. Threat T2 (malicious
/// VM) when the attacker is an inventory VM — by its port, or by its MAC when the port is unknown
/// (on a VM bridge a frame with a VM's MAC comes from some VM either way) — else T5; the source may
/// be spoofed unless the port is known.
public struct ARPSpoofDetector: Sendable {
    /// Thresholds and table sizes.
    public struct Configuration: Sendable, Hashable {
        /// Seconds an established learned binding may be silent before another MAC may take the
        /// address without alert (DHCP reuse). Default 600 (longer than Linux's ARP cache life).
        public var rebindAfter: Double = 600
        /// Seconds within which the established MAC answering again after a change is a flip-flop.
        public var flipFlopWindow: Double = 300
        /// Distinct undeclared IPv4 addresses one MAC may claim within the window before an alert.
        public var manyAddressThreshold: Int = 4
        /// The window for ``manyAddressThreshold``, seconds.
        public var manyAddressWindow: Double = 300
        /// Gratuitous or unsolicited ARP frames per sender MAC per window that make a flood.
        /// Default 20 per 10 s: boot-time announcements (RFC 5227: 2) and keepalived's 5 on a
        /// failover stay well below; arpspoof's one every 2 s is caught as spoofing, not flood.
        public var floodThreshold: Int = 20
        /// The flood window, seconds.
        public var floodWindow: Double = 10
        /// Seconds a request makes a matching reply solicited.
        public var requestMemory: Double = 5
        /// Learned bindings kept (addresses).
        public var maximumBindings: Int = 65_536
        /// MACs tracked for the many-addresses and flood checks.
        public var maximumSenders: Int = 16_384
        /// Outstanding requests remembered.
        public var maximumPendingRequests: Int = 16_384
        /// Open incidents kept.
        public var maximumIncidents: Int = 4096
        /// Seconds between updates of an incident that goes on.
        public var realertInterval: Double = 60
        /// Seconds after which a silent incident may be dropped to make room.
        public var incidentIdleTimeout: Double = 900

        /// The defaults.
        public init() {}
    }

    /// How a binding was claimed.
    enum Via: Sendable { case arp, neighborAdvertisement }

    enum Key: Hashable, Sendable {
        case claim(address: IPAddress, mac: UInt64)
        case ethernetMismatch(ethSource: UInt64)
        case manyAddresses(mac: UInt64)
        case flood(mac: UInt64)
    }

    struct Detail: Sendable {
        var viaARP = 0
        var viaNA = 0
        var fromInventory = false
        var ownerMACs: [UInt64] = []
        var ownerName: String?
        var claimsInfrastructure = false
        var attackerVM: String?
        var portVerified = false
        var ingress: String?
        var ethSources: [UInt64] = []
        var arpSenders: [UInt64] = []
        var poisonedHosts: [IPAddress] = []
        var flipFlops = 0
        var addresses: [IPAddress] = []
        var gratuitous = 0
        var unsolicited = 0
    }

    struct LearnedBinding: Aging, Sendable {
        var established: UInt64
        var establishedLastSeen: Timestamp
        var challenger: UInt64?
        var challengerLastSeen: Timestamp
        var lastSeen: Timestamp
    }

    struct SenderState: Aging, Sendable {
        var addresses: [IPAddress] = []
        var addressTimes: [Timestamp] = []
        var floodStart: Timestamp
        var floodCount = 0
        var lastSeen: Timestamp
    }

    struct RequestKey: Hashable, Sendable {
        var requester: UInt64
        var address: IPAddress
    }

    struct RequestTime: Aging, Sendable {
        var lastSeen: Timestamp
    }

    /// The authoritative bindings.
    public let inventory: SensorInventory
    /// The thresholds.
    public let configuration: Configuration

    var learned: [IPAddress: LearnedBinding] = [:]
    var senders: [UInt64: SenderState] = [:]
    var requests: [RequestKey: RequestTime] = [:]
    var incidents: IncidentBook<Key, Detail>
    var tableEvictions = 0

    /// Creates a detector.
    public init(inventory: SensorInventory = SensorInventory(), configuration: Configuration = Configuration()) {
        self.inventory = inventory
        self.configuration = configuration
        self.incidents = IncidentBook(capacity: configuration.maximumIncidents, realertInterval: configuration.realertInterval,
                                      idleTimeout: configuration.incidentIdleTimeout)
    }

    /// Entries evicted from full tables (learned bindings, senders, requests, incidents) so far.
    public var evictions: Int { tableEvictions &+ incidents.evictions }

    /// Learned bindings currently held.
    public var learnedBindingCount: Int { learned.count }

    /// Judges one ARP packet; appends an alert when an incident opens or is due for an update.
    public mutating func observe(_ arp: ARPObservation, into alerts: inout [Alert]) {
        let time = arp.time
        if arp.operation == .request, !arp.isGratuitous {
            rememberRequest(from: arp.senderMAC, for: arp.targetIP, at: time)
        }
        var joinedIncident = false
        if !arp.senderIP.isUnspecified {
            let poisoned: IPAddress? = arp.isGratuitous || arp.targetIP.isUnspecified ? nil : arp.targetIP
            joinedIncident = claim(arp.senderIP, mac: arp.senderMAC, ethSource: arp.ethSource, ingress: arp.ingress, at: time,
                                   via: .arp, poisoned: poisoned, into: &alerts)
        }
        if arp.ethSource != arp.senderMAC, !joinedIncident, inventory.infrastructureIndex(withMAC: arp.ethSource) == nil {
            let sender = inventory.sender(ingress: arp.ingress, ethSource: arp.ethSource)
            let vm = sender.interface.map(inventory.vmName)
            if let incident = incidents.record(.ethernetMismatch(ethSource: arp.ethSource), at: time, severity: .medium, initial: Detail(), update: { detail in
                L2Evidence.sample(&detail.arpSenders, arp.senderMAC)
                L2Evidence.sample(&detail.addresses, arp.senderIP)
                detail.attackerVM = detail.attackerVM ?? vm
                detail.portVerified = detail.portVerified || sender.portVerified
                if arp.ingress != nil { detail.ingress = arp.ingress }
            }) {
                alerts.append(alert(.ethernetMismatch(ethSource: arp.ethSource), incident))
            }
        }
        trackSender(arp, at: time, into: &alerts)
    }

    /// Judges one neighbour advertisement (the target and the MAC it is bound to).
    public mutating func observe(_ advertisement: NeighborAdvertisementObservation, into alerts: inout [Alert]) {
        let target = advertisement.target
        guard !target.isUnspecified, target.high >> 56 != 0xff else { return }
        _ = claim(target, mac: advertisement.claimedMAC, ethSource: advertisement.ethSource, ingress: advertisement.ingress,
                  at: advertisement.time, via: .neighborAdvertisement, poisoned: nil, into: &alerts)
    }

    /// Final updates for every incident with frames not yet reported (end of a capture).
    public mutating func flush(into alerts: inout [Alert]) {
        for (key, incident) in incidents.drainUnreported() { alerts.append(alert(key, incident)) }
    }

    // MARK: - Bindings

    /// Judges the claim "`address` is at `mac`"; returns whether the frame joined an incident.
    mutating func claim(_ address: IPAddress, mac: UInt64, ethSource: UInt64, ingress: String?, at time: Timestamp,
                        via: Via, poisoned: IPAddress?, into alerts: inout [Alert]) -> Bool {
        let bindings = inventory.bindings(for: address)
        let sender = inventory.sender(ingress: ingress, ethSource: ethSource)
        let senderVM = sender.interface.map(inventory.vmName)
        var violation = false
        var covered = false
        if !bindings.isEmpty {
            var macKnown = false, macMatches = false
            var portMatches = !sender.portVerified
            var senderOwns = false
            for binding in bindings {
                if let bindingMAC = binding.mac {
                    macKnown = true
                    if bindingMAC == mac { macMatches = true }
                }
                if case .vm(let index) = binding.owner, let senderVM, inventory.vmName(index) == senderVM {
                    senderOwns = true
                    if sender.portVerified { portMatches = true }
                }
            }
            if macKnown {
                covered = true
                violation = !macMatches || !portMatches
            } else if senderVM != nil {
                // Infrastructure known by address only: a VM claiming it is spoofing; anyone else
                // is judged by learning below.
                covered = true
                violation = !senderOwns
            }
        } else if let index = sender.interface, mac == ethSource || sender.portVerified {
            // A VM claiming an address that is nobody's: spoofing when its interface declares its
            // addresses of that family (the policy would drop the claim), else unmanaged.
            let interface = inventory.interfaces[index]
            let sameVM = inventory.interfaces.contains { $0.vm == interface.vm && $0.owns(address) }
            if interface.declaresFamily(of: address), !sameVM {
                covered = true
                violation = true
            }
        }
        if covered {
            guard violation else { return false }
            let ownerMACs = Array(Set(bindings.compactMap(\.mac))).sorted()
            let ownerName = bindings.first.map { inventory.ownerName($0.owner) }
            let claimsInfrastructure = bindings.contains { if case .infrastructure = $0.owner { true } else { false } }
            let key = Key.claim(address: address, mac: mac)
            if let incident = incidents.record(key, at: time, severity: claimsInfrastructure ? .critical : .high, initial: Detail(), update: { detail in
                detail.fromInventory = true
                detail.ownerMACs = ownerMACs
                detail.ownerName = ownerName
                detail.claimsInfrastructure = claimsInfrastructure
                if via == .arp { detail.viaARP &+= 1 } else { detail.viaNA &+= 1 }
                detail.attackerVM = detail.attackerVM ?? senderVM
                detail.portVerified = detail.portVerified || sender.portVerified
                if ingress != nil { detail.ingress = ingress }
                L2Evidence.sample(&detail.ethSources, ethSource)
                if let poisoned { L2Evidence.sample(&detail.poisonedHosts, poisoned) }
            }) {
                alerts.append(alert(key, incident))
            }
            return true
        }
        return learn(address, mac: mac, ethSource: ethSource, ingress: ingress, sender: sender, senderVM: senderVM, at: time,
                     via: via, poisoned: poisoned, into: &alerts)
    }

    /// The learned-binding state machine for addresses the inventory does not cover.
    mutating func learn(_ address: IPAddress, mac: UInt64, ethSource: UInt64, ingress: String?,
                        sender: (interface: Int?, portVerified: Bool), senderVM: String?, at time: Timestamp,
                        via: Via, poisoned: IPAddress?, into alerts: inout [Alert]) -> Bool {
        guard let index = learned.index(forKey: address) else {
            tableEvictions &+= makeRoom(in: &learned, capacity: configuration.maximumBindings, now: time, idle: configuration.rebindAfter)
            learned[address] = LearnedBinding(established: mac, establishedLastSeen: time, challenger: nil, challengerLastSeen: time, lastSeen: time)
            return false
        }
        var binding = learned.values[index]
        binding.lastSeen = time
        var report: (challenger: UInt64, frames: Int, severity: Severity, flip: Bool)?
        if mac == binding.established {
            binding.establishedLastSeen = time
            if let challenger = binding.challenger {
                if time.seconds(since: binding.challengerLastSeen) <= configuration.flipFlopWindow {
                    report = (challenger, 0, .high, true)
                } else {
                    binding.challenger = nil
                }
            }
        } else if mac == binding.challenger {
            binding.challengerLastSeen = time
            if time.seconds(since: binding.establishedLastSeen) > configuration.rebindAfter {
                // The established station is gone and the newcomer stayed: it owns the address now.
                binding.established = mac
                binding.establishedLastSeen = time
                binding.challenger = nil
            } else {
                report = (mac, 1, .medium, false)
            }
        } else if time.seconds(since: binding.establishedLastSeen) > configuration.rebindAfter,
                  binding.challenger == nil || time.seconds(since: binding.challengerLastSeen) > configuration.rebindAfter {
            binding.established = mac
            binding.establishedLastSeen = time
            binding.challenger = nil
        } else {
            binding.challenger = mac
            binding.challengerLastSeen = time
            report = (mac, 1, .medium, false)
        }
        learned.values[index] = binding
        guard let report else { return false }
        let key = Key.claim(address: address, mac: report.challenger)
        let established = binding.established
        let isAttackFrame = report.frames > 0
        if let incident = incidents.record(key, at: time, severity: report.severity, frames: report.frames, initial: Detail(), update: { detail in
            detail.ownerMACs = [established]
            if report.flip { detail.flipFlops &+= 1 }
            guard isAttackFrame else { return }
            if via == .arp { detail.viaARP &+= 1 } else { detail.viaNA &+= 1 }
            detail.attackerVM = detail.attackerVM ?? senderVM
            detail.portVerified = detail.portVerified || sender.portVerified
            if ingress != nil { detail.ingress = ingress }
            L2Evidence.sample(&detail.ethSources, ethSource)
            if let poisoned { L2Evidence.sample(&detail.poisonedHosts, poisoned) }
        }) {
            alerts.append(alert(key, incident))
        }
        return isAttackFrame
    }

    // MARK: - Senders

    mutating func rememberRequest(from requester: UInt64, for address: IPAddress, at time: Timestamp) {
        let key = RequestKey(requester: requester, address: address)
        if requests[key] == nil {
            tableEvictions &+= makeRoom(in: &requests, capacity: configuration.maximumPendingRequests, now: time, idle: configuration.requestMemory)
        }
        requests[key] = RequestTime(lastSeen: time)
    }

    func wasRequested(by requester: UInt64, for address: IPAddress, at time: Timestamp) -> Bool {
        guard let asked = requests[RequestKey(requester: requester, address: address)] else { return false }
        return time.seconds(since: asked.lastSeen) <= configuration.requestMemory
    }

    /// The many-addresses and flood checks, per sender MAC.
    mutating func trackSender(_ arp: ARPObservation, at time: Timestamp, into alerts: inout [Alert]) {
        let mac = arp.senderMAC
        guard inventory.infrastructureIndex(withMAC: mac) == nil else { return }
        let unsolicited = arp.operation == .reply && !arp.isGratuitous && !wasRequested(by: arp.targetMAC, for: arp.senderIP, at: time)
        let countsAddress = !arp.senderIP.isUnspecified && !arp.senderIP.isIPv6
            && !inventory.bindings(for: arp.senderIP).contains { $0.mac == mac }
        guard countsAddress || arp.isGratuitous || unsolicited else { return }
        if senders[mac] == nil {
            tableEvictions &+= makeRoom(in: &senders, capacity: configuration.maximumSenders, now: time,
                                        idle: max(configuration.manyAddressWindow, configuration.floodWindow))
            senders[mac] = SenderState(floodStart: time, lastSeen: time)
        }
        guard let index = senders.index(forKey: mac) else { return }
        senders.values[index].lastSeen = time
        if countsAddress {
            var state = senders.values[index]
            senders.values[index].addresses = []  // keep the arrays uniquely referenced while editing
            senders.values[index].addressTimes = []
            var keep = 0
            for slot in state.addresses.indices where time.seconds(since: state.addressTimes[slot]) <= configuration.manyAddressWindow {
                state.addresses[keep] = state.addresses[slot]
                state.addressTimes[keep] = state.addressTimes[slot]
                keep += 1
            }
            state.addresses.removeLast(state.addresses.count - keep)
            state.addressTimes.removeLast(state.addressTimes.count - keep)
            if let slot = state.addresses.firstIndex(of: arp.senderIP) {
                state.addressTimes[slot] = time
            } else if state.addresses.count < max(configuration.manyAddressThreshold, 1) * 2 {
                state.addresses.append(arp.senderIP)
                state.addressTimes.append(time)
            }
            let count = state.addresses.count
            let addresses = state.addresses
            senders.values[index].addresses = state.addresses
            senders.values[index].addressTimes = state.addressTimes
            if count >= max(configuration.manyAddressThreshold, 1) {
                let sender = inventory.sender(ingress: arp.ingress, ethSource: arp.ethSource)
                let vm = sender.interface.map(inventory.vmName)
                if let incident = incidents.record(.manyAddresses(mac: mac), at: time, severity: .medium, initial: Detail(), update: { detail in
                    for address in addresses { L2Evidence.sample(&detail.addresses, address, limit: 16) }
                    detail.attackerVM = detail.attackerVM ?? vm
                    detail.portVerified = detail.portVerified || sender.portVerified
                    if arp.ingress != nil { detail.ingress = arp.ingress }
                }) {
                    alerts.append(alert(.manyAddresses(mac: mac), incident))
                }
            }
        }
        if arp.isGratuitous || unsolicited {
            if time.seconds(since: senders.values[index].floodStart) > configuration.floodWindow {
                senders.values[index].floodStart = time
                senders.values[index].floodCount = 0
            }
            senders.values[index].floodCount &+= 1
            if senders.values[index].floodCount >= max(configuration.floodThreshold, 1) {
                let sender = inventory.sender(ingress: arp.ingress, ethSource: arp.ethSource)
                let vm = sender.interface.map(inventory.vmName)
                let gratuitous = arp.isGratuitous
                if let incident = incidents.record(.flood(mac: mac), at: time, severity: .medium, initial: Detail(), update: { detail in
                    if gratuitous { detail.gratuitous &+= 1 } else { detail.unsolicited &+= 1 }
                    L2Evidence.sample(&detail.addresses, arp.senderIP)
                    detail.attackerVM = detail.attackerVM ?? vm
                    detail.portVerified = detail.portVerified || sender.portVerified
                    if arp.ingress != nil { detail.ingress = arp.ingress }
                }) {
                    alerts.append(alert(.flood(mac: mac), incident))
                }
            }
        }
    }

    // MARK: - Alerts

    func alert(_ key: Key, _ incident: Incident<Detail>) -> Alert {
        let detail = incident.detail
        var evidence = L2Evidence.counts(incident)
        if let vm = detail.attackerVM { evidence.append(("attacker_vm", .string(vm))) }
        if let ingress = detail.ingress { evidence.append(("ingress", .string(ingress))) }
        let summary: String
        let src: String
        var dst: String?
        let incidentText: String
        switch key {
        case let .claim(address, mac):
            src = MACText.string(mac)
            dst = address.description
            incidentText = "arp-spoof/\(address)/\(src)"
            let owners = detail.ownerMACs.map(MACText.string).joined(separator: ", ")
            let what = detail.viaNA > 0 && detail.viaARP == 0 ? "Neighbour advertisement spoofing" : "ARP spoofing"
            let attacker = src + (detail.attackerVM.map { " (VM \($0))" } ?? "")
            if detail.fromInventory {
                if owners.isEmpty && detail.ownerName == nil {
                    summary = "\(what): \(attacker) claims \(address), which is not among its inventory addresses"
                } else if owners.isEmpty {
                    summary = "\(what): \(attacker) claims \(address) of \(detail.ownerName ?? "?")"
                } else {
                    summary = "\(what): \(attacker) claims \(address), which the inventory binds to \(owners)"
                        + (detail.ownerName.map { " (\($0))" } ?? "")
                }
            } else {
                summary = "\(what): \(address) moved from \(owners) to \(attacker)"
                    + (detail.flipFlops > 0 ? " and back \(detail.flipFlops) time\(detail.flipFlops == 1 ? "" : "s") (flip-flop)" : " (changed address)")
            }
            evidence.append(("victim_ip", .string(address.description)))
            evidence.append(("attacker_mac", .string(src)))
            evidence.append(("real_mac", L2Evidence.macs(detail.ownerMACs)))
            evidence.append(("claimed_binding", .object([("ip", .string(address.description)), ("mac", .string(src))])))
            var authoritative: [(String, EvidenceValue)] = [("ip", .string(address.description)), ("macs", L2Evidence.macs(detail.ownerMACs))]
            if let owner = detail.ownerName { authoritative.append(("owner", .string(owner))) }
            authoritative.append(("source", .string(detail.fromInventory ? "inventory" : "learned")))
            evidence.append((detail.fromInventory ? "authoritative_binding" : "learned_binding", .object(authoritative)))
            evidence.append(("eth_src", L2Evidence.macs(detail.ethSources)))
            evidence.append(("via", .string(detail.viaARP > 0 ? (detail.viaNA > 0 ? "arp+nd" : "arp") : "nd")))
            if !detail.poisonedHosts.isEmpty { evidence.append(("poisoned_hosts", L2Evidence.addresses(detail.poisonedHosts))) }
            if !detail.fromInventory { evidence.append(("flip_flops", .int(Int64(detail.flipFlops)))) }
        case let .ethernetMismatch(ethSource):
            src = MACText.string(ethSource)
            incidentText = "arp-spoof/eth-mismatch/\(src)"
            let senders = detail.arpSenders.map(MACText.string).joined(separator: ", ")
            summary = "ARP sender MAC \(senders) differs from Ethernet source \(src)"
            evidence.append(("eth_src", .string(src)))
            evidence.append(("arp_sender_macs", L2Evidence.macs(detail.arpSenders)))
            evidence.append(("sender_ips", L2Evidence.addresses(detail.addresses)))
        case let .manyAddresses(mac):
            src = MACText.string(mac)
            incidentText = "arp-spoof/many-addresses/\(src)"
            summary = "\(src) claims \(detail.addresses.count) IPv4 addresses within \(Int(configuration.manyAddressWindow)) s"
            evidence.append(("addresses", L2Evidence.addresses(detail.addresses)))
            evidence.append(("threshold", .int(Int64(configuration.manyAddressThreshold))))
        case let .flood(mac):
            src = MACText.string(mac)
            incidentText = "arp-spoof/flood/\(src)"
            summary = "\(src) floods gratuitous/unsolicited ARP: \(incident.frames) frames past the threshold of \(configuration.floodThreshold) per \(Int(configuration.floodWindow)) s"
            evidence.append(("gratuitous", .int(Int64(detail.gratuitous))))
            evidence.append(("unsolicited", .int(Int64(detail.unsolicited))))
            evidence.append(("addresses", L2Evidence.addresses(detail.addresses)))
            evidence.append(("threshold", .int(Int64(configuration.floodThreshold))))
        }
        if dst == nil, let first = detail.addresses.first { dst = first.description }
        return Alert(time: incident.lastSeen, detector: .arpSpoof, severity: incident.severity,
                     threat: detail.attackerVM != nil ? .maliciousVM : .networkThreat, summary: summary, src: src, dst: dst,
                     sourceMayBeSpoofed: !detail.portVerified, incident: incidentText, occurrence: incident.occurrence, evidence: evidence)
    }
}
