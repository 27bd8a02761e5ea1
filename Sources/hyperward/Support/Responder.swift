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
#if canImport(FoundationXML)
import FoundationXML
#endif
import Foundation
import HyperwardCore
import HyperwardStore
import NetworkPolicy

/// Incident response on one VM: contain it (network cut, conntrack flushed, paused), keep
/// evidence (memory dump, frozen disk, their SHA-256 as events), release it, and bring its disk
/// back to a known-good state.
///
/// Every step checks the world before acting, so a repeated or interrupted run finishes the job
/// without doing anything twice; the case file (`<state>/response/<vm>/case.json`, 0600 in a 0700
/// directory) records what was done, and every step is an event.
struct Responder {
    var vm: String
    var stateDirectory: String
    var dryRun = false
    var store: StateStore?
    var quarantine = Quarantine(applier: NftApplier())
    /// Progress lines for the operator.
    var say: (String) -> Void = { Output.write($0 + "\n") }

    /// What was done to the VM, persisted between runs.
    struct Case: Codable {
        var vm: String
        var uuid: String
        var interfaces: [String] = []
        var addresses: [String] = []
        var quarantined = false
        var pausedByUs = false
        var evidence: [Evidence] = []
        var snapshots: [Snapshot] = []
        var events: [String] = []
    }

    struct Evidence: Codable, Hashable {
        var kind: String
        var path: String
        var sha256: String
        var bytes: Int64
        var time: String
    }

    /// A known-good disk state: a read-only base image its hash vouches for.
    struct Snapshot: Codable, Hashable {
        var name: String
        var target: String
        var base: String
        var format: String
        var sha256: String
        var time: String
    }

    var directory: String { "\(stateDirectory)/response/\(vm)" }

    // MARK: Quarantine

    mutating func quarantineVM(dump: Bool, snapshot: Bool) throws {
        var record = try openCase()
        let interfaces = try Self.interfaces(of: vm)
        record.interfaces = Array(Set(record.interfaces + interfaces.map(\.tap))).sorted()
        record.addresses = Array(Set(record.addresses + Self.addresses(of: vm))).sorted()

        // 1. The network: every interface into the quarantine set (drops in and out at the bridge).
        let present = Set(try quarantine.ports())
        let missing = record.interfaces.filter { !present.contains($0) }
        if missing.isEmpty {
            say("network: \(record.interfaces.joined(separator: ", ")) already quarantined")
        } else if dryRun {
            say("network: would quarantine \(missing.joined(separator: ", "))")
        } else {
            try quarantine.add(missing)
            try step(&record, "quarantine.network", "interfaces \(missing.joined(separator: ", ")) quarantined", severity: .high)
        }
        if !dryRun { record.quarantined = true }

        // 2. Established connections through the host: their conntrack entries go.
        for address in record.addresses {
            if dryRun { say("conntrack: would delete entries of \(address)"); continue }
            var deleted = 0
            for flag in ["-s", "-d"] {
                let r = Subprocess.run(["/usr/sbin/conntrack", "-D", flag, address], input: nil)
                deleted += Self.deletedCount(r.stderr)
            }
            try step(&record, "quarantine.conntrack", "\(deleted) conntrack entries of \(address) deleted")
        }

        // 3. Pause (a paused guest runs no code, and its memory is evidence).
        let state = Self.state(of: vm)
        if state == "paused" {
            say("pause: already paused")
        } else if state != "running" {
            say("pause: the VM is \(state.isEmpty ? "not running" : state); nothing to pause")
        } else if dryRun {
            say("pause: would suspend")
        } else {
            try Self.virshOrThrow(["suspend", "--", vm], "suspend")
            record.pausedByUs = true
            try step(&record, "quarantine.pause", "VM paused")
        }

        // 4. Memory dump (ELF, readable by crash/volatility), hashed.
        if dump {
            let path = "\(directory)/memory-\(record.uuid).elf"
            if record.evidence.contains(where: { $0.kind == "memory" }) && FileManager.default.fileExists(atPath: path) {
                say("memory: already dumped")
            } else if dryRun {
                say("memory: would dump to \(path)")
            } else if Self.state(of: vm) == "paused" || Self.state(of: vm) == "running" {
                let partial = path + ".partial"
                unlink(partial)
                try Self.virshOrThrow(["dump", "--memory-only", "--format", "elf", "--", vm, partial], "memory dump")
                chmod(partial, 0o600)
                guard rename(partial, path) == 0 else { throw CLIError(exitCode: ExitCodes.software, message: "cannot move the dump into place") }
                try addEvidence(&record, kind: "memory", path: path)
            }
        }

        // 5. Disk: an external snapshot freezes what the VM wrote; new writes go to an overlay.
        if snapshot {
            try snapshotDisks(&record, name: "quarantine-\(Self.compactTime())", purpose: "evidence", onlyIfNone: "evidence")
        }
        try save(record)
        say("quarantined \(vm)\(dryRun ? " (dry run: nothing changed)" : "")")
    }

