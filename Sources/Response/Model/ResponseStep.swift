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

import HyperwardCore

/// One step of a response as it is recorded: a line for the operator, an event
/// (`respond.<kind>`), a line in the case file, and the evidence or snapshot entry it adds.
public struct ResponseStep: Codable, Sendable, Equatable {
    /// The step, dotted: `quarantine.network`, `release.resume`, `snapshot.disk`…
    public var kind: String
    /// What was done, as the operator reads it.
    public var message: String
    /// The event's severity.
    public var severity: Severity
    /// The event body's fields (the driver adds `vm`, `uuid` and the quarantine id).
    public var data: [String: String]
    /// The evidence file the step kept, added to the case and the event.
    public var evidence: ResponseCase.Evidence?
    /// The snapshot entry the step recorded.
    public var snapshot: ResponseCase.Snapshot?

    /// Creates a step.
    public init(kind: String, message: String, severity: Severity = .info, data: [String: String] = [:],
                evidence: ResponseCase.Evidence? = nil, snapshot: ResponseCase.Snapshot? = nil) {
        self.kind = kind
        self.message = message
        self.severity = severity
        self.data = data
        self.evidence = evidence
        self.snapshot = snapshot
    }
}
