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

internal import CSensorSupport

/// What ``FlowTable/process(_:)`` reports for one packet.
public struct FlowUpdate: Sendable, Hashable {
    /// The flow's id, unique for the table's lifetime (a restarted or recreated flow gets a new one).
    public var flowID: UInt64
    /// The packet's direction relative to the initiator.
    public var direction: FlowDirection
    /// What the packet changed.
    public var event: FlowEvent
    /// The flow's state after the packet.
    public var state: FlowState
    /// TCP: where the newly in-order payload bytes start in the frame (valid when `deliveredLength > 0`).
    public var deliveredOffset: Int = 0
    /// TCP: how many payload bytes are new and in order (0: none); other protocols: the whole payload.
    public var deliveredLength: Int = 0
    /// TCP: the segment carried only bytes already delivered.
    public var isRetransmission = false
    /// TCP: bytes before this segment's were never seen (a gap); delivery resumed at this segment.
    public var followsGap = false
    /// The table slot, for ``FlowTable/record(_:)``.
    var slot: Int32
    /// The owner's number for the flow (see ``FlowTable/setTag(_:for:)``), -1 when none was set.
    var tag: Int32 = -1

    /// The in-order payload's range in the frame, if any.
    public var deliveredRange: Range<Int>? {
        deliveredLength > 0 ? deliveredOffset..<(deliveredOffset + deliveredLength) : nil
    }
}

/// A snapshot of one flow's counters.
public struct FlowRecord: Sendable, Hashable {
    /// The flow's id.
    public var id: UInt64
    /// The 5-tuple.
    public var key: FlowKey
    /// The initiator's (client's) address.
    public var initiator: IPAddress
    /// The initiator's port.
    public var initiatorPort: UInt16
    /// The responder's (server's) address.
    public var responder: IPAddress
    /// The responder's port.
    public var responderPort: UInt16
    /// The state.
    public var state: FlowState
    /// The first packet's time.
    public var firstSeen: Timestamp
    /// The latest packet's time.
    public var lastSeen: Timestamp
    /// Packets from the initiator.
    public var packetsFromInitiator: Int
    /// Packets to the initiator.
    public var packetsToInitiator: Int
    /// Wire bytes from the initiator.
    public var bytesFromInitiator: Int
    /// Wire bytes to the initiator.
    public var bytesToInitiator: Int
    /// TCP: gaps in either direction's byte stream.
    public var gaps: Int
    /// TCP: segments that carried only bytes already delivered.
    public var retransmissions: Int
    /// TCP: whether the three-way handshake was seen to complete (not picked up mid-stream).
    public var completedHandshake: Bool
}

/// Counters of the flow table.
public struct FlowStatistics: Sendable, Hashable {
    /// Flows created.
    public var created: Int = 0
    /// Flows removed because their state's timeout passed.
    public var expired: Int = 0
    /// Flows removed to make room at the cap.
    public var evicted: Int = 0
    /// Closed TCP flows replaced by a new SYN on the same 5-tuple.
    public var reused: Int = 0
    /// Flows in the table now.
    public var active: Int = 0
    /// The most flows held at once.
    public var peak: Int = 0
    /// Packets given to the table that had no flow (not IP, a later fragment, or malformed).
    public var skipped: Int = 0
    /// TCP gaps (bytes never seen) across all flows.
    public var gaps: Int = 0
    /// TCP retransmitted segments across all flows.
    public var retransmissions: Int = 0
}

/// A bounded table of bidirectional flows with TCP state, timeouts and in-order TCP payload.
///
/// Memory is capped: at most `maxFlows` entries; a new flow at the cap evicts the one idle longest
/// (counted in `statistics.evicted`). Time is the packets' own timestamps, so expiry works the
/// same for capture files and live traffic; ``expire(now:)`` advances it without a packet.
///
/// Each flow sits on one of four lists by timeout class (new, TCP established or closing, other
/// established, closed), in the order flows were queued; a flow active since is requeued lazily
/// when it reaches the head, so expiry and eviction look only at list heads (amortised O(1) per
/// packet) and a packet touches only its own entry. Expiry is checked every 100 ms of packet time. Lookup is an open-addressing
/// hash table with a per-table random seed (an attacker cannot precompute colliding 5-tuples)
/// and no allocation per packet once the table has grown.
public struct FlowTable: Sendable {
    /// Limits and timeouts.
    public struct Configuration: Sendable, Hashable {
        /// The most flows held (1...16,777,216). About 160 bytes each, so the default
        /// 262,144 is about 40 MiB at most.
        public var maxFlows: Int = 262_144
        /// Timeouts by state.
        public var timeouts = FlowTimeouts()

