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

/// Freezes a VM's file-backed disks as snapshot `name`: each image becomes a read-only base whose
/// SHA-256 is recorded, and the domain writes to a fresh qcow2 overlay on it from then on.
///
/// A running (or paused) VM gets an external disk-only snapshot, whose overlays libvirt makes; a
/// stopped one gets overlays made by `qemu-img` and a definition pointing at them. The snapshot is
/// written into the case as pending before anything changes, so a killed run is finished by the
/// next: if the domain already writes to the overlays only the recording is left; if not, the
/// snapshot is taken again, reusing (stopped VM) or removing (running VM: libvirt must create
/// them itself) overlays the killed run made. Actions, fresh on a running VM:
/// `readDomain`, `readStatus`, `checkFile` per overlay, `snapshotDisks`, then per disk
/// `protectBase`, `hashFile`, `recordStep`.
public struct SnapshotStateMachine: PhasedStateMachine {
    /// Why the snapshot is taken.
    public enum Purpose: String, Sendable {
        /// A named known-good state (`respond snapshot`); steps are `snapshot.disk`.
        case golden
        /// A quarantine freezing the disk as evidence; steps are `quarantine.disk`.
        case evidence
    }

    enum Phase: Sendable {
        case begin, awaitingDomain, status, awaitingStatus
        case overlays(Int), awaitingOverlay(Int)
        case take, definition, awaitingDefinition
        case recording, hash(ResponseCase.PendingDisk), awaitingHash(ResponseCase.PendingDisk)
        case done
    }

    var core: MachineCore
    let name: String
    let purpose: Purpose
    var phase = Phase.begin
    var plan: ResponseCase.PendingSnapshot?
    var isActive = false
    /// Overlays of the plan that exist already (made by an interrupted run, reused).
    var existing: Set<String> = []

