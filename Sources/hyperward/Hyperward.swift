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

import ArgumentParser
import HyperwardCore

/// The `hyperward` command: one subcommand per engine.
@main
struct Hyperward: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hyperward",
        abstract: "Defends KVM/QEMU/libvirt hosts: posture audit, and (as engines land) network policy, IDS, keys, monitoring.",
        discussion: """
            Exit codes: 0 completed; 1 a --fail-on threshold matched; 3 a check could not run \
            (status error); 64 usage error; 70 internal or storage error; 78 configuration error.
            """,
        version: HyperwardVersion.current,
        subcommands: [AuditCommand.self, NetCommand.self, SenseCommand.self, KeysCommand.self, CertCommand.self, DiskCommand.self, VMCommand.self, MonitorCommand.self, RespondCommand.self, AgentCommand.self, EventsCommand.self]
    )
}
