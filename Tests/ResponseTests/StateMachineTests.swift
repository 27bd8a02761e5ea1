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
import Testing

@testable import Response

/// An action as the expectations below spell it: its case, and a step's kind.
func signature(_ action: ResponseAction) -> String {
    if case .recordStep(let step) = action { return "recordStep \(step.kind)" }
    let text = "\(action)"
    return String(text.prefix { $0 != "(" })
}

/// The actions without the operator's lines.
func signatures(_ actions: [ResponseAction]) -> [String] {
    actions.filter { if case .report = $0 { false } else { true } }.map(signature)
}

@Suite("QuarantineStateMachine")
struct QuarantineStateMachineTests {
    @Test func aRunningVMIsCutCountedPausedDumpedAndFrozenInThatOrder() throws {
        let lab = try ResponseLab()
        var machine = QuarantineStateMachine(record: ResponseCase(vm: ResponseLab.vm, uuid: ResponseLab.uuid), vm: ResponseLab.vm, namespace: nil,
                                             caseDirectory: lab.caseDirectory, dump: true, snapshot: true, dryRun: false)
        let actions = try lab.actions(of: &machine)
        #expect(signatures(actions) == [
            "readDomain", "readQuarantineSet", "addToQuarantineSet", "recordStep quarantine.network",
            "readLeases", "readNeighbours", "flushConntrack", "recordStep quarantine.conntrack",
            "readStatus", "suspend", "recordStep quarantine.pause",
            "checkFile", "readStatus", "dumpMemory", "hashFile", "recordStep quarantine.evidence",
            "readDomain", "readStatus", "checkFile", "snapshotDisks", "protectBase", "hashFile", "recordStep quarantine.disk",
        ])
        let dump = "\(lab.caseDirectory)/memory-\(ResponseLab.id).elf"
        let overlay = "\(lab.images)/web.hw-quarantine-\(ResponseLab.id).qcow2"
        #expect(actions.contains(.addToQuarantineSet(macs: [ResponseLab.mac], ports: [ResponseLab.tap])))
        #expect(actions.contains(.flushConntrack(addresses: [ResponseLab.address])))
        #expect(actions.contains(.dumpMemory(to: dump)))
        #expect(actions.contains(.snapshotDisks(name: "quarantine-\(ResponseLab.id)", disks: [
            ResponseCase.PendingDisk(target: "vda", base: "\(lab.images)/web.qcow2", format: "qcow2", overlay: overlay),
        ])))
        let record = machine.record
        #expect(record.quarantineID == ResponseLab.id && record.pausedByUs && record.macs == [ResponseLab.mac] && record.interfaces == [ResponseLab.tap])
        #expect(record.evidence.map(\.kind) == ["memory", "disk:vda"] && record.pendingSnapshot == nil && record.pendingStep == nil)
        #expect(actions.last == .report("quarantined \(ResponseLab.vm)"))
    }

    @Test func aStoppedVMIsCutByMACAndItsDiskFrozenByADefinition() throws {
        let lab = try ResponseLab(running: false)
        var machine = QuarantineStateMachine(record: ResponseCase(vm: ResponseLab.vm, uuid: ResponseLab.uuid), vm: ResponseLab.vm, namespace: nil,
                                             caseDirectory: lab.caseDirectory, dump: true, snapshot: true, dryRun: false)
        let actions = try lab.actions(of: &machine)
        #expect(signatures(actions) == [
            "readDomain", "readQuarantineSet", "addToQuarantineSet", "recordStep quarantine.network",
            "readLeases", "readNeighbours", "flushConntrack", "recordStep quarantine.conntrack",
            "readStatus", "checkFile", "readStatus",
            "readDomain", "readStatus", "checkFile", "createOverlay", "readDefinition", "define", "protectBase", "hashFile", "recordStep quarantine.disk",
        ])
        #expect(actions.contains(.addToQuarantineSet(macs: [ResponseLab.mac], ports: [])), "a stopped VM has no tap: its MAC is what is cut")
        #expect(actions.contains(.report("pause: the VM is shut off; nothing to pause")))
        #expect(actions.contains(.report("memory: the VM is not running; no memory to dump")))
        #expect(!machine.record.pausedByUs)
    }

    @Test func aVMWithoutBridgedInterfacesIsReportedNotCut() throws {
        let lab = try ResponseLab()
        lab.host.domains[ResponseLab.vm]!.interfaces = [FakeHost.Interface(mac: ResponseLab.mac, tap: "tap0", network: nil)]
        var machine = QuarantineStateMachine(record: ResponseCase(vm: ResponseLab.vm, uuid: ResponseLab.uuid), vm: ResponseLab.vm, namespace: nil,
                                             caseDirectory: lab.caseDirectory, dump: false, snapshot: false, dryRun: false)
        let actions = try lab.actions(of: &machine)
        #expect(!actions.contains { if case .addToQuarantineSet = $0 { true } else { false } })
        #expect(actions.contains(.report("WARNING: \(ResponseLab.vm) has no bridged interface: its network is not cut")))
        #expect(actions.contains(.report("WARNING: interface \(ResponseLab.mac) is not on a bridge (no network or bridge source): quarantine cannot cut it")))
    }

    @Test func anOpenQuarantineInAnotherNamespaceIsRefused() throws {
        var record = ResponseCase(vm: ResponseLab.vm, uuid: ResponseLab.uuid)
        record.quarantineID = ResponseLab.id
        record.namespace = "lab"
        var machine = QuarantineStateMachine(record: record, vm: ResponseLab.vm, namespace: nil, caseDirectory: "/nonexistent",
                                             dump: false, snapshot: false, dryRun: false)
        #expect { _ = try machine.nextAction(now: ResponseLab.time) } throws: { error in
            (error as? HyperwardError)?.code == .usage && "\(error)".contains("namespace lab")
        }
    }

    /// The machine does no I/O: it can be driven by hand, and an answer that does not fit the
    /// question is an error, not a guess.
    @Test func isDrivenByOutcomesAlone() throws {
        var machine = QuarantineStateMachine(record: ResponseCase(vm: "vm", uuid: ResponseLab.uuid), vm: "vm", namespace: nil,
                                             caseDirectory: "/nonexistent", dump: false, snapshot: false, dryRun: false)
        #expect(try machine.nextAction(now: ResponseLab.time) == .readDomain(optional: false))
        #expect(machine.record.quarantineID == ResponseLab.id, "the quarantine is opened before anything is read or changed")
        #expect(throws: HyperwardError.self) { try machine.actionCompleted(.flushed(1)) }
        var second = QuarantineStateMachine(record: ResponseCase(vm: "vm", uuid: ResponseLab.uuid), vm: "vm", namespace: nil,
                                            caseDirectory: "/nonexistent", dump: false, snapshot: false, dryRun: false)
        _ = try second.nextAction(now: ResponseLab.time)
        #expect(throws: HyperwardError.self) { _ = try second.nextAction(now: ResponseLab.time) }
        try second.actionCompleted(.domain(DomainFacts()))
        #expect(try second.nextAction(now: ResponseLab.time) == .report("WARNING: vm has no bridged interface: its network is not cut"))
        try second.actionCompleted(.done)
        #expect(try second.nextAction(now: ResponseLab.time) == .readLeases)
        try second.actionCompleted(.addresses([]))
        #expect(try second.nextAction(now: ResponseLab.time) == .readNeighbours(macs: []))
        try second.actionCompleted(.addresses([]))
        #expect(try second.nextAction(now: ResponseLab.time) == .readStatus)
        try second.actionCompleted(.status(DomainStatus(uuid: ResponseLab.uuid, state: .paused, isActive: true)))
        #expect(try second.nextAction(now: ResponseLab.time) == .report("pause: already paused"))
        try second.actionCompleted(.done)
        #expect(try second.nextAction(now: ResponseLab.time) == .report("quarantined vm"))
        try second.actionCompleted(.done)
        #expect(try second.nextAction(now: ResponseLab.time) == .finished)
        #expect(!second.record.pausedByUs, "a VM paused by someone else is not ours to resume")
    }
}

