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
import HyperwardCore
import HyperwardHost
import HyperwardLibvirt
import Response

/// A host in memory for the responder: libvirt domains, the quarantine sets, conntrack, the
/// neighbour table, qemu-img and the event log, with real files (overlays, dumps and bases are
/// files in the test's directory, hashed and chmod'ed by the real `LocalEvidenceFiles`).
///
/// Every call is logged; `kill` makes call number `index` fail as if the process died there,
/// before the call took effect or after (the effect happened, the caller never learnt it).
/// libvirt's refusals are modelled (suspending a paused domain, a snapshot onto an existing
/// file…), so a resumed run that repeats what it must not fails loudly.
final class FakeHost: @unchecked Sendable {
    enum KillMode: String, Sendable, CaseIterable { case before, after }

    struct Interface: Sendable {
        var mac: String
        var tap: String?
        var network: String?
    }

    struct Disk: Sendable, Equatable {
        var target: String
        var source: String
        var format: String
    }

    struct Domain: Sendable {
        var name: String
        var uuid: String
        var state: LibvirtConnection.State
        var interfaces: [Interface]
        var disks: [Disk]
        var leases: [String] = []
        var isActive: Bool { state == .running || state == .paused }
    }

    /// The error a killed call throws.
    static let killed = HyperwardError.Code("test-killed")

    private let lock = NSLock()
    private var _domains: [String: Domain] = [:]
    private var _macs: Set<String> = []
    private var _ports: Set<String> = []
    private var _conntrack: [String: Int] = [:]
    private var _neighbours: [String: [String]] = [:]
    private var _events: [Event] = []
    private var _calls: [String] = []
    private var _performed: [String] = []
    private var _kill: (index: Int, mode: KillMode)?
    private let files = LocalEvidenceFiles()

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: Test-side access

    var domains: [String: Domain] {
        get { locked { _domains } }
        set { locked { _domains = newValue } }
    }
    var quarantinedMACs: Set<String> { locked { _macs } }
    var quarantinedPorts: Set<String> { locked { _ports } }
    var conntrack: [String: Int] {
        get { locked { _conntrack } }
        set { locked { _conntrack = newValue } }
    }
    var neighbours: [String: [String]] {
        get { locked { _neighbours } }
        set { locked { _neighbours = newValue } }
    }
    var events: [Event] { locked { _events } }
    /// Every call, in order (attempted, whether it took effect or not).
    var calls: [String] { locked { _calls } }
    /// The calls that took effect.
    var performed: [String] { locked { _performed } }
    var kill: (index: Int, mode: KillMode)? {
        get { locked { _kill } }
        set { locked { _kill = newValue } }
    }

    func forgetCalls() { locked { _calls = []; _performed = [] } }

    /// Runs a call: logged, killed if it is the chosen one.
    func call<T>(_ name: String, _ body: () throws(HyperwardError) -> T) throws(HyperwardError) -> T {
        let (index, kill) = locked { () -> (Int, (index: Int, mode: KillMode)?) in
            _calls.append(name)
            return (_calls.count - 1, _kill)
        }
        if let kill, kill.index == index, kill.mode == .before {
            throw HyperwardError(Self.killed, "killed before \(name)")
        }
        let result = try body()
        locked { _performed.append(name) }
        if let kill, kill.index == index, kill.mode == .after {
            throw HyperwardError(Self.killed, "killed after \(name)")
        }
        return result
    }

    private func domain(_ name: String) throws(HyperwardError) -> Domain {
        guard let domain = locked({ _domains[name] }) else { throw HyperwardError(.notFound, "no domain \(name)") }
        return domain
    }

    private func update(_ name: String, _ change: (inout Domain) throws(HyperwardError) -> Void) throws(HyperwardError) {
        var domain = try domain(name)
        try change(&domain)
        locked { _domains[name] = domain }
    }

    /// A domain's XML as libvirt writes it: taps only while it runs (libvirt names them at start).
    static func xml(of domain: Domain, inactive: Bool) -> String {
        var devices = ""
        for disk in domain.disks {
            devices += "<disk type='file' device='disk'><driver name='qemu' type='\(disk.format)'/><source file='\(disk.source)'/><target dev='\(disk.target)' bus='virtio'/></disk>"
        }
        for interface in domain.interfaces {
            let type = interface.network == nil ? "user" : "network"
            devices += "<interface type='\(type)'><mac address='\(interface.mac)'/>"
            if let network = interface.network { devices += "<source network='\(network)'/>" }
            if let tap = interface.tap, domain.isActive, !inactive { devices += "<target dev='\(tap)'/>" }
            devices += "<model type='virtio'/></interface>"
        }
        return "<domain type='kvm'><name>\(domain.name)</name><uuid>\(domain.uuid)</uuid><memory unit='KiB'>262144</memory><os><type>hvm</type></os><devices>\(devices)</devices></domain>"
    }

