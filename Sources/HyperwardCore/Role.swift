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

/// A role over Hyperward's commands and the fleet server's API: viewer < operator < admin. The
/// governance policy grants them to users and groups on a host; the fleet server to API users.
public enum Role: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Reads state: lists, status, events (on the fleet server: hosts, events, metrics).
    case viewer
    /// Also creates, starts and stops VMs of the tenant's templates (on the fleet server: requests
    /// actions and acknowledges alerts).
    case `operator`
    /// Also changes policy and keys (on the fleet server: enrolls and revokes hosts).
    case admin

    public var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}