        /// The defaults.
        public init() {}

        /// A configuration with a cap and timeouts.
        public init(maxFlows: Int, timeouts: FlowTimeouts = FlowTimeouts()) {
            self.maxFlows = maxFlows
            self.timeouts = timeouts
        }
    }

    struct Entry: Sendable {
        var key: FlowKey
        var hash: UInt64
        var id: UInt64
        var firstSeen: Int64
        var lastSeen: Int64
        /// `lastSeen` when the entry was (re)queued on its timeout list (see `expireHeads`).
        var queuedAt: Int64 = 0
        var packetsForward: Int = 0
        var packetsReverse: Int = 0
        var bytesForward: Int = 0
        var bytesReverse: Int = 0
        var nextSequenceForward: UInt32 = 0
        var nextSequenceReverse: UInt32 = 0
        var gaps: Int32 = 0
        var retransmissions: Int32 = 0
        var previous: Int32 = -1
        var next: Int32 = -1
        /// The owner's number for the flow (``setTag(_:for:)``).
        var tag: Int32 = -1
        var state: FlowState = .new
        var timeoutClass: UInt8 = 0
        /// Whether the initiator is the key's `low` endpoint.
        var initiatorIsLow = true
        var hasSequenceForward = false
        var hasSequenceReverse = false
        var finForward = false
        var finReverse = false
        var completedHandshake = false
        var inUse = false
    }

    /// The configuration (sanitised: the cap is at least 1).
    public let configuration: Configuration
    /// Counters.
    public private(set) var statistics = FlowStatistics()

    private var entries: ContiguousArray<Entry> = []
    private var freeHead: Int32 = -1
    /// Open-addressing index, a power of two long: 0 is empty, else the upper 32 bits of the
    /// key's hash (so most mismatches never touch `entries`) and the entry's index plus one.
    private var slots: ContiguousArray<UInt64>
    private var mask: Int
    private let seed: UInt64
    private var nextID: UInt64 = 1
    /// Heads and tails of the four timeout lists (new, TCP established or closing, other established, closed).
    private var heads: (Int32, Int32, Int32, Int32) = (-1, -1, -1, -1)
    private var tails: (Int32, Int32, Int32, Int32) = (-1, -1, -1, -1)
    private let timeoutNanoseconds: (Int64, Int64, Int64, Int64)
    private var now: Int64 = .min
    /// Heads are checked for expiry at most every `expiryInterval` of packet time.
    private var nextExpiryCheck: Int64 = .min
    static let expiryInterval: Int64 = 100_000_000

    static let classNew: UInt8 = 0
    static let classTCPEstablished: UInt8 = 1
    static let classEstablished: UInt8 = 2
    static let classClosed: UInt8 = 3

    /// An empty table.
    public init(configuration: Configuration = Configuration()) {
        var c = configuration
        c.maxFlows = min(max(c.maxFlows, 1), 1 << 24)
        self.configuration = c
        func ns(_ seconds: Double) -> Int64 {
            guard seconds.isFinite, seconds > 0 else { return 0 }
            return Int64(min(seconds, 1e9) * 1e9)
        }
        timeoutNanoseconds = (ns(c.timeouts.new), ns(c.timeouts.tcpEstablished), ns(c.timeouts.established), ns(c.timeouts.closed))
        let initial = min(1024, FlowTable.slotCount(for: c.maxFlows))
        slots = ContiguousArray(repeating: 0, count: initial)
        mask = initial - 1
        var generator = SystemRandomNumberGenerator()
        seed = generator.next() | 1
    }

