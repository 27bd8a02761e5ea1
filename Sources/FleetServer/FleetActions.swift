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
import ServiceLifecycle
import Synchronization

/// What an operator can ask a host to do.
public enum FleetActionKind: String, Sendable, CaseIterable, Codable {
    /// Run the audit now and record it.
    case audit
    /// Quarantine a VM: its network cut at the bridge, its conntrack entries deleted, it paused,
    /// its disks frozen in a snapshot (no memory dump: that is an operator's choice on the host).
    case quarantine
    /// Undo a quarantine.
    case release

    var needsVM: Bool { self != .audit }
}

/// An action requested of a host, and where it is.
public struct FleetAction: Sendable, Equatable {
    public enum State: String, Sendable, Codable { case pending, delivered, succeeded, failed }

    public var id: String
    public var host: String
    public var kind: FleetActionKind
    public var vm: String?
    public var reason: String
    public var requestedBy: String
    public var requestedAt: String
    public var state: State
    public var result: String?
    public var finishedAt: String?
}

extension FleetDatabase {
    /// Records an operator's request of `host`; the request is also a `fleet.action.requested`
    /// event of the host. An unknown or revoked host is refused.
    public func requestAction(host: String, kind: FleetActionKind, vm: String?, reason: String, by user: String,
                              now: Date = Date()) throws(HyperwardError) -> FleetAction {
        let reason = reason.trimmingWhitespace()
        guard (1...500).contains(reason.unicodeScalars.count) else { throw HyperwardError(.usage, "an action needs a reason (1-500 characters)") }
        if kind.needsVM {
            guard let vm, !vm.isEmpty, vm.unicodeScalars.count <= 200, !vm.contains("/"), !vm.hasPrefix("-"), vm != ".", vm != ".." else {
                throw HyperwardError(.usage, "\(kind.rawValue) needs the VM's libvirt domain name")
            }
        }
        let time = Event.timestamp(now)
        let action = FleetAction(id: Event.makeID(), host: host, kind: kind, vm: kind.needsVM ? vm : nil, reason: reason, requestedBy: user,
                                 requestedAt: time, state: .pending)
        try write { db in
            guard let revoked = try Row.fetchOne(db, sql: "SELECT revoked_at FROM hosts WHERE name = ?", arguments: [host]) else {
                throw HyperwardError(.unknownItem, "no enrolled host named \(host.debugDescription)")
            }
            if (revoked["revoked_at"] as String?) != nil { throw HyperwardError(.refused, "host \(host) is revoked") }
            try db.execute(sql: """
                INSERT INTO actions (id, host, kind, vm, reason, requested_by, requested_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')
                """, arguments: [action.id, host, kind.rawValue, action.vm, reason, user, time])
            try Self.recordFleetEvent(db, host: host, kind: "fleet.action.requested", subject: action.id, vm: action.vm, severity: .low,
                                      summary: "\(user) asked \(host) to \(kind.rawValue)\(action.vm.map { " VM \($0)" } ?? ""): \(reason)", time: time)
        }
        return action
    }

    /// The actions of `host` not yet delivered, oldest first, now marked delivered (each is
    /// handed out once; a host that crashes before reporting leaves it `delivered`, visible).
    public func takePendingActions(host: String, now: Date = Date()) throws(HyperwardError) -> [FleetAction] {
        try write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM actions WHERE host = ? AND state = 'pending' ORDER BY requested_at LIMIT 20",
                                        arguments: [host])
            for row in rows {
                try db.execute(sql: "UPDATE actions SET state = 'delivered', delivered_at = ? WHERE id = ?", arguments: [Event.timestamp(now), row["id"] as String])
            }
            return rows.compactMap(Self.action).map { var a = $0; a.state = .delivered; return a }
        }
    }

    /// Records what the host reported for its action `id` (only a delivered action of that host).
    public func finishAction(id: String, host: String, succeeded: Bool, message: String, now: Date = Date()) throws(HyperwardError) {
        let time = Event.timestamp(now)
        let message = String(message.prefix(2000))
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM actions WHERE id = ? AND host = ?", arguments: [id, host]),
                  let action = Self.action(row) else {
                throw HyperwardError(.unknownItem, "no action \(id.prefix(64).debugDescription) for this host")
            }
            guard action.state == .delivered else { throw HyperwardError(.cannotCreate, "action \(id) is \(action.state.rawValue), not awaiting a result") }
            try db.execute(sql: "UPDATE actions SET state = ?, result = ?, finished_at = ? WHERE id = ?",
                           arguments: [succeeded ? "succeeded" : "failed", message, time, id])
            try Self.recordFleetEvent(db, host: host, kind: succeeded ? "fleet.action.succeeded" : "fleet.action.failed", subject: id, vm: action.vm,
                                      severity: succeeded ? .info : .medium,
                                      summary: "\(host) \(succeeded ? "did" : "could not") \(action.kind.rawValue)\(action.vm.map { " VM \($0)" } ?? ""): \(message)",
                                      time: time)
        }
    }

    /// Actions, newest first (of one host, or all).
    public func actions(host: String? = nil, limit: Int = 50) throws(HyperwardError) -> [FleetAction] {
        try read { db in
            let rows = if let host {
                try Row.fetchAll(db, sql: "SELECT * FROM actions WHERE host = ? ORDER BY requested_at DESC LIMIT ?", arguments: [host, limit])
            } else {
                try Row.fetchAll(db, sql: "SELECT * FROM actions ORDER BY requested_at DESC LIMIT ?", arguments: [limit])
            }
            return rows.compactMap(Self.action)
        }
    }

    static func action(_ row: Row) -> FleetAction? {
        guard let kind = FleetActionKind(rawValue: row["kind"]), let state = FleetAction.State(rawValue: row["state"]) else { return nil }
        return FleetAction(id: row["id"], host: row["host"], kind: kind, vm: row["vm"], reason: row["reason"], requestedBy: row["requested_by"],
                           requestedAt: row["requested_at"], state: state, result: row["result"], finishedAt: row["finished_at"])
    }

    /// An event the server itself records about a host (requests, results, acknowledgements).
    /// - Returns: the event's id.
    @discardableResult
    static func recordFleetEvent(_ db: Database, host: String, kind: String, subject: String?, vm: String?, severity: Severity,
                                 threat: ThreatClass? = nil, summary: String, evidence: [EventEvidence] = [], time: String) throws -> String {
        let event = Event(time: time, host: host, kind: kind, engine: "fleet", subject: subject, vm: vm, severity: severity, threat: threat,
                          summary: summary, evidence: evidence)
        try db.execute(sql: "INSERT INTO events (id, host, time, kind, severity, vm, envelope, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       arguments: [event.id, host, time, event.kind, event.severity?.rawValue, vm, event.jsonLine(), time])
        return event.id
    }
}

/// Wakes a host's long-poll when an action for it is requested in this process (a counter per
/// host the poll watches); other server processes' requests are found by the poll's periodic
/// look at the database.
final class ActionSignal: Sendable {
    private let generations = Mutex<[String: UInt64]>([:])

    func notify(_ host: String) { generations.withLock { $0[host, default: 0] &+= 1 } }

    func generation(_ host: String) -> UInt64 { generations.withLock { $0[host] ?? 0 } }

    /// Returns when `host` is notified, or after `timeout`.
    func wait(_ host: String, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        let start = generation(host)
        while ContinuousClock.now < deadline, generation(host) == start, !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}
