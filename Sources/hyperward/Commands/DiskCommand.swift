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
import Crypto
import Foundation
import HyperwardCore
import HyperwardHost
import KeyManagement
import NetworkPolicy

/// `hyperward disk`: LUKS-encrypted VM disks keyed by the keystore, and their encrypted backups.
struct DiskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk",
        abstract: "Encrypted VM disks: create (LUKS, passphrase a per-VM data key), backup, restore.",
        discussion: "Exit codes as for `hyperward keys`, plus 69 refused (VM or host not authorized) and 70 when qemu-img or virsh fails.",
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

        /// How the image comes to be, so that nothing is ever lost or left behind:
        /// 1. under the state directory's change lock, refuse a path that exists;
        /// 2. qemu-img writes the image into an *unnamed* file (O_TMPFILE) in the target
        ///    directory, reached as /proc/PID/fd/N; the LUKS passphrase reaches it through a
        ///    memory file (memfd), never a file on disk;
        /// 3. the key record is stored (replacing only a record whose image does not exist: one
        ///    left by a run killed between steps 3 and 4);
        /// 4. the image gets its name with linkat, which fails if the path exists: a concurrent
        ///    create (another state directory) that won the path keeps its image, and this run
        ///    removes its own record and exits 73.
        /// Killed at any point, the run leaves no image, no secret file, and at worst a record for
        /// a path with no image, which the next create for that path replaces.
        func run() async throws {
            try await reportingErrors {
                let context = try KeyCommandContext(global: global)
                guard let vmUUID = uuid?.lowercased() ?? VirtHost.domainUUID(vm) else {
                    throw HyperwardError(.unknownItem, "no libvirt domain named \(vm.debugDescription): define it first or give --uuid")
                }
                if let from { close(try StreamFiles.openInput(from)) }
                let directory = SafeFile.parent(of: path)
                do { try SafeFile.checkDirectory(directory, for: path) } catch let error as FileCreationError { throw HyperwardError(error) }
                let host = try VirtHost.machineID()
                let store = try context.open(access)
                let lock = try StateChange.acquire(context.directory, "disk create")
                defer { withExtendedLifetime(lock) {} }
                var st = stat()
                guard lstat(path, &st) != 0 else {
                    throw HyperwardError(.cannotCreate, "\(path) exists: a disk is never overwritten")
                }
                try context.perform("disk.create", key: Keystore.vmKeyName(vm)) {
                    let format = format == "raw" ? "luks" : format
                    let (record, passphrase) = try store.newDiskKey(vmName: vm, vmUUID: vmUUID, host: host, path: path, format: format)
                    let secret = try SecretMemoryFile(passphrase, name: "hyperward-disk-key")
                    let image = try makeImage(in: directory, format: format, secretPath: secret.path)
                    defer { close(image) }
                    if try store.store(record, replacingOrphan: true) {
                        Output.warn("replaced the key record of \(path) left by an interrupted create (it had no image)")
                    }
                    guard SafeFile.link(unnamed: image, to: path) == 0 else {
                        let reason = errno
                        try? store.forgetUnmadeDisk(path: path, secretUUID: record.secretUUID)
                        if reason == EEXIST {
                            throw HyperwardError(.cannotCreate, "\(path) was created meanwhile by another process: that disk is kept; this one is discarded")
                        }
                        throw HyperwardError(.ioError, "cannot name the image \(path): \(String(cString: strerror(reason)))")
                    }
                    Output.write(Self.diskXML(record, target: target))
                    return (nil, "created encrypted disk \(path) (\(format)) for VM \(vm) \(vmUUID)")
                }
                return ExitStatus.completed
            }
        }

        /// Runs qemu-img into a fresh unnamed file in `directory`; returns its descriptor.
        func makeImage(in directory: String, format: String, secretPath: String) throws -> Int32 {
            let secret = "secret,id=sec0,file=\(secretPath),format=raw"
            let options = format == "luks"
                ? "key-secret=sec0,cipher-alg=aes-256,cipher-mode=xts,ivgen-alg=plain64,hash-alg=sha256"
                : "encrypt.format=luks,encrypt.key-secret=sec0,encrypt.cipher-alg=aes-256,encrypt.cipher-mode=xts,encrypt.ivgen-alg=plain64,encrypt.hash-alg=sha256"
            // qemu-img times PBKDF2 to pick the iteration count, and that timing fails now and
            // then under load ("Unable to get accurate CPU usage"): that one error is retried, on
            // a fresh unnamed file each time.
            var last = HostCommand.Result(status: 0, stdout: "", stderr: "", timedOut: false)
            for attempt in 0..<6 {
                if attempt > 0 { usleep(200_000) }
                let fd = SafeFile.openUnnamed(in: directory)
                guard fd >= 0 else {
                    throw HyperwardError(.ioError, "cannot create the image in \(directory): \(String(cString: strerror(errno))) (the file system must support O_TMPFILE)")
                }
                let target = "/proc/\(getpid())/fd/\(fd)"
                let argv: [String] = if let from {
                    ["/usr/bin/qemu-img", "convert", "-f", "raw", "-O", format, "--object", secret, "-o", options, from, target]
                } else {
                    ["/usr/bin/qemu-img", "create", "-q", "-f", format, "--object", secret, "-o", options, target, size ?? "0"]
                }
                last = HostCommand.run(argv)
                if last.status == 0 { return fd }
                close(fd)
                guard last.stderr.contains("Unable to get accurate CPU usage") else { break }
            }
            // qemu-img names its output in errors: say the real path instead.
            let message = last.stderr.replacingOccurrences(of: "/proc/\(getpid())/fd/", with: "fd ").prefix(500)
            throw HyperwardError(.software, "qemu-img failed (exit \(last.status)) creating \(path): \(message)")
        }

        static func diskXML(_ record: DiskKeyRecord, target: String) -> String {
            """
            <disk type='file' device='disk'>
              <driver name='qemu' type='\(record.format == "luks" ? "raw" : "qcow2")'/>
              <source file='\(xmlEscaped(record.path))'>
                <encryption format='luks'>
                  <secret type='passphrase' uuid='\(record.secretUUID)'/>
                </encryption>
              </source>
              <target dev='\(target)' bus='virtio'/>
            </disk>

            """
        }

        static func xmlEscaped(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "'", with: "&apos;")
                .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
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
            try await runKeyOperation("disk.verify", key: Keystore.vmKeyName(vm), global: global, access: access) { store, _ in
                let record = try VMCommand.disk(of: vm, path: disk, in: store)
                guard record.format == "luks" else {
                    throw HyperwardError(.usage, "\(record.path) is a qcow2 disk: its LUKS header lies inside the qcow2 container, which this reader does not open")
                }
                var passphrase = try store.releaseDiskKey(record, vmUUID: record.vmUUID, host: try VirtHost.machineID())
                defer { for i in passphrase.indices { passphrase[i] = 0 } }
                // A regular file only: an image replaced by a FIFO must not hang the command.
                let file = FileHandle(fileDescriptor: try StreamFiles.openInput(record.path), closeOnDealloc: true)
                defer { try? file.close() }
                func read(_ offset: Int, _ count: Int) throws(KeyError) -> [UInt8] {
                    do {
                        try file.seek(toOffset: UInt64(offset))
                        return Array(try file.read(upToCount: count) ?? Data())
                    } catch {
                        throw KeyError(.storage, "cannot read \(record.path): \(error)")
                    }
                }
                let header = try LUKSHeader(try read(0, LUKSHeader.maxHeaderBytes))
                var volumeKey: [UInt8]
                do {
                    volumeKey = try header.volumeKey(passphrase: passphrase, read: read)
                } catch let error as KeyError where error.code == .wrongPassphrase {
                    // The key came authenticated from the keystore: if it opens no keyslot, the
                    // image's header or keyslots are damaged (or the image was replaced).
                    throw HyperwardError(.corrupted, "\(record.path) is corrupted or was replaced: the stored key, which is authentic, opens none of its LUKS keyslots")
                }
                defer { for i in volumeKey.indices { volumeKey[i] = 0 } }
                let sector = try read(header.payloadOffset, header.sectorSize)
                guard sector.count == header.sectorSize else { throw HyperwardError(.invalidInput, "\(record.path) has no payload") }
                let plain = try header.decryptPayload(sector, volumeKey: volumeKey, firstSector: 0)
                let digest = SHA256.hash(data: plain).map { String(format: "%02x", $0) }.joined()
                Output.write("ok: \(record.path): LUKS\(header.version) \(header.cipher), \(header.keyBytes * 8)-bit key, uuid \(header.uuid); "
                             + "the stored key opens a keyslot; payload at \(header.payloadOffset); sector 0 sha256 \(digest)\n")
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
                let record = try VMCommand.disk(of: vm, path: disk, in: store)
                if VirtHost.domainIsActive(vm) {
                    guard allowRunning else { throw HyperwardError(.usage, "\(vm) is running: shut it down (or pass --allow-running)") }
                    Output.warn("backing up the disk of running VM \(vm): the copy may be inconsistent")
                }
                var bytes = 0
                try StreamFiles.transform(input: record.path, output: out) { source, sink in
                    bytes = try StreamCipher.encrypt(keystore: store, name: record.keyName, context: try DiskCommand.backupContext(record),
                                                     from: &source, to: &sink).bytes
                }
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
                let record = try VMCommand.disk(of: vm, path: disk, in: store)
                guard !VirtHost.domainIsActive(vm) else { throw HyperwardError(.usage, "\(vm) is running: shut it down first") }
                // Written beside the disk under a temporary name, renamed over it only when whole.
                var bytes = 0
                try StreamFiles.transform(input: input, output: record.path, replace: true) { source, sink in
                    bytes = try StreamCipher.decrypt(keystore: store, name: record.keyName, context: try DiskCommand.backupContext(record),
                                                     from: &source, to: &sink).bytes
                }
                return (nil, "restored \(record.path) (\(bytes) bytes) of VM \(vm) from \(input)")
            }
        }
    }

    /// What a disk's backup is bound to: the VM's UUID and the disk's path.
    static func backupContext(_ record: DiskKeyRecord) throws -> EncryptionContext {
        try EncryptionContext(["purpose": "backup", "vm_uuid": record.vmUUID, "path": record.path])
    }
}
