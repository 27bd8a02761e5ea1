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
internal import CSensorSupport

/// Everything the sensor can be tuned with; every default is documented with its detector.
public struct SensorConfiguration: Sendable {
    public var flows = FlowTable.Configuration()
    public var scan = ScanDetector.Configuration()
    public var sweep = SweepDetector.Configuration()
    public var synFlood = SynFloodDetector.Configuration()
    public var flood = FloodDetector.Configuration()
    public var credentials = CredentialConfiguration.default
    public var bruteForce = BruteForceConfiguration.default
    /// Show passwords in alerts (`--show-secrets`); redacted otherwise.
    public var showSecrets = false
    /// Connections whose payload is parsed for credentials at once (the rest are counted).
    public var maxCredentialSessions = 65_536
    /// Addresses that cannot be forged (VM ports behind anti-spoofing): floods from them may be
    /// blamed on them. The inventory's VM addresses are added to these.
    public var verifiedSources: Set<IPAddress> = []
    /// The authoritative bindings (VMs, their ports, MACs and addresses; routers and DHCP
    /// servers) the layer-2 detectors judge against. Without it they learn, and say so.
    public var inventory = SensorInventory()
    public var arpSpoof = ARPSpoofDetector.Configuration()
    public var ipSpoof = IPSpoofDetector.Configuration()
    public var rogueRA = RogueRADetector.Configuration()
    public var rogueDHCP = RogueDHCPDetector.Configuration()

    /// The defaults.
    public init() {}
}

/// What the sensor saw: for the final summary line.
public struct SensorStatistics: Sendable {
    /// Frames processed.
    public var packets = 0
    /// Bytes on the wire of those frames.
    public var bytes = 0
    /// Decoder counts, malformed by reason among them.
    public var decode = DecodeStatistics()
    /// Flow table counts (created, evicted…).
    public var flows = FlowStatistics()
    /// Alerts emitted (first alerts and updates) per detector.
    public var alerts: [DetectorKind: Int] = [:]
    /// Connections parsed for credentials, and those skipped because the session table was full.
    public var credentialSessions = 0
    public var credentialSessionsSkipped = 0

    /// Creates empty statistics.
    public init() {}
}

/// The sensor's pipeline: decode, track flows, run every detector, and turn login attempts into
/// alerts. Fed frames in time order from a capture file or a live interface; alerts are appended
/// to the caller's array (one per incident, updates with growing counts).
public struct SensorEngine: Sendable {
    public let configuration: SensorConfiguration
    private var decoder = PacketDecoder()
    private var flows: FlowTable
    private var scan: ScanDetector
    private var sweep: SweepDetector
    private var synFlood: SynFloodDetector
    private var flood: FloodDetector
    private var arpSpoof: ARPSpoofDetector
    private var ipSpoof: IPSpoofDetector
    private var rogueRA: RogueRADetector
    private var rogueDHCP: RogueDHCPDetector
    /// Credential sessions, in slots the flow table's entries point to (their tag), so a segment
    /// finds its session without a lookup of its own.
    private var sessions = SessionSlots()
    private var heavyHitters = HeavyHitterFilter()
    private var bruteForce: BruteForceTracker
    private let credentialAlerts: CredentialAlertBuilder
    private var credentialOccurrences: [String: Int] = [:]
    private var malformedCounts: [MalformedReason: Int] = [:]
    private var nextHousekeeping = Int64.min
    private var nextSessionSweep = Int64.min
    private var verticalScans: [String: Alert] = [:]
    private var lastTime = Timestamp(nanoseconds: 0)
    private var counters = SensorStatistics()
    /// Scratch space of ``process(batch:into:)``: the batch's flow hashes.
    private var hashes: ContiguousArray<UInt64> = []
    private var tags: ContiguousArray<Int32> = []
    private let hasInventory: Bool
    /// The credential parsers' ports, as a table indexed by port.
    private let credentialPorts: [Bool]
    /// A quarter of the flood floors, in packets and bytes per second.
    private let floodAdmission: (packets: Int, bytes: Int)

