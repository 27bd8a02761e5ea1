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

/// Hyperward's version.
public enum HyperwardVersion {
    /// The version string of this build.
    public static let current = "0.1.0"
}

/// Something that happened, as recorded in the state store's append-only `events` table: an audit
/// run, a finding that changed, and (later) alerts, key operations and responses.
public struct Event: Sendable, Codable, Hashable {
    /// When it happened, ISO 8601 UTC with fractional seconds.
    public var time: String
    /// What happened, dotted: `audit.run`, `finding.changed`, `finding.new`, `finding.resolved`.
    public var kind: String
    /// The engine that recorded it (`audit`, `agent`, …).
    public var engine: String
    /// What it is about (a finding key, a VM), if anything.
    public var subject: String?
    /// Its severity, where it has one.
    public var severity: Severity?
    /// A one-line human summary; never a secret.
    public var message: String
    /// Structured details as a JSON object text.
    public var data: String?

    /// Creates an event.
    public init(time: String, kind: String, engine: String, subject: String? = nil, severity: Severity? = nil,
                message: String, data: String? = nil) {
        self.time = time
        self.kind = kind
        self.engine = engine
        self.subject = subject
        self.severity = severity
        self.message = message
        self.data = data
    }

    /// The current time in the events' format.
    public static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
