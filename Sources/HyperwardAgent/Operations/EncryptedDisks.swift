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

import Crypto
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardLibvirt
import KeyManagement

#if canImport(Glibc)
import Glibc
#endif

/// VM disks encrypted with LUKS whose passphrase is a per-VM data key of the keystore: creating
/// them, checking them with Hyperward's own LUKS reader, and their encrypted backups.
public enum EncryptedDisks {
    /// What `create` makes.
    public struct CreateRequest: Sendable {
        /// The VM (libvirt domain) the disk belongs to.
        public var vm: String
        /// The VM's UUID when it is not defined yet (else taken from libvirt).
        public var uuid: String?
        /// Size for qemu-img (`10G`); nil with `from`.
        public var size: String?
        /// `luks` (a raw LUKS1 image) or `qcow2` (qcow2 with LUKS encryption).
        public var format: String
        /// Where the image goes (absolute).
        public var path: String
        /// A raw image whose contents are encrypted into the new disk.
        public var from: String?

        public init(vm: String, uuid: String? = nil, size: String?, format: String, path: String, from: String? = nil) {
            self.vm = vm
            self.uuid = uuid
            self.size = size
            self.format = format
            self.path = path
            self.from = from
        }
    }

    /// Creates an encrypted disk; returns its key record (`diskXML` renders its `<disk>`).
    ///
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
    public static func create(_ request: CreateRequest, operations: KeyOperations, access: KeyAccess) throws -> DiskKeyRecord {
        let (vm, path) = (request.vm, request.path)
        guard let vmUUID = request.uuid?.lowercased() ?? VirtHost.domainUUID(vm) else {
            throw HyperwardError(.unknownItem, "no libvirt domain named \(vm.debugDescription): define it first or give --uuid")
        }
        if let from = request.from { close(try StreamFiles.openInput(from)) }
        let directory = SafeFile.parent(of: path)
        do { try SafeFile.checkDirectory(directory, for: path) } catch let error as FileCreationError { throw HyperwardError(error) }
        let host = try VirtHost.machineID()
        let store = try operations.open(access)
        let lock = try StateChange.acquire(operations.directory, "disk create")
        defer { withExtendedLifetime(lock) {} }
        var st = stat()
        guard lstat(path, &st) != 0 else {
            throw HyperwardError(.cannotCreate, "\(path) exists: a disk is never overwritten")
        }
        var created: DiskKeyRecord?
        try operations.perform("disk.create", key: Keystore.vmKeyName(vm)) {
            let format = request.format == "raw" ? "luks" : request.format
            let (record, passphrase) = try store.newDiskKey(vmName: vm, vmUUID: vmUUID, host: host, path: path, format: format)
            let secret = try SecretMemoryFile(passphrase, name: "hyperward-disk-key")
            let image = try makeImage(request, in: directory, format: format, secretPath: secret.path)
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
            created = record
            return (nil, "created encrypted disk \(path) (\(format)) for VM \(vm) \(vmUUID)")
        }
        guard let created else { throw HyperwardError(.software, "disk create finished without a record") }
        return created
    }

