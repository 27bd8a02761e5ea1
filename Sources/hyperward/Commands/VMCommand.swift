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
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardAgent
import KeyManagement

/// `hyperward vm`: VM operations that need the key service.
struct VMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm",
        abstract: "Start VMs whose disks are encrypted: keys are released only to the VM they belong to, on its host.",
        subcommands: [Start.self]
    )
}

extension VMCommand {
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start",
            abstract: "Authorize the start, hand the disk keys to libvirt as ephemeral private secrets, start the domain, remove the secrets.",
            discussion: """
                The domain's UUID must be the one its disks were made for and this host the one they \
                may start on; a refusal starts nothing and is recorded as an event. The secrets exist \
                only while QEMU starts: a plain `virsh start` finds none and fails instead of booting \
                without its disks. Exit codes as for `hyperward keys`; 69 refused; 70 libvirt failed.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Argument(help: "The libvirt domain.") var name: String

        func run() async throws {
            try await reportingErrors {
                let count = try EncryptedVMStart.start(name, operations: try KeyOperations(configuration: try global.loadConfiguration()),
                                                       access: access.keyAccess)
                Output.write("started \(name) (\(count) encrypted disk\(count == 1 ? "" : "s"))\n")
                return ExitStatus.completed
            }
        }
    }
}