    /// Creates a sensor.
    public init(configuration: SensorConfiguration = SensorConfiguration()) {
        self.configuration = configuration
        hasInventory = !configuration.inventory.interfaces.isEmpty
        var ports = [Bool](repeating: false, count: 65_536)
        for port in configuration.credentials.ports.keys { ports[Int(port)] = true }
        credentialPorts = ports
        floodAdmission = (packets: Int(min(configuration.flood.minPacketsPerSecond * configuration.flood.bucket / 4, 1e9)),
                          bytes: Int(min(configuration.flood.minBitsPerSecond / 8 * configuration.flood.bucket / 4, 1e15)))
        flows = FlowTable(configuration: configuration.flows)
        scan = ScanDetector(configuration: configuration.scan)
        sweep = SweepDetector(configuration: configuration.sweep)
        // The flow table already knows when a handshake completes: the SYN-flood detector then
        // needs no per-ACK bookkeeping of its own.
        var synFloodConfiguration = configuration.synFlood
        synFloodConfiguration.tracksHandshakes = false
        synFlood = SynFloodDetector(configuration: synFloodConfiguration)
        var verified = configuration.verifiedSources
        for interface in configuration.inventory.interfaces { verified.formUnion(interface.ipv4 + interface.ipv6) }
        synFlood.verifiedSources = verified
        arpSpoof = ARPSpoofDetector(inventory: configuration.inventory, configuration: configuration.arpSpoof)
        ipSpoof = IPSpoofDetector(inventory: configuration.inventory, configuration: configuration.ipSpoof)
        rogueRA = RogueRADetector(inventory: configuration.inventory, configuration: configuration.rogueRA)
        rogueDHCP = RogueDHCPDetector(inventory: configuration.inventory, configuration: configuration.rogueDHCP)
        flood = FloodDetector(configuration: configuration.flood)
        bruteForce = BruteForceTracker(configuration: configuration.bruteForce)
        credentialAlerts = CredentialAlertBuilder(showSecrets: configuration.showSecrets)
    }

    /// The counts so far.
    public var statistics: SensorStatistics {
        var s = counters
        s.decode = decoder.statistics
        s.flows = flows.statistics
        return s
    }

    /// Processes one frame.
    public mutating func process(_ frame: CapturedFrame, into alerts: inout [Alert]) {
        handle(decoder.decode(frame), frame: frame, into: &alerts)
    }

    /// Processes frames in order, with the same results as passing them to ``process(_:into:)``
    /// one by one, but faster: the batch's flow-table lookups are started together, so their
    /// waits for memory overlap. Every frame's bytes must stay valid until the call returns
    /// (``CaptureFile/nextBatch(into:limit:)`` guarantees it).
    public mutating func process(batch frames: [CapturedFrame], into alerts: inout [Alert]) {
        hashes.removeAll(keepingCapacity: true)
        for i in frames.indices { hashes.append(flows.prefetchSlot(for: frames[i])) }
        for i in hashes.indices { flows.prefetchEntry(hash: hashes[i]) }
        if sessions.count > 0 {
            // Connections with a credential session: their slot, then their parser's state.
            tags.removeAll(keepingCapacity: true)
            for i in hashes.indices {
                let tag = flows.prefetchedTag(hash: hashes[i])
                if tag >= 0 {
                    sessions.prefetch(Int(tag))
                    tags.append(tag)
                }
            }
            for i in tags.indices { sessions.prefetchParser(Int(tags[i])) }
        }
        for i in frames.indices { handle(decoder.decode(frames[i]), frame: frames[i], into: &alerts) }
    }

    private mutating func handle(_ packet: DecodedPacket, frame: CapturedFrame, into alerts: inout [Alert]) {
        let before = alerts.count
        counters.packets += 1
        counters.bytes += packet.frameLength
        let time = packet.timestamp
        if time > lastTime { lastTime = time }
        if time.nanoseconds >= nextHousekeeping { housekeeping(time, into: &alerts) }

        if let reason = packet.malformed {
            malformed(reason, packet: packet, into: &alerts)
        } else {
            switch packet.network {
            case .arp:
                if packet.arp.operation == 1 || packet.arp.operation == 2 {
                    arpSpoof.observe(ARPObservation(time: time, ethSource: packet.sourceMAC.value,
                                                    operation: packet.arp.operation == 1 ? .request : .reply,
                                                    senderMAC: packet.arp.senderMAC.value, senderIP: packet.arp.senderIP,
                                                    targetMAC: packet.arp.targetMAC.value, targetIP: packet.arp.targetIP), into: &alerts)
                }
                if packet.arp.operation == 1 {
                    sweep.observe(ARPRequestObservation(time: time, senderMAC: packet.arp.senderMAC.value,
                                                        senderIP: packet.arp.senderIP, targetIP: packet.arp.targetIP), into: &alerts)
                }
            case .ipv4, .ipv6:
                ip(packet, frame: frame, into: &alerts)
            default:
                break
            }
        }
        if alerts.count > before { noteAlerts(alerts[before...]) }
    }

