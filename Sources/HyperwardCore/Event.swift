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

/// Something that happened, in the one shape every engine reports it: an audit run or finding
/// change, a sensor alert, a monitor incident, a response step, a key operation.
///
/// This envelope is what the state store's append-only `events` table holds, what
/// `hyperward events` prints and what a ledger or a fleet server consumes. Its JSON form is
/// `docs/events.schema.json` (`schema_version` ``Event/schemaVersion``); `docs/events.md` lists
/// the kinds each engine emits.
public struct Event: Sendable, Hashable {
    /// The version of the envelope's JSON form. Adding a field keeps it; renaming, removing or
    /// retyping one bumps it.
    public static let schemaVersion = 1

    /// A unique identifier assigned when the event is created: a lowercase UUID.
    public var id: String
    /// When it happened, ISO 8601 UTC with fractional seconds.
    public var time: String
    /// The name of the host that recorded it (`/proc/sys/kernel/hostname`); `nil` when unknown.
    public var host: String?
    /// The engine that recorded it.
    public var engine: Engine
    /// What happened, dotted: `audit.run`, `finding.changed`, `alert.port-scan`, `monitor.opened`,
    /// `respond.quarantine.disk`, `key.create`, `vm.start`.
    public var kind: String
    /// Its severity, where it has one.
    public var severity: Severity?
    /// What it is about, free-form: a finding key, a sensor incident, a key name.
    public var subject: String?
    /// The virtual machine it concerns, when known.
    public var vm: String?
    /// The network interface it was seen on (a bridge or a VM's tap), when known.
    public var interface: String?
    /// The threat class it belongs to, where known.
    public var threat: ThreatClass?
    /// A one-line human summary; never a secret.
    public var summary: String
    /// What backs it up: values read, addresses and counts, hashed files.
    public var evidence: [EventEvidence]
    /// Engine-specific details as a JSON object text (a sensor alert's JSON, a monitor incident's).
    public var body: String?

    /// Creates an event with a fresh ``id`` recorded on this host.
    public init(id: String = Event.makeID(), time: String, host: String? = Event.localHost, kind: String,
                engine: Engine, subject: String? = nil, vm: String? = nil, interface: String? = nil,
                severity: Severity? = nil, threat: ThreatClass? = nil, summary: String,
                evidence: [EventEvidence] = [], body: String? = nil) {
        self.id = id
        self.time = time
        self.host = host
        self.engine = engine
        self.kind = kind
        self.severity = severity
        self.subject = subject
        self.vm = vm
        self.interface = interface
        self.threat = threat
        self.summary = summary
        self.evidence = evidence
        self.body = body
    }

    /// A new event identifier: a random (version 4) UUID in lowercase.
    public static func makeID() -> String { UUID().uuidString.lowercased() }

    /// This host's name, read once from `/proc/sys/kernel/hostname` (else `gethostname(2)`);
    /// `nil` when neither gives one.
    public static let localHost: String? = {
        if let text = try? String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8) {
            let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !name.isEmpty { return name }
        }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? nil : name
    }()

    /// The current time in the events' format.
    /// RFC 3339 in UTC with milliseconds (`2026-01-01T00:00:00.000Z`), rounded to the nearest
    /// millisecond as `ISO8601DateFormatter` does. Formatted with `gmtime_r`: making an
    /// `ISO8601DateFormatter` for each event cost more than storing the event and its leaf.
    public static func timestamp(_ date: Date = Date()) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        guard milliseconds.magnitude < 1e17 else { return "1970-01-01T00:00:00.000Z" }
        let total = Int64(milliseconds)
        let fraction = Int((total % 1000 + 1000) % 1000)
        var seconds = time_t((total - Int64(fraction)) / 1000)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "1970-01-01T00:00:00.000Z" }
        var out: [UInt8] = []
        out.reserveCapacity(24)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var value = value
            for _ in 0..<count {
                out.append(UInt8(0x30 + value / divisor % 10))
                value %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        out.append(0x2D)
        digits(Int(parts.tm_mon) + 1, 2)
        out.append(0x2D)
        digits(Int(parts.tm_mday), 2)
        out.append(0x54)
        digits(Int(parts.tm_hour), 2)
        out.append(0x3A)
        digits(Int(parts.tm_min), 2)
        out.append(0x3A)
        digits(Int(parts.tm_sec), 2)
        out.append(0x2E)
        digits(fraction, 3)
        out.append(0x5A)
        return String(decoding: out, as: UTF8.self)
    }
}

extension Event {
    /// The engine that records an event. Open-ended (a struct of known values, not an enum), so a
    /// new engine breaks no consumer; its JSON form is the raw string.
    public struct Engine: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
        public var rawValue: String

        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { rawValue = value }
        public var description: String { rawValue }

        /// The host posture audit: runs and finding changes.
        public static let audit: Engine = "audit"
        /// The network sensor: intrusion alerts and prevention actions.
        public static let sense: Engine = "sense"
        /// The VM resource monitor: incidents and automatic responses.
        public static let monitor: Engine = "monitor"
        /// The incident responder: quarantine, evidence, release, restore.
        public static let respond: Engine = "respond"
        /// Key management: keystore operations and key releases to VMs.
        public static let keys: Engine = "keys"
        /// The network policy engine.
        public static let net: Engine = "net"
        /// The agent itself.
        public static let agent: Engine = "agent"
        /// Measured-boot attestation.
        public static let attest: Engine = "attest"
    }
}
