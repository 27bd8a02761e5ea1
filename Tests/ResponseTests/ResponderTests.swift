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

/// One operation on a lab, from a given starting point.
struct Scenario: Sendable, CustomTestStringConvertible {
    var name: String
    var running: Bool
    var disks: Int
    /// Brings the lab to the scenario's starting point (uninterrupted runs of earlier operations).
    var prepare: @Sendable (ResponseLab) throws -> Void
    var operation: @Sendable (Responder) throws -> Void

    var testDescription: String { name }

    static let all: [Scenario] = [
        Scenario(name: "quarantine a running VM", running: true, disks: 1, prepare: { _ in },
                 operation: { try $0.quarantineVM(dump: true, snapshot: true) }),
        Scenario(name: "quarantine a stopped VM", running: false, disks: 1, prepare: { _ in },
                 operation: { try $0.quarantineVM(dump: true, snapshot: true) }),
        Scenario(name: "release a quarantined VM", running: true, disks: 1,
                 prepare: { try $0.responder().quarantineVM(dump: true, snapshot: true) },
                 operation: { try $0.release() }),
        Scenario(name: "snapshot a running VM", running: true, disks: 2, prepare: { _ in },
                 operation: { try $0.markGolden(name: "golden") }),
        Scenario(name: "snapshot a stopped VM", running: false, disks: 2, prepare: { _ in },
                 operation: { try $0.markGolden(name: "golden") }),
        Scenario(name: "restore a running VM", running: true, disks: 2,
                 prepare: { try $0.responder().markGolden(name: "golden") },
                 operation: { try $0.restore(to: "golden") }),
        Scenario(name: "restore a stopped VM", running: false, disks: 2,
                 prepare: { try $0.responder().markGolden(name: "golden") },
                 operation: { try $0.restore(to: "golden") }),
    ]

    /// A lab at the starting point, its calls so far forgotten.
    func lab() throws -> ResponseLab {
        let lab = try ResponseLab(running: running, disks: disks)
        try prepare(lab)
        lab.host.forgetCalls()
        return lab
    }
}

@Suite("Responder")
struct ResponderTests {
    // MARK: Idempotency

    @Test func quarantiningTwiceChangesNothingTheSecondTime() throws {
        let lab = try ResponseLab()
        try lab.responder().quarantineVM(dump: true, snapshot: true)
        let first = try lab.outcome()
        lab.host.forgetCalls()
        lab.lines = []
        try lab.responder().quarantineVM(dump: true, snapshot: true)
        // Flushing conntrack again is the one change a repeat makes: a safe re-check.
        #expect(nonIdempotent(lab.host.performed).isEmpty)
        #expect(!lab.host.performed.contains { $0.hasPrefix("quarantine add") || $0.hasPrefix("event") || $0 == "makeReadOnly" })
        #expect(try lab.outcome() == first)
        for line in ["already quarantined", "already paused", "already dumped", "already snapshotted"] {
            #expect(lab.lines.contains { $0.contains(line) }, "\(line): \(lab.lines)")
        }
    }

    @Test func releasingTwiceChangesNothingTheSecondTime() throws {
        let lab = try ResponseLab()
        try lab.responder().quarantineVM(dump: false, snapshot: false)
        try lab.responder().release()
        let first = try lab.outcome()
        lab.host.forgetCalls()
        lab.lines = []
        try lab.responder().release()
        #expect(nonIdempotent(lab.host.performed).isEmpty && !lab.host.performed.contains { $0.hasPrefix("quarantine remove") || $0.hasPrefix("event") })
        #expect(try lab.outcome() == first)
        #expect(lab.lines.contains("network: not quarantined") && lab.lines.contains("resume: not paused"))
        #expect(lab.domain.state == .running && lab.host.quarantinedMACs.isEmpty && lab.host.quarantinedPorts.isEmpty)
    }

    @Test(arguments: [true, false])
    func snapshottingTwiceChangesNothingTheSecondTime(running: Bool) throws {
        let lab = try ResponseLab(running: running, disks: 2)
        try lab.responder().markGolden(name: "golden")
        let first = try lab.outcome()
        lab.host.forgetCalls()
        lab.lines = []
        try lab.responder().markGolden(name: "golden")
        #expect(lab.host.performed == ["status"], "only the domain's lookup")
        #expect(try lab.outcome() == first)
        #expect(lab.lines == ["snapshot golden already exists"])
    }