    /// Counts new alerts, and remembers the last report of each vertical scan for its final tally.
    private mutating func noteAlerts(_ new: ArraySlice<Alert>) {
        for alert in new {
            counters.alerts[alert.detector, default: 0] += 1
            if alert.detector == .portScan, alert.dst != nil, verticalScans.count < 4096 || verticalScans[alert.incident] != nil {
                verticalScans[alert.incident] = alert
            }
        }
    }

    /// Ends the input: pending login attempts are reported, detectors run to the last time seen.
    public mutating func finish(into alerts: inout [Alert]) {
        let before = alerts.count
        for slot in sessions.occupied(sortedByFlow: true) {
            credentials(sessions.slots[slot].session.finish(time: lastTime), record: sessions.slots[slot].flow, into: &alerts)
        }
        sessions = SessionSlots()
        scan.advance(to: lastTime, into: &alerts)
        arpSpoof.flush(into: &alerts)
        ipSpoof.flush(into: &alerts)
        rogueRA.flush(into: &alerts)
        rogueDHCP.flush(into: &alerts)
        if alerts.count > before { noteAlerts(alerts[before...]) }
        finalScanTallies(into: &alerts)
    }

    // MARK: Per packet

    private mutating func ip(_ packet: DecodedPacket, frame: CapturedFrame, into alerts: inout [Alert]) {
        let time = packet.timestamp
        // Only destinations that could reach the flood floors this second are tracked in full:
        // the per-destination baselines then cover the busy hosts, not every client on the wire.
        if heavyHitters.admit(packet.destination, bytes: packet.frameLength, time: time, floor: floodAdmission) {
            flood.observe(PacketObservation(time: time, src: packet.source, dst: packet.destination,
                                            bytes: UInt32(clamping: packet.frameLength)), into: &alerts)
        }
        if hasInventory {
            ipSpoof.observe(IPSourceObservation(time: time, ethSource: packet.sourceMAC.value, source: packet.source,
                                                destination: packet.destination), into: &alerts)
        }
        if packet.isDHCP, packet.dhcp.operation == 2 {
            let type: DHCPServerObservation.MessageType? = switch packet.dhcp.messageType {
            case 2: .offer
            case 5: .ack
            case 6: .nak
            default: nil
            }
            if let type {
                rogueDHCP.observe(DHCPServerObservation(time: time, ethSource: packet.sourceMAC.value, source: packet.source,
                                                        messageType: type, serverIdentifier: packet.dhcp.serverID,
                                                        offeredAddress: packet.dhcp.yourIP, clientMAC: packet.dhcp.clientMAC.value), into: &alerts)
            }
        }
        if packet.transport == .icmpv6 {
            switch packet.icmp.type {
            case 134:
                rogueRA.observe(RouterAdvertisementObservation(time: time, ethSource: packet.sourceMAC.value, source: packet.source,
                                                               sourceLinkLayer: packet.neighborDiscovery.linkLayerAddress?.value,
                                                               routerLifetime: packet.neighborDiscovery.routerLifetime), into: &alerts)
            case 136:
                arpSpoof.observe(NeighborAdvertisementObservation(time: time, ethSource: packet.sourceMAC.value,
                                                                  target: packet.neighborDiscovery.target,
                                                                  targetLinkLayer: packet.neighborDiscovery.linkLayerAddress?.value), into: &alerts)
            default:
                break
            }
        }
        switch packet.transport {
        case .tcp:
            let segment = TCPSegmentObservation(time: time, src: packet.source, dst: packet.destination,
                                                srcPort: packet.sourcePort, dstPort: packet.destinationPort,
                                                flags: packet.tcpFlags, length: UInt32(clamping: packet.payloadLength))
            scan.observe(segment, into: &alerts)
            synFlood.observe(segment, into: &alerts)
            guard let update = flows.process(packet) else { return }
            if update.event == .handshakeCompleted { synFlood.noteHandshakeCompleted(segment) }
            stream(update, packet: packet, frame: frame, into: &alerts)
        case .icmp, .icmpv6:
            _ = flows.process(packet)
            let type = packet.icmp.type
            let request: Bool? = packet.transport == .icmp
                ? (type == 8 ? true : type == 0 ? false : nil)
                : (type == 128 ? true : type == 129 ? false : nil)
            if let request {
                sweep.observe(ICMPEchoObservation(time: time, src: packet.source, dst: packet.destination, isRequest: request), into: &alerts)
            }
        default:
            _ = flows.process(packet)
        }
    }

