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
import HyperwardHost
import HyperwardStore
import NetworkPolicy

/// Incident response on one VM: contain it (network cut by MAC and tap, conntrack flushed,
/// paused), keep evidence (memory dump, frozen disk, their SHA-256 as events), release it, and
/// bring its disk back to a known-good state.
///
/// Every step checks the world before acting, so a repeated or interrupted run finishes the job
/// without doing anything twice; the case file (`<state>/response/<vm>/case.json`, 0600 in a 0700
/// directory, locked while a command runs) records what was done, and every step is an event.
public struct Responder {
    public var vm: String
    public var stateDirectory: String
    public var dryRun = false
    public var store: StateStore?
    /// The network namespace whose bridges carry the VM (nil: this one).
    public var namespace: String?
    /// Progress lines for the operator (the command prints them; the agent logs them).
    public var say: (String) -> Void = { _ in }

    public init(vm: String, stateDirectory: String, dryRun: Bool = false, store: StateStore?, namespace: String?,
                say: @escaping (String) -> Void = { _ in }) {
        self.vm = vm
        self.stateDirectory = stateDirectory
        self.dryRun = dryRun
        self.store = store
        self.namespace = namespace
        self.say = say
    }

    /// What was done to the VM, persisted between runs.
    struct Case: Codable {
        var vm: String
        var uuid: String
        /// The current quarantine (nil when not quarantined): names its evidence.
        var quarantineID: String?
        var namespace: String?
        var interfaces: [String] = []
        var macs: [String] = []
        var addresses: [String] = []
        var pausedByUs = false
        var evidence: [Evidence] = []
        var snapshots: [Snapshot] = []
        var pendingSnapshot: PendingSnapshot?
        var pendingRestore: PendingRestore?
        var events: [String] = []

        var quarantined: Bool { quarantineID != nil }
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

    /// A snapshot started but not yet recorded (an interrupted run finishes it).
    struct PendingSnapshot: Codable {
        var name: String
        var purpose: String
        var disks: [PendingDisk]
    }

    struct PendingDisk: Codable {
        var target: String
        var base: String
        var format: String
        var overlay: String
    }

    /// A restore started: whether the VM ran before it (an interrupted run starts it again).
    struct PendingRestore: Codable {
        var name: String
        var wasActive: Bool
    }

    var directory: String { "\(stateDirectory)/response/\(vm)" }
    var quarantine: Quarantine { Quarantine(applier: NftApplier(namespace: namespace)) }

    // MARK: Quarantine

    public func quarantineVM(dump: Bool, snapshot: Bool) throws {
        try withCase { record in try quarantineSteps(&record, dump: dump, snapshot: snapshot) }
    }

