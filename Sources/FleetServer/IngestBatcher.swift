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
import Synchronization

/// Group commit for pushes: while one transaction is being written and synced to disk, the
/// pushes that arrive wait, and the next transaction takes all of them. Each push is answered
/// only after its transaction is on disk (an acknowledged event survives a power loss), but a
/// thousand hosts pushing at once cost a few syncs, not a thousand.
final class IngestBatcher: Sendable {
    struct Waiting {
        var push: FleetDatabase.Push
        var continuation: CheckedContinuation<FleetDatabase.IngestResult, any Error>
    }

    struct State {
        var waiting: [Waiting] = []
        var writing = false
    }

    let database: FleetDatabase
    /// The most pushes one transaction takes.
    let maxBatch: Int
    private let state = Mutex(State())

    init(database: FleetDatabase, maxBatch: Int = 256) {
        self.database = database
        self.maxBatch = maxBatch
    }

    /// Stores `push` with whatever else is waiting; returns once its transaction committed.
    func ingest(_ push: FleetDatabase.Push) async throws -> FleetDatabase.IngestResult {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.waiting.append(Waiting(push: push, continuation: continuation))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            // The first to arrive while nothing is being written writes, on a thread of its own
            // (the database's calls block), until nothing is left waiting.
            if start { Thread.detachNewThread { [self] in drain() } }
        }
    }

    private func drain() {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let taken = Array(state.waiting.prefix(maxBatch))
                state.waiting.removeFirst(taken.count)
                if taken.isEmpty { state.writing = false }
                return taken
            }
            guard !batch.isEmpty else { return }
            do {
                let outcomes = try database.ingest(batch.map(\.push))
                for (waiting, outcome) in zip(batch, outcomes) {
                    switch outcome {
                    case .success(let result): waiting.continuation.resume(returning: result)
                    case .failure(let error): waiting.continuation.resume(throwing: error)
                    }
                }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
