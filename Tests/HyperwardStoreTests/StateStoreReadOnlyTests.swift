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

@testable import HyperwardStore

/// `hyperward events` reads without creating: a mistyped state directory leaves nothing behind.
@Suite("State store, read only")
struct StateStoreReadOnlyTests {
    @Test func aMissingDirectoryIsNotFoundAndNotCreated() {
        let directory = FileManager.default.temporaryDirectory.path + "/hw-store-\(UUID().uuidString)"
        #expect {
            _ = try StateStore.openExisting(stateDirectory: directory)
        } throws: { ($0 as? HyperwardError)?.code == .notFound && "\($0)".contains(directory) }
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test func anEmptyDirectoryGetsNoDatabase() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/hw-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: HyperwardError.self) { _ = try StateStore.openExisting(stateDirectory: directory) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test func anExistingStoreIsReadAndNotWritten() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/hw-store-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try StateStore(stateDirectory: directory)
        try store.append([Event(time: "2026-01-01T00:00:00.000Z", kind: "test.event", engine: "test", summary: "hello")])
        let reader = try StateStore.openExisting(stateDirectory: directory)
        #expect(try reader.events().map(\.summary) == ["hello"])
        #expect(throws: HyperwardError.self) {
            try reader.append([Event(time: "2026-01-01T00:00:01.000Z", kind: "test.event", engine: "test", summary: "no")])
        }
    }
}
