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

/// An action the fleet server asks of this host.
public struct FleetActionRequest: Sendable, Equatable {
    public var id: String
    /// `audit`, `quarantine` or `release`.
    public var kind: String
    public var vm: String?
    public var reason: String
    public var requestedBy: String
}

extension FleetLink {
    /// The actions waiting for this host, waiting up to `wait` seconds (a long poll on mutual TLS).
    public func pollActions(wait: Int = 25) async throws -> [FleetActionRequest] {
        let answer = try await FleetHTTP.withConnection(to: server, credentials: credentials, timeout: .seconds(wait + 30)) { connection in
            try await connection.request(.GET, "/v1/agent/actions?wait=\(wait)")
        }
        guard answer.status == 200, let list = answer.json?["actions"] as? [[String: Any]] else {
            throw HyperwardError(answer.status == 401 || answer.status == 403 ? .refused : .unavailable,
                                 "the server did not give the actions (HTTP \(answer.status)): \(answer.problemDetail.terminalSafe)")
        }
        return list.compactMap { object in
            guard let id = object["id"] as? String, let kind = object["kind"] as? String, let reason = object["reason"] as? String,
                  let by = object["requested_by"] as? String else { return nil }
            return FleetActionRequest(id: id, kind: kind, vm: object["vm"] as? String, reason: reason, requestedBy: by)
        }
    }

    /// Tells the server how action `id` went.
    public func reportAction(id: String, succeeded: Bool, message: String) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["succeeded": succeeded, "message": String(message.prefix(2000))], options: [.sortedKeys])
        let answer = try await FleetHTTP.withConnection(to: server, credentials: credentials) { connection in
            try await connection.request(.POST, "/v1/agent/actions/\(id)/result", json: Array(body))
        }
        guard answer.status == 200 else {
            throw HyperwardError(.unavailable, "the server did not take the action's result (HTTP \(answer.status)): \(answer.problemDetail.terminalSafe)")
        }
    }
}