    func quarantineSteps(_ record: inout Case, dump: Bool, snapshot: Bool) throws {
        let domain = try DomainInfo.read(vm)
        if !record.quarantined {
            if !dryRun {
                record.quarantineID = Self.compactTime()
                record.namespace = namespace
                record.interfaces = []
                record.macs = []
                record.pausedByUs = false
            }
        } else if record.namespace != namespace {
            throw HyperwardError(.usage, "\(vm) was quarantined in namespace \(record.namespace ?? "(host)"); use the same --netns")
        }
        let id = record.quarantineID ?? Self.compactTime()

        // 1. The network: every MAC of the VM (wherever it is plugged, also after a restart) and
        //    its current taps (even if the guest changes its MAC) into the quarantine sets.
        let bridged = domain.interfaces.filter(\.bridged)
        for other in domain.interfaces where !other.bridged {
            say("WARNING: interface \(other.mac) is not on a bridge (no network or bridge source): quarantine cannot cut it")
        }
        if bridged.isEmpty {
            say("WARNING: \(vm) has no bridged interface: its network is not cut")
        } else {
            let macs = bridged.map(\.mac), taps = bridged.compactMap(\.tap)
            let presentMACs = Set(try quarantine.macs()), presentPorts = Set(try quarantine.ports())
            let missingMACs = macs.filter { !presentMACs.contains($0) }, missingPorts = taps.filter { !presentPorts.contains($0) }
            if missingMACs.isEmpty && missingPorts.isEmpty {
                say("network: \((macs + taps).joined(separator: ", ")) already quarantined")
            } else if dryRun {
                say("network: would quarantine \((missingMACs + missingPorts).joined(separator: ", "))")
            } else {
                try quarantine.add(macs: missingMACs)
                try quarantine.add(missingPorts)
                try step(&record, "quarantine.network", "\((missingMACs + missingPorts).joined(separator: ", ")) quarantined", severity: .high)
            }
            if !dryRun {
                record.macs = Array(Set(record.macs + macs)).sorted()
                record.interfaces = Array(Set(record.interfaces + taps)).sorted()
            }
        }

        // 2. Established connections through the host: their conntrack entries go.
        let addresses = Self.addresses(of: vm, macs: domain.interfaces.map(\.mac), namespace: namespace)
        if !dryRun { record.addresses = Array(Set(record.addresses + addresses)).sorted() }
        let networks = addresses.compactMap { try? IPNetwork(address: $0) }
        if dryRun {
            if !networks.isEmpty { say("conntrack: would delete the entries of \(addresses.joined(separator: ", "))") }
        } else if !networks.isEmpty {
            let deleted = ConntrackFlusher(namespace: namespace).flush(addresses: networks)
            try step(&record, "quarantine.conntrack", "\(deleted) conntrack entries of \(addresses.joined(separator: ", ")) deleted")
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
            let path = "\(directory)/memory-\(id).elf"
            let active = Self.isActive(Self.state(of: vm))
            if record.evidence.contains(where: { $0.path == path }) && FileManager.default.fileExists(atPath: path) {
                say("memory: already dumped")
            } else if !active {
                say("memory: the VM is not running; no memory to dump")
            } else if dryRun {
                say("memory: would dump to \(path)")
            } else {
                let partial = path + ".partial"
                unlink(partial)
                try Self.virshOrThrow(["dump", "--memory-only", "--format", "elf", "--", vm, partial], "memory dump")
                chmod(partial, 0o600)
                guard rename(partial, path) == 0 else { throw HyperwardError(.software, "cannot move the dump into place") }
                try addEvidence(&record, kind: "memory", path: path)
            }
        }

        // 5. Disk: an external snapshot freezes what the VM wrote; new writes go to an overlay.
        if snapshot {
            let name = "quarantine-\(id)"
            if record.snapshots.contains(where: { $0.name == name }) {
                say("disk: already snapshotted for this quarantine")
            } else {
                try snapshotDisks(&record, name: name, purpose: "evidence")
            }
        }
        say("quarantined \(vm)\(dryRun ? " (dry run: nothing changed)" : "")")
    }

    public func release() throws {
        try withCase { record in
            if let recorded = record.namespace, recorded != namespace {
                throw HyperwardError(.usage, "\(vm) was quarantined in namespace \(recorded); use --netns \(recorded)")
            }
            // Its current taps, and the recorded ones no other running VM has since taken.
            let current = ((try? DomainInfo.read(vm))?.interfaces.compactMap(\.tap)) ?? []
            let others = Self.tapsOfOtherDomains(than: vm)
            let taps = Set(current + record.interfaces.filter { !others.contains($0) })
            let held = taps.intersection(try quarantine.ports()).sorted()
            let heldMACs = Set(record.macs).intersection(try quarantine.macs()).sorted()
            if held.isEmpty && heldMACs.isEmpty {
                say("network: not quarantined")
            } else if dryRun {
                say("network: would release \((heldMACs + held).joined(separator: ", "))")
            } else {
                try quarantine.remove(macs: heldMACs)
                try quarantine.remove(held)
                try step(&record, "release.network", "\((heldMACs + held).joined(separator: ", ")) released")
            }
            let state = Self.state(of: vm)
            if state == "paused" && record.pausedByUs {
                if dryRun { say("resume: would resume") } else {
                    try Self.virshOrThrow(["resume", "--", vm], "resume")
                    try step(&record, "release.resume", "VM resumed")
                }
            } else if state == "paused" {
                say("resume: paused, but not by a quarantine: left paused (virsh resume to resume it)")
            } else {
                say("resume: not paused")
            }
            if !dryRun {
                record.quarantineID = nil
                record.namespace = nil
                record.pausedByUs = false
                record.interfaces = []
                record.macs = []
            }
            say("released \(vm)\(dryRun ? " (dry run: nothing changed)" : "")")
        }
    }

    // MARK: Known-good states

    /// Freezes the VM's disks now as the known-good state `name`.
    public func markGolden(name: String) throws {
        try withCase { record in
            if record.snapshots.contains(where: { $0.name == name }) && record.pendingSnapshot?.name != name {
                say("snapshot \(name) already exists")
                return
            }
            try snapshotDisks(&record, name: name, purpose: "golden")
        }
    }

