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

/// One value of libvirt's typed parameters (`virTypedParameter`).
public enum StatValue: Sendable, Hashable {
    case signed(Int64)
    case unsigned(UInt64)
    case double(Double)
    case bool(Bool)
    case string(String)

    /// The value as a counter, when it is a non-negative number.
    var counter: UInt64? {
        switch self {
        case .signed(let v): v >= 0 ? UInt64(v) : nil
        case .unsigned(let v): v
        case .double(let v): v.isFinite && v >= 0 && v < 1.8e19 ? UInt64(v) : nil
        case .bool, .string: nil
        }
    }

    var text: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

/// One domain's statistics at one instant, as `virConnectGetAllDomainStats` reports them: the
/// cumulative counters the monitor turns into rates. Every field is optional: libvirt omits what a
/// driver or a paused domain cannot report.
public struct DomainSample: Sendable, Hashable {
    public struct VCPU: Sendable, Hashable {
        public var index: Int
        /// `vcpu.N.time`: libvirt documents microseconds, QEMU reports nanoseconds (see `VCPUTimeUnit`).
        public var time: UInt64?
        /// `vcpu.N.delay`: nanoseconds the vCPU thread waited on the host's run queue (steal).
        public var delay: UInt64?
    }

    public struct Interface: Sendable, Hashable {
        public var index: Int
        /// The host side of the interface (the tap, e.g. `vnet3`).
        public var name: String?
        public var rxBytes: UInt64?, rxPackets: UInt64?, txBytes: UInt64?, txPackets: UInt64?
    }

    public struct Block: Sendable, Hashable {
        public var index: Int
        public var name: String?
        public var readBytes: UInt64?, writeBytes: UInt64?, readRequests: UInt64?, writeRequests: UInt64?
    }

    public var name: String
    public var uuid: String
    /// Seconds on a monotonic clock when the statistics were read.
    public var time: Double
    /// `state.state` (`virDomainState`: 1 running, 3 paused, 5 shut off…).
    public var state: Int?
    /// `cpu.time`: nanoseconds of host CPU the whole domain used (vCPUs and emulator threads).
    public var cpuTime: UInt64?
    /// `vcpu.current`.
    public var vcpuCount: Int?
    public var vcpus: [VCPU] = []
    /// `balloon.rss` (KiB): the QEMU process's resident memory.
    public var residentKiB: UInt64?
    /// `balloon.current` (KiB): the memory the guest has.
    public var memoryKiB: UInt64?
    public var interfaces: [Interface] = []
    public var blocks: [Block] = []

    /// The most parameters read from one record and the highest device index accepted: a record
    /// larger than this is not a domain libvirt would describe.
    public static let maxFields = 65_536
    public static let maxIndex = 4_096

    public init(name: String, uuid: String, time: Double) {
        self.name = name
        self.uuid = uuid
        self.time = time
    }

