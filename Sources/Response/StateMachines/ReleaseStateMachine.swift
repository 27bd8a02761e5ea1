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

/// Undoes a quarantine: the VM's MACs and taps leave the quarantine sets (a recorded tap another
/// running VM holds now is left alone), and the VM is resumed only if the quarantine paused it.
/// The evidence stays. Actions, for a quarantined paused VM: `readDomain` (optional: a VM whose
/// XML cannot be read is still released by its recorded MACs and taps), `readTapsOfOtherDomains`,
/// `readQuarantineSet`, `removeFromQuarantineSet`, `recordStep`, `readStatus`, `resume`,
/// `recordStep`.
public struct ReleaseStateMachine: PhasedStateMachine {
    enum Phase: Sendable {
        case begin, awaitingDomain, awaitingOthers([String]), awaitingSet(Set<String>), status, awaitingStatus, end, done
    }

    var core: MachineCore
    let vm: String
    let namespace: String?
    var phase = Phase.begin

    /// A machine releasing the case's VM; `namespace` must be the quarantine's.
    public init(record: ResponseCase, vm: String, namespace: String?, dryRun: Bool) {
        core = MachineCore(record: record, dryRun: dryRun)
        self.vm = vm
        self.namespace = namespace
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

    mutating func advance() throws(HyperwardError) -> ResponseAction? {
        switch phase {
        case .begin:
            if let recorded = core.record.namespace, recorded != namespace {
                throw HyperwardError(.usage, "\(vm) was quarantined in namespace \(recorded); use --netns \(recorded)")
            }
            core.dropForeignPendingStep(keeping: ["release.network", "release.resume"])
            phase = .awaitingDomain
            return .readDomain(optional: true)
        case .status:
            phase = .awaitingStatus
            return .readStatus
        case .end:
            if !core.dryRun {
                core.record.quarantineID = nil
                core.record.namespace = nil
                core.record.pausedByUs = false
                core.record.interfaces = []
                core.record.macs = []
                core.record.conntrackFlushed = nil
            }
            core.report("released \(vm)\(core.dryRun ? " (dry run: nothing changed)" : "")")
            phase = .done
            return nil
        case .done:
            return .finished
        case .awaitingDomain, .awaitingOthers, .awaitingSet, .awaitingStatus:
            throw HyperwardError(.software, "response: the release of \(vm) is waiting for an outcome")
        }
    }

    mutating func receive(_ action: ResponseAction, _ outcome: ResponseOutcome) throws(HyperwardError) {
        switch (phase, outcome) {
        case (.awaitingDomain, .domain(let facts)):
            phase = .awaitingOthers(facts?.interfaces.compactMap(\.tap) ?? [])
            core.queue.append((.readTapsOfOtherDomains, .machine))
        case (.awaitingOthers(let current), .taps(let others)):
            // Its current taps, and the recorded ones no other running VM has taken since.
            let taken = Set(others)
            phase = .awaitingSet(Set(current + core.record.interfaces.filter { !taken.contains($0) }))
            core.queue.append((.readQuarantineSet, .machine))
        case (.awaitingSet(let taps), .quarantineSet(let macs, let ports)):
            let heldPorts = taps.intersection(ports).sorted()
            let heldMACs = Set(core.record.macs).intersection(macs).sorted()
            if heldPorts.isEmpty && heldMACs.isEmpty {
                if let pending = core.pendingStep("release.network"), !core.dryRun {
                    core.record(pending)
                } else {
                    core.report("network: not quarantined")
                }
            } else if core.dryRun {
                core.report("network: would release \((heldMACs + heldPorts).joined(separator: ", "))")
            } else {
                core.change(.removeFromQuarantineSet(macs: heldMACs, ports: heldPorts),
                            recordedAs: ResponseStep(kind: "release.network", message: "\((heldMACs + heldPorts).joined(separator: ", ")) released"))
            }
            phase = .status
        case (.awaitingStatus, .status(let status)):
            let isPaused = status?.state == .paused
            if isPaused && core.record.pausedByUs {
                if core.dryRun {
                    core.report("resume: would resume")
                } else {
                    core.change(.resume, recordedAs: ResponseStep(kind: "release.resume", message: "VM resumed"))
                }
            } else if isPaused {
                core.report("resume: paused, but not by a quarantine: left paused (virsh resume to resume it)")
            } else if let pending = core.pendingStep("release.resume"), !core.dryRun {
                core.record(pending)
            } else {
                core.report("resume: not paused")
            }
            phase = .end
        default:
            throw MachineCore.mismatch(action, outcome)
        }
    }
}
