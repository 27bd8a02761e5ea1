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
    /// Someone the API knows by a bearer token.
    public struct APIUser: Sendable, Equatable {
        public var name: String
        public var role: Role
    }

    /// Makes an API token for `name` with `role`: shown once, stored only as its SHA-256.
    public func createAPIToken(name: String, role: Role, by creator: String, now: Date = Date()) throws(HyperwardError) -> String {
        guard Self.isValidName(name) else {
            throw HyperwardError(.usage, "user name \(name.debugDescription) must be 1-64 letters, digits, '.', '_' or '-'")
        }
        let token = "hwk_" + Self.randomToken()
        try write { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM api_tokens WHERE name = ?", arguments: [name]) == 0 else {
                throw HyperwardError(.cannotCreate, "an API user named \(name) exists; revoke it first")
            }
            try db.execute(sql: "INSERT INTO api_tokens (sha256, name, role, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
                           arguments: [Self.digest(token), name, role.rawValue, Event.timestamp(now), creator])
        }
        return token
    }

    /// Revokes `name`'s API token; `.unknownItem` when there is none.
    public func revokeAPIToken(name: String, now: Date = Date()) throws(HyperwardError) {
        let changed: Int = try write { db in
            try db.execute(sql: "UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                           arguments: [Event.timestamp(now), name])
            return db.changesCount
        }
        guard changed == 1 else { throw HyperwardError(.unknownItem, "no active API user named \(name.debugDescription)") }
    }

    /// The user a bearer token belongs to, or nil (unknown, revoked, malformed: one answer).
    public func apiUser(token: String) throws(HyperwardError) -> APIUser? {
        guard token.hasPrefix("hwk_"), token.utf8.count <= 128 else { return nil }
        return try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT name, role FROM api_tokens WHERE sha256 = ? AND revoked_at IS NULL",
                                             arguments: [Self.digest(token)]),
                  let role = Role(rawValue: row["role"]) else { return nil }
            return APIUser(name: row["name"], role: role)
        }
    }

    /// Why a host's certificate is not accepted, or nil when it is: the name must be enrolled,
    /// not revoked, and the certificate the one issued at its enrollment.
    public func hostRefusal(name: String, certificateSerial: String) throws(HyperwardError) -> String? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT certificate_serial, revoked_at FROM hosts WHERE name = ?", arguments: [name]) else {
                return "host \(name) is not enrolled"
            }
            if let revoked = row["revoked_at"] as String? { return "host \(name) was revoked at \(revoked)" }
            guard (row["certificate_serial"] as String?) == certificateSerial else {
                return "this certificate is not the one host \(name) enrolled with"
            }
            return nil
        }
    }

    /// Whether `host` is enrolled (revoked or not).
    public func isEnrolled(_ host: String) throws(HyperwardError) -> Bool {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM hosts WHERE name = ?", arguments: [host]) == 1 }
    }
}
