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

/// Contains a VM: its network cut at the bridge (every MAC and current tap into the quarantine
/// sets), its connections through the host ended (conntrack), paused, its memory dumped and its
/// disks frozen, each hashed as evidence.
///
/// Every step reads the world first and acts only on what is missing, so running it again does
/// nothing but re-check (and flush conntrack entries that appeared meanwhile). A fresh
/// quarantine of a running, bridged VM asks for: `readDomain`, `readQuarantineSet`,
/// `addToQuarantineSet`, `recordStep`, `readLeases`, `readNeighbours`, `flushConntrack`,
/// `recordStep`, `readStatus`, `suspend`, `recordStep`, `checkFile`, `readStatus`, `dumpMemory`,
/// `hashFile`, `recordStep`, then the ``SnapshotStateMachine``'s actions.
public struct QuarantineStateMachine: PhasedStateMachine {
    enum Phase: Sendable {
        case begin, awaitingDomain, network, awaitingSet, leases, awaitingLeases
        case awaitingNeighbours(leases: [String]), awaitingFlush(addresses: [String])
        case pause, awaitingPauseStatus
        case dump, awaitingDumpFile(String), awaitingDumpStatus(String), hashDump(String), awaitingDumpHash(String)
        case snapshot, snapshotting, end, done
    }

    var core: MachineCore
    let vm: String
    let namespace: String?
    let caseDirectory: String
    let dumpsMemory: Bool
    let snapshotsDisks: Bool
    var phase = Phase.begin
    var domain = DomainFacts()
    /// The quarantine's id (the case's, or a dry run's own).
    var id = ""
    var snapshot: SnapshotStateMachine?

