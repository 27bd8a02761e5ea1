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

import HyperwardHost
import HyperwardLibvirt

/// A domain's identity and run state, as libvirt reports them.
public struct DomainStatus: Sendable, Equatable {
    /// The UUID, lower case.
    public var uuid: String
    /// libvirt's state (running, paused, shut off…).
    public var state: LibvirtConnection.State
    /// Whether it has a QEMU process (`virDomainIsActive`): running, paused, or in between.
    public var isActive: Bool

    /// Creates a status.
    public init(uuid: String, state: LibvirtConnection.State, isActive: Bool) {
        self.uuid = uuid.lowercased()
        self.state = state
        self.isActive = isActive
    }

    /// The state as `virsh domstate` words it (`shut off`), or `not running` when libvirt knows none.
    var stateText: String { state == .noState ? "not running" : state.rawValue }
}