    /// Slots for `flows` entries at a load of at most one half.
    static func slotCount(for flows: Int) -> Int {
        var n = 16
        while n < flows * 2 { n <<= 1 }
        return n
    }

    // MARK: Public API

    /// Accounts one decoded packet to its flow (creating it if needed) and reports what changed.
    ///
    /// Returns nil for packets without a flow: not IPv4/IPv6, later fragments (no ports), and
    /// packets malformed at or below the transport header.
    public mutating func process(_ packet: DecodedPacket) -> FlowUpdate? {
        guard packet.network == .ipv4 || packet.network == .ipv6, !packet.isLaterFragment else {
            statistics.skipped &+= 1
            return nil
        }
        if let reason = packet.malformed, reason != .dhcpTruncated, reason != .dhcpBadOptions, reason != .ndBadOption {
            statistics.skipped &+= 1
            return nil
        }
        let time = packet.timestamp.nanoseconds
        if time > now { now = time }
        if now >= nextExpiryCheck {
            expireHeads()
            nextExpiryCheck = now &+ FlowTable.expiryInterval
        }

        let (key, isForward) = FlowTable.key(of: packet)
        let hash = hashKey(key)
        let isTCP = packet.transport == .tcp
        let flags = packet.tcpFlags

        var index = find(key, hash: hash)
        var event = FlowEvent.none
        if index >= 0, isTCP, flags.contains(.syn), !flags.contains(.ack), entries[Int(index)].state == .closed {
            // Port reuse: a new connection on the 5-tuple of a closed one.
            remove(index)
            statistics.reused &+= 1
            index = -1
        }
        if index < 0 {
            index = insert(key, hash: hash, time: time)
            event = .started
            let i = Int(index)
            // The initiator: the sender, except for a SYN-ACK (its receiver opened the connection).
            let senderInitiates = !(isTCP && flags.contains(.syn) && flags.contains(.ack))
            entries[i].initiatorIsLow = senderInitiates == isForward
            if isTCP {
                if flags.contains(.rst) {
                    entries[i].state = .closed
                } else if flags.contains(.syn) {
                    entries[i].state = flags.contains(.ack) ? .synReceived : .new
                } else {
                    // Picked up mid-stream (Suricata's midstream pickup): taken as established.
                    entries[i].state = .established
                }
            }
            relist(index)
        }
        let i = Int(index)
        let fromInitiator = entries[i].initiatorIsLow == isForward
        let direction: FlowDirection = fromInitiator ? .fromInitiator : .toInitiator
        if entries[i].lastSeen < time { entries[i].lastSeen = time }
        if isForward {
            entries[i].packetsForward &+= 1
            entries[i].bytesForward &+= packet.frameLength
        } else {
            entries[i].packetsReverse &+= 1
            entries[i].bytesReverse &+= packet.frameLength
        }
        var update = FlowUpdate(flowID: entries[i].id, direction: direction, event: event, state: entries[i].state, slot: index,
                                tag: entries[i].tag)
        if isTCP {
            advanceTCP(i, packet: packet, isForward: isForward, fromInitiator: fromInitiator, update: &update)
        } else {
            if event != .started && !fromInitiator && entries[i].state == .new {
                entries[i].state = .established
                update.event = .answered
            }
            update.deliveredOffset = packet.payloadOffset
            update.deliveredLength = packet.payloadLength
        }
        update.state = entries[i].state
        relist(index)
        return update
    }

    /// The flow key of an IP packet, and whether the packet goes the key's forward way.
    @inline(__always)
    static func key(of packet: DecodedPacket) -> (key: FlowKey, isForward: Bool) {
        var sourcePort: UInt16 = 0
        var destinationPort: UInt16 = 0
        switch packet.transport {
        case .tcp, .udp:
            sourcePort = packet.sourcePort
            destinationPort = packet.destinationPort
        case .icmp where packet.icmp.type == 0 || packet.icmp.type == 8,
             .icmpv6 where packet.icmp.type == 128 || packet.icmp.type == 129:
            sourcePort = packet.icmp.identifier
            destinationPort = packet.icmp.identifier
        default: break
        }
        return FlowKey.make(source: packet.source, sourcePort: sourcePort, destination: packet.destination,
                            destinationPort: destinationPort, ipProtocol: packet.ipProtocol)
    }