    mutating func release() throws {
        var record = try openCase()
        let current = (try? Self.interfaces(of: vm).map(\.tap)) ?? []
        let interfaces = Array(Set(record.interfaces + current)).sorted()
        let present = Set(try quarantine.ports())
        let held = interfaces.filter { present.contains($0) }
        if held.isEmpty {
            say("network: not quarantined")
        } else if dryRun {
            say("network: would release \(held.joined(separator: ", "))")
        } else {
            try quarantine.remove(held)
            try step(&record, "release.network", "interfaces \(held.joined(separator: ", ")) released")
        }
        if Self.state(of: vm) == "paused" {
            if dryRun {
                say("resume: would resume")
            } else {
                try Self.virshOrThrow(["resume", "--", vm], "resume")
                try step(&record, "release.resume", "VM resumed")
            }
        } else {
            say("resume: not paused")
        }
        if !dryRun {
            record.quarantined = false
            record.pausedByUs = false
        }
        try save(record)
        say("released \(vm)\(dryRun ? " (dry run: nothing changed)" : "")")
    }

    // MARK: Known-good states

    /// Freezes the VM's disks now as the known-good state `name`.
    mutating func markGolden(name: String) throws {
        var record = try openCase()
        guard !record.snapshots.contains(where: { $0.name == name }) else {
            say("snapshot \(name) already exists")
            return
        }
        try snapshotDisks(&record, name: name, purpose: "golden", onlyIfNone: nil)
        try save(record)
    }

    /// Brings every disk of snapshot `name` back: a fresh overlay on the (hash-checked) base, the
    /// domain pointed at it, the VM restarted if it was running.
    mutating func restore(to name: String) throws {
        var record = try openCase()
        let chosen = record.snapshots.filter { $0.name == name }
        guard !chosen.isEmpty else {
            throw CLIError(exitCode: 66, message: "no snapshot \(name) of \(vm) (known: \(Set(record.snapshots.map(\.name)).sorted().joined(separator: ", ")))")
        }
        for snap in chosen {
            let digest = try Self.sha256(file: snap.base).digest
            guard digest == snap.sha256 else {
                throw CLIError(exitCode: 65, message: "the base image \(snap.base) of \(name) changed since it was recorded (sha256 \(digest.prefix(16))…, expected \(snap.sha256.prefix(16))…): not restoring from it")
            }
        }
        let state = Self.state(of: vm)
        let wasActive = state == "running" || state == "paused"
        if dryRun {
            say("restore: would \(wasActive ? "stop the VM, " : "")give \(chosen.map(\.target).joined(separator: ", ")) fresh overlays on \(name)\(wasActive ? ", start it" : "")")
            return
        }
        if wasActive {
            try Self.virshOrThrow(["destroy", "--", vm], "stop")
        }
        var xml = try Self.inactiveXML(vm)
        for snap in chosen {
            let overlay = Self.overlayPath(base: snap.base, label: "restored-\(Self.compactTime())")
            let create = Subprocess.run(["/usr/bin/qemu-img", "create", "-q", "-f", "qcow2", "-b", snap.base, "-F", snap.format, overlay], input: nil)
            guard create.status == 0 else { throw CLIError(exitCode: ExitCodes.software, message: "qemu-img create failed: \(create.stderr.prefix(300))") }
            Self.shareWithQEMU(overlay)
            xml = try Self.pointDisk(snap.target, to: overlay, in: xml)
            try step(&record, "restore.disk", "\(snap.target) restored to \(name) (base \(snap.base), sha256 \(snap.sha256.prefix(16))…) as \(overlay)")
        }
        let defined = "\(directory)/domain-\(Self.compactTime()).xml"
        try Data(xml.utf8).write(to: URL(fileURLWithPath: defined))
        chmod(defined, 0o600)
        try Self.virshOrThrow(["define", defined], "define")
        if wasActive {
            try Self.virshOrThrow(["start", "--", vm], "start")
            try step(&record, "restore.start", "VM started on \(name)")
        }
        try save(record)
        say("restored \(vm) to \(name)")
    }

