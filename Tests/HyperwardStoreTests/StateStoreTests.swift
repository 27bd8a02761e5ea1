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
        Event(time: Event.timestamp(), kind: kind, engine: "test", message: message, data: "{\"a\":1}")
    }

    @Test func createsAPrivateDirectoryAndFileAndAppliesNamedMigrations() throws {
        let store = try StateStore(stateDirectory: directory)
        #expect(try store.appliedMigrations() == ["v1-events", "v2-audit-finding-states"])
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
            try store.append([Event(time: Event.timestamp(), kind: "", engine: "t", message: "m")])
        }
        #expect(throws: HyperwardError.self) {
            try store.append([Event(time: Event.timestamp(), kind: "k", engine: "t", message: "m", data: "{not json")])
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

    @Test func aFileWhereTheDirectoryShouldBeIsAClearError() throws {
        _ = FileManager.default.createFile(atPath: directory, contents: Data())
        do { _ = try StateStore(stateDirectory: directory); Issue.record("opened a store in a file") } catch {
            #expect(error.code == .storage)
            #expect(error.message.contains(directory))
        }
    }
}