    /// Runs qemu-img into a fresh unnamed file in `directory`; returns its descriptor.
    static func makeImage(_ request: CreateRequest, in directory: String, format: String, secretPath: String) throws -> Int32 {
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
            let argv: [String] = if let from = request.from {
                ["/usr/bin/qemu-img", "convert", "-f", "raw", "-O", format, "--object", secret, "-o", options, from, target]
            } else {
                ["/usr/bin/qemu-img", "create", "-q", "-f", format, "--object", secret, "-o", options, target, request.size ?? "0"]
            }
            last = HostCommand.run(argv)
            if last.status == 0 { return fd }
            close(fd)
            guard last.stderr.contains("Unable to get accurate CPU usage") else { break }
        }
        // qemu-img names its output in errors: say the real path instead.
        let message = last.stderr.replacingOccurrences(of: "/proc/\(getpid())/fd/", with: "fd ").prefix(500)
        throw HyperwardError(.software, "qemu-img failed (exit \(last.status)) creating \(request.path): \(message)")
    }

    /// The libvirt `<disk>` element for a created disk (its secret named by UUID).
    public static func diskXML(_ record: DiskKeyRecord, target: String) -> String {
        """
        <disk type='file' device='disk'>
          <driver name='qemu' type='\(record.format == "luks" ? "raw" : "qcow2")'/>
          <source file='\(DomainXML.escaped(record.path))'>
            <encryption format='luks'>
              <secret type='passphrase' uuid='\(record.secretUUID)'/>
            </encryption>
          </source>
          <target dev='\(target)' bus='virtio'/>
        </disk>

        """
    }

    /// A VM's recorded disk: the one at `path`, or its only one.
    public static func disk(of vm: String, path: String?, in store: Keystore) throws -> DiskKeyRecord {
        let disks = try store.diskKeys(vmName: vm)
        if let path {
            guard let record = disks.first(where: { $0.path == path }) else {
                throw HyperwardError(.unknownItem, "\(path) is not a recorded disk of \(vm)")
            }
            return record
        }
        guard disks.count == 1, let record = disks.first else {
            throw HyperwardError(.unknownItem, disks.isEmpty ? "\(vm) has no encrypted disk recorded" : "\(vm) has \(disks.count) disks: name one with --disk")
        }
        return record
    }

    /// Opens a disk with its stored key through Hyperward's own LUKS reader (no QEMU, no
    /// device-mapper); returns a line of facts: the header's and the SHA-256 of the first
    /// decrypted sector, never key material or plaintext.
    /// With `attestation.required`, only after a fresh passing verification (``AttestationGate``).
    public static func verify(_ record: DiskKeyRecord, store: Keystore, configuration: HyperwardConfiguration) throws -> String {
        guard record.format == "luks" else {
            throw HyperwardError(.usage, "\(record.path) is a qcow2 disk: its LUKS header lies inside the qcow2 container, which this reader does not open")
        }
        try AttestationGate.check(configuration, releasing: "release the disk key of \(record.path)")
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
        } catch {
            // The key came authenticated from the keystore: if it opens no keyslot, the
            // image's header or keyslots are damaged (or the image was replaced).
            guard error.code == .wrongPassphrase else { throw error }
            throw HyperwardError(.corrupted, "\(record.path) is corrupted or was replaced: the stored key, which is authentic, opens none of its LUKS keyslots")
        }
        defer { for i in volumeKey.indices { volumeKey[i] = 0 } }
        let sector = try read(header.payloadOffset, header.sectorSize)
        guard sector.count == header.sectorSize else { throw HyperwardError(.invalidInput, "\(record.path) has no payload") }
        let plain = try header.decryptPayload(sector, volumeKey: volumeKey, firstSector: 0)
        let digest = SHA256.hash(data: plain).map { String(format: "%02x", $0) }.joined()
        return "ok: \(record.path): LUKS\(header.version) \(header.cipher), \(header.keyBytes * 8)-bit key, uuid \(header.uuid); "
            + "the stored key opens a keyslot; payload at \(header.payloadOffset); sector 0 sha256 \(digest)"
    }

    /// Writes an encrypted backup of a disk (the streaming format, key `vm.<name>`) to `output`
    /// (0600, appearing only when complete); returns the bytes read.
    public static func backup(_ record: DiskKeyRecord, store: Keystore, to output: String) throws -> Int {
        var bytes = 0
        try StreamFiles.transform(input: record.path, output: output) { source, sink in
            bytes = try StreamCipher.encrypt(keystore: store, name: record.keyName, context: try backupContext(record),
                                             from: &source, to: &sink).bytes
        }
        return bytes
    }

    /// Restores a disk from its encrypted backup, byte-identical; the disk is replaced only when
    /// the whole backup decrypted and authenticated. Returns the bytes written.
    public static func restore(_ record: DiskKeyRecord, store: Keystore, from input: String) throws -> Int {
        var bytes = 0
        try StreamFiles.transform(input: input, output: record.path, replace: true) { source, sink in
            bytes = try StreamCipher.decrypt(keystore: store, name: record.keyName, context: try backupContext(record),
                                             from: &source, to: &sink).bytes
        }
        return bytes
    }

    /// What a disk's backup is bound to: the VM's UUID and the disk's path.
    public static func backupContext(_ record: DiskKeyRecord) throws -> EncryptionContext {
        try EncryptionContext(["purpose": "backup", "vm_uuid": record.vmUUID, "path": record.path])
    }
}