@Suite("ReleaseStateMachine")
struct ReleaseStateMachineTests {
    @Test func aQuarantinedPausedVMIsTakenOutOfTheSetsAndResumed() throws {
        let lab = try ResponseLab()
        try lab.responder().quarantineVM(dump: false, snapshot: false)
        var machine = ReleaseStateMachine(record: try lab.record(), vm: ResponseLab.vm, namespace: nil, dryRun: false)
        let actions = try lab.actions(of: &machine)
        #expect(signatures(actions) == [
            "readDomain", "readTapsOfOtherDomains", "readQuarantineSet", "removeFromQuarantineSet", "recordStep release.network",
            "readStatus", "resume", "recordStep release.resume",
        ])
        #expect(actions.contains(.removeFromQuarantineSet(macs: [ResponseLab.mac], ports: [ResponseLab.tap])))
        #expect(machine.record.quarantineID == nil && !machine.record.pausedByUs && machine.record.macs.isEmpty)
    }

    @Test func aTapAnotherRunningVMHoldsNowIsLeftAlone() throws {
        let lab = try ResponseLab()
        try lab.responder().quarantineVM(dump: false, snapshot: false)
        // The VM stopped; its tap's name went to another VM, which is not quarantined.
        lab.host.domains[ResponseLab.vm]!.state = .shutOff
        lab.host.domains["other"] = FakeHost.Domain(name: "other", uuid: UUID().uuidString.lowercased(), state: .running,
                                                     interfaces: [FakeHost.Interface(mac: "52:54:00:aa:bb:02", tap: ResponseLab.tap, network: "default")],
                                                     disks: [])
        var machine = ReleaseStateMachine(record: try lab.record(), vm: ResponseLab.vm, namespace: nil, dryRun: false)
        let actions = try lab.actions(of: &machine)
        #expect(actions.contains(.removeFromQuarantineSet(macs: [ResponseLab.mac], ports: [])))
        #expect(actions.contains(.report("resume: not paused")))
    }

    @Test func aVMPausedByAnOperatorStaysPaused() throws {
        let lab = try ResponseLab()
        lab.host.domains[ResponseLab.vm]!.state = .paused
        try lab.responder().quarantineVM(dump: false, snapshot: false)
        var machine = ReleaseStateMachine(record: try lab.record(), vm: ResponseLab.vm, namespace: nil, dryRun: false)
        let actions = try lab.actions(of: &machine)
        #expect(!actions.contains(.resume))
        #expect(actions.contains(.report("resume: paused, but not by a quarantine: left paused (virsh resume to resume it)")))
    }
}

