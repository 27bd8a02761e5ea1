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
import HyperwardStore

/// Incident response on one VM: contain it (network cut by MAC and tap, conntrack flushed,
/// paused), keep evidence (memory dump, frozen disk, their SHA-256 as events), release it, and
/// bring its disk back to a known-good state.
///
/// The decisions are made by a state machine per operation (``QuarantineStateMachine``,
/// ``ReleaseStateMachine``, ``SnapshotStateMachine``, ``RestoreStateMachine``); the responder is
/// their driver. It holds the case's lock, asks the machine for the next ``ResponseAction``, saves
/// the case if the machine changed it, runs the action through ``ResponseEffects``, tells the
/// machine the outcome and saves again. The case file (`<state>/response/<vm>/case.json`, 0600 in
/// a 0700 directory) is replaced atomically each time, so a run killed at any point leaves the
/// case as it was before or after one action, and the next run finishes the job.
public struct Responder {
    /// The libvirt domain acted on.
    public var vm: String
    /// The state directory; the case lives in `response/<vm>/` under it.
    public var stateDirectory: String
    /// Say what would be done; change nothing (no case file, no event).
    public var dryRun = false
    /// Where steps are recorded as events when ``effects`` is nil.
    public var store: StateStore?
    /// The network namespace whose bridges carry the VM (nil: this one).
    public var namespace: String?
    /// What actions run through; nil: the host's (``ResponseEffects/host(namespace:store:)``).
    public var effects: ResponseEffects?
    /// Progress lines for the operator (the command prints them; the agent logs them).
    public var say: (String) -> Void = { _ in }

    /// A responder acting on the host: libvirt, nft, conntrack and qemu-img, steps into `store`.
    public init(vm: String, stateDirectory: String, dryRun: Bool = false, store: StateStore?, namespace: String?,
                say: @escaping (String) -> Void = { _ in }) {
        self.vm = vm
        self.stateDirectory = stateDirectory
        self.dryRun = dryRun
        self.store = store
        self.namespace = namespace
        self.say = say
    }

    /// A responder acting through `effects` (tests pass doubles).
    public init(vm: String, stateDirectory: String, dryRun: Bool = false, namespace: String?, effects: ResponseEffects,
                say: @escaping (String) -> Void = { _ in }) {
        self.init(vm: vm, stateDirectory: stateDirectory, dryRun: dryRun, store: nil, namespace: namespace, say: say)
        self.effects = effects
    }

    /// The case's directory.
    public var caseDirectory: String { "\(stateDirectory)/response/\(vm)" }

    /// Quarantines the VM: network cut, conntrack flushed, paused; with `dump` its memory dumped,
    /// with `snapshot` its disks frozen (see ``QuarantineStateMachine``).
    /// - Throws: `HyperwardError`: `.notFound` for an unknown VM, `.usage` for another namespace
    ///   than the open quarantine's, `.invalidInput` for an unreadable case file, `.software`
    ///   when libvirt, nft or qemu-img refuse a step.
    public func quarantineVM(dump: Bool, snapshot: Bool) throws {
        try run { record in
            QuarantineStateMachine(record: record, vm: vm, namespace: namespace, caseDirectory: caseDirectory, dump: dump,
                                   snapshot: snapshot, dryRun: dryRun)
        }
    }

    /// Releases the VM from quarantine (see ``ReleaseStateMachine``).
    /// - Throws: `HyperwardError`, as ``quarantineVM(dump:snapshot:)``.
    public func release() throws {
        try run { record in ReleaseStateMachine(record: record, vm: vm, namespace: namespace, dryRun: dryRun) }
    }

    /// Freezes the VM's disks now as the known-good state `name` (see ``SnapshotStateMachine``).
    /// - Throws: `HyperwardError`: `.usage` for a name that cannot name a file, else as
    ///   ``quarantineVM(dump:snapshot:)``.
    public func markGolden(name: String) throws {
        guard ResponseNames.isSnapshotName(name) else {
            throw HyperwardError(.usage, "not a snapshot name: \(name.prefix(70).debugDescription) (letters, digits, '-', '_' and '.', at most 64)")
        }
        try run { record in SnapshotStateMachine(record: record, name: name, purpose: .golden, dryRun: dryRun) }
    }

    /// Brings every disk of snapshot `name` back (see ``RestoreStateMachine``).
    /// - Throws: `HyperwardError`: `.usage` for a quarantined VM, `.notFound` for an unknown
    ///   snapshot, `.invalidInput` when a base no longer matches its hash, else as
    ///   ``quarantineVM(dump:snapshot:)``.
    public func restore(to name: String) throws {
        try run { record in RestoreStateMachine(record: record, vm: vm, name: name, dryRun: dryRun) }
    }

    // MARK: Driving a machine

