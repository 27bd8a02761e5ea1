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
import GRDB
import HyperwardCore
import Testing

@testable import HyperwardStore

@Suite("State store (SQLite on disk)")
struct StateStoreTests {
    let directory = FileManager.default.temporaryDirectory.path + "/hw-store-\(UUID().uuidString)"

    func event(_ kind: String, _ message: String = "m") -> Event {
        Event(time: Event.timestamp(), kind: kind, engine: "test", summary: message, body: "{\"a\":1}")
    }

    @Test func createsAPrivateDirectoryAndFileAndAppliesNamedMigrations() throws {
        let store = try StateStore(stateDirectory: directory)
        #expect(try store.appliedMigrations() == ["v1-events", "v2-audit-finding-states", "v3-event-envelope", "v4-ledger", "v5-ledger-nodes"])
        var st = stat()
        #expect(stat(directory, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o700)
        #expect(stat(store.path, &st) == 0)
        #expect(st.st_mode & 0o077 == 0)
        // Reopening is idempotent and keeps data.
        try store.append([event("audit.run")])
        let again = try StateStore(stateDirectory: directory)
        #expect(try again.eventCount() == 1)
    }

    @Test func eventsAreAppendOnlyInTheSchema() throws {
        let store = try StateStore(stateDirectory: directory)
        try store.append([event("audit.run")])
        let queue = try DatabaseQueue(path: store.path)
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "UPDATE events SET message = 'x'") } }
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "DELETE FROM events") } }
        #expect(try store.eventCount() == 1)
    }

    @Test func schemaConstraintsRejectBadRows() throws {
        let store = try StateStore(writer: DatabaseQueue())
        #expect(throws: HyperwardError.self) {
            try store.append([Event(time: Event.timestamp(), kind: "", engine: "t", summary: "m")])
        }
        #expect(throws: HyperwardError.self) {
            try store.append([Event(time: Event.timestamp(), kind: "k", engine: "t", summary: "m", body: "{not json")])
        }
        #expect(try store.eventCount() == 0)
    }

    @Test func recordsAuditRunsAtomicallyAndFiltersByKind() throws {
        let store = try StateStore(writer: DatabaseQueue())
        try store.recordAudit(events: [event("audit.run"), event("finding.new")],
                              states: [FindingState(key: "ksm.run", status: .fail, severity: .medium, updatedAt: Event.timestamp())])
        try store.recordAudit(events: [event("audit.run"), event("finding.changed")],
                              states: [FindingState(key: "ksm.run", status: .pass, severity: .medium, updatedAt: Event.timestamp())])
        #expect(try store.findingStates()["ksm.run"]?.status == .pass)
        #expect(try store.events(kindPrefix: "finding").map(\.kind) == ["finding.new", "finding.changed"])
        #expect(try store.events(kindPrefix: "audit.run").count == 2)
        #expect(try store.events(limit: 1).map(\.kind) == ["finding.changed"])
        // A failing record (a bad state) leaves nothing half-written.
        #expect(throws: HyperwardError.self) {
            try store.recordAudit(events: [event("audit.run")],
                                  states: [FindingState(key: "", status: .pass, severity: .low, updatedAt: "x")])
        }
        #expect(try store.eventCount() == 4)
        #expect(try store.findingStates()["ksm.run"]?.status == .pass)
    }

    @Test func theWholeEnvelopeIsStoredAndReadBack() throws {
        let store = try StateStore(writer: DatabaseQueue())
        let full = Event(time: Event.timestamp(), kind: "alert.port-scan", engine: .sense, subject: "port-scan/10.0.0.9/10.0.0.1",
                         vm: "web-1", interface: "vnet3", severity: .medium, threat: .networkThreat, summary: "a scan",
                         evidence: [EventEvidence(kind: "src", value: "10.0.0.9"),
                                    EventEvidence(kind: "memory", path: "/var/lib/x.core", sha256: String(repeating: "ab", count: 32), bytes: 42)],
                         body: "{\"detector\":\"port-scan\"}")
        let bare = Event(time: Event.timestamp(), host: nil, kind: "audit.run", engine: .audit, summary: "bare")
        try store.append([full, bare])
        #expect(try store.events() == [full, bare])
        #expect(full.id != bare.id)
        #expect(full.host == Event.localHost)
    }

    @Test func theSchemaRefusesADuplicateIdABadThreatAndEvidenceThatIsNotAList() throws {
        let store = try StateStore(writer: DatabaseQueue())
        let first = event("audit.run")
        try store.append([first])
        #expect(throws: HyperwardError.self) { try store.append([first]) }
        let queue = try DatabaseQueue()
        _ = try StateStore(writer: queue)
        #expect(throws: (any Error).self) {
            try queue.write { try $0.execute(sql: "INSERT INTO events (time, kind, engine, message, threat) VALUES ('2026-01-01T00:00:00.000Z', 'k', 'e', 'm', 'T6')") }
        }
        #expect(throws: (any Error).self) {
            try queue.write { try $0.execute(sql: "INSERT INTO events (time, kind, engine, message, evidence) VALUES ('2026-01-01T00:00:00.000Z', 'k', 'e', 'm', '{}')") }
        }
        #expect(try store.eventCount() == 1)
    }

    /// A store written before the envelope: migrated in place, its rows untouched and still read,
    /// with a derived id and no host; the append-only triggers still hold.
    @Test func rowsFromBeforeTheEnvelopeReadBackWithADerivedIDAndNoHost() throws {
        let queue = try DatabaseQueue()
        try StateStore.migrator.migrate(queue, upTo: "v2-audit-finding-states")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO events (time, kind, engine, subject, severity, message, data)
                VALUES ('2026-01-01T00:00:00.000Z', 'finding.new', 'audit', 'ksm.run', 'medium', 'ksm.run: fail', '{"status":"fail"}')
                """)
        }
        let store = try StateStore(writer: queue)
        #expect(try store.appliedMigrations().last == "v5-ledger-nodes")
        try store.append([event("audit.run", "after")])
        let events = try store.events()
        #expect(events.count == 2)
        let old = try #require(events.first)
        #expect(old.id == "00000000-0000-8000-8000-000000000001")
        #expect(old.id == StateStore.legacyID(row: 1))
        #expect(old.host == nil && old.vm == nil && old.threat == nil && old.evidence.isEmpty)
        #expect(old.summary == "ksm.run: fail" && old.subject == "ksm.run" && old.severity == .medium)
        #expect(old.body == "{\"status\":\"fail\"}")
        #expect(try store.events().first?.id == old.id, "the derived id is stable across reads")
        #expect(events.last?.id != old.id)
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "UPDATE events SET event_id = 'x'") } }
    }

    @Test func legacyIDsAreVersion8UUIDsOfTheRowNumber() {
        #expect(StateStore.legacyID(row: 255) == "00000000-0000-8000-8000-0000000000ff")
        #expect(StateStore.legacyID(row: 0xFFFF_FFFF_FFFF) == "00000000-0000-8000-8000-ffffffffffff")
    }

    @Test func aFileWhereTheDirectoryShouldBeIsAClearError() throws {
        _ = FileManager.default.createFile(atPath: directory, contents: Data())
        do { _ = try StateStore(stateDirectory: directory); Issue.record("opened a store in a file") } catch {
            #expect(error.code == .storage)
            #expect(error.message.contains(directory))
        }
    }
}
