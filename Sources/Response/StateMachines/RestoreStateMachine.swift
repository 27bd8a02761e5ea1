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

/// Brings every disk of snapshot `name` back: the bases are re-hashed (a changed one is refused),
/// the VM stopped if it runs, each disk given a fresh qcow2 overlay on its base, the domain
/// defined on them, and the VM started again if it ran. This is the golden base + overlay way:
/// libvirt 9.0 cannot revert external snapshots.
///
/// Each run is a new restore (it discards what the VM wrote since the last one), but a killed run
/// is finished, not repeated: the restore's id, its overlays and whether the VM ran are written
/// into the case before anything changes. Actions, fresh on a running VM with one disk:
/// `hashFile`, `readStatus`, `readDefinition`, `checkFile` (the new overlay's name is free),
/// `destroy`, `createOverlay`, `define`, `recordStep`, `readStatus`, `start`, `recordStep`.
public struct RestoreStateMachine: PhasedStateMachine {
    enum Phase: Sendable {
        case begin, hashing(Int), awaitingHash(Int), status, awaitingStatus, definition, awaitingDefinition
        case probing(id: String, attempt: Int, index: Int), awaitingProbe(id: String, attempt: Int, index: Int)
        case overlays(Int), awaitingOverlay(Int), define, started, awaitingStartStatus, end, done
    }

    var core: MachineCore
    let vm: String
    let name: String
    var phase = Phase.begin
    var chosen: [ResponseCase.Snapshot] = []
    var isActive = false
    var wasActive = false
    var definition = ""
    var defined = DomainFacts()

    /// A machine restoring the case's VM to snapshot `name`.
    public init(record: ResponseCase, vm: String, name: String, dryRun: Bool) {
        core = MachineCore(record: record, dryRun: dryRun)
        self.vm = vm
        self.name = name
    }

    /// The case as updated so far.
    public var record: ResponseCase { core.record }

    /// See ``ResponseStateMachine/nextAction(now:)``.
    public mutating func nextAction(now: Date) throws(HyperwardError) -> ResponseAction {
        try nextPhasedAction(now: now)
    }

    /// See ``ResponseStateMachine/actionCompleted(_:)``.
    public mutating func actionCompleted(_ outcome: ResponseOutcome) throws(HyperwardError) {
        try completePhasedAction(outcome)
    }

    var disks: [ResponseCase.PendingDisk] { core.record.pendingRestore?.disks ?? [] }

    mutating func advance() throws(HyperwardError) -> ResponseAction? {
        switch phase {
        case .begin:
            guard !core.record.isQuarantined else {
                throw HyperwardError(.usage, "\(vm) is quarantined: release it first (a restored VM would start on the network)")
            }
            chosen = core.record.snapshots(named: name)
            guard !chosen.isEmpty else {
                let known = Set(core.record.snapshots.map(\.name)).sorted().joined(separator: ", ")
                throw HyperwardError(.notFound, "no snapshot \(name) of \(vm) (known: \(known))")
            }
            core.dropForeignPendingStep(keeping: ["restore.disk", "restore.start"])
            phase = .hashing(0)
            return nil
        case .hashing(let index):
            guard index < chosen.count else {
                phase = .status
                return nil
            }
            phase = .awaitingHash(index)
            return .hashFile(chosen[index].base)
        case .status:
            phase = .awaitingStatus
            return .readStatus
        case .definition:
            // Read before any stop: a transient domain is gone once stopped.
            phase = .awaitingDefinition
            return .readDefinition
        case .probing(let id, let attempt, let index):
            let label = ResponseNames.restoreLabel(id: id)
            guard index < chosen.count else {
                plan(id: id, disks: chosen.map {
                    ResponseCase.PendingDisk(target: $0.target, base: $0.base, format: $0.format,
                                             overlay: ResponseNames.overlay(base: $0.base, label: label))
                })
                return nil
            }
            phase = .awaitingProbe(id: id, attempt: attempt, index: index)
            return .checkFile(ResponseNames.overlay(base: chosen[index].base, label: label))
        case .overlays(let index):
            guard index < disks.count else {
                phase = .define
                return nil
            }
            phase = .awaitingOverlay(index)
            return .checkFile(disks[index].overlay)
        case .define:
            var xml = definition
            for disk in disks { xml = try DomainDefinition.pointingDisk(disk.target, to: disk.overlay, in: xml) }
            core.change(.define(xml: xml), recordedAs: restoredStep())
            phase = .started
            return nil
        case .started:
            guard wasActive else {
                phase = .end
                return nil
            }
            phase = .awaitingStartStatus
            return .readStatus
        case .end:
            if !core.dryRun { core.record.pendingRestore = nil }
            core.report("restored \(vm) to \(name)")
            phase = .done
            return nil
        case .done:
            return .finished
        case .awaitingHash, .awaitingStatus, .awaitingDefinition, .awaitingProbe, .awaitingOverlay, .awaitingStartStatus:
            throw HyperwardError(.software, "response: the restore of \(vm) is waiting for an outcome")
        }
    }