    // MARK: Steps

    mutating func snapshotDisks(_ record: inout Case, name: String, purpose: String, onlyIfNone: String?) throws {
        if let prefix = onlyIfNone.map({ _ in "quarantine-" }), record.snapshots.contains(where: { $0.name.hasPrefix(prefix) }) && record.quarantined {
            say("disk: already snapshotted for this quarantine")
            return
        }
        let disks = try Self.disks(of: vm)
        guard !disks.isEmpty else {
            say("disk: the VM has no file-backed disk to snapshot")
            return
        }
        if dryRun {
            say("disk: would snapshot \(disks.map(\.target).joined(separator: ", ")) as \(name)")
            return
        }
        let active = ["running", "paused"].contains(Self.state(of: vm))
        var specs: [String] = []
        var overlays: [(target: String, base: String, overlay: String)] = []
        for disk in disks {
            let overlay = Self.overlayPath(base: disk.source, label: name)
            overlays.append((disk.target, disk.source, overlay))
            specs += ["--diskspec", "\(disk.target),snapshot=external,file=\(overlay)"]
        }
        if active {
            try Self.virshOrThrow(["snapshot-create-as", "--domain", vm, "--name", name, "--disk-only", "--atomic", "--no-metadata"] + specs, "disk snapshot")
        } else {
            // A stopped VM: the overlays are made directly and the domain pointed at them.
            var xml = try Self.inactiveXML(vm)
            for o in overlays {
                let format = Self.imageFormat(o.base)
                let r = Subprocess.run(["/usr/bin/qemu-img", "create", "-q", "-f", "qcow2", "-b", o.base, "-F", format, o.overlay], input: nil)
                guard r.status == 0 else { throw CLIError(exitCode: ExitCodes.software, message: "qemu-img create failed: \(r.stderr.prefix(300))") }
                Self.shareWithQEMU(o.overlay)
                xml = try Self.pointDisk(o.target, to: o.overlay, in: xml)
            }
            let defined = "\(directory)/domain-\(Self.compactTime()).xml"
            try Data(xml.utf8).write(to: URL(fileURLWithPath: defined))
            chmod(defined, 0o600)
            try Self.virshOrThrow(["define", defined], "define")
        }
        for o in overlays {
            // The base is now the frozen state: read-only, hashed.
            chmod(o.base, 0o440)
            let (digest, bytes) = try Self.sha256(file: o.base)
            record.snapshots.append(Snapshot(name: name, target: o.target, base: o.base, format: Self.imageFormat(o.base), sha256: digest, time: Event.timestamp()))
            record.evidence.append(Evidence(kind: "disk:\(o.target)", path: o.base, sha256: digest, bytes: bytes, time: Event.timestamp()))
            try step(&record, "\(purpose == "golden" ? "snapshot" : "quarantine").disk",
                     "\(o.target) frozen as \(name): \(o.base) sha256 \(digest) (\(bytes) bytes); writes now go to \(o.overlay)",
                     data: ["target": o.target, "base": o.base, "sha256": digest, "snapshot": name])
        }
    }