    /// A restore is not idempotent by design (each gives the disks fresh overlays, discarding what
    /// the VM wrote since); a repeated one is a second, whole restore.
    @Test func restoringAgainIsAWholeNewRestore() throws {
        let lab = try ResponseLab(running: true)
        try lab.responder().markGolden(name: "golden")
        try lab.responder().restore(to: "golden")
        lab.host.forgetCalls()
        try lab.responder(now: ResponseLab.time + 60).restore(to: "golden")
        #expect(nonIdempotent(lab.host.performed) == ["createOverlay \(lab.images)/web.hw-restored-\(ResponseNames.id(at: ResponseLab.time + 60)).qcow2",
                                                      "define", "destroy", "start"])
        #expect(try lab.record().pendingRestore == nil)
    }

    // MARK: Resumption

    /// A run killed at every call it makes, before the call took effect or after it (the effect
    /// happened, the case was not saved), then run again by a fresh responder: the end is the
    /// uninterrupted run's, and the non-idempotent changes are the uninterrupted run's, each once.
    @Test(arguments: Scenario.all, FakeHost.KillMode.allCases)
    func aRunKilledAtAnyStepIsFinishedByTheNext(scenario: Scenario, mode: FakeHost.KillMode) throws {
        let reference = try scenario.lab()
        try scenario.operation(reference.responder())
        let expected = try reference.outcome()
        let changes = reference.nonIdempotentChanges
        let steps = reference.host.calls.count
        #expect(steps > 5)
        for k in 0..<steps {
            let lab = try scenario.lab()
            lab.host.kill = (k, mode)
            #expect("\(scenario.name): call \(k) \(reference.host.calls[k]) is killed") {
                try scenario.operation(lab.responder())
            } throws: { ($0 as? HyperwardError)?.code == FakeHost.killed }
            lab.host.kill = nil
            do {
                try scenario.operation(lab.responder())
            } catch {
                Issue.record("\(scenario.name), killed \(mode) call \(k) (\(reference.host.calls[k])): the next run fails: \(error)")
                continue
            }
            let outcome = try lab.outcome()
            #expect(outcome == expected, "\(scenario.name), killed \(mode) call \(k) (\(reference.host.calls[k]))")
            #expect(lab.nonIdempotentChanges == changes, "\(scenario.name), killed \(mode) call \(k) (\(reference.host.calls[k]))")
            #expect(outcome.record?.pendingStep == nil && outcome.record?.pendingSnapshot == nil && outcome.record?.pendingRestore == nil)
        }
    }

    @Test func aKilledQuarantineKeepsItsIDAnHourLater() throws {
        let lab = try ResponseLab()
        lab.host.kill = (lab.host.calls.count + 14, .after)   // just after the memory dump
        #expect(throws: HyperwardError.self) { try lab.responder().quarantineVM(dump: true, snapshot: true) }
        #expect(lab.host.performed.last == "dumpMemory \(lab.caseDirectory)/memory-\(ResponseLab.id).elf")
        lab.host.kill = nil
        try lab.responder(now: ResponseLab.time + 3600).quarantineVM(dump: true, snapshot: true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: lab.caseDirectory).filter { $0.hasPrefix("memory-") } == ["memory-\(ResponseLab.id).elf"])
        #expect(lab.lines.contains("memory: hashing the dump an interrupted run made"))
        #expect(try lab.record().snapshots.map(\.name) == ["quarantine-\(ResponseLab.id)"])
    }

    @Test func aQuarantineKilledAfterTheSuspendIsReleasedByResuming() throws {
        let lab = try ResponseLab()
        // Calls 0…10: status, xml, members, add, event, leases, neighbours, flush, event, status, suspend.
        lab.host.kill = (10, .after)
        #expect(throws: HyperwardError.self) { try lab.responder().quarantineVM(dump: false, snapshot: false) }
        #expect(lab.host.performed.last == "suspend" && lab.domain.state == .paused)
        try lab.responder().release()
        #expect(lab.domain.state == .running, "the quarantine wrote down that it pauses before it did")
    }

    // MARK: Dry run

    @Test func aDryRunChangesNothingAndSaysWhatItWouldDo() throws {
        let lab = try ResponseLab()
        try lab.responder(dryRun: true).quarantineVM(dump: true, snapshot: true)
        #expect(nonIdempotent(lab.host.performed).isEmpty && lab.host.events.isEmpty)
        #expect(!lab.host.performed.contains { $0.hasPrefix("quarantine add") || $0 == "conntrack flush" })
        #expect(!FileManager.default.fileExists(atPath: lab.caseFile))
        for line in ["would quarantine", "would delete the entries", "would suspend", "would dump", "would snapshot"] {
            #expect(lab.lines.contains { $0.contains(line) }, "\(line): \(lab.lines)")
        }
    }

    // MARK: Case files

    @Test func stepsAreEventsWithTheCaseIdentity() throws {
        let lab = try ResponseLab()
        try lab.responder().quarantineVM(dump: true, snapshot: false)
        let evidence = try #require(lab.host.events.first { $0.kind == "respond.quarantine.evidence" })
        #expect(evidence.vm == ResponseLab.vm && evidence.evidence.first?.sha256?.count == 64)
        let body = try #require(evidence.body.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] })
        #expect(body["uuid"] == ResponseLab.uuid && body["quarantine"] == ResponseLab.id && body["kind"] == "memory")
        #expect(lab.host.events.first { $0.kind == "respond.quarantine.network" }?.severity == .high)
        var st = stat()
        #expect(stat(lab.caseFile, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(stat(lab.caseDirectory, &st) == 0 && st.st_mode & 0o777 == 0o700)
    }

    /// Damaged or hostile case files: each is refused with the file, what is wrong and what to do,
    /// and nothing is acted on.
    @Test(arguments: [
        ("not JSON", "{ this is not json", "not JSON"),
        ("a field of the wrong type", #"{"vm":"web-1","uuid":"UUID","snapshots":[{"name":"g","target":"vda","base":"/b","format":"qcow2","sha256":7,"time":"t"}],"interfaces":[],"macs":[],"addresses":[],"pausedByUs":false,"evidence":[],"events":[]}"#, "snapshots[0].sha256"),
        ("a missing field", #"{"vm":"web-1","uuid":"UUID"}"#, "interfaces is missing"),
        ("another domain's case", #"{"vm":"web-1","uuid":"00000000-0000-0000-0000-000000000000","interfaces":[],"macs":[],"addresses":[],"pausedByUs":false,"evidence":[],"snapshots":[],"events":[]}"#, "is for another domain"),
        ("another VM's name", #"{"vm":"db-1","uuid":"UUID","interfaces":[],"macs":[],"addresses":[],"pausedByUs":false,"evidence":[],"snapshots":[],"events":[]}"#, "names the domain"),
        ("a pending overlay outside response's names", #"{"vm":"web-1","uuid":"UUID","interfaces":[],"macs":[],"addresses":[],"pausedByUs":false,"evidence":[],"snapshots":[],"events":[],"pendingSnapshot":{"name":"g","purpose":"golden","disks":[{"target":"vda","base":"/var/lib/libvirt/images/web.qcow2","format":"qcow2","overlay":"/etc/shadow"}]}}"#, "pendingSnapshot.disks[0].overlay"),
        ("a base with ..", #"{"vm":"web-1","uuid":"UUID","interfaces":[],"macs":[],"addresses":[],"pausedByUs":false,"evidence":[],"snapshots":[{"name":"g","target":"vda","base":"/var/lib/../../etc/shadow","format":"qcow2","sha256":"0000000000000000000000000000000000000000000000000000000000000000","time":"t"}],"events":[]}"#, "snapshots[0].base"),
        ("a quarantine id that is a path", #"{"vm":"web-1","uuid":"UUID","quarantineID":"../../../tmp/x","interfaces":[],"macs":[],"addresses":[],"pausedByUs":false,"evidence":[],"snapshots":[],"events":[]}"#, "quarantineID"),
        ("a MAC that is nft syntax", #"{"vm":"web-1","uuid":"UUID","interfaces":[],"macs":["00:11:22:33:44:55 } ; flush ruleset"],"addresses":[],"pausedByUs":false,"evidence":[],"snapshots":[],"events":[]}"#, "macs[0]"),
        ("a pending step of no known kind", #"{"vm":"web-1","uuid":"UUID","interfaces":[],"macs":[],"addresses":[],"pausedByUs":false,"evidence":[],"snapshots":[],"events":[],"pendingStep":{"kind":"x","message":"m","severity":"info","data":{}}}"#, "pendingStep.kind"),
    ])
    func aDamagedOrHostileCaseFileIsRefusedClearly(what: String, content: String, mentions: String) throws {
        let lab = try ResponseLab()
        try FileManager.default.createDirectory(atPath: lab.caseDirectory, withIntermediateDirectories: true)
        try Data(content.replacingOccurrences(of: "UUID", with: ResponseLab.uuid).utf8).write(to: URL(fileURLWithPath: lab.caseFile))
        lab.host.forgetCalls()
        for operation in [{ try lab.responder().quarantineVM(dump: true, snapshot: true) }, { try lab.responder().release() },
                          { try lab.responder().markGolden(name: "g") }, { try lab.responder().restore(to: "g") }] {
            #expect { try operation() } throws: { error in
                guard let error = error as? HyperwardError else { return false }
                return error.code == .invalidInput && error.message.contains(lab.caseFile) && error.message.contains(mentions)
                    && error.message.contains("move it aside")
            }
        }
        #expect(lab.host.performed.allSatisfy { $0 == "status" }, "nothing but the domain's lookup: \(lab.host.performed)")
        #expect(try String(contentsOfFile: lab.caseFile, encoding: .utf8) == content.replacingOccurrences(of: "UUID", with: ResponseLab.uuid),
                "the file is left as found")
    }

    @Test func aCaseFileThatIsASymbolicLinkOrHugeIsRefused() throws {
        let lab = try ResponseLab()
        try FileManager.default.createDirectory(atPath: lab.caseDirectory, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: lab.caseFile, withDestinationPath: "/etc/passwd")
        #expect { try lab.responder().release() } throws: { "\($0)".contains("symbolic link") }
        try FileManager.default.removeItem(atPath: lab.caseFile)
        try Data(count: Responder.maxCaseBytes + 1).write(to: URL(fileURLWithPath: lab.caseFile))
        #expect { try lab.responder().release() } throws: { "\($0)".contains("larger than") }
    }

    @Test func aCaseFileFromBeforeTheStateMachinesStillReads() throws {
        // Written by the responder before pending steps and restore ids existed.
        let lab = try ResponseLab(running: false)
        try FileManager.default.createDirectory(atPath: lab.caseDirectory, withIntermediateDirectories: true)
        let old = """
            {"addresses":[],"events":[],"evidence":[],"interfaces":[],"macs":[],"pausedByUs":false,
             "pendingRestore":{"name":"golden","wasActive":true},"snapshots":[],"uuid":"\(ResponseLab.uuid)","vm":"web-1"}
            """
        try Data(old.utf8).write(to: URL(fileURLWithPath: lab.caseFile))
        #expect { try lab.responder().restore(to: "golden") } throws: { ($0 as? HyperwardError)?.code == .notFound }
        try lab.responder().markGolden(name: "golden")
        try lab.responder().restore(to: "golden")
        #expect(lab.domain.state == .running, "the old pending restore said the VM ran: it is started")
    }

    @Test func anUnknownDomainIsNotFound() throws {
        let lab = try ResponseLab()
        var responder = lab.responder()
        responder.vm = "db-9"
        #expect { try responder.quarantineVM(dump: true, snapshot: true) } throws: { error in
            (error as? HyperwardError)?.code == .notFound && "\(error)".contains("no domain db-9")
        }
        responder.vm = "../etc"
        #expect { try responder.release() } throws: { ($0 as? HyperwardError)?.code == .usage }
    }
}