    /// Runs one operation to its end on the locked case.
    func run<Machine: ResponseStateMachine>(_ makeMachine: (ResponseCase) -> Machine) throws {
        guard !vm.isEmpty, vm.count <= 200, !vm.contains("/"), !vm.contains("\0"), vm != ".", vm != "..", !vm.hasPrefix("-") else {
            throw HyperwardError(.usage, "not a domain name: \(vm.prefix(60).debugDescription)")
        }
        let effects = try self.effects ?? ResponseEffects.host(namespace: namespace, store: dryRun ? nil : store)
        guard let status = try effects.domains.status(ofDomain: vm) else {
            throw HyperwardError(.notFound, "no domain \(vm) in libvirt")
        }
        try withLockedCase(uuid: status.uuid) { record in
            var machine = makeMachine(record)
            var saved = record
            func saveIfChanged() throws {
                guard machine.record != saved else { return }
                try save(machine.record)
                saved = machine.record
            }
            while true {
                let action = try machine.nextAction(now: effects.now())
                if action == .finished { break }
                // Before the action: what the machine wrote down is on disk before it happens.
                try saveIfChanged()
                let outcome = try execute(action, through: effects, record: machine.record)
                try machine.actionCompleted(outcome)
                try saveIfChanged()
            }
            try saveIfChanged()
        }
    }

    /// Runs one action.
    func execute(_ action: ResponseAction, through effects: ResponseEffects, record: ResponseCase) throws -> ResponseOutcome {
        if dryRun && action.isChange {
            throw HyperwardError(.software, "response: a dry run was asked to change something (\(action))")
        }
        let domains = effects.domains
        switch action {
        case .readStatus:
            return .status(try domains.status(ofDomain: vm))
        case .readDomain(let optional):
            guard optional else { return .domain(try DomainFacts(xml: domains.xml(ofDomain: vm, inactive: false))) }
            return .domain(try Self.unlessUnreadable { () throws(HyperwardError) in try DomainFacts(xml: domains.xml(ofDomain: vm, inactive: false)) })
        case .readDefinition:
            return .definition(try domains.xml(ofDomain: vm, inactive: true))
        case .readTapsOfOtherDomains:
            var taps: Set<String> = []
            for name in try domains.activeDomainNames() where name != vm {
                // A domain that went away meanwhile holds no tap.
                let facts = try Self.unlessUnreadable { () throws(HyperwardError) in try DomainFacts(xml: domains.xml(ofDomain: name, inactive: false)) }
                for interface in facts?.interfaces ?? [] { if let tap = interface.tap { taps.insert(tap) } }
            }
            return .taps(taps.sorted())
        case .readQuarantineSet:
            let members = try effects.quarantineSet.members()
            return .quarantineSet(macs: members.macs, ports: members.ports)
        case .readLeases:
            // A VM on a network without libvirt's DHCP has no lease; its neighbours still count.
            let leases = try Self.unlessUnreadable { () throws(HyperwardError) in try domains.leaseAddresses(ofDomain: vm) } ?? []
            return .addresses(leases.filter { (try? IPNetwork(address: $0)) != nil })
        case .readNeighbours(let macs):
            return .addresses(try effects.connections.neighbourAddresses(ofMACs: macs))
        case .checkFile(let path):
            return .fileExists(try effects.files.exists(path))
        case .hashFile(let path):
            let (digest, bytes) = try effects.files.sha256(of: path)
            return .digest(sha256: digest, bytes: bytes)
        case .addToQuarantineSet(let macs, let ports):
            try effects.quarantineSet.add(macs: macs, ports: ports)
        case .removeFromQuarantineSet(let macs, let ports):
            try effects.quarantineSet.remove(macs: macs, ports: ports)
        case .flushConntrack(let addresses):
            return .flushed(try effects.connections.flush(addresses: addresses))
        case .suspend:
            try domains.suspend(vm)
        case .resume:
            try domains.resume(vm)
        case .destroy:
            try domains.destroy(vm)
        case .start:
            try domains.start(vm)
        case .dumpMemory(let path):
            try domains.dumpMemory(ofDomain: vm, to: path)
        case .snapshotDisks(let name, let disks):
            try domains.snapshotDisks(ofDomain: vm, snapshot: name, disks: disks)
        case .createOverlay(let disk):
            try effects.images.createOverlay(at: disk.overlay, base: disk.base, baseFormat: disk.format)
        case .removeStaleOverlay(let path):
            try effects.files.remove(path)
        case .protectBase(let path):
            try effects.files.makeReadOnly(path)
        case .define(let xml):
            try domains.define(xml: xml)
        case .recordStep(let step):
            say(step.message)
            var fields = step.data
            fields["uuid"] = record.uuid
            if let id = record.quarantineID { fields["quarantine"] = id }
            try effects.events?.append([Event.responseStep(step.kind, vm: vm, summary: step.message, severity: step.severity,
                                                           evidence: step.evidence.map { [$0.eventEvidence] } ?? [],
                                                           fields: fields, time: Event.timestamp(effects.now()))])
        case .report(let line):
            say(line)
        case .finished:
            break
        }
        return .done
    }

    /// What a read that may fail says when libvirt has no answer (the domain went away, it holds
    /// no lease, its XML does not read): nil. Any other failure stops the run.
    static func unlessUnreadable<T>(_ read: () throws(HyperwardError) -> T) throws(HyperwardError) -> T? {
        do {
            return try read()
        } catch where [.notFound, .libvirt, .tooLarge, .software, .invalidInput].contains(error.code) {
            return nil
        }
    }
}