    // MARK: Prefetch

    /// The first of two steps that overlap a batch's lookups: starts loading the index slot of
    /// the frame's flow and returns the key's hash (0: not prefetched). A lookup that waits for
    /// memory twice (index, then entry) costs about as much as all the rest of a packet's flow
    /// work; started for a whole batch, the waits run side by side.
    ///
    /// Reads only the headers that make the key of a TCP or UDP packet over Ethernet (up to two
    /// VLAN tags) or raw IP, bounded by the captured bytes; anything else is left to the full
    /// decoder. A wrong guess costs a useless prefetch, never a wrong result.
    @inline(__always)
    public func prefetchSlot(for frame: CapturedFrame) -> UInt64 {
        guard let key = FlowTable.peekKey(frame) else { return 0 }
        let hash = hashKey(key)
        let position = FlowTable.home(hash) & mask
        slots.withUnsafeBufferPointer { hyperward_prefetch($0.baseAddress! + position) }
        return hash
    }

    /// The TCP/UDP flow key of a frame from its raw headers (see ``prefetchSlot(for:)``).
    static func peekKey(_ frame: CapturedFrame) -> FlowKey? {
        let bytes = frame.bytes
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        @inline(__always) func u16(_ at: Int) -> UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
        @inline(__always) func u32(_ at: Int) -> UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        @inline(__always) func u64(_ at: Int) -> UInt64 { UInt64(bigEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        var offset = 0
        var version: UInt8
        if frame.linkType == .ethernet {
            guard count >= 14 else { return nil }
            var etherType = u16(12)
            offset = 14
            var tags = 0
            while (etherType == 0x8100 || etherType == 0x88A8) && tags < 2 {
                guard count >= offset &+ 4 else { return nil }
                etherType = u16(offset &+ 2)
                offset &+= 4
                tags &+= 1
            }
            switch etherType {
            case 0x0800: version = 4
            case 0x86DD: version = 6
            default: return nil
            }
        } else if frame.linkType.isRawIP {
            guard count >= 1 else { return nil }
            version = base.load(as: UInt8.self) >> 4
        } else {
            return nil
        }
        let source: IPAddress, destination: IPAddress, ipProtocol: UInt8, transport: Int
        if version == 4 {
            guard count >= offset &+ 20 else { return nil }
            let first = base.load(fromByteOffset: offset, as: UInt8.self)
            guard first >> 4 == 4 else { return nil }
            let headerLength = Int(first & 0x0F) &* 4
            // A fragment other than the first has no ports.
            guard headerLength >= 20, u16(offset &+ 6) & 0x1FFF == 0 else { return nil }
            ipProtocol = base.load(fromByteOffset: offset &+ 9, as: UInt8.self)
            source = IPAddress(ipv4: u32(offset &+ 12))
            destination = IPAddress(ipv4: u32(offset &+ 16))
            transport = offset &+ headerLength
        } else if version == 6 {
            guard count >= offset &+ 40 else { return nil }
            ipProtocol = base.load(fromByteOffset: offset &+ 6, as: UInt8.self)
            source = IPAddress(ipv6High: u64(offset &+ 8), low: u64(offset &+ 16))
            destination = IPAddress(ipv6High: u64(offset &+ 24), low: u64(offset &+ 32))
            transport = offset &+ 40
        } else {
            return nil
        }
        guard ipProtocol == 6 || ipProtocol == 17, count >= transport &+ 4 else { return nil }
        return FlowKey.make(source: source, sourcePort: u16(transport), destination: destination,
                            destinationPort: u16(transport &+ 2), ipProtocol: ipProtocol).key
    }

    /// The second step: reads the slot the first step loaded and starts loading the entry it
    /// names (all the cache lines a packet touches).
    @inline(__always)
    public func prefetchEntry(hash: UInt64) {
        guard hash != 0 else { return }
        let slot = slots[FlowTable.home(hash) & mask]
        guard slot != 0, slot >> 32 == hash >> 32 else { return }
        let index = FlowTable.slotIndex(slot)
        guard index < entries.count else { return }
        entries.withUnsafeBufferPointer { prefetchElement($0, index) }
    }

    /// The third step: the owner's tag of the flow the first two steps loaded (-1: none or not
    /// found), so the owner can start loading its own per-flow state.
    @inline(__always)
    public func prefetchedTag(hash: UInt64) -> Int32 {
        guard hash != 0 else { return -1 }
        let slot = slots[FlowTable.home(hash) & mask]
        guard slot != 0, slot >> 32 == hash >> 32 else { return -1 }
        let index = FlowTable.slotIndex(slot)
        guard index < entries.count else { return -1 }
        return entries[index].tag
    }

    /// Expires flows whose timeout passed by `now` (for live capture when no packet arrives).
    public mutating func expire(now time: Timestamp) {
        if time.nanoseconds > now { now = time.nanoseconds }
        expireHeads()
    }

    /// A snapshot of the flow an update was about; nil once that flow has been removed.
    public func record(_ update: FlowUpdate) -> FlowRecord? {
        let i = Int(update.slot)
        guard i >= 0, i < entries.count, entries[i].inUse, entries[i].id == update.flowID else { return nil }
        return makeRecord(entries[i])
    }

    /// Attaches the owner's number to the flow an update was about (a slot of the owner's own
    /// per-flow state, found again from later updates without a lookup of its own). Nothing
    /// happens once that flow has been removed; a new flow starts with -1.
    mutating func setTag(_ tag: Int32, for update: FlowUpdate) {
        let i = Int(update.slot)
        guard i >= 0, i < entries.count, entries[i].inUse, entries[i].id == update.flowID else { return }
        entries[i].tag = tag
    }

    /// A snapshot of the flow with this 5-tuple, if present.
    public func record(for key: FlowKey) -> FlowRecord? {
        let index = find(key, hash: hashKey(key))
        return index >= 0 ? makeRecord(entries[Int(index)]) : nil
    }

    /// Snapshots of every flow (for reports and tests; allocates).
    public var records: [FlowRecord] { entries.filter(\.inUse).map(makeRecord) }

    private func makeRecord(_ entry: Entry) -> FlowRecord {
        let low = entry.initiatorIsLow
        return FlowRecord(
            id: entry.id, key: entry.key,
            initiator: low ? entry.key.lowAddress : entry.key.highAddress, initiatorPort: low ? entry.key.lowPort : entry.key.highPort,
            responder: low ? entry.key.highAddress : entry.key.lowAddress, responderPort: low ? entry.key.highPort : entry.key.lowPort,
            state: entry.state, firstSeen: Timestamp(nanoseconds: entry.firstSeen), lastSeen: Timestamp(nanoseconds: entry.lastSeen),
            packetsFromInitiator: low ? entry.packetsForward : entry.packetsReverse,
            packetsToInitiator: low ? entry.packetsReverse : entry.packetsForward,
            bytesFromInitiator: low ? entry.bytesForward : entry.bytesReverse,
            bytesToInitiator: low ? entry.bytesReverse : entry.bytesForward,
            gaps: Int(entry.gaps), retransmissions: Int(entry.retransmissions), completedHandshake: entry.completedHandshake)
    }

    // MARK: TCP

    private mutating func advanceTCP(_ i: Int, packet: DecodedPacket, isForward: Bool, fromInitiator: Bool,
                                     update: inout FlowUpdate) {
        let flags = packet.tcpFlags
        var entry = entries[i]
        // State machine (RFC 9293 §3.5, as a passive observer sees it).
        if flags.contains(.rst) {
            if entry.state != .closed {
                entry.state = .closed
                if update.event != .started { update.event = .reset }
            }
        } else if flags.contains(.syn) {
            if flags.contains(.ack) {
                if !fromInitiator && entry.state == .new {
                    entry.state = .synReceived
                    update.event = .synAcknowledged
                }
            }
        } else if flags.contains(.ack) && fromInitiator && entry.state == .synReceived {
            // The handshake's last ACK must acknowledge the responder's SYN (a blind spoofer does not know it).
            let responderNext = isForward ? entry.nextSequenceReverse : entry.nextSequenceForward
            let responderKnown = isForward ? entry.hasSequenceReverse : entry.hasSequenceForward
            if !responderKnown || packet.acknowledgmentNumber == responderNext {
                entry.state = .established
                entry.completedHandshake = true
                update.event = .handshakeCompleted
            }
        }

        // In-order payload per direction.
        var next = isForward ? entry.nextSequenceForward : entry.nextSequenceReverse
        var known = isForward ? entry.hasSequenceForward : entry.hasSequenceReverse
        var sequence = packet.sequenceNumber
        if flags.contains(.syn) {
            next = sequence &+ 1
            known = true
            sequence &+= 1
        }
        let declared = UInt32(truncatingIfNeeded: packet.declaredPayloadLength)
        if !flags.contains(.rst) && declared > 0 {
            if !known {
                next = sequence
                known = true
            }
            let difference = Int32(bitPattern: sequence &- next)
            if difference == 0 {
                update.deliveredOffset = packet.payloadOffset
                update.deliveredLength = packet.payloadLength
                next = sequence &+ declared
            } else if difference < 0 && difference > -(1 << 30) {
                let overlap = Int(-Int64(difference))
                if overlap < Int(declared) {
                    // Partly new: deliver only the bytes past what was delivered.
                    if overlap < packet.payloadLength {
                        update.deliveredOffset = packet.payloadOffset &+ overlap
                        update.deliveredLength = packet.payloadLength &- overlap
                    }
                    next = sequence &+ declared
                } else {
                    update.isRetransmission = true
                    entry.retransmissions &+= 1
                    statistics.retransmissions &+= 1
                }
            } else {
                // Bytes were missed (or the stream jumped): resynchronise on this segment.
                update.followsGap = true
                entry.gaps &+= 1
                statistics.gaps &+= 1
                update.deliveredOffset = packet.payloadOffset
                update.deliveredLength = packet.payloadLength
                next = sequence &+ declared
            }
            if packet.payloadLength < packet.declaredPayloadLength && update.deliveredLength > 0 {
                // The snapshot length cut the segment: what follows in the stream is missing.
                update.followsGap = true
                entry.gaps &+= 1
                statistics.gaps &+= 1
            }
        }
        if flags.contains(.fin) && !flags.contains(.rst) {
            if !known {
                next = sequence
                known = true
            }
            if sequence &+ declared == next { next &+= 1 }
            let wasSeen = isForward ? entry.finForward : entry.finReverse
            if isForward { entry.finForward = true } else { entry.finReverse = true }
            if !wasSeen && entry.state != .closed {
                if entry.finForward && entry.finReverse {
                    entry.state = .closed
                    update.event = .closed
                } else {
                    entry.state = .closing
                    if update.event == .none { update.event = .finishing }
                }
            }
        }
        if isForward {
            entry.nextSequenceForward = next
            entry.hasSequenceForward = known
        } else {
            entry.nextSequenceReverse = next
            entry.hasSequenceReverse = known
        }
        entries[i] = entry
    }

    // MARK: Hash table

    @inline(__always)
    private func hashKey(_ key: FlowKey) -> UInt64 {
        @inline(__always) func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let product = (a ^ b).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
            return product.high ^ product.low
        }
        var h = mix(seed, key.lowAddress.high)
        h = mix(h, key.lowAddress.low)
        h = mix(h, key.highAddress.high)
        h = mix(h, key.highAddress.low)
        let tail = UInt64(key.lowPort) << 32 | UInt64(key.highPort) << 16 | UInt64(key.ipProtocol)
            | (key.lowAddress.isIPv6 ? 1 << 8 : 0) | (key.highAddress.isIPv6 ? 1 << 9 : 0)
        return mix(h, tail)
    }

    private func find(_ key: FlowKey, hash: UInt64) -> Int32 {
        var position = FlowTable.home(hash) & mask
        let tag = hash >> 32
        while true {
            let slot = slots[position]
            if slot == 0 { return -1 }
            if slot >> 32 == tag {
                let index = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) &- 1
                if entries[index].key == key { return Int32(truncatingIfNeeded: index) }
            }
            position = (position &+ 1) & mask
        }
    }

