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

/// A JSON-representable evidence value, kept in insertion order so output is stable.
public indirect enum EvidenceValue: Sendable, Hashable {
    case int(Int64)
    case double(Double)
    case string(String)
    case bool(Bool)
    case list([EvidenceValue])
    case object([(String, EvidenceValue)])

    public static func == (lhs: EvidenceValue, rhs: EvidenceValue) -> Bool {
        switch (lhs, rhs) {
        case let (.int(a), .int(b)): a == b
        case let (.double(a), .double(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case let (.list(a), .list(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .int(let v): hasher.combine(0); hasher.combine(v)
        case .double(let v): hasher.combine(1); hasher.combine(v)
        case .string(let v): hasher.combine(2); hasher.combine(v)
        case .bool(let v): hasher.combine(3); hasher.combine(v)
        case .list(let v): hasher.combine(4); hasher.combine(v)
        case .object(let v):
            hasher.combine(5)
            for (key, value) in v { hasher.combine(key); hasher.combine(value) }
        }
    }
}

/// One intrusion alert: one per incident, re-emitted with growing counts while it goes on.
public struct Alert: Sendable, Hashable {
    /// When the incident was (last) observed: the time of the deciding packet.
    public var time: Timestamp
    /// Which detector raised it.
    public var detector: DetectorKind
    /// How bad it is.
    public var severity: Severity
    /// The threat class (normally T5 network threats; T2 for attacks by a VM on its neighbours).
    public var threat: ThreatClass
    /// A one-line human summary; never contains a secret unless the operator asked for secrets.
    public var summary: String
    /// The offending source (an address, or a MAC for layer-2 detectors), if any.
    public var src: String?
    /// The victim or destination, if any.
    public var dst: String?
    /// The destination port, where it applies.
    public var dstPort: UInt16?
    /// For credentials: the protocol (`ftp`, `telnet`, `http-basic`, `http-form`, `pop3`, `imap`, `smtp`).
    public var protocolName: String?
    /// For credentials: the user name.
    public var user: String?
    /// For credentials: `success`, `failure` or `unknown`.
    public var outcome: String?
    /// Whether the source address could have been forged (decides whether prevention may block it).
    public var sourceMayBeSpoofed: Bool
    /// A stable key identifying the incident (same key = same incident, an update).
    public var incident: String
    /// How many times this incident has been reported so far (1 for the first alert).
    public var occurrence: Int
    /// Counts, windows and the packets or frames that decided it.
    public var evidence: [(String, EvidenceValue)]

    /// Creates an alert.
    public init(time: Timestamp, detector: DetectorKind, severity: Severity, threat: ThreatClass = .networkThreat,
                summary: String, src: String? = nil, dst: String? = nil, dstPort: UInt16? = nil,
                protocolName: String? = nil, user: String? = nil, outcome: String? = nil,
                sourceMayBeSpoofed: Bool = true, incident: String, occurrence: Int = 1,
                evidence: [(String, EvidenceValue)] = []) {
        self.time = time
        self.detector = detector
        self.severity = severity
        self.threat = threat
        self.summary = summary
        self.src = src
        self.dst = dst
        self.dstPort = dstPort
        self.protocolName = protocolName
        self.user = user
        self.outcome = outcome
        self.sourceMayBeSpoofed = sourceMayBeSpoofed
        self.incident = incident
        self.occurrence = occurrence
        self.evidence = evidence
    }

    public static func == (lhs: Alert, rhs: Alert) -> Bool {
        lhs.time == rhs.time && lhs.detector == rhs.detector && lhs.incident == rhs.incident
            && lhs.occurrence == rhs.occurrence && lhs.summary == rhs.summary
            && EvidenceValue.object(lhs.evidence) == EvidenceValue.object(rhs.evidence)
            && lhs.src == rhs.src && lhs.dst == rhs.dst && lhs.dstPort == rhs.dstPort
            && lhs.user == rhs.user && lhs.outcome == rhs.outcome && lhs.severity == rhs.severity
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(time)
        hasher.combine(detector)
        hasher.combine(incident)
        hasher.combine(occurrence)
    }
}