    /// The content the fake qemu-img and libvirt give an overlay.
    static func overlayContent(base: String) -> String { "QFI\u{fb} overlay backed by \(URL(fileURLWithPath: base).lastPathComponent)\n" }
}

extension FakeHost: DomainControl {
    func status(ofDomain name: String) throws(HyperwardError) -> DomainStatus? {
        try call("status") { () throws(HyperwardError) -> DomainStatus? in
            locked { _domains[name] }.map { DomainStatus(uuid: $0.uuid, state: $0.state, isActive: $0.isActive) }
        }
    }

    func xml(ofDomain name: String, inactive: Bool) throws(HyperwardError) -> String {
        try call(inactive ? "xml inactive" : "xml") { () throws(HyperwardError) -> String in Self.xml(of: try domain(name), inactive: inactive) }
    }

    func activeDomainNames() throws(HyperwardError) -> [String] {
        try call("activeDomainNames") { () throws(HyperwardError) -> [String] in
            locked { _domains.values.filter(\.isActive).map(\.name).sorted() }
        }
    }

    func leaseAddresses(ofDomain name: String) throws(HyperwardError) -> [String] {
        try call("leaseAddresses") { () throws(HyperwardError) -> [String] in
            let domain = try domain(name)
            return domain.isActive ? domain.leases : []
        }
    }

    func suspend(_ name: String) throws(HyperwardError) {
        try call("suspend") { () throws(HyperwardError) in
            try update(name) { (domain: inout Domain) throws(HyperwardError) in
                guard domain.state == .running else { throw HyperwardError(.software, "suspend failed: domain is not running") }
                domain.state = .paused
            }
        }
    }

    func resume(_ name: String) throws(HyperwardError) {
        try call("resume") { () throws(HyperwardError) in
            try update(name) { (domain: inout Domain) throws(HyperwardError) in
                guard domain.state == .paused else { throw HyperwardError(.software, "resume failed: domain is not paused") }
                domain.state = .running
            }
        }
    }

    func destroy(_ name: String) throws(HyperwardError) {
        try call("destroy") { () throws(HyperwardError) in
            try update(name) { (domain: inout Domain) throws(HyperwardError) in
                guard domain.isActive else { throw HyperwardError(.software, "stop failed: domain is not running") }
                domain.state = .shutOff
            }
        }
    }

    func start(_ name: String) throws(HyperwardError) {
        try call("start") { () throws(HyperwardError) in
            try update(name) { (domain: inout Domain) throws(HyperwardError) in
                guard !domain.isActive else { throw HyperwardError(.software, "start failed: domain is already active") }
                for disk in domain.disks where !FileManager.default.fileExists(atPath: disk.source) {
                    throw HyperwardError(.software, "start failed: cannot open \(disk.source)")
                }
                domain.state = .running
            }
        }
    }

    func define(xml: String) throws(HyperwardError) {
        try call("define") { () throws(HyperwardError) in
            guard let open = xml.range(of: "<name>"), let close = xml.range(of: "</name>", range: open.upperBound..<xml.endIndex) else {
                throw HyperwardError(.software, "define failed: no name")
            }
            let name = String(xml[open.upperBound..<close.lowerBound])
            let disks = try DomainXML.fileDisks(ofDomain: xml)
            try update(name) { (domain: inout Domain) throws(HyperwardError) in
                domain.disks = disks.map { Disk(target: $0.target, source: $0.source, format: $0.format ?? "raw") }
            }
        }
    }

    func dumpMemory(ofDomain name: String, to path: String) throws(HyperwardError) {
        try call("dumpMemory \(path)") { () throws(HyperwardError) in
            let domain = try domain(name)
            guard domain.isActive else { throw HyperwardError(.software, "memory dump failed: domain is not running") }
            do {
                try SafeFile.write(Array("\u{7f}ELF memory of \(name)\n".utf8), to: path, mode: 0o600)
            } catch {
                throw HyperwardError(.software, "memory dump failed: \(error)")
            }
        }
    }

