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

import Admission
import ArgumentParser
import Foundation
import HyperwardAgent
import HyperwardCore
import HyperwardHost
import Response
import HyperwardStore
import NetworkPolicy

/// `hyperward respond`: contain a VM, keep evidence, release it, restore its disk.
struct RespondCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "respond",
        abstract: "Incident response: quarantine a VM (network cut, paused, evidence kept), release it, restore its disk.",
        discussion: """
            Every step checks the VM's state first, so running a command again, or after an interruption, \\
            finishes the job without repeating it. Steps are events in the state store and lines in \\
            <state>/response/VM/case.json. Exit 66 for an unknown VM or snapshot, 65 when a base image's \\
            hash no longer matches, 70 when libvirt or nft refuses a step.
            """,
        subcommands: [Quarantine.self, Release.self, Snapshot.self, Restore.self]
    )

    struct Quarantine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cut VM's network at the bridge (by MAC and tap), delete its conntrack entries, pause it, dump its memory and freeze its disk; hashes become events.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The libvirt domain.") var vm: String
        @Flag(help: "Say what would be done; change nothing.") var dryRun = false
        @Flag(help: "Skip the memory dump (it takes as much disk as the VM has memory).") var noDump = false
        @Flag(help: "Skip the external disk snapshot.") var noSnapshot = false
        @Option(help: ArgumentHelp("Network namespace whose bridge carries the VM (default: the configuration's network.netns, else this one).", valueName: "NAME")) var netns: String?

        func run() async throws {
            try await reportingErrors {
                let responder = try RespondCommand.responder(vm, global: global, dryRun: dryRun, netns: netns)
                try responder.quarantineVM(dump: !noDump, snapshot: !noSnapshot)
                return ExitStatus.completed
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Undo a quarantine: network released, VM resumed if the quarantine paused it (evidence stays).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The libvirt domain.") var vm: String
        @Flag(help: "Say what would be done; change nothing.") var dryRun = false
        @Option(help: ArgumentHelp("Network namespace whose bridge carries the VM.", valueName: "NAME")) var netns: String?

        func run() async throws {
            try await reportingErrors {
                let responder = try RespondCommand.responder(vm, global: global, dryRun: dryRun, netns: netns)
                try responder.release()
                return ExitStatus.completed
            }
        }
    }

    struct Snapshot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Freeze VM's disks now as a named known-good state (read-only hashed base; writes continue in an overlay).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The libvirt domain.") var vm: String
        @Option(help: "The snapshot's name.") var name: String
        @Flag(help: "Say what would be done; change nothing.") var dryRun = false

        func run() async throws {
            try await reportingErrors {
                guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), !name.hasPrefix(".") else {
                    throw HyperwardError(.usage, "--name: letters, digits, '-', '_' and '.' (at most 64)")
                }
                let responder = try RespondCommand.responder(vm, global: global, dryRun: dryRun, netns: nil)
                try responder.markGolden(name: name)
                return ExitStatus.completed
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring VM's disks back to a recorded snapshot: hash checked, fresh overlay on it, VM restarted if it ran.",
            discussion: "libvirt 9.0 cannot revert external snapshots; this is the golden base + overlay way, which works on it.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The libvirt domain.") var vm: String
        @Option(help: ArgumentHelp("The snapshot to restore (from `respond snapshot` or a quarantine).", valueName: "SNAPSHOT")) var to: String
        @Flag(help: "Say what would be done; change nothing.") var dryRun = false

        func run() async throws {
            try await reportingErrors {
                let responder = try RespondCommand.responder(vm, global: global, dryRun: dryRun, netns: nil)
                try responder.restore(to: to)
                return ExitStatus.completed
            }
        }
    }

    static func responder(_ vm: String, global: GlobalOptions, dryRun: Bool, netns: String?) throws -> Responder {
        let configuration = try global.loadConfiguration()
        try GovernanceAccess.require(dryRun ? .viewer : .operator, for: "respond on \(vm)", configuration: configuration)
        return try Responder.forOperator(vm: vm, stateDirectory: configuration.stateDirectory, dryRun: dryRun,
                                         namespace: netns ?? configuration.network.netns, say: { Output.write($0 + "\n") })
    }
}
