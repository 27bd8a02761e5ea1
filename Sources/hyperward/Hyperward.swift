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
import HyperwardHost

/// The `hyperward` command: one subcommand per engine.
@main
struct Hyperward: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hyperward",
        abstract: "Defends KVM/QEMU/libvirt hosts: posture audit, network policy, intrusion detection, keys, encrypted disks, monitoring, response.",
        discussion: """
            Exit codes, the same for every command (docs/exit-codes.md): 0 completed; 1 a threshold \
            matched (--fail-on, drift, a drop, an incident); 3 a check could not run; 64 usage error; \
            65 invalid data; 66 missing input; 67 unknown key, version, VM or disk; 68 key version \
            disabled; 69 refused (not authorized, libvirt unreachable); 70 internal error; 73 output \
            exists or cannot be created; 74 I/O error; 75 the state directory is busy (another agent, \
            or another command's change); 76 corrupted data; 77 wrong passphrase or key file; 78 \
            configuration error. A command stopped by SIGTERM, SIGINT or SIGHUP removes what it had half-made and ends \
            with 128 + the signal.
            """,
        version: HyperwardVersion.current,
        subcommands: [AuditCommand.self, AdmitCommand.self, NetCommand.self, SenseCommand.self, KeysCommand.self, CertCommand.self, DiskCommand.self, VMCommand.self, MonitorCommand.self, RespondCommand.self, AgentCommand.self, EventsCommand.self, LedgerCommand.self, AttestCommand.self, ServerCommand.self]
    )

    /// Parses and runs the command the way ArgumentParser's own entry point does, with the
    /// process set up first: SIGPIPE ignored (a reader or child that went away is an error to
    /// report, never a silent death), and every command stopped cleanly by SIGTERM, SIGINT and
    /// SIGHUP, except those that handle these signals themselves: the agent (reload on SIGHUP,
    /// graceful stop), the fleet server (graceful stop: requests in flight are answered),
    /// `sense` and `monitor watch` (which stop at the next packet or round and print their summary).
    static func main() async {
        Cleanup.ignoreBrokenPipes()
        do {
            var command = try parseAsRoot()
            if !(command is AgentCommand || command is ServerCommand.Run || command is SenseCommand || command is MonitorCommand.Watch) {
                Cleanup.installSignalHandlers()
            }
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