    func snapshotDisks(ofDomain name: String, snapshot: String, disks: [ResponseCase.PendingDisk]) throws(HyperwardError) {
        try call("snapshotDisks \(snapshot)") { () throws(HyperwardError) in
            guard try domain(name).isActive else { throw HyperwardError(.software, "disk snapshot failed: domain is not running") }
            for disk in disks where FileManager.default.fileExists(atPath: disk.overlay) {
                throw HyperwardError(.software, "disk snapshot failed: external snapshot file for disk \(disk.target) already exists")
            }
            for disk in disks {
                do { try SafeFile.write(Array(Self.overlayContent(base: disk.base).utf8), to: disk.overlay, mode: 0o600) } catch {
                    throw HyperwardError(.software, "disk snapshot failed: \(error)")
                }
            }
            try update(name) { (domain: inout Domain) throws(HyperwardError) in
                for disk in disks {
                    guard let index = domain.disks.firstIndex(where: { $0.target == disk.target }) else {
                        throw HyperwardError(.software, "disk snapshot failed: no disk \(disk.target)")
                    }
                    domain.disks[index] = Disk(target: disk.target, source: disk.overlay, format: "qcow2")
                }
            }
        }
    }
}

extension FakeHost: QuarantineSet {
    func members() throws(HyperwardError) -> (macs: [String], ports: [String]) {
        try call("quarantine members") { () throws(HyperwardError) -> (macs: [String], ports: [String]) in
            locked { (_macs.sorted(), _ports.sorted()) }
        }
    }

    func add(macs: [String], ports: [String]) throws(HyperwardError) {
        try call("quarantine add") { () throws(HyperwardError) in
            locked { _macs.formUnion(macs); _ports.formUnion(ports) }
        }
    }

    func remove(macs: [String], ports: [String]) throws(HyperwardError) {
        try call("quarantine remove") { () throws(HyperwardError) in
            locked { _macs.subtract(macs); _ports.subtract(ports) }
        }
    }
}

extension FakeHost: ConnectionTracking {
    func neighbourAddresses(ofMACs macs: [String]) throws(HyperwardError) -> [String] {
        try call("neighbours") { () throws(HyperwardError) -> [String] in
            locked { macs.flatMap { _neighbours[$0] ?? [] } }
        }
    }

    func flush(addresses: [String]) throws(HyperwardError) -> Int {
        try call("conntrack flush") { () throws(HyperwardError) -> Int in
            locked {
                var deleted = 0
                for address in addresses {
                    deleted += _conntrack[address] ?? 0
                    _conntrack[address] = 0
                }
                return deleted
            }
        }
    }
}

extension FakeHost: DiskImages {
    func createOverlay(at path: String, base: String, baseFormat: String) throws(HyperwardError) {
        try call("createOverlay \(path)") { () throws(HyperwardError) in
            guard FileManager.default.fileExists(atPath: base) else { throw HyperwardError(.software, "qemu-img create failed: no \(base)") }
            do { try SafeFile.write(Array(Self.overlayContent(base: base).utf8), to: path, mode: 0o600, replace: true) } catch {
                throw HyperwardError(.software, "qemu-img create failed: \(error)")
            }
        }
    }
}

extension FakeHost: EvidenceFiles {
    func exists(_ path: String) throws(HyperwardError) -> Bool {
        try call("exists") { () throws(HyperwardError) -> Bool in try files.exists(path) }
    }

    func sha256(of path: String) throws(HyperwardError) -> (digest: String, bytes: Int64) {
        try call("sha256") { () throws(HyperwardError) -> (digest: String, bytes: Int64) in try files.sha256(of: path) }
    }

    func makeReadOnly(_ path: String) throws(HyperwardError) {
        try call("makeReadOnly") { () throws(HyperwardError) in try files.makeReadOnly(path) }
    }

    func remove(_ path: String) throws(HyperwardError) {
        try call("remove \(path)") { () throws(HyperwardError) in try files.remove(path) }
    }
}

extension FakeHost: ResponseEventLog {
    func append(_ events: [Event]) throws(HyperwardError) {
        try call("event \(events.map(\.kind).joined(separator: ","))") { () throws(HyperwardError) in
            locked { _events += events }
        }
    }
}