    /// A machine taking snapshot `name` of the case's VM.
    public init(record: ResponseCase, name: String, purpose: Purpose, dryRun: Bool) {
        core = MachineCore(record: record, dryRun: dryRun)
        self.name = name
        self.purpose = purpose
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

    var pending: ResponseCase.PendingSnapshot? {
        core.record.pendingSnapshot?.name == name ? core.record.pendingSnapshot : nil
    }

    mutating func advance() throws(HyperwardError) -> ResponseAction? {
        switch phase {
        case .begin:
            if purpose == .golden, !core.record.snapshots(named: name).isEmpty, pending == nil {
                core.report("snapshot \(name) already exists")
                phase = .done
                return nil
            }
            phase = .awaitingDomain
            return .readDomain(optional: false)
        case .status:
            phase = .awaitingStatus
            return .readStatus
        case .overlays(let index):
            guard let plan, index < plan.disks.count else {
                phase = .take
                return nil
            }
            phase = .awaitingOverlay(index)
            return .checkFile(plan.disks[index].overlay)
        case .take:
            guard let plan else { throw HyperwardError(.software, "response: snapshot \(name) has no plan") }
            let targets = plan.disks.map(\.target).joined(separator: ", ")
            if core.dryRun {
                core.report("disk: would snapshot \(targets) as \(name)")
                phase = .done
                return nil
            }
            core.record.pendingSnapshot = plan
            if isActive {
                core.perform(.snapshotDisks(name: name, disks: plan.disks))
                phase = .recording
            } else {
                // A stopped VM: the overlays are made directly and the domain pointed at them.
                for disk in plan.disks where !existing.contains(disk.overlay) { core.perform(.createOverlay(disk)) }
                phase = .definition
            }
            return nil
        case .definition:
            phase = .awaitingDefinition
            return .readDefinition
        case .recording:
            guard let pending else {
                phase = .done
                return nil
            }
            guard let disk = pending.disks.first(where: { disk in
                !core.record.snapshots(named: name).contains { $0.target == disk.target }
            }) else {
                core.record.pendingSnapshot = nil
                phase = .done
                return nil
            }
            if core.dryRun {
                core.report("disk: would record the interrupted snapshot \(name)")
                phase = .done
                return nil
            }
            core.perform(.protectBase(disk.base))
            phase = .hash(disk)
            return nil
        case .hash(let disk):
            phase = .awaitingHash(disk)
            return .hashFile(disk.base)
        case .done:
            return .finished
        case .awaitingDomain, .awaitingStatus, .awaitingOverlay, .awaitingDefinition, .awaitingHash:
            throw HyperwardError(.software, "response: snapshot \(name) is waiting for an outcome")
        }
    }

    mutating func receive(_ action: ResponseAction, _ outcome: ResponseOutcome) throws(HyperwardError) {
        switch (phase, outcome) {
        case (.awaitingDomain, .domain(let facts?)):
            try planned(facts)
        case (.awaitingStatus, .status(let status?)):
            isActive = status.isActive
            phase = .overlays(0)
        case (.awaitingOverlay(let index), .fileExists(let exists)):
            guard let plan, index < plan.disks.count else { throw MachineCore.mismatch(action, outcome) }
            let overlay = plan.disks[index].overlay
            if exists {
                guard pending?.disks.contains(where: { $0.overlay == overlay }) == true else {
                    throw HyperwardError(.software, "\(overlay) already exists; choose another snapshot name")
                }
                if isActive {
                    // libvirt makes a running VM's overlays itself and refuses existing files; this
                    // one was made for the VM while it was stopped, and nothing writes to it.
                    if core.dryRun {
                        core.report("disk: would remove \(overlay) left by an interrupted run")
                    } else {
                        core.perform(.removeStaleOverlay(overlay))
                        core.report("disk: removed \(overlay) left by an interrupted run")
                    }
                } else {
                    existing.insert(overlay)
                    core.report("disk: reusing \(overlay), made by an interrupted run")
                }
            }
            phase = .overlays(index + 1)
        case (.awaitingDefinition, .definition(var xml)):
            guard let plan else { throw MachineCore.mismatch(action, outcome) }
            for disk in plan.disks { xml = try DomainDefinition.pointingDisk(disk.target, to: disk.overlay, in: xml) }
            core.perform(.define(xml: xml))
            phase = .recording
        case (.awaitingHash(let disk), .digest(let digest, let bytes)):
            let kind = purpose == .golden ? "snapshot.disk" : "quarantine.disk"
            let evidence = ResponseCase.Evidence(kind: "disk:\(disk.target)", path: disk.base, sha256: digest, bytes: bytes, time: core.timestamp)
            let snapshot = ResponseCase.Snapshot(name: name, target: disk.target, base: disk.base, format: disk.format,
                                                 sha256: digest, time: core.timestamp)
            core.record(ResponseStep(
                kind: kind,
                message: "\(disk.target) frozen as \(name): \(disk.base) sha256 \(digest) (\(bytes) bytes); writes now go to \(disk.overlay)",
                data: ["target": disk.target, "base": disk.base, "sha256": digest, "snapshot": name],
                evidence: evidence, snapshot: snapshot))
            phase = .recording
        default:
            throw MachineCore.mismatch(action, outcome)
        }
    }

    /// What the domain's disks say: the interrupted snapshot took effect (only its recording is
    /// left), or the snapshot is planned afresh.
    mutating func planned(_ facts: DomainFacts) throws(HyperwardError) {
        if let pending, !pending.disks.isEmpty, pending.disks.allSatisfy({ disk in
            facts.disks.contains { $0.target == disk.target && $0.source == disk.overlay }
        }) {
            core.report("disk: finishing the interrupted snapshot \(name)")
            phase = .recording
            return
        }
        guard !facts.disks.isEmpty else {
            core.report("disk: the VM has no file-backed disk to snapshot")
            if pending != nil, !core.dryRun { core.record.pendingSnapshot = nil }
            phase = .done
            return
        }
        if let disk = facts.disks.first(where: { !DomainFacts.snapshotFormats.contains($0.format) }) {
            throw HyperwardError(.software, "disk \(disk.target) is \(disk.format); only raw and qcow2 disks are snapshotted")
        }
        let plan = ResponseCase.PendingSnapshot(name: name, purpose: purpose.rawValue, disks: facts.disks.map {
            ResponseCase.PendingDisk(target: $0.target, base: $0.source, format: $0.format,
                                     overlay: ResponseNames.overlay(base: $0.source, label: name))
        })
        // Overlays an interrupted run planned for disks the domain no longer has: nothing uses them.
        if let pending, !core.dryRun {
            for disk in pending.disks where !plan.disks.contains(where: { $0.overlay == disk.overlay })
                && !facts.disks.contains(where: { $0.source == disk.overlay }) {
                core.perform(.removeStaleOverlay(disk.overlay))
            }
        }
        self.plan = plan
        phase = .status
    }
}