    /// A TCP segment's effect on credential parsing: sessions start with connections to a
    /// credential port, take the in-order payload of both directions, and end with the flow.
    private mutating func stream(_ update: FlowUpdate, packet: DecodedPacket, frame: CapturedFrame, into alerts: inout [Alert]) {
        let ended = update.event == .closed || update.event == .reset
        // Most segments carry nothing a session needs: no payload, no start, no end; and most
        // connections are to ports no credential parser speaks.
        guard update.deliveredLength > 0 || ended || update.event == .started || update.event == .synAcknowledged else { return }
        let serverPort = update.direction == .fromInitiator ? packet.destinationPort : packet.sourcePort
        guard credentialPorts[Int(serverPort)] else { return }
        var slot = Int(update.tag)
        if slot >= 0 && !sessions.holds(slot, flow: update.flowID) { slot = -1 }
        if slot < 0, !ended, let record = flows.record(update), configuration.credentials.ports[record.responderPort] != nil {
            if sessions.count < configuration.maxCredentialSessions {
                if let session = CredentialSession(serverPort: record.responderPort, configuration: configuration.credentials) {
                    slot = sessions.add(SessionSlots.Slot(flowID: update.flowID, session: session, flow: record))
                    flows.setTag(Int32(slot), for: update)
                    counters.credentialSessions += 1
                }
            } else {
                counters.credentialSessionsSkipped += 1
            }
        }
        guard slot >= 0 else { return }
        var events: [CredentialEvent] = []
        if let range = update.deliveredRange, !range.isEmpty, range.upperBound <= frame.bytes.count {
            let direction: StreamDirection = update.direction == .fromInitiator ? .toServer : .toClient
            sessions.slots[slot].session.feed(UnsafeRawBufferPointer(rebasing: frame.bytes[range]), direction: direction,
                                              time: packet.timestamp, events: &events)
        }
        if ended { events += sessions.slots[slot].session.finish(time: packet.timestamp) }
        if !events.isEmpty, let record = flows.record(update) {
            sessions.slots[slot].flow = record
            credentials(events, record: record, into: &alerts)
        }
        if ended || !sessions.slots[slot].session.isActive {
            sessions.remove(slot)
            flows.setTag(-1, for: update)
        }
    }

    private mutating func credentials(_ events: [CredentialEvent], record: FlowRecord, into alerts: inout [Alert]) {
        for event in events {
            var alert = credentialAlerts.alert(for: event, source: record.initiator, destination: record.responder,
                                                destinationPort: record.responderPort, sourcePort: record.initiatorPort)
            let occurrence = (credentialOccurrences[alert.incident] ?? 0) + 1
            credentialOccurrences[alert.incident] = credentialOccurrences.count < 65_536 || occurrence > 1 ? occurrence : nil
            alert.occurrence = occurrence
            // A peer that completed a handshake cannot have forged its address.
            alert.sourceMayBeSpoofed = !record.completedHandshake
            alerts.append(alert)
            if var brute = bruteForce.record(event, source: record.initiator, destination: record.responder,
                                             destinationPort: record.responderPort) {
                brute.sourceMayBeSpoofed = !record.completedHandshake
                alerts.append(brute)
            }
        }
    }

