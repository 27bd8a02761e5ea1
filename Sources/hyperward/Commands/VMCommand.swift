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
import HyperwardCore
import HyperwardHost
import HyperwardAgent
import KeyManagement

/// `hyperward vm`: VM operations that need the key service.
struct VMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm",
        abstract: "Create VMs from security templates; start VMs whose disks are encrypted (keys released only to the VM they belong to).",
        subcommands: [Create.self, Start.self]
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
                let configuration = try global.loadConfiguration()
                try GovernanceAccess.require(.operator, for: "vm start \(name)", configuration: configuration)
                let count = try EncryptedVMStart.start(name, operations: try KeyOperations(configuration: configuration),
                                                       access: access.keyAccess)
                Output.write("started \(name) (\(count) encrypted disk\(count == 1 ? "" : "s"))\n")
                return ExitStatus.completed
            }
        }
    }
}

extension VMCommand {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Define a domain rendered from a security template, for a tenant, with its disk (encrypted when the template requires it).",
            discussion: """
                The caller must be an operator (or admin) of the tenant and the tenant granted the \
                template (docs/governance.md). The rendered domain is judged like any other before \
                it is defined through the libvirt API; the creation is recorded with who asked. \
                Start it with `hyperward vm start` (encrypted disks) or libvirt. Exit codes: 69 not \
                authorized; 67 unknown template; 73 the domain or disk exists.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "The template.") var template: String
        @Option(help: "The domain's name.") var name: String
        @Option(help: "The tenant the VM belongs to.") var tenant: String
        @Option(name: .customLong("disk-size"), help: ArgumentHelp("Create a qcow2 disk of this size (qemu-img sizes: 10G) in the template's first pool.", valueName: "SIZE"))
        var diskSize: String?
        @Option(help: ArgumentHelp("The disk pool (one the template allows).", valueName: "DIR")) var pool: String?
        @Flag(help: "Encrypt the disk even when the template does not require it.") var encrypt = false
        @Option(help: ArgumentHelp("The libvirt network (one the template allows; default its first).", valueName: "NET")) var network: String?
        @Option(name: .customLong("security-group"), help: ArgumentHelp("A security group the template allows (recorded with the VM).", valueName: "GROUP"))
        var securityGroups: [String] = []
        @Option(name: .customLong("memory-mib"), help: "Memory in MiB (default and limit: the template's).") var memoryMiB: Int?
        @Option(help: "vCPUs (default 1; limit: the template's).") var vcpus: Int?
        @Option(help: ArgumentHelp("Direct kernel boot: the kernel (a path the template's boot_paths allow).", valueName: "FILE")) var kernel: String?
        @Option(help: ArgumentHelp("Direct kernel boot: the initrd.", valueName: "FILE")) var initrd: String?
        @Option(name: .customLong("cmdline"), help: "Direct kernel boot: the kernel command line.") var commandLine: String?
        @Option(name: .customLong("domain-type"), help: ArgumentHelp("kvm, or qemu (TCG, where the template allows it); default kvm when /dev/kvm opens.", valueName: "TYPE"))
        var domainType: String?
        @Option(name: .customLong("certificate-dir"), help: ArgumentHelp("Issue the VM a TLS server certificate into this directory.", valueName: "DIR"))
        var certificateDirectory: String?

        func run() async throws {
            try await reportingErrors {
                let configuration = try global.loadConfiguration()
                var request = TemplateVMCreate.Request(name: name, template: template, tenant: tenant)
                request.diskSize = diskSize
                request.encryptDisk = encrypt ? true : nil
                request.pool = pool
                request.network = network
                request.securityGroups = securityGroups
                request.memoryMiB = memoryMiB
                request.vcpus = vcpus
                request.kernel = kernel
                request.initrd = initrd
                request.commandLine = commandLine
                request.certificateDirectory = certificateDirectory
                request.domainType = domainType
                let created = try TemplateVMCreate.create(request, configuration: configuration, access: access.keyAccess)
                var out = "created \(created.name) (uuid \(created.uuid)) from template \(template) for tenant \(tenant)"
                if let disk = created.disk { out += "; disk \(disk)\(created.encrypted ? " (encrypted)" : "")" }
                if let certificate = created.certificate { out += "; certificate \(certificate)" }
                Output.write(out + "\n")
                return ExitStatus.completed
            }
        }
    }
}