    /// Reads a record's typed parameters. Unknown fields are ignored; a field of the wrong type
    /// is ignored; an index beyond `maxIndex` or more than `maxFields` fields is an error.
    public init(name: String, uuid: String, time: Double, fields: some Sequence<(String, StatValue)>) throws(MonitorError) {
        self.init(name: name, uuid: uuid, time: time)
        var vcpus: [Int: VCPU] = [:], interfaces: [Int: Interface] = [:], blocks: [Int: Block] = [:]
        var count = 0
        for (field, value) in fields {
            count += 1
            guard count <= Self.maxFields else { throw MonitorError("domain \(name): more than \(Self.maxFields) statistics") }
            let parts = field.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2 else { continue }
            switch parts[0] {
            case "state" where field == "state.state":
                if case .signed(let v) = value { state = Int(clamping: v) } else if let v = value.counter { state = Int(clamping: v) }
            case "cpu" where field == "cpu.time":
                cpuTime = value.counter
            case "balloon":
                if field == "balloon.rss" { residentKiB = value.counter }
                if field == "balloon.current" { memoryKiB = value.counter }
            case "vcpu":
                if field == "vcpu.current" { vcpuCount = value.counter.map { Int(clamping: $0) }; continue }
                guard parts.count == 3, let index = try Self.index(parts[1], in: field) else { continue }
                var vcpu = vcpus[index] ?? VCPU(index: index)
                switch parts[2] {
                case "time": vcpu.time = value.counter
                case "delay": vcpu.delay = value.counter
                default: continue
                }
                vcpus[index] = vcpu
            case "net":
                guard parts.count == 3, let index = try Self.index(parts[1], in: field) else { continue }
                var interface = interfaces[index] ?? Interface(index: index)
                switch parts[2] {
                case "name": interface.name = value.text
                case "rx.bytes": interface.rxBytes = value.counter
                case "rx.pkts": interface.rxPackets = value.counter
                case "tx.bytes": interface.txBytes = value.counter
                case "tx.pkts": interface.txPackets = value.counter
                default: continue
                }
                interfaces[index] = interface
            case "block":
                guard parts.count == 3, let index = try Self.index(parts[1], in: field) else { continue }
                var block = blocks[index] ?? Block(index: index)
                switch parts[2] {
                case "name": block.name = value.text
                case "rd.bytes": block.readBytes = value.counter
                case "wr.bytes": block.writeBytes = value.counter
                case "rd.reqs": block.readRequests = value.counter
                case "wr.reqs": block.writeRequests = value.counter
                default: continue
                }
                blocks[index] = block
            default:
                continue
            }
        }
        self.vcpus = vcpus.values.sorted { $0.index < $1.index }
        self.interfaces = interfaces.values.sorted { $0.index < $1.index }
        self.blocks = blocks.values.sorted { $0.index < $1.index }
    }

    /// The device index of a `kind.N.field` name: nil for a non-numeric middle part (e.g.
    /// `net.count`), an error when it is numeric but absurd.
    static func index(_ part: Substring, in field: String) throws(MonitorError) -> Int? {
        guard !part.isEmpty, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard part.utf8.count <= 5, let index = Int(part), index <= maxIndex else {
            throw MonitorError("statistic \(field.prefix(64).debugDescription): device index beyond \(maxIndex)")
        }
        return index
    }

    /// Reads `virsh domstats` text (`Domain: 'name'` then `  field=value` lines): the same
    /// statistics through the command-line client, for fixtures and for hosts where the monitor
    /// reads a saved capture. Bounded like the C path.
    public static func parseDomstats(_ text: String, time: Double) throws(MonitorError) -> [DomainSample] {
        var samples: [DomainSample] = []
        var current: (name: String, fields: [(String, StatValue)])?
        func finish() throws(MonitorError) {
            if let c = current { samples.append(try DomainSample(name: c.name, uuid: c.name, time: time, fields: c.fields)) }
        }
        for line in text.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("Domain: ") {
                try finish()
                var name = line.dropFirst("Domain: ".count)
                if name.hasPrefix("'"), name.hasSuffix("'"), name.count >= 2 { name = name.dropFirst().dropLast() }
                current = (String(name.prefix(256)), [])
                guard samples.count < 100_000 else { throw MonitorError("more than 100000 domains") }
                continue
            }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard current != nil, let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = String(trimmed[..<equals].prefix(128)), raw = trimmed[trimmed.index(after: equals)...]
            let value: StatValue
            if let u = UInt64(raw) { value = .unsigned(u) } else if let i = Int64(raw) { value = .signed(i) } else if let d = Double(raw) { value = .double(d) } else { value = .string(String(raw.prefix(4096))) }
            current?.fields.append((key, value))
            guard current!.fields.count <= maxFields else { throw MonitorError("domain \(current!.name): more than \(maxFields) statistics") }
        }
        try finish()
        return samples
    }
}