    mutating func receive(_ action: ResponseAction, _ outcome: ResponseOutcome) throws(HyperwardError) {
        switch (phase, outcome) {
        case (.awaitingHash(let index), .digest(let digest, _)):
            let snapshot = chosen[index]
            guard digest == snapshot.sha256 else {
                throw HyperwardError(.invalidInput, "the base image \(snapshot.base) of \(name) changed since it was recorded (sha256 \(digest.prefix(16))…, expected \(snapshot.sha256.prefix(16))…): not restoring from it")
            }
            phase = .hashing(index + 1)
        case (.awaitingStatus, .status(let status)):
            isActive = status?.isActive ?? false
            // A killed restore already stopped the VM: it ran before, and is started again.
            wasActive = (core.record.pendingRestore?.wasActive ?? false) || isActive
            if core.dryRun {
                let targets = chosen.map(\.target).joined(separator: ", ")
                core.report("restore: would \(wasActive ? "stop the VM, " : "")give \(targets) fresh overlays on \(name)\(wasActive ? ", start it" : "")")
                phase = .done
            } else {
                phase = .definition
            }
        case (.awaitingDefinition, .definition(let xml)):
            definition = xml
            defined = try DomainFacts(xml: xml)
            if let pending = core.record.pendingRestore, pending.name == name, let id = pending.id, let disks = pending.disks,
               disks.map(\.target) == chosen.map(\.target), disks.map(\.base) == chosen.map(\.base) {
                core.report("restore: finishing the interrupted restore \(id) to \(name)")
                resume(disks)
            } else {
                let id = ResponseNames.id(at: core.now)
                phase = .probing(id: id, attempt: 0, index: 0)
            }
        case (.awaitingProbe(let id, let attempt, let index), .fileExists(let exists)):
            if exists {
                // A restore earlier in the same second used the name: the next free suffix.
                guard attempt < 100 else {
                    throw HyperwardError(.software, "no free name for the overlays of a restore of \(vm) (\(id))")
                }
                let stem = String(id.prefix(15))
                phase = .probing(id: "\(stem)-\(attempt + 1)", attempt: attempt + 1, index: 0)
            } else {
                phase = .probing(id: id, attempt: attempt, index: index + 1)
            }
        case (.awaitingOverlay(let index), .fileExists(let exists)):
            let disk = disks[index]
            if exists {
                // Overlays appear only complete, and this one is named after this restore.
                core.report("\(disk.target): reusing the fresh overlay \(disk.overlay) an interrupted run made on \(disk.base)")
            } else {
                core.perform(.createOverlay(disk))
                core.report("\(disk.target): fresh overlay \(disk.overlay) on \(disk.base)")
            }
            phase = .overlays(index + 1)
        case (.awaitingStartStatus, .status(let status)):
            if status?.isActive != true {
                core.change(.start, recordedAs: ResponseStep(kind: "restore.start", message: "VM started on \(name)"))
            } else if let pending = core.pendingStep("restore.start") {
                core.record(pending)
            }
            phase = .end
        default:
            throw MachineCore.mismatch(action, outcome)
        }
    }

    /// A fresh restore: written into the case, then the VM stopped and the overlays made.
    mutating func plan(id: String, disks: [ResponseCase.PendingDisk]) {
        core.record.pendingRestore = ResponseCase.PendingRestore(name: name, wasActive: wasActive, id: id, disks: disks)
        if isActive { core.perform(.destroy) }
        for disk in disks {
            core.perform(.createOverlay(disk))
            core.report("\(disk.target): fresh overlay \(disk.overlay) on \(disk.base)")
        }
        phase = .define
    }

    /// A killed restore, finished from where the definition shows it stopped.
    mutating func resume(_ disks: [ResponseCase.PendingDisk]) {
        let isDefined = disks.allSatisfy { disk in defined.disks.contains { $0.target == disk.target && $0.source == disk.overlay } }
        guard !isDefined else {
            // Defined on the overlays: a VM running now was started on them, and stays.
            if let pending = core.pendingStep("restore.disk") { core.record(pending) }
            phase = .started
            return
        }
        if isActive { core.perform(.destroy) }
        phase = .overlays(0)
    }

    func restoredStep() -> ResponseStep {
        let hashes = chosen.map { String($0.sha256.prefix(16)) + "…" }.joined(separator: ", ")
        return ResponseStep(kind: "restore.disk", message: "\(chosen.map(\.target).joined(separator: ", ")) restored to \(name) (sha256 \(hashes))",
                            data: ["snapshot": name])
    }
}