@Suite("SnapshotStateMachine")
struct SnapshotStateMachineTests {
    @Test func aStoppedVMGetsOverlaysFromQemuImgAndADefinition() throws {
        let lab = try ResponseLab(running: false, disks: 2)
        var machine = SnapshotStateMachine(record: ResponseCase(vm: ResponseLab.vm, uuid: ResponseLab.uuid), name: "golden", purpose: .golden, dryRun: false)
        let actions = try lab.actions(of: &machine)
        #expect(signatures(actions) == [
            "readDomain", "readStatus", "checkFile", "checkFile", "createOverlay", "createOverlay", "readDefinition", "define",
            "protectBase", "hashFile", "recordStep snapshot.disk", "protectBase", "hashFile", "recordStep snapshot.disk",
        ])
        #expect(actions.contains(.createOverlay(ResponseCase.PendingDisk(target: "vdb", base: "\(lab.images)/web-vdb.img", format: "raw",
                                                                         overlay: "\(lab.images)/web-vdb.hw-golden.qcow2"))),
                "the base's format is the one the domain declares")
        #expect(machine.record.snapshots.map(\.target) == ["vda", "vdb"] && machine.record.pendingSnapshot == nil)
        #expect(lab.domain.disks.map(\.source) == ["\(lab.images)/web.hw-golden.qcow2", "\(lab.images)/web-vdb.hw-golden.qcow2"])
    }

    @Test func aRunningVMGetsOneAtomicDiskOnlySnapshot() throws {
        let lab = try ResponseLab(running: true, disks: 2)
        var machine = SnapshotStateMachine(record: ResponseCase(vm: ResponseLab.vm, uuid: ResponseLab.uuid), name: "golden", purpose: .golden, dryRun: false)
        let actions = try lab.actions(of: &machine)
        #expect(signatures(actions) == [
            "readDomain", "readStatus", "checkFile", "checkFile", "snapshotDisks",
            "protectBase", "hashFile", "recordStep snapshot.disk", "protectBase", "hashFile", "recordStep snapshot.disk",
        ])
    }

    @Test func anOverlayThatIsNotOursIsRefused() throws {
        let lab = try ResponseLab(running: false)
        try Data("someone's file".utf8).write(to: URL(fileURLWithPath: "\(lab.images)/web.hw-golden.qcow2"))
        var machine = SnapshotStateMachine(record: ResponseCase(vm: ResponseLab.vm, uuid: ResponseLab.uuid), name: "golden", purpose: .golden, dryRun: false)
        #expect { _ = try lab.actions(of: &machine) } throws: { "\($0)".contains("already exists; choose another snapshot name") }
        #expect(machine.record.pendingSnapshot == nil)
    }

    @Test func anUnsupportedDiskFormatIsRefusedBeforeAnythingChanges() throws {
        let lab = try ResponseLab(running: false)
        lab.host.domains[ResponseLab.vm]!.disks[0].format = "vmdk"
        var machine = SnapshotStateMachine(record: ResponseCase(vm: ResponseLab.vm, uuid: ResponseLab.uuid), name: "golden", purpose: .golden, dryRun: false)
        #expect { _ = try lab.actions(of: &machine) } throws: { "\($0)".contains("disk vda is vmdk; only raw and qcow2 disks are snapshotted") }
        #expect(nonIdempotent(lab.host.performed).isEmpty && machine.record.pendingSnapshot == nil)
    }
}