    /// Brings every disk of snapshot `name` back: a fresh overlay on the (hash-checked) base, the
    /// domain pointed at it, the VM restarted if it was running.
    public func restore(to name: String) throws {
        try withCase { record in
            guard !record.quarantined else {
                throw HyperwardError(.usage, "\(vm) is quarantined: release it first (a restored VM would start on the network)")
            }
            let chosen = record.snapshots.filter { $0.name == name }
            guard !chosen.isEmpty else {
                throw HyperwardError(.notFound, "no snapshot \(name) of \(vm) (known: \(Set(record.snapshots.map(\.name)).sorted().joined(separator: ", ")))")
            }
            for snap in chosen {
                let digest = try Self.sha256(file: snap.base).digest
                guard digest == snap.sha256 else {
                    throw HyperwardError(.invalidInput, "the base image \(snap.base) of \(name) changed since it was recorded (sha256 \(digest.prefix(16))…, expected \(snap.sha256.prefix(16))…): not restoring from it")
                }
            }
            let state = Self.state(of: vm)
            let wasActive = record.pendingRestore?.name == name ? record.pendingRestore!.wasActive : Self.isActive(state)
            if dryRun {
                say("restore: would \(wasActive ? "stop the VM, " : "")give \(chosen.map(\.target).joined(separator: ", ")) fresh overlays on \(name)\(wasActive ? ", start it" : "")")
                return
            }
            var xml = try Self.inactiveXML(vm)   // before any stop: a transient domain would be gone after it
            record.pendingRestore = PendingRestore(name: name, wasActive: wasActive)
            try save(record)
            if Self.isActive(state) {
                try Self.virshOrThrow(["destroy", "--", vm], "stop")
            }
            for snap in chosen {
                let overlay = Self.overlayPath(base: snap.base, label: "restored-\(Self.compactTime())")
                try Self.createOverlay(overlay, base: snap.base, format: snap.format)
                xml = try Self.pointDisk(snap.target, to: overlay, in: xml)
                say("\(snap.target): fresh overlay \(overlay) on \(snap.base)")
            }
            try define(xml)
            try step(&record, "restore.disk", "\(chosen.map(\.target).joined(separator: ", ")) restored to \(name) (sha256 \(chosen.map { String($0.sha256.prefix(16)) + "…" }.joined(separator: ", ")))")
            if wasActive {
                try Self.virshOrThrow(["start", "--", vm], "start")
                try step(&record, "restore.start", "VM started on \(name)")
            }
            record.pendingRestore = nil
            say("restored \(vm) to \(name)")
        }
    }

    // MARK: Steps

    func snapshotDisks(_ record: inout Case, name: String, purpose: String) throws {
        let domain = try DomainInfo.read(vm)
        // An interrupted run of the same snapshot: the domain already writes to its overlays.
        if let pending = record.pendingSnapshot, pending.name == name,
           pending.disks.allSatisfy({ p in domain.disks.contains { $0.target == p.target && $0.source == p.overlay } }) {
            say("disk: finishing the interrupted snapshot \(name)")
            try recordSnapshot(&record, pending)
            return
        }
        // Interrupted before the domain was pointed at them: the overlays named in our own pending
        // record are stale (nothing writes to them) and go, then the snapshot is taken afresh.
        if let pending = record.pendingSnapshot, pending.name == name {
            for disk in pending.disks where !domain.disks.contains(where: { $0.source == disk.overlay }) {
                if unlink(disk.overlay) == 0 { say("disk: removed \(disk.overlay) left by an interrupted run") }
            }
        }
        let disks = domain.disks
        guard !disks.isEmpty else {
            say("disk: the VM has no file-backed disk to snapshot")
            return
        }
        let pending = PendingSnapshot(name: name, purpose: purpose, disks: disks.map {
            PendingDisk(target: $0.target, base: $0.source, format: $0.format, overlay: Self.overlayPath(base: $0.source, label: name))
        })
        if let clash = pending.disks.first(where: { FileManager.default.fileExists(atPath: $0.overlay) }) {
            throw HyperwardError(.software, "\(clash.overlay) already exists; choose another snapshot name")
        }
        if dryRun {
            say("disk: would snapshot \(disks.map(\.target).joined(separator: ", ")) as \(name)")
            return
        }
        record.pendingSnapshot = pending
        try save(record)
        if Self.isActive(Self.state(of: vm)) {
            // virsh's --diskspec separates keys by commas; a comma in a path is written twice.
            let specs = pending.disks.flatMap { ["--diskspec", "\($0.target),snapshot=external,file=\($0.overlay.replacingOccurrences(of: ",", with: ",,"))"] }
            try Self.virshOrThrow(["snapshot-create-as", "--domain", vm, "--name", name, "--disk-only", "--atomic", "--no-metadata"] + specs, "disk snapshot")
        } else {
            // A stopped VM: the overlays are made directly and the domain pointed at them.
            var xml = try Self.inactiveXML(vm)
            for disk in pending.disks {
                try Self.createOverlay(disk.overlay, base: disk.base, format: disk.format)
                xml = try Self.pointDisk(disk.target, to: disk.overlay, in: xml)
            }
            try define(xml)
        }
        try recordSnapshot(&record, pending)
    }

