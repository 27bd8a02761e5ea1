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

/// The result of a ``ResponseAction``, told to the state machine that asked for it.
public enum ResponseOutcome: Sendable, Equatable {
    /// A change, report or record is done.
    case done
    /// The domain's status (nil: libvirt has no such domain).
    case status(DomainStatus?)
    /// The domain's facts (nil: an optional read that failed).
    case domain(DomainFacts?)
    /// The domain's persistent definition.
    case definition(String)
    /// Taps of other running domains.
    case taps([String])
    /// The quarantine sets' members.
    case quarantineSet(macs: [String], ports: [String])
    /// Addresses (leases or neighbours).
    case addresses([String])
    /// Whether a file exists.
    case fileExists(Bool)
    /// A file's SHA-256 (lower-case hex) and size.
    case digest(sha256: String, bytes: Int64)
    /// How many conntrack entries were deleted.
    case flushed(Int)
}