    mutating func addEvidence(_ record: inout Case, kind: String, path: String) throws {
        let (digest, bytes) = try Self.sha256(file: path)
        record.evidence.append(Evidence(kind: kind, path: path, sha256: digest, bytes: bytes, time: Event.timestamp()))
        try step(&record, "quarantine.evidence", "\(kind) evidence \(path): sha256 \(digest) (\(bytes) bytes)",
                 data: ["kind": kind, "path": path, "sha256": digest, "bytes": "\(bytes)"])
    }

    /// Records one step: a line for the operator, an event, the case file.
    mutating func step(_ record: inout Case, _ kind: String, _ message: String, severity: Severity = .info, data: [String: String] = [:]) throws {
        say(message)
        record.events.append("\(Event.timestamp()) \(kind): \(message)")
        var fields = data
        fields["vm"] = vm
        fields["uuid"] = record.uuid
        let json = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
        try store?.append([Event(time: Event.timestamp(), kind: "respond.\(kind)", engine: "respond", subject: vm, severity: severity, message: "\(vm): \(message)", data: json)])
        try save(record)
    }

    // MARK: Case file

    func openCase() throws -> Case {
        guard let uuid = VirtHost.domainUUID(vm) else { throw CLIError(exitCode: 66, message: "no domain \(vm) in libvirt") }
        let previous = umask(0o077)
        defer { umask(previous) }
        for path in ["\(stateDirectory)/response", directory] {
            if mkdir(path, 0o700) != 0 && errno != EEXIST {
                throw CLIError(exitCode: ExitCodes.software, message: "cannot create \(path): \(String(cString: strerror(errno)))")
            }
        }
        let file = directory + "/case.json"
        guard let data = FileManager.default.contents(atPath: file) else { return Case(vm: vm, uuid: uuid) }
        guard data.count < 8 << 20, let record = try? JSONDecoder().decode(Case.self, from: data) else {
            throw CLIError(exitCode: 65, message: "\(file) is not a response case file; move it aside to start afresh")
        }
        guard record.uuid == uuid else {
            throw CLIError(exitCode: 65, message: "\(file) is for another domain named \(vm) (uuid \(record.uuid)); move it aside")
        }
        return record
    }

    func save(_ record: Case) throws {
        guard !dryRun else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let file = directory + "/case.json"
        let temporary = file + ".tmp"
        try encoder.encode(record).write(to: URL(fileURLWithPath: temporary))
        chmod(temporary, 0o600)
        guard rename(temporary, file) == 0 else { throw CLIError(exitCode: ExitCodes.software, message: "cannot write \(file)") }
    }

    // MARK: libvirt plumbing

    static func virshOrThrow(_ arguments: [String], _ what: String) throws {
        let r = VirtHost.virsh(arguments)
        guard r.status == 0 else {
            throw CLIError(exitCode: ExitCodes.software, message: "\(what) failed: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(400))")
        }
    }

    static func state(of vm: String) -> String {
        let r = VirtHost.virsh(["domstate", "--", vm])
        return r.status == 0 ? r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : ""
    }

    /// The VM's network interfaces: host tap and MAC (`virsh domiflist`).
    static func interfaces(of vm: String) throws -> [(tap: String, mac: String)] {
        let r = VirtHost.virsh(["domiflist", "--", vm])
        guard r.status == 0 else { throw CLIError(exitCode: 66, message: "cannot list \(vm)'s interfaces: \(r.stderr.prefix(200))") }
        return r.stdout.split(whereSeparator: \.isNewline).dropFirst(2).compactMap { line in
            let f = line.split(whereSeparator: \.isWhitespace)
            guard f.count >= 5, f[0] != "-" else { return nil }
            return (String(f[0]), String(f[4]))
        }
    }

    /// The VM's addresses as libvirt knows them (DHCP leases, then the host's ARP cache).
    static func addresses(of vm: String) -> [String] {
        var found: [String] = []
        for source in ["lease", "arp"] {
            let r = VirtHost.virsh(["domifaddr", "--source", source, "--", vm])
            guard r.status == 0 else { continue }
            for line in r.stdout.split(whereSeparator: \.isNewline).dropFirst(2) {
                let f = line.split(whereSeparator: \.isWhitespace)
                guard f.count >= 4, let slash = f[3].firstIndex(of: "/") else { continue }
                let address = String(f[3][..<slash])
                if (try? IPNetwork(address: address)) != nil, !found.contains(address) { found.append(address) }
            }
        }
        return found
    }