    /// The bases of a taken snapshot become read-only, hashed evidence.
    func recordSnapshot(_ record: inout Case, _ pending: PendingSnapshot) throws {
        for disk in pending.disks {
            // A run killed after this disk's step was saved but before the pending snapshot was
            // cleared: the disk is recorded already, and recording it again would list it twice.
            if record.snapshots.contains(where: { $0.name == pending.name && $0.target == disk.target }) { continue }
            chmod(disk.base, 0o440)
            let (digest, bytes) = try Self.sha256(file: disk.base)
            record.snapshots.append(Snapshot(name: pending.name, target: disk.target, base: disk.base, format: disk.format, sha256: digest, time: Event.timestamp()))
            record.evidence.append(Evidence(kind: "disk:\(disk.target)", path: disk.base, sha256: digest, bytes: bytes, time: Event.timestamp()))
            try step(&record, "\(pending.purpose == "golden" ? "snapshot" : "quarantine").disk",
                     "\(disk.target) frozen as \(pending.name): \(disk.base) sha256 \(digest) (\(bytes) bytes); writes now go to \(disk.overlay)",
                     data: ["target": disk.target, "base": disk.base, "sha256": digest, "snapshot": pending.name],
                     evidence: [EventEvidence(kind: "disk:\(disk.target)", path: disk.base, sha256: digest, bytes: bytes)])
        }
        record.pendingSnapshot = nil
        try save(record)
    }

    func addEvidence(_ record: inout Case, kind: String, path: String) throws {
        let (digest, bytes) = try Self.sha256(file: path)
        record.evidence.append(Evidence(kind: kind, path: path, sha256: digest, bytes: bytes, time: Event.timestamp()))
        try step(&record, "quarantine.evidence", "\(kind) evidence \(path): sha256 \(digest) (\(bytes) bytes)",
                 data: ["kind": kind, "path": path, "sha256": digest, "bytes": "\(bytes)"],
                 evidence: [EventEvidence(kind: kind, path: path, sha256: digest, bytes: bytes)])
    }

    /// Records one step: a line for the operator, an event (with the files it kept as evidence),
    /// the case file.
    func step(_ record: inout Case, _ kind: String, _ message: String, severity: Severity = .info, data: [String: String] = [:],
              evidence: [EventEvidence] = []) throws {
        say(message)
        record.events.append("\(Event.timestamp()) \(kind): \(message)")
        var fields = data
        fields["uuid"] = record.uuid
        if let id = record.quarantineID { fields["quarantine"] = id }
        try store?.append([Event.responseStep(kind, vm: vm, summary: message, severity: severity, evidence: evidence, fields: fields)])
        try save(record)
    }