    @inline(__always)
    private static func slotValue(hash: UInt64, index: Int32) -> UInt64 {
        (hash >> 32) << 32 | UInt64(UInt32(bitPattern: index) &+ 1)
    }

    /// A key's home position (before masking): the hash's upper half, which its slot also holds,
    /// so moving slots during a removal never reads an entry. Tables have at most 2^25 slots.
    @inline(__always)
    private static func home(_ hashOrSlot: UInt64) -> Int { Int(truncatingIfNeeded: hashOrSlot >> 32) }

    @inline(__always)
    private static func slotIndex(_ slot: UInt64) -> Int { Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) &- 1 }

    private mutating func insert(_ key: FlowKey, hash: UInt64, time: Int64) -> Int32 {
        if statistics.active >= configuration.maxFlows { evictOldest() }
        if (statistics.active &+ 1) &* 2 > slots.count { grow() }
        var entry = Entry(key: key, hash: hash, id: nextID, firstSeen: time, lastSeen: time)
        entry.inUse = true
        nextID &+= 1
        let index: Int32
        if freeHead >= 0 {
            index = freeHead
            freeHead = entries[Int(index)].next
            entries[Int(index)] = entry
        } else {
            index = Int32(entries.count)
            entries.append(entry)
        }
        var position = FlowTable.home(hash) & mask
        while slots[position] != 0 { position = (position &+ 1) & mask }
        slots[position] = FlowTable.slotValue(hash: hash, index: index)
        statistics.active &+= 1
        statistics.created &+= 1
        if statistics.active > statistics.peak { statistics.peak = statistics.active }
        entries[Int(index)].timeoutClass = FlowTable.classNew
        listAppend(index, FlowTable.classNew)
        return index
    }

    private mutating func grow() {
        let target = FlowTable.slotCount(for: configuration.maxFlows)
        guard slots.count < target else { return }
        let count = slots.count * 2
        slots = ContiguousArray(repeating: 0, count: count)
        mask = count - 1
        for (i, entry) in entries.enumerated() where entry.inUse {
            var position = FlowTable.home(entry.hash) & mask
            while slots[position] != 0 { position = (position &+ 1) & mask }
            slots[position] = FlowTable.slotValue(hash: entry.hash, index: Int32(i))
        }
    }

    /// Removes an entry from the index (backward-shift deletion), its list, and frees it.
    private mutating func remove(_ index: Int32) {
        let i = Int(index)
        var position = FlowTable.home(entries[i].hash) & mask
        while FlowTable.slotIndex(slots[position]) != i { position = (position &+ 1) & mask }
        // Backward shift: move later entries of the probe run into the hole when their home allows.
        var hole = position
        var probe = (hole &+ 1) & mask
        while slots[probe] != 0 {
            let home = FlowTable.home(slots[probe]) & mask
            // The entry at `probe` may fill `hole` if its home is not in (hole, probe] cyclically.
            let distanceToProbe = (probe &- home) & mask
            let distanceToHole = (probe &- hole) & mask
            if distanceToProbe >= distanceToHole {
                slots[hole] = slots[probe]
                hole = probe
            }
            probe = (probe &+ 1) & mask
        }
        slots[hole] = 0
        listRemove(index)
        entries[i].inUse = false
        entries[i].next = freeHead
        freeHead = index
        statistics.active &-= 1
    }

    // MARK: Timeout lists

    @inline(__always) private func head(_ c: UInt8) -> Int32 {
        switch c { case 0: heads.0; case 1: heads.1; case 2: heads.2; default: heads.3 }
    }
    @inline(__always) private mutating func setHead(_ c: UInt8, _ v: Int32) {
        switch c { case 0: heads.0 = v; case 1: heads.1 = v; case 2: heads.2 = v; default: heads.3 = v }
    }
    @inline(__always) private func tail(_ c: UInt8) -> Int32 {
        switch c { case 0: tails.0; case 1: tails.1; case 2: tails.2; default: tails.3 }
    }
    @inline(__always) private mutating func setTail(_ c: UInt8, _ v: Int32) {
        switch c { case 0: tails.0 = v; case 1: tails.1 = v; case 2: tails.2 = v; default: tails.3 = v }
    }
    @inline(__always) private func timeout(_ c: UInt8) -> Int64 {
        switch c { case 0: timeoutNanoseconds.0; case 1: timeoutNanoseconds.1; case 2: timeoutNanoseconds.2; default: timeoutNanoseconds.3 }
    }

    private static func timeoutClass(for entry: Entry) -> UInt8 {
        switch entry.state {
        case .new, .synReceived: classNew
        case .established, .closing: entry.key.ipProtocol == 6 ? classTCPEstablished : classEstablished
        case .closed: classClosed
        }
    }

    private mutating func listAppend(_ index: Int32, _ c: UInt8) {
        let i = Int(index)
        entries[i].queuedAt = entries[i].lastSeen
        entries[i].previous = tail(c)
        entries[i].next = -1
        let t = tail(c)
        if t >= 0 { entries[Int(t)].next = index } else { setHead(c, index) }
        setTail(c, index)
    }

    private mutating func listRemove(_ index: Int32) {
        let i = Int(index)
        let c = entries[i].timeoutClass
        let previous = entries[i].previous
        let next = entries[i].next
        if previous >= 0 { entries[Int(previous)].next = next } else { setHead(c, next) }
        if next >= 0 { entries[Int(next)].previous = previous } else { setTail(c, previous) }
        entries[i].previous = -1
        entries[i].next = -1
    }

    /// Moves a flow whose state changed to the tail of its new state's list. A flow that was only
    /// active stays where it is: `expireHeads` requeues it when it reaches the head (so a packet
    /// touches no other entry, which would be a cache miss at scale).
    private mutating func relist(_ index: Int32) {
        let c = FlowTable.timeoutClass(for: entries[Int(index)])
        if entries[Int(index)].timeoutClass == c { return }
        listRemove(index)
        entries[Int(index)].timeoutClass = c
        listAppend(index, c)
    }

    /// Requeues heads that were active since they were queued, until a head's `lastSeen` is its
    /// queue time: then it is the list's least recently active entry. Each requeue follows at
    /// least one packet of that flow, so the work is amortised O(1) per packet.
    private mutating func settleHead(_ c: UInt8) -> Int32 {
        var h = head(c)
        while h >= 0 && entries[Int(h)].queuedAt < entries[Int(h)].lastSeen {
            listRemove(h)
            listAppend(h, c)
            h = head(c)
        }
        return h
    }

    private mutating func expireHeads() {
        for c in UInt8(0)...3 {
            let limit = timeout(c)
            var h = head(c)
            while h >= 0 && now &- entries[Int(h)].queuedAt >= limit {
                if now &- entries[Int(h)].lastSeen >= limit {
                    remove(h)
                    statistics.expired &+= 1
                    h = head(c)
                } else {
                    h = settleHead(c)
                }
            }
        }
    }

    private mutating func evictOldest() {
        var oldest: Int32 = -1
        var oldestTime = Int64.max
        for c in UInt8(0)...3 {
            let h = settleHead(c)
            if h >= 0 && entries[Int(h)].lastSeen < oldestTime {
                oldest = h
                oldestTime = entries[Int(h)].lastSeen
            }
        }
        guard oldest >= 0 else { return }
        remove(oldest)
        statistics.evicted &+= 1
    }
}

/// Starts loading every cache line of one element of a buffer (a hint: nothing is read).
@inline(__always)
func prefetchElement<Element>(_ buffer: UnsafeBufferPointer<Element>, _ index: Int) {
    let address = UnsafeRawPointer(buffer.baseAddress! + index)
    var offset = 0
    while offset < MemoryLayout<Element>.size {
        hyperward_prefetch(address + offset)
        offset &+= 64
    }
}