@Suite("RestoreStateMachine")
struct RestoreStateMachineTests {
    @Test func aRunningVMIsStoppedGivenFreshOverlaysDefinedAndStarted() throws {
        let lab = try ResponseLab(running: true, disks: 2)
        try lab.responder().markGolden(name: "golden")
        var machine = RestoreStateMachine(record: try lab.record(), vm: ResponseLab.vm, name: "golden", dryRun: false)
        let actions = try lab.actions(of: &machine)
        #expect(signatures(actions) == [
            "hashFile", "hashFile", "readStatus", "readDefinition", "checkFile", "checkFile",
            "destroy", "createOverlay", "createOverlay", "define", "recordStep restore.disk", "readStatus", "start", "recordStep restore.start",
        ])
        #expect(lab.domain.state == .running)
        #expect(lab.domain.disks.map(\.source) == ["\(lab.images)/web.hw-restored-\(ResponseLab.id).qcow2",
                                                  "\(lab.images)/web-vdb.hw-restored-\(ResponseLab.id).qcow2"])
        #expect(machine.record.pendingRestore == nil)
    }

    @Test func aChangedBaseIsRefusedBeforeAnythingChanges() throws {
        let lab = try ResponseLab(running: false)
        try lab.responder().markGolden(name: "golden")
        chmod("\(lab.images)/web.qcow2", 0o644)
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: "\(lab.images)/web.qcow2"))
        lab.host.forgetCalls()
        var machine = RestoreStateMachine(record: try lab.record(), vm: ResponseLab.vm, name: "golden", dryRun: false)
        #expect { _ = try lab.actions(of: &machine) } throws: { error in
            (error as? HyperwardError)?.code == .invalidInput && "\(error)".contains("changed since it was recorded")
        }
        #expect(lab.host.performed == ["sha256"])
    }

    @Test func aQuarantinedVMOrAnUnknownSnapshotIsRefused() throws {
        var record = ResponseCase(vm: "vm", uuid: ResponseLab.uuid)
        var machine = RestoreStateMachine(record: record, vm: "vm", name: "golden", dryRun: false)
        #expect { _ = try machine.nextAction(now: ResponseLab.time) } throws: { ($0 as? HyperwardError)?.code == .notFound }
        record.quarantineID = ResponseLab.id
        machine = RestoreStateMachine(record: record, vm: "vm", name: "golden", dryRun: false)
        #expect { _ = try machine.nextAction(now: ResponseLab.time) } throws: { "\($0)".contains("release it first") }
    }

    @Test func aSecondRestoreInTheSameSecondGetsOverlaysOfItsOwn() throws {
        let lab = try ResponseLab(running: false)
        try lab.responder().markGolden(name: "golden")
        try lab.responder().restore(to: "golden")
        try lab.responder().restore(to: "golden")
        #expect(lab.domain.disks.map(\.source) == ["\(lab.images)/web.hw-restored-\(ResponseLab.id)-1.qcow2"])
        #expect(FileManager.default.fileExists(atPath: "\(lab.images)/web.hw-restored-\(ResponseLab.id).qcow2"), "the first restore's overlay is not reused")
    }
}