    /// A vertical scan is reported when it crosses the threshold and updated as its count doubles;
    /// at the end of the input every scan whose tally grew since its last report gets a final
    /// update with the whole tally (ports probed, open, closed).
    private mutating func finalScanTallies(into alerts: inout [Alert]) {
        for (_, last) in verticalScans.sorted(by: { $0.key < $1.key }) {
            guard let src = last.src.flatMap({ IPAddress($0) }), let dst = last.dst.flatMap({ IPAddress($0) }),
                  let tally = scan.portProbes(by: src, on: dst) else { continue }
            let reported = last.evidence.first { $0.0 == "distinct_ports" }.flatMap { if case .int(let n) = $0.1 { return Int(n) } else { return nil } }
            guard tally.distinctPorts > (reported ?? 0) else { continue }
            var final = last
            final.time = lastTime
            final.occurrence += 1
            let unanswered = tally.distinctPorts - tally.openPorts.count - tally.closedPorts.count
            final.summary = "\(last.src ?? "?") probed \(tally.distinctPorts) ports on \(last.dst ?? "?") in all "
                + "(\(tally.openPorts.count) open, \(tally.closedPorts.count) closed, \(max(0, unanswered)) unanswered)"
            final.evidence = [("kind", .string("vertical")), ("final", .bool(true)),
                              ("distinct_ports", .int(Int64(tally.distinctPorts))), ("probes", .int(tally.probes)),
                              ("open_ports", .list(tally.openPorts.map { .int(Int64($0)) })),
                              ("closed_ports", .list(tally.closedPorts.map { .int(Int64($0)) })),
                              ("unanswered_port_count", .int(Int64(max(0, unanswered))))]
            alerts.append(final)
            counters.alerts[.portScan, default: 0] += 1
        }
        verticalScans.removeAll()
    }

    /// Credential sessions whose connection left the flow table (expired or evicted without a
    /// FIN or RST) end here, every 10 s of packet time: pending logins are reported as unknown and
    /// the memory is freed, so the session table follows the flow table's cap.
    private mutating func sweepSessions(_ time: Timestamp, into alerts: inout [Alert]) {
        nextSessionSweep = time.nanoseconds &+ 10_000_000_000
        for slot in sessions.occupied(sortedByFlow: true)
        where flows.record(for: sessions.slots[slot].flow.key)?.id != sessions.slots[slot].flowID {
            credentials(sessions.slots[slot].session.finish(time: time), record: sessions.slots[slot].flow, into: &alerts)
            sessions.remove(slot)
        }
    }

    /// Malformed packets: one incident per reason, re-alerted when its count doubles.
    private mutating func malformed(_ reason: MalformedReason, packet: DecodedPacket, into alerts: inout [Alert]) {
        let count = (malformedCounts[reason] ?? 0) + 1
        malformedCounts[reason] = count
        guard count & (count - 1) == 0 else { return }  // 1, 2, 4, 8…
        var evidence: [(String, EvidenceValue)] = [("reason", .string(reason.description)), ("count", .int(Int64(count))),
                                                   ("captured_length", .int(Int64(packet.capturedLength)))]
        if packet.sourceMAC != .zero { evidence.append(("ether_src", .string(packet.sourceMAC.description))) }
        alerts.append(Alert(time: packet.timestamp, detector: .malformed, severity: count >= 64 ? .medium : .low,
                            summary: "\(count) malformed packet\(count == 1 ? "" : "s"): \(reason)",
                            src: packet.sourceMAC == .zero ? nil : packet.sourceMAC.description,
                            incident: "malformed/\(reason)", occurrence: count.trailingZeroBitCount + 1, evidence: evidence))
    }

    /// Time-driven work, every 100 ms of packet time: unanswered probes judged, windows closed,
    /// idle flows and login trackers expired.
    private mutating func housekeeping(_ time: Timestamp, into alerts: inout [Alert]) {
        nextHousekeeping = time.nanoseconds &+ 100_000_000
        if time.nanoseconds >= nextSessionSweep { sweepSessions(time, into: &alerts) }
        scan.advance(to: time, into: &alerts)
        sweep.advance(to: time)
        synFlood.advance(to: time)
        flood.advance(to: time)
        bruteForce.expire(now: time)
    }
}