    /// A machine quarantining the case's VM.
    /// - Parameters:
    ///   - namespace: the network namespace whose bridges carry the VM (nil: the host's).
    ///   - caseDirectory: where the case lives (the memory dump goes there).
    ///   - dump: dump the memory.
    ///   - snapshot: freeze the disks.
    public init(record: ResponseCase, vm: String, namespace: String?, caseDirectory: String, dump: Bool, snapshot: Bool, dryRun: Bool) {
        core = MachineCore(record: record, dryRun: dryRun)
        self.vm = vm
        self.namespace = namespace
        self.caseDirectory = caseDirectory
        self.dumpsMemory = dump
        self.snapshotsDisks = snapshot
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
            try begin()
            phase = .awaitingDomain
            return .readDomain(optional: false)
        case .network:
            phase = .awaitingSet
            return .readQuarantineSet
        case .leases:
            phase = .awaitingLeases
            return .readLeases
        case .pause:
            phase = .awaitingPauseStatus
            return .readStatus
        case .dump:
            guard dumpsMemory else {
                phase = .snapshot
                return nil
            }
            let path = ResponseNames.memoryDump(directory: caseDirectory, id: id)
            phase = .awaitingDumpFile(path)
            return .checkFile(path)
        case .hashDump(let path):
            phase = .awaitingDumpHash(path)
            return .hashFile(path)
        case .snapshot:
            let name = ResponseNames.quarantineSnapshot(id: id)
            guard snapshotsDisks else {
                phase = .end
                return nil
            }
            if !core.record.snapshots(named: name).isEmpty && core.record.pendingSnapshot?.name != name {
                core.report("disk: already snapshotted for this quarantine")
                phase = .end
                return nil
            }
            snapshot = SnapshotStateMachine(record: core.record, name: name, purpose: .evidence, dryRun: core.dryRun)
            phase = .snapshotting
            return nil
        case .snapshotting:
            // The snapshot's own machine decides; its actions' outcomes go back to it (`receive`).
            guard var snapshot else { throw HyperwardError(.software, "response: the quarantine of \(vm) lost its snapshot") }
            let action = try snapshot.nextAction(now: core.now)
            core.record = snapshot.record
            self.snapshot = snapshot
            guard action != .finished else {
                self.snapshot = nil
                phase = .end
                return nil
            }
            return action
        case .end:
            core.report("quarantined \(vm)\(core.dryRun ? " (dry run: nothing changed)" : "")")
            phase = .done
            return nil
        case .done:
            return .finished
        case .awaitingDomain, .awaitingSet, .awaitingLeases, .awaitingNeighbours, .awaitingFlush,
             .awaitingPauseStatus, .awaitingDumpFile, .awaitingDumpStatus, .awaitingDumpHash:
            throw HyperwardError(.software, "response: the quarantine of \(vm) is waiting for an outcome")
        }
    }

    /// Opens the quarantine (its id names its evidence) or continues the open one.
    mutating func begin() throws(HyperwardError) {
        core.dropForeignPendingStep(keeping: ["quarantine.network", "quarantine.pause"])
        if let open = core.record.quarantineID {
            guard core.record.namespace == namespace else {
                throw HyperwardError(.usage, "\(vm) was quarantined in namespace \(core.record.namespace ?? "(host)"); use the same --netns")
            }
            id = open
            return
        }
        id = ResponseNames.id(at: core.now)
        guard !core.dryRun else { return }
        // Written before anything changes: a run killed at any later point resumes this quarantine.
        core.record.quarantineID = id
        core.record.namespace = namespace
        core.record.interfaces = []
        core.record.macs = []
        core.record.pausedByUs = false
        core.record.conntrackFlushed = nil
    }

    mutating func receive(_ action: ResponseAction, _ outcome: ResponseOutcome) throws(HyperwardError) {
        if case .snapshotting = phase, var snapshot {
            try snapshot.actionCompleted(outcome)
            core.record = snapshot.record
            self.snapshot = snapshot
            return
        }
        switch (phase, outcome) {
        case (.awaitingDomain, .domain(let facts?)):
            domain = facts
            for other in facts.interfaces where !other.isBridged {
                core.report("WARNING: interface \(other.mac) is not on a bridge (no network or bridge source): quarantine cannot cut it")
            }
            if facts.interfaces.contains(where: \.isBridged) {
                phase = .network
            } else {
                core.report("WARNING: \(vm) has no bridged interface: its network is not cut")
                phase = .leases
            }
        case (.awaitingSet, .quarantineSet(let presentMACs, let presentPorts)):
            cutNetwork(presentMACs: Set(presentMACs), presentPorts: Set(presentPorts))
            phase = .leases
        case (.awaitingLeases, .addresses(let leases)):
            phase = .awaitingNeighbours(leases: leases)
            core.queue.append((.readNeighbours(macs: domain.interfaces.map(\.mac)), .machine))
        case (.awaitingNeighbours(let leases), .addresses(let neighbours)):
            var addresses: [String] = []
            for address in leases + neighbours where !addresses.contains(address) { addresses.append(address) }
            if !core.dryRun { core.record.addresses = Array(Set(core.record.addresses + addresses)).sorted() }
            if addresses.isEmpty {
                phase = .pause
            } else if core.dryRun {
                core.report("conntrack: would delete the entries of \(addresses.joined(separator: ", "))")
                phase = .pause
            } else {
                phase = .awaitingFlush(addresses: addresses)
                core.queue.append((.flushConntrack(addresses: addresses), .machine))
            }
        case (.awaitingFlush(let addresses), .flushed(let deleted)):
            let message = "\(deleted) conntrack entries of \(addresses.joined(separator: ", ")) deleted"
            if core.record.conntrackFlushed == true && deleted == 0 {
                core.report("conntrack: no entries of \(addresses.joined(separator: ", ")) left")
            } else {
                core.record(ResponseStep(kind: "quarantine.conntrack", message: message))
            }
            phase = .pause
        case (.awaitingPauseStatus, .status(let status?)):
            pause(status)
            phase = .dump
        case (.awaitingDumpFile(let path), .fileExists(let exists)):
            if exists && core.record.evidence.contains(where: { $0.path == path }) {
                core.report("memory: already dumped")
                phase = .snapshot
            } else if exists {
                // Dumps appear only complete (renamed into place): this one is a killed run's.
                core.report("memory: hashing the dump an interrupted run made")
                phase = .hashDump(path)
            } else {
                phase = .awaitingDumpStatus(path)
                core.queue.append((.readStatus, .machine))
            }
        case (.awaitingDumpStatus(let path), .status(let status?)):
            if !status.isActive {
                core.report("memory: the VM is not running; no memory to dump")
                phase = .snapshot
            } else if core.dryRun {
                core.report("memory: would dump to \(path)")
                phase = .snapshot
            } else {
                core.perform(.dumpMemory(to: path))
                phase = .hashDump(path)
            }
        case (.awaitingDumpHash(let path), .digest(let digest, let bytes)):
            let evidence = ResponseCase.Evidence(kind: "memory", path: path, sha256: digest, bytes: bytes, time: core.timestamp)
            core.record(ResponseStep(kind: "quarantine.evidence", message: "memory evidence \(path): sha256 \(digest) (\(bytes) bytes)",
                                     data: ["kind": "memory", "path": path, "sha256": digest, "bytes": "\(bytes)"],
                                     evidence: evidence))
            phase = .snapshot
        default:
            throw MachineCore.mismatch(action, outcome)
        }
    }

    /// Every MAC of the VM (wherever it is plugged, also after a restart) and its current taps
    /// (even if the guest changes its MAC) into the quarantine sets.
    mutating func cutNetwork(presentMACs: Set<String>, presentPorts: Set<String>) {
        let bridged = domain.interfaces.filter(\.isBridged)
        let macs = bridged.map(\.mac), taps = bridged.compactMap(\.tap)
        let missingMACs = macs.filter { !presentMACs.contains($0) }, missingPorts = taps.filter { !presentPorts.contains($0) }
        if !core.dryRun {
            // Recorded before the change, so that a release after a killed run takes them out.
            core.record.macs = Array(Set(core.record.macs + macs)).sorted()
            core.record.interfaces = Array(Set(core.record.interfaces + taps)).sorted()
        }
        if missingMACs.isEmpty && missingPorts.isEmpty {
            if let pending = core.pendingStep("quarantine.network"), !core.dryRun {
                core.record(pending)
            } else {
                core.report("network: \((macs + taps).joined(separator: ", ")) already quarantined")
            }
        } else if core.dryRun {
            core.report("network: would quarantine \((missingMACs + missingPorts).joined(separator: ", "))")
        } else {
            core.change(.addToQuarantineSet(macs: missingMACs, ports: missingPorts),
                        recordedAs: ResponseStep(kind: "quarantine.network", message: "\((missingMACs + missingPorts).joined(separator: ", ")) quarantined",
                                                 severity: .high))
        }
    }

    /// Pauses a running VM (a paused guest runs no code, and its memory is evidence).
    mutating func pause(_ status: DomainStatus) {
        if status.state == .paused {
            if let pending = core.pendingStep("quarantine.pause"), !core.dryRun {
                core.record(pending)
            } else {
                core.report("pause: already paused")
            }
        } else if status.state != .running {
            core.report("pause: the VM is \(status.stateText); nothing to pause")
        } else if core.dryRun {
            core.report("pause: would suspend")
        } else {
            // Written before the suspend: release must resume what a killed run paused.
            core.record.pausedByUs = true
            core.change(.suspend, recordedAs: ResponseStep(kind: "quarantine.pause", message: "VM paused"))
        }
    }
}