    func define(_ xml: String) throws {
        let defined = "\(directory)/domain-\(Self.compactTime())-\(UInt32.random(in: 0...UInt32.max)).xml"
        let fd = open(defined, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HyperwardError(.software, "cannot create \(defined)") }
        let bytes = Array(xml.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count else { throw HyperwardError(.software, "cannot write \(defined)") }
        try Self.virshOrThrow(["define", defined], "define")
    }

    // MARK: Case file

    /// Runs `body` on the VM's case, holding the case's lock (the agent and an operator may act at
    /// once), and saves it after.
    func withCase(_ body: (inout Case) throws -> Void) throws {
        guard let uuid = VirtHost.domainUUID(vm) else { throw HyperwardError(.notFound, "no domain \(vm) in libvirt") }
        for path in [stateDirectory, "\(stateDirectory)/response", directory] {
            do { try PrivateDirectory.ensure(path) } catch { throw HyperwardError(.software, error.message) }
        }
        let lock = open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw HyperwardError(.software, "cannot open \(directory)/lock") }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw HyperwardError(.software, "cannot lock \(directory)") }
        let file = directory + "/case.json"
        var record = Case(vm: vm, uuid: uuid)
        if let data = FileManager.default.contents(atPath: file) {
            guard data.count < 8 << 20, let decoded = try? JSONDecoder().decode(Case.self, from: data) else {
                throw HyperwardError(.invalidInput, "\(file) is not a response case file; move it aside to start afresh")
            }
            guard decoded.uuid == uuid else {
                throw HyperwardError(.invalidInput, "\(file) is for another domain named \(vm) (uuid \(decoded.uuid)); move it aside")
            }
            record = decoded
        }
        try body(&record)
        try save(record)
    }

    func save(_ record: Case) throws {
        guard !dryRun else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let file = directory + "/case.json"
        let temporary = file + ".tmp"
        try encoder.encode(record).write(to: URL(fileURLWithPath: temporary))
        chmod(temporary, 0o600)
        guard rename(temporary, file) == 0 else { throw HyperwardError(.software, "cannot write \(file)") }
    }

    // MARK: libvirt plumbing

    /// A domain's interfaces and file-backed disks, from its XML (the live one when it runs).
    struct DomainInfo {
        /// An interface: MAC (lower case), host tap, and whether it is on a bridge (a libvirt network
        /// or a bridge is its source; user-mode networking has none).
        struct Interface { var mac: String; var tap: String?; var bridged: Bool }
        struct Disk { var target: String; var source: String; var format: String }
        var interfaces: [Interface] = []
        var disks: [Disk] = []

        static func read(_ vm: String) throws -> DomainInfo {
            let r = VirtHost.virsh(["dumpxml", "--", vm])
            guard r.status == 0 else { throw HyperwardError(.notFound, "cannot read \(vm)'s definition: \(r.stderr.prefix(200))") }
            return try parse(r.stdout)
        }

        /// Interfaces and disks through the one bounded reader of domain XML.
        static func parse(_ xml: String) throws -> DomainInfo {
            var info = DomainInfo()
            do {
                info.interfaces = try DomainXML.interfaces(ofDomain: xml).map {
                    Interface(mac: $0.mac.lowercased(), tap: $0.device, bridged: $0.network != nil)
                }
                for disk in try DomainXML.fileDisks(ofDomain: xml) where disk.source.hasPrefix("/") {
                    // The format the domain declares, never one probed from guest-written bytes.
                    let format = disk.format ?? "raw"
                    guard ["raw", "qcow2"].contains(format) else {
                        throw HyperwardError(.software, "disk \(disk.target) is \(format); only raw and qcow2 disks are snapshotted")
                    }
                    info.disks.append(Disk(target: disk.target, source: disk.source, format: format))
                }
            } catch let error as HyperwardError where error.code == .software {
                throw error
            } catch {
                throw HyperwardError(.software, "the domain's XML does not read: \(error)")
            }
            return info
        }
    }

    static func virshOrThrow(_ arguments: [String], _ what: String) throws {
        let r = VirtHost.virsh(arguments)
        guard r.status == 0 else {
            throw HyperwardError(.software, "\(what) failed: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(400))")
        }
    }

    /// Whether a `domstate` answer is a VM with a QEMU process (running or paused).
    static func isActive(_ state: String) -> Bool { state == "running" || state == "paused" }

    static func state(of vm: String) -> String {
        let r = VirtHost.virsh(["domstate", "--", vm])
        return r.status == 0 ? r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : ""
    }