/// The credential sessions of open connections, in reusable slots (a free list; a slot's number
/// is stored in its flow's table entry).
struct SessionSlots: Sendable {
    /// A connection's credential parser and the flow it belongs to.
    struct Slot: Sendable {
        /// The flow's id; 0 when the slot is free.
        var flowID: UInt64
        var session: CredentialSession
        var flow: FlowRecord
    }

    var slots: ContiguousArray<Slot> = []
    private var free: [Int] = []
    /// Slots in use.
    private(set) var count = 0

    /// Whether `slot` holds the session of flow `flowID`.
    func holds(_ slot: Int, flow flowID: UInt64) -> Bool {
        slot < slots.count && slots[slot].flowID == flowID && flowID != 0
    }

    /// Stores a session; returns its slot.
    mutating func add(_ slot: Slot) -> Int {
        count += 1
        if let index = free.popLast() {
            slots[index] = slot
            return index
        }
        slots.append(slot)
        return slots.count - 1
    }

    /// Starts loading a slot (see ``FlowTable/prefetchSlot(for:)``).
    @inline(__always)
    func prefetch(_ slot: Int) {
        guard slot < slots.count else { return }
        slots.withUnsafeBufferPointer { prefetchElement($0, slot) }
    }

    /// Starts loading the parser state a slot's session points to (the slot itself should be
    /// loaded by now).
    @inline(__always)
    func prefetchParser(_ slot: Int) {
        guard slot < slots.count, let state = slots[slot].session.stateAddress else { return }
        hyperward_prefetch(state)
        hyperward_prefetch(state + 64)
        hyperward_prefetch(state + 128)
        hyperward_prefetch(state + 192)
    }

    /// Frees a slot (its session is dropped).
    mutating func remove(_ slot: Int) {
        guard slot < slots.count, slots[slot].flowID != 0 else { return }
        slots[slot].flowID = 0
        slots[slot].session = CredentialSession.stopped
        count -= 1
        free.append(slot)
    }

    /// The slots in use, in the order their flows were created when `sortedByFlow` (for
    /// reports that must not depend on slot reuse).
    func occupied(sortedByFlow: Bool) -> [Int] {
        let used = slots.indices.filter { slots[$0].flowID != 0 }
        return sortedByFlow ? used.sorted { slots[$0].flowID < slots[$1].flowID } : used
    }
}

/// Which destinations are busy enough this second to be worth a flood baseline: a count-min
/// sketch (2 rows × 16,384 counters of packets and bytes, reset every second of packet time).
/// A destination is admitted once either estimate reaches the admission floor; the sketch only
/// over-estimates, so no destination that reaches the floor is ever missed (it is admitted at the
/// latest when a quarter of the floor has been seen, and counted in full from then on).
struct HeavyHitterFilter: Sendable {
    static let width = 16_384
    private var packets = [UInt32](repeating: 0, count: 2 * HeavyHitterFilter.width)
    private var bytes = [UInt64](repeating: 0, count: 2 * HeavyHitterFilter.width)
    private var second = Int64.min
    private let seed = UInt64.random(in: 1...UInt64.max)

    mutating func admit(_ address: IPAddress, bytes size: Int, time: Timestamp, floor: (packets: Int, bytes: Int)) -> Bool {
        let now = time.nanoseconds / 1_000_000_000
        if now != second {
            second = now
            for i in packets.indices { packets[i] = 0; bytes[i] = 0 }
        }
        var h = (address.high &* 0x9E37_79B9_7F4A_7C15) ^ address.low ^ seed
        h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        let a = Int(h & UInt64(HeavyHitterFilter.width - 1))
        let b = HeavyHitterFilter.width + Int((h >> 32) & UInt64(HeavyHitterFilter.width - 1))
        packets[a] &+= 1
        packets[b] &+= 1
        bytes[a] &+= UInt64(size)
        bytes[b] &+= UInt64(size)
        return Int(min(packets[a], packets[b])) >= floor.packets || Int(min(bytes[a], bytes[b])) >= floor.bytes
    }
}
