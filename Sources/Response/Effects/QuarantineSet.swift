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
import NetworkPolicy

/// The bridge quarantine's sets: MACs and ports (taps) whose frames are dropped. The real default
/// is ``NftQuarantineSet``.
public protocol QuarantineSet: Sendable {
    /// The quarantined MACs (lower case) and ports.
    func members() throws(HyperwardError) -> (macs: [String], ports: [String])
    /// Quarantines MACs and ports (idempotent).
    func add(macs: [String], ports: [String]) throws(HyperwardError)
    /// Releases MACs and ports (idempotent).
    func remove(macs: [String], ports: [String]) throws(HyperwardError)
}

/// The network engine's `bridge hyperward_quarantine` table through nft, in a network namespace
/// or the host's.
public struct NftQuarantineSet: QuarantineSet {
    /// The network engine's quarantine.
    public var quarantine: Quarantine

    /// The quarantine of `namespace` (nil: the host's).
    public init(namespace: String?) {
        quarantine = Quarantine(applier: NftApplier(namespace: namespace))
    }

    /// See ``QuarantineSet/members()``.
    public func members() throws(HyperwardError) -> (macs: [String], ports: [String]) {
        (try quarantine.macs(), try quarantine.ports())
    }

    /// See ``QuarantineSet/add(macs:ports:)``.
    public func add(macs: [String], ports: [String]) throws(HyperwardError) {
        try quarantine.add(macs: macs)
        try quarantine.add(ports)
    }

    /// See ``QuarantineSet/remove(macs:ports:)``.
    public func remove(macs: [String], ports: [String]) throws(HyperwardError) {
        try quarantine.remove(macs: macs)
        try quarantine.remove(ports)
    }
}