    /// The VM's file-backed disks (`virsh domblklist --details`).
    static func disks(of vm: String) throws -> [(target: String, source: String)] {
        let r = VirtHost.virsh(["domblklist", "--details", "--", vm])
        guard r.status == 0 else { throw CLIError(exitCode: 66, message: "cannot list \(vm)'s disks: \(r.stderr.prefix(200))") }
        return r.stdout.split(whereSeparator: \.isNewline).dropFirst(2).compactMap { line in
            let f = line.split(whereSeparator: \.isWhitespace)
            guard f.count >= 4, f[0] == "file", f[1] == "disk", f[3].hasPrefix("/") else { return nil }
            return (String(f[2]), String(f[3]))
        }
    }

    static func inactiveXML(_ vm: String) throws -> String {
        let r = VirtHost.virsh(["dumpxml", "--inactive", "--security-info", "--", vm])
        guard r.status == 0 else { throw CLIError(exitCode: ExitCodes.software, message: "cannot read \(vm)'s definition: \(r.stderr.prefix(200))") }
        return r.stdout
    }

    /// The domain XML with disk `target`'s source file set to `path` (and its format to qcow2,
    /// any recorded backing chain dropped: libvirt reads it from the image).
    static func pointDisk(_ target: String, to path: String, in xml: String) throws -> String {
        let document: XMLDocument
        do { document = try XMLDocument(xmlString: xml) } catch { throw CLIError(exitCode: ExitCodes.software, message: "the domain's XML does not parse: \(error)") }
        let disks = (try? document.nodes(forXPath: "/domain/devices/disk[target/@dev='\(target)']")) ?? []
        guard let disk = disks.first as? XMLElement else { throw CLIError(exitCode: ExitCodes.software, message: "the domain has no disk \(target)") }
        guard let source = disk.elements(forName: "source").first else { throw CLIError(exitCode: ExitCodes.software, message: "disk \(target) has no source") }
        source.attribute(forName: "file")?.stringValue = path
        for element in disk.elements(forName: "driver") { element.attribute(forName: "type")?.stringValue = "qcow2" }
        for element in disk.elements(forName: "backingStore") { disk.removeChild(at: element.index) }
        return document.xmlString
    }

    /// An overlay beside its base image: QEMU already reaches that directory (the state directory
    /// is 0700 and stays so).
    static func overlayPath(base: String, label: String) -> String {
        let url = URL(fileURLWithPath: base)
        var stem = url.deletingPathExtension().lastPathComponent
        if let dot = stem.range(of: ".hw-") { stem = String(stem[..<dot.lowerBound]) }
        return url.deletingLastPathComponent().appendingPathComponent("\(stem).hw-\(label).qcow2").path
    }

    static func imageFormat(_ path: String) -> String {
        let r = Subprocess.run(["/usr/bin/qemu-img", "info", "--output=json", "-U", path], input: nil)
        guard r.status == 0, let data = r.stdout.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let format = object["format"] as? String,
              ["raw", "qcow2"].contains(format) else { return "raw" }
        return format
    }

    /// Lets QEMU (libvirt-qemu) open an image Hyperward made.
    static func shareWithQEMU(_ path: String) {
        if let user = getpwnam("libvirt-qemu") { chown(path, user.pointee.pw_uid, user.pointee.pw_gid) }
        chmod(path, 0o600)
    }

    static func deletedCount(_ stderr: String) -> Int {
        // "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been deleted."
        guard let range = stderr.range(of: " flow entries have been deleted") ?? stderr.range(of: " flow entry has been deleted") else { return 0 }
        return Int(stderr[..<range.lowerBound].split(separator: " ").last ?? "") ?? 0
    }

    static func sha256(file path: String) throws -> (digest: String, bytes: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIError(exitCode: 66, message: "cannot read \(path) to hash it") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var total: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            total += Int64(chunk.count)
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), total)
    }

    static func compactTime() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss"
        return f.string(from: Date())
    }
}
