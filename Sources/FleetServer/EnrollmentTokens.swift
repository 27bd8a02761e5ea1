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

extension FleetDatabase {
    /// A token made for one enrollment: shown once, stored only as its SHA-256.
    public struct NewToken: Sendable {
        /// The token, `hwt_` and 43 base64url characters (256 random bits).
        public var token: String
        /// The group a host enrolled with it joins.
        public var group: String
        /// When it stops working.
        public var expiresAt: Date
    }

    /// The most a token may live: enrollment is a moment, not a standing credential.
    public static let maxTokenLifetime: TimeInterval = 7 * 86_400

    /// Makes a one-time enrollment token for `group`, valid for `lifetime`.
    public func createToken(group: String, lifetime: TimeInterval, by creator: String, now: Date = Date()) throws(HyperwardError) -> NewToken {
        guard Self.isValidName(group) else {
            throw HyperwardError(.usage, "group \(group.debugDescription) must be 1-64 letters, digits, '.', '_' or '-'")
        }
        guard lifetime >= 60, lifetime <= Self.maxTokenLifetime else {
            throw HyperwardError(.usage, "a token lives from 1 minute to 7 days")
        }
        let token = "hwt_" + Self.randomToken()
        let expires = now.addingTimeInterval(lifetime)
        try write { db in
            try db.execute(sql: """
                INSERT INTO enrollment_tokens (sha256, host_group, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [Self.digest(token), group, Event.timestamp(now), creator, expires.timeIntervalSince1970])
        }
        return NewToken(token: token, group: group, expiresAt: expires)
    }

    /// Uses `token` up for `host`: returns its group. Unknown, expired and used tokens are one
    /// refusal with one message, so a caller learns nothing about which it was. Atomic: of two
    /// enrollments racing with one token, exactly one wins.
    public func consumeToken(_ token: String, host: String, now: Date = Date()) throws(HyperwardError) -> String {
        guard Self.isValidName(host) else {
            throw HyperwardError(.usage, "host name \(host.debugDescription) must be 1-64 letters, digits, '.', '_' or '-'")
        }
        let refused = HyperwardError(.refused, "the enrollment token is not valid (unknown, expired or already used)")
        guard token.hasPrefix("hwt_"), token.utf8.count <= 128 else { throw refused }
        let group: String? = try write { db in
            try db.execute(sql: """
                UPDATE enrollment_tokens SET used_at = ?, used_by = ?
                WHERE sha256 = ? AND used_at IS NULL AND expires_at > ?
                """, arguments: [Event.timestamp(now), host, Self.digest(token), now.timeIntervalSince1970])
            guard db.changesCount == 1 else { return nil }
            return try String.fetchOne(db, sql: "SELECT host_group FROM enrollment_tokens WHERE sha256 = ?", arguments: [Self.digest(token)])
        }
        guard let group else { throw refused }
        return group
    }

    /// Records `host` as enrolled in `group` with its certificate's serial. A name enrolls once:
    /// an enrolled name is not taken over by a second enrollment, and a revoked one never returns.
    public func recordEnrollment(host: String, group: String, certificateSerial: String, hostname: String? = nil,
                                 now: Date = Date()) throws(HyperwardError) {
        try write { db in
            if let revoked = try String.fetchOne(db, sql: "SELECT revoked_at FROM hosts WHERE name = ? AND revoked_at IS NOT NULL", arguments: [host]) {
                throw HyperwardError(.refused, "host \(host) was revoked at \(revoked); it cannot enroll again under that name")
            }
            try db.execute(sql: """
                INSERT INTO hosts (name, host_group, enrolled_at, certificate_serial, hostname) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(name) DO NOTHING
                """, arguments: [host, group, Event.timestamp(now), certificateSerial, hostname])
            guard db.changesCount == 1 else {
                throw HyperwardError(.refused, "a host named \(host) is already enrolled; a name is enrolled once (revoke it, and enroll under a new name)")
            }
        }
    }

    /// An enrolled host as the database holds it.
    public struct Host: Sendable, Equatable {
        public var name: String
        public var group: String
        public var enrolledAt: String
        public var lastSeen: String?
        public var revokedAt: String?
        /// The system host name the host declared at enrollment (its events carry it).
        public var hostname: String? = nil
        /// Events the host skipped because its buffer overflowed while the server was away.
        public var droppedTotal: Int64 = 0
        /// When the server last refused the host's ledger checkpoint (its history rewritten).
        public var ledgerRefusedAt: String? = nil
    }

    /// Every host, by name.
    public func hosts() throws(HyperwardError) -> [Host] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT name, host_group, enrolled_at, last_seen, revoked_at, hostname, dropped_total, ledger_refused_at FROM hosts ORDER BY name
                """).map {
                Host(name: $0["name"], group: $0["host_group"], enrolledAt: $0["enrolled_at"], lastSeen: $0["last_seen"], revokedAt: $0["revoked_at"],
                     hostname: $0["hostname"], droppedTotal: $0["dropped_total"], ledgerRefusedAt: $0["ledger_refused_at"])
            }
        }
    }

    /// Marks `host` revoked (its certificates are revoked in the CA by the caller); an unknown
    /// host is `.unknownItem`, a host already revoked is left as it was.
    public func revokeHost(_ host: String, now: Date = Date()) throws(HyperwardError) {
        let changed: Int = try write { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM hosts WHERE name = ?", arguments: [host]) == 1 else { return -1 }
            try db.execute(sql: "UPDATE hosts SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", arguments: [Event.timestamp(now), host])
            return db.changesCount
        }
        guard changed >= 0 else { throw HyperwardError(.unknownItem, "no enrolled host named \(host.debugDescription)") }
    }

    /// 256 random bits in base64url without padding (43 characters): tokens, session ids,
    /// CSRF tokens.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(random).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The SHA-256 of a token, hex: what is stored.
    static func digest(_ token: String) -> String { Hex.encode(SHA256.hash(data: Data(token.utf8))) }

    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
        } && name.first != "." && name.first != "-"
    }
}