    /// The taps of every other running domain (a recorded tap they hold now is theirs).
    static func tapsOfOtherDomains(than vm: String) -> Set<String> {
        let names = VirtHost.virsh(["list", "--name"]).stdout.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty && $0 != vm }
        var taps: Set<String> = []
        for name in names {
            for interface in (try? DomainInfo.read(name))?.interfaces ?? [] { if let tap = interface.tap { taps.insert(tap) } }
        }
        return taps
    }

    /// The VM's addresses: its DHCP leases (libvirt), and the host's neighbour table entries for
    /// its MACs (`virsh domifaddr --source arp` fails on libvirt 9.0: "wrong nlmsg len").
    static func addresses(of vm: String, macs: [String], namespace: String?) -> [String] {
        var found: [String] = []
        func keep(_ address: Substring) {
            let text = String(address.split(separator: "/").first ?? address)
            if (try? IPNetwork(address: text)) != nil, !found.contains(text) { found.append(text) }
        }
        let leases = VirtHost.virsh(["domifaddr", "--source", "lease", "--", vm])
        if leases.status == 0 {
            for line in leases.stdout.split(whereSeparator: \.isNewline).dropFirst(2) {
                let f = line.split(whereSeparator: \.isWhitespace)
                if f.count >= 4 { keep(f[3]) }
            }
        }
        var argv = ["/usr/sbin/ip", "neigh", "show"]
        if let namespace { argv = ["/usr/sbin/ip", "-n", namespace, "neigh", "show"] }
        let wanted = Set(macs)
        for line in HostCommand.run(argv).stdout.split(whereSeparator: \.isNewline) {
            // "192.168.122.91 dev virbr0 lladdr 52:54:00:12:34:56 REACHABLE"
            let f = line.split(whereSeparator: \.isWhitespace)
            guard let at = f.firstIndex(of: "lladdr"), at + 1 < f.count, wanted.contains(f[at + 1].lowercased()), let first = f.first else { continue }
            keep(first)
        }
        return found
    }

    static func inactiveXML(_ vm: String) throws -> String {
        let r = VirtHost.virsh(["dumpxml", "--inactive", "--security-info", "--", vm])
        guard r.status == 0 else { throw HyperwardError(.software, "cannot read \(vm)'s definition: \(r.stderr.prefix(200))") }
        return r.stdout
    }

    /// The domain XML with disk `target`'s source file set to `path` (format qcow2, any recorded
    /// backing chain dropped: libvirt reads it from the image, whose backing format we set).
    static func pointDisk(_ target: String, to path: String, in xml: String) throws -> String {
        // The bounded reader first: it refuses what libvirt never writes (a DTD, entity tricks)
        // before the XML reaches the editing parser.
        do { _ = try DomainXML.fileDisks(ofDomain: xml) } catch { throw HyperwardError(.software, "the domain's XML does not read: \(error)") }
        let document: XMLDocument
        do { document = try XMLDocument(xmlString: xml) } catch { throw HyperwardError(.software, "the domain's XML does not parse: \(error)") }
        let disks = (try? document.nodes(forXPath: "/domain/devices/disk")) ?? []
        guard let disk = disks.compactMap({ $0 as? XMLElement }).first(where: {
            $0.elements(forName: "target").first?.attribute(forName: "dev")?.stringValue == target
        }) else { throw HyperwardError(.software, "the domain has no disk \(target)") }
        guard let source = disk.elements(forName: "source").first else { throw HyperwardError(.software, "disk \(target) has no source") }
        source.attribute(forName: "file")?.stringValue = path
        for element in disk.elements(forName: "driver") { element.attribute(forName: "type")?.stringValue = "qcow2" }
        for element in disk.elements(forName: "backingStore") { disk.removeChild(at: element.index) }
        return document.xmlString
    }

    /// A qcow2 overlay on `base`, whose format is given (never probed), readable by QEMU.
    static func createOverlay(_ overlay: String, base: String, format: String) throws {
        let r = HostCommand.run(["/usr/bin/qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", format, overlay])
        guard r.status == 0 else { throw HyperwardError(.software, "qemu-img create failed: \(r.stderr.prefix(300))") }
        if let user = getpwnam("libvirt-qemu") { chown(overlay, user.pointee.pw_uid, user.pointee.pw_gid) }
        chmod(overlay, 0o600)
    }

    /// An overlay beside its base image: QEMU already reaches that directory (the state directory
    /// is 0700 and stays so).
    static func overlayPath(base: String, label: String) -> String {
        let url = URL(fileURLWithPath: base)
        var stem = url.deletingPathExtension().lastPathComponent
        if let dot = stem.range(of: ".hw-") { stem = String(stem[..<dot.lowerBound]) }
        return url.deletingLastPathComponent().appendingPathComponent("\(stem).hw-\(label).qcow2").path
    }

    static func sha256(file path: String) throws -> (digest: String, bytes: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw HyperwardError(.notFound, "cannot read \(path) to hash it") }
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
