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
import HyperwardLibvirt
import KeyManagement
import HyperwardAgent

/// `hyperward disk`: LUKS-encrypted VM disks keyed by the keystore, and their encrypted backups.
struct DiskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk",
        abstract: "Encrypted VM disks: create (LUKS, passphrase a per-VM data key), backup, restore.",
        discussion: "Exit codes as for `hyperward keys`, plus 69 refused (VM or host not authorized) and 70 when qemu-img or libvirt fails.",
        subcommands: [Create.self, Verify.self, Backup.self, Restore.self]
    )
}

extension DiskCommand {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a LUKS-encrypted image whose passphrase is a per-VM data key, and print its <disk> element.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "The VM (libvirt domain) the disk belongs to.") var vm: String
        @Option(help: "Size for qemu-img (e.g. 10G, 512M).") var size: String?
        @Option(help: "raw (a raw LUKS1 image, also called luks: cryptsetup reads it) or qcow2 (qcow2 with LUKS encryption).") var format = "raw"
        @Option(help: ArgumentHelp("Where the image goes (absolute).", valueName: "PATH")) var path: String
        @Option(help: ArgumentHelp("Encrypt the contents of this raw image into the new disk instead of leaving it empty.", valueName: "FILE"))
        var from: String?
        @Option(help: ArgumentHelp("The VM's UUID when it is not defined yet (else taken from libvirt).", valueName: "UUID")) var uuid: String?
        @Option(help: ArgumentHelp("The target device in the printed XML.", valueName: "DEV")) var target = "vda"

        func validate() throws {
            if (size == nil) == (from == nil) { throw ValidationError("give --size for an empty disk or --from to encrypt an existing raw image") }
            if let size, !VirtHost.validSize(size) { throw ValidationError("--size must be a positive number with an optional K, M, G or T (e.g. 10G)") }
            if !path.hasPrefix("/") { throw ValidationError("--path must be absolute") }
            if !["luks", "raw", "qcow2"].contains(format) { throw ValidationError("--format must be raw (a raw LUKS image; also called luks) or qcow2") }
            if !target.allSatisfy({ $0.isLetter || $0.isNumber }) { throw ValidationError("--target must be a device name like vda") }
        }

        /// The steps and their crash safety: `EncryptedDisks.create`.
        func run() async throws {
            try await reportingErrors {
                let request = EncryptedDisks.CreateRequest(vm: vm, uuid: uuid, size: size, format: format, path: path, from: from)
                let record = try EncryptedDisks.create(request, operations: try KeyOperations(configuration: try global.loadConfiguration()),
                                                       access: access.keyAccess)
                Output.write(EncryptedDisks.diskXML(record, target: target))
                return ExitStatus.completed
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Open a VM's LUKS disk with its stored key through Hyperward's own LUKS reader (no QEMU, no device-mapper).",
            discussion: "Prints the header's facts and the SHA-256 of the first decrypted sector, never key material or plaintext.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "The VM.") var vm: String
        @Option(help: ArgumentHelp("The disk (default: the VM's only recorded disk).", valueName: "PATH")) var disk: String?

        func run() async throws {
            try await runKeyOperation("disk.verify", key: Keystore.vmKeyName(vm), global: global, access: access) { store, operations in
                let record = try EncryptedDisks.disk(of: vm, path: disk, in: store)
                Output.write(try EncryptedDisks.verify(record, store: store, configuration: operations.configuration) + "\n")
                return (nil, "verified disk \(record.path) of VM \(vm)")
            }
        }
    }

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "backup", abstract: "Write an encrypted backup of a VM's disk (the streaming format, key vm.<name>).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "The VM.") var vm: String
        @Option(help: ArgumentHelp("The disk (default: the VM's only recorded disk).", valueName: "PATH")) var disk: String?
        @Option(help: ArgumentHelp("The backup file to write (0600, appears only when complete).", valueName: "FILE")) var out: String
        @Flag(name: .customLong("allow-running"), help: "Back up a running VM's disk anyway (the copy may be inconsistent).")
        var allowRunning = false

        func run() async throws {
            try await runKeyOperation("disk.backup", key: Keystore.vmKeyName(vm), global: global, access: access) { store, _ in
                let record = try EncryptedDisks.disk(of: vm, path: disk, in: store)
                if VirtHost.domainIsActive(vm) {
                    guard allowRunning else { throw HyperwardError(.usage, "\(vm) is running: shut it down (or pass --allow-running)") }
                    Output.warn("backing up the disk of running VM \(vm): the copy may be inconsistent")
                }
                let bytes = try EncryptedDisks.backup(record, store: store, to: out)
                return (nil, "backed up \(record.path) (\(bytes) bytes) of VM \(vm) to \(out)")
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "restore", abstract: "Restore a VM's disk from an encrypted backup (byte-identical).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "The VM.") var vm: String
        @Option(help: ArgumentHelp("The disk to restore (default: the VM's only recorded disk).", valueName: "PATH")) var disk: String?
        @Option(name: .customLong("in"), help: ArgumentHelp("The backup file.", valueName: "FILE")) var input: String

        func run() async throws {
            try await runKeyOperation(changes: true, "disk.restore", key: Keystore.vmKeyName(vm), global: global, access: access) { store, _ in
                let record = try EncryptedDisks.disk(of: vm, path: disk, in: store)
                guard !VirtHost.domainIsActive(vm) else { throw HyperwardError(.usage, "\(vm) is running: shut it down first") }
                // Written beside the disk under a temporary name, renamed over it only when whole.
                let bytes = try EncryptedDisks.restore(record, store: store, from: input)
                return (nil, "restored \(record.path) (\(bytes) bytes) of VM \(vm) from \(input)")
            }
        }
    }
}
