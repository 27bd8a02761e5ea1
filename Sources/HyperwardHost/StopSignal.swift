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

import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A stop request that loops polling between blocking calls see (a live capture checks it at
/// each receive timeout): raised by its owner, or by SIGINT/SIGTERM once
/// `stopOnTerminationSignals()` installed the handlers.
public final class StopSignal: Sendable {
    private let raised = Atomic<Bool>(false)

    /// Set from a signal handler: only an atomic store is async-signal-safe there.
    private static let terminationRequested = Atomic<Bool>(false)

    public init() {}

    /// Asks every loop watching this signal to stop.
    public func raise() { raised.store(true, ordering: .releasing) }

    /// Whether a stop was asked (by `raise()`, or by a termination signal when handled).
    public var isRaised: Bool {
        raised.load(ordering: .acquiring) || Self.terminationRequested.load(ordering: .acquiring)
    }

    /// Makes SIGINT and SIGTERM raise every stop signal instead of ending the process at once:
    /// the loops end at their next check and the command reports what it saw.
    public static func stopOnTerminationSignals() {
        // Touched once before the handlers exist, so the handler never runs a lazy initializer.
        _ = terminationRequested.load(ordering: .relaxed)
        signal(SIGINT) { _ in StopSignal.terminationRequested.store(true, ordering: .releasing) }
        signal(SIGTERM) { _ in StopSignal.terminationRequested.store(true, ordering: .releasing) }
    }
}
