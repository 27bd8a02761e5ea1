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

import Crypto
import Foundation
import GRDB
import HyperwardCore

/// What the dashboard reads and writes: sessions, acknowledgements, and the fleet's summaries.
extension FleetDatabase {
    // MARK: Sessions

    /// A signed-in person: their name and role, and the CSRF token their forms carry.
    public struct Session: Sendable, Equatable {
        public var user: String
        public var role: Role
        public var csrf: String
    }

    /// How long a session lasts.
    public static let sessionLifetime: TimeInterval = 8 * 3600

    /// Starts a session for the holder of API token `token`: returns the session id (the cookie's
    /// value; stored only as its SHA-256) and the session, or nil for a token that is not valid.
    public func startSession(token: String, now: Date = Date()) throws(HyperwardError) -> (id: String, session: Session)? {
        guard let user = try apiUser(token: token) else { return nil }
        let id = Self.randomToken()
        let csrf = Self.randomToken()
        try write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at <= ?", arguments: [now.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO sessions (sha256, user, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [Self.digest(id), user.name, csrf, Event.timestamp(now), now.timeIntervalSince1970 + Self.sessionLifetime])
        }
        return (id, Session(user: user.name, role: user.role, csrf: csrf))
    }

    /// The session a cookie names, while it lasts and its user's token is not revoked.
    public func session(id: String, now: Date = Date()) throws(HyperwardError) -> Session? {
        guard (20...128).contains(id.utf8.count) else { return nil }
        return try read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT s.user, s.csrf, t.role FROM sessions s JOIN api_tokens t ON t.name = s.user AND t.revoked_at IS NULL
                WHERE s.sha256 = ? AND s.expires_at > ?
                """, arguments: [Self.digest(id), now.timeIntervalSince1970]),
                  let role = Role(rawValue: row["role"]) else { return nil }
            return Session(user: row["user"], role: role, csrf: row["csrf"])
        }
    }

    /// Ends a session.
    public func endSession(id: String) throws(HyperwardError) {
        try write { db in try db.execute(sql: "DELETE FROM sessions WHERE sha256 = ?", arguments: [Self.digest(id)]) }
    }

    // MARK: Acknowledgements

    /// An operator's word on an alert: seen (with why, until when), or a false positive.
    public struct Acknowledgement: Sendable, Equatable {
        public var by: String
        public var reason: String
        public var falsePositive: Bool
        public var at: String
        public var expiresAt: String?
    }

    /// Acknowledges event `id`, recording who, why and until when; the acknowledgement is itself
    /// recorded as a `fleet.alert.acknowledged` event of the event's host.
    public func acknowledge(eventID id: String, by user: String, reason: String, falsePositive: Bool, expiresIn: TimeInterval?,
                            now: Date = Date()) throws(HyperwardError) {
        let reason = reason.trimmingWhitespace()
        guard (1...500).contains(reason.unicodeScalars.count) else {
            throw HyperwardError(.usage, "an acknowledgement needs a reason (1-500 characters)")
        }
        if let expiresIn, !(60...(90 * 86_400)).contains(expiresIn) {
            throw HyperwardError(.usage, "an acknowledgement lasts from 1 minute to 90 days")
        }
        let time = Event.timestamp(now)
        let expires = expiresIn.map { Event.timestamp(now.addingTimeInterval($0)) }
        try write { db in
            guard let host = try String.fetchOne(db, sql: "SELECT host FROM events WHERE id = ?", arguments: [id]) else {
                throw HyperwardError(.unknownItem, "no event \(id.prefix(64).debugDescription)")
            }
            try db.execute(sql: """
                INSERT INTO acknowledgements (event_id, by_user, reason, false_positive, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(event_id) DO UPDATE SET by_user = excluded.by_user, reason = excluded.reason,
                    false_positive = excluded.false_positive, created_at = excluded.created_at, expires_at = excluded.expires_at
                """, arguments: [id, user, reason, falsePositive, time, expires])
            try Self.recordFleetEvent(db, host: host, kind: "fleet.alert.acknowledged", subject: id, vm: nil, severity: .info,
                                      summary: "\(user) acknowledged \(id)\(falsePositive ? " as a false positive" : ""): \(reason)"
                                          + (expires.map { " (until \($0))" } ?? ""), time: time)
        }
    }

    // MARK: Summaries

    /// One row of the fleet overview.
    public struct HostSummary: Sendable {
        public var host: Host
        /// The latest audit's score (0-100) and failing findings, when an audit was pushed.
        public var score: Int?
        public var failing: Int?
        /// High and critical alerts (not findings) in the last 24 hours.
        public var alerts24h: Int
        /// The latest attestation: true passed, false failed, nil none.
        public var attested: Bool?
        /// The witnessed ledger size, and whether a checkpoint was ever refused.
        public var ledgerSize: UInt64?
        public var ledgerInconsistent: Bool
        public var events: Int
    }

    /// Alerts: high and critical events that are not posture findings.
    static let alertClause = "severity IN ('high', 'critical') AND kind NOT LIKE 'finding.%'"

    /// The overview of every host.
    public func hostSummaries(host only: String? = nil, now: Date = Date()) throws(HyperwardError) -> [HostSummary] {
        let hosts = try hosts().filter { only == nil || $0.name == only }
        let since = Event.timestamp(now.addingTimeInterval(-86_400))
        return try read { db in
            var alerts: [String: Int] = [:]
            // The partial index of alerts, named: for a GROUP BY host SQLite would rather walk every
            // event in host order (2 s at a million events, 20 ms this way).
            for row in try Row.fetchAll(db, sql: "SELECT host, count(*) AS n FROM events INDEXED BY events_alerts_time WHERE time >= ? AND \(Self.alertClause) GROUP BY host",
                                        arguments: [since]) {
                alerts[row["host"]] = row["n"]
            }
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, event_count FROM hosts") { counts[row["name"]] = row["event_count"] }
            var ledgers: [String: UInt64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT host, size FROM host_ledgers") { ledgers[row["host"]] = UInt64(row["size"] as Int64) }
            return try hosts.map { host in
                var summary = HostSummary(host: host, alerts24h: alerts[host.name] ?? 0, ledgerSize: ledgers[host.name],
                                          ledgerInconsistent: host.ledgerRefusedAt != nil, events: counts[host.name] ?? 0)
                if let envelope = try String.fetchOne(db, sql: "SELECT envelope FROM events WHERE host = ? AND kind = 'audit.run' ORDER BY seq DESC LIMIT 1",
                                                      arguments: [host.name]),
                   let body = Self.body(envelope) {
                    summary.score = body["score"] as? Int
                    summary.failing = (body["counts"] as? [String: Any])?["fail"] as? Int
                }
                // Two index seeks (host, kind): left to itself SQLite walks all the host's events.
                if let kind = try String.fetchOne(db, sql: """
                    SELECT kind FROM events INDEXED BY events_host_kind_seq WHERE host = ? AND kind IN ('attest.verified', 'attest.failed')
                    GROUP BY kind ORDER BY max(seq) DESC LIMIT 1
                    """, arguments: [host.name]) {
                    summary.attested = kind == "attest.verified"
                }
                return summary
            }
        }
    }

    static func body(_ envelope: String) -> [String: Any]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(envelope.utf8)) as? [String: Any] else { return nil }
        return object["body"] as? [String: Any]
    }

    /// High and critical alerts per hour over the last `hours` hours (oldest first), for one host or all.
    public func alertsPerHour(host: String? = nil, hours: Int = 24, now: Date = Date()) throws(HyperwardError) -> [(hour: String, count: Int)] {
        let start = now.addingTimeInterval(-Double(hours - 1) * 3600)
        let since = String(Event.timestamp(start).prefix(13))
        var sql = "SELECT substr(time, 1, 13) AS hour, count(*) AS n FROM events WHERE time >= ? AND \(Self.alertClause)"
        var arguments: StatementArguments = [since]
        if let host { sql += " AND host = ?"; arguments += [host] }
        sql += " GROUP BY hour"
        let counts: [String: Int] = try read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: sql, arguments: arguments) { counts[row["hour"]] = row["n"] }
            return counts
        }
        return (0..<hours).map { offset in
            let hour = String(Event.timestamp(start.addingTimeInterval(Double(offset) * 3600)).prefix(13))
            return (hour, counts[hour] ?? 0)
        }
    }

    /// A host's posture scores over time (its audits, oldest first, at most `limit`).
    public func scoreHistory(host: String, limit: Int = 60) throws(HyperwardError) -> [(time: String, score: Int)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT time, envelope FROM events WHERE host = ? AND kind = 'audit.run' ORDER BY seq DESC LIMIT ?",
                             arguments: [host, limit]).reversed().compactMap { row in
                (Self.body(row["envelope"])?["score"] as? Int).map { (time: row["time"] as String, score: $0) }
            }
        }
    }

    /// A current finding of a host, as its latest `finding.*` event left it.
    public struct Finding: Sendable {
        public var key: String
        public var status: String
        public var severity: String?
        public var threat: String?
        public var detail: String
        public var time: String
    }

    /// A host's current findings that are not passing (fail, warn), worst first.
    public func currentFindings(host: String) throws(HyperwardError) -> [Finding] {
        let rows: [Row] = try read { db in
            try Row.fetchAll(db, sql: """
                SELECT envelope FROM events WHERE seq IN (
                    SELECT max(seq) FROM events WHERE host = ? AND kind IN ('finding.new', 'finding.changed', 'finding.resolved')
                    GROUP BY json_extract(envelope, '$.subject'))
                """, arguments: [host])
        }
        let order = ["critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4]
        return rows.compactMap { row -> Finding? in
            guard let object = try? JSONSerialization.jsonObject(with: Data((row["envelope"] as String).utf8)) as? [String: Any],
                  object["kind"] as? String != "finding.resolved", let body = object["body"] as? [String: Any],
                  let status = body["status"] as? String, status == "fail" || status == "warn" else { return nil }
            return Finding(key: object["subject"] as? String ?? "", status: status, severity: object["severity"] as? String,
                           threat: object["threat"] as? String, detail: body["detail"] as? String ?? "", time: object["time"] as? String ?? "")
        }.sorted { (order[$0.severity ?? "info"] ?? 5, $0.key) < (order[$1.severity ?? "info"] ?? 5, $1.key) }
    }

    /// One event as the dashboard lists it, with its acknowledgement.
    public struct ListedEvent: Sendable {
        public var seq: Int64
        public var host: String
        public var id: String
        public var kind: String
        public var severity: String?
        public var time: String
        public var summary: String
        public var vm: String?
        public var engine: String
        public var acknowledgement: Acknowledgement?

        init(seq: Int64, host: String, envelope: [String: Any], acknowledgement: Acknowledgement?) {
            self.seq = seq
            self.host = host
            id = envelope["id"] as? String ?? ""
            kind = envelope["kind"] as? String ?? ""
            severity = envelope["severity"] as? String
            time = envelope["time"] as? String ?? ""
            summary = envelope["summary"] as? String ?? ""
            vm = envelope["vm"] as? String
            engine = envelope["engine"] as? String ?? ""
            self.acknowledgement = acknowledgement
        }
    }

    /// Events for the dashboard's lists, newest first, with the filters it offers.
    public func listedEvents(host: String? = nil, kind: String? = nil, severity: String? = nil, engine: String? = nil, vm: String? = nil,
                             alertsOnly: Bool = false, since: String? = nil, limit: Int = 100) throws(HyperwardError) -> [ListedEvent] {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let host { clauses.append("e.host = ?"); arguments += [host] }
        if let kind { clauses.append("e.kind = ?"); arguments += [kind] }
        if let severity { clauses.append("e.severity = ?"); arguments += [severity] }
        if let vm { clauses.append("e.vm = ?"); arguments += [vm] }
        if let engine { clauses.append("json_extract(e.envelope, '$.engine') = ?"); arguments += [engine] }
        if let since { clauses.append("e.time >= ?"); arguments += [since] }
        if alertsOnly { clauses.append(Self.alertClause.replacingOccurrences(of: "severity", with: "e.severity").replacingOccurrences(of: "kind", with: "e.kind")) }
        arguments += [min(max(limit, 1), 500)]
        let sql = """
            SELECT e.seq, e.host, e.envelope, a.by_user, a.reason, a.false_positive, a.created_at, a.expires_at
            FROM events e LEFT JOIN acknowledgements a ON a.event_id = e.id
            \(clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")) ORDER BY e.seq DESC LIMIT ?
            """
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row in
                guard let envelope = try? JSONSerialization.jsonObject(with: Data((row["envelope"] as String).utf8)) as? [String: Any] else { return nil }
                var acknowledgement: Acknowledgement?
                if let by = row["by_user"] as String? {
                    acknowledgement = Acknowledgement(by: by, reason: row["reason"], falsePositive: row["false_positive"], at: row["created_at"],
                                                      expiresAt: row["expires_at"])
                }
                return ListedEvent(seq: row["seq"], host: row["host"], envelope: envelope, acknowledgement: acknowledgement)
            }
        }
    }
}
