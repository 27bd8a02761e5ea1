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

import CLibvirt
import Foundation
import HyperwardCore
import HyperwardHost

/// The domain changes incident response makes, through libvirt's C API on a read-write
/// connection: pause, resume, stop, start, define, an ELF memory dump, an external disk-only
/// snapshot, and the reads they need (the definition with its secrets, DHCP leases).
///
/// Each call is the one `virsh` makes for the same command (`virsh suspend` is
/// `virDomainSuspend`, `virsh dump --memory-only --format elf` is `virDomainCoreDumpWithFormat`
/// with `VIR_DOMAIN_CORE_DUMP_FORMAT_RAW`, …), so behaviour is unchanged without a child process
/// per step. libvirt connections are thread-safe and its errors are per thread, hence `Sendable`.
public final class LibvirtDomainControl: @unchecked Sendable {
    let connection: LibvirtConnection

    /// Opens a read-write connection to `uri` (the system QEMU driver by default).
    /// - Throws: `HyperwardError` (`.libvirt`) when libvirt cannot be reached.
    public init(uri: String = LibvirtConnection.systemURI) throws(HyperwardError) {
        connection = try LibvirtConnection(uri: uri, readOnly: false)
    }

    /// Acts over `connection` (read-write), shared with the caller's other libvirt calls.
    public init(connection: LibvirtConnection) {
        self.connection = connection
    }

    /// The connection's URI.
    public var uri: String { connection.uri }

    /// The domain named `name` (identity and run state), or nil when libvirt has none.
    public func domain(named name: String) -> LibvirtConnection.Domain? {
        connection.domain(named: name)
    }

    /// The names of the running and paused domains.
    /// - Throws: `HyperwardError` (`.libvirt`) when libvirt cannot list them.
    public func activeDomainNames() throws(HyperwardError) -> [String] {
        try connection.domains(activeOnly: true).map(\.name)
    }

    /// The domain's XML: the live one, or with `inactive` the persistent definition including
    /// what `VIR_DOMAIN_XML_SECURE` adds (graphics passwords), so that defining it again loses
    /// nothing. At most `DomainXML.maxBytes`.
    /// - Throws: `HyperwardError` (`.notFound`, `.libvirt`, `.tooLarge`).
    public func xml(ofDomain name: String, inactive: Bool) throws(HyperwardError) -> String {
        try connection.xml(ofDomain: name, inactive: inactive, secure: inactive)
    }

    /// The addresses libvirt's DHCP server leased to the domain (`virsh domifaddr --source
    /// lease`), without prefix lengths; none for a domain that holds no lease.
    /// - Throws: `HyperwardError` (`.notFound`, `.libvirt`).
    public func leaseAddresses(ofDomain name: String) throws(HyperwardError) -> [String] {
        try withDomain(name) { domain throws(HyperwardError) in
            var interfaces: UnsafeMutablePointer<virDomainInterfacePtr?>?
            let count = virDomainInterfaceAddresses(domain, &interfaces, UInt32(VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE.rawValue), 0)
            guard count >= 0 else {
                throw HyperwardError(.libvirt, "cannot read the DHCP leases of \(name): \(Libvirt.lastError())")
            }
            guard let interfaces else { return [] }
            defer {
                for i in 0..<Int(count) { if let interface = interfaces[i] { virDomainInterfaceFree(interface) } }
                free(interfaces)
            }
            var addresses: [String] = []
            for i in 0..<Int(count) {
                guard let interface = interfaces[i]?.pointee, let list = interface.addrs else { continue }
                for j in 0..<Int(interface.naddrs) {
                    if let address = list[j].addr { addresses.append(String(cString: address)) }
                }
            }
            return addresses
        }
    }

    /// Pauses the domain (`virDomainSuspend`).
    /// - Throws: `HyperwardError` (`.notFound`, `.software` carrying libvirt's message).
    public func suspend(_ name: String) throws(HyperwardError) {
        try change(name, "suspend") { virDomainSuspend($0) }
    }

    /// Resumes a paused domain (`virDomainResume`).
    /// - Throws: `HyperwardError` (`.notFound`, `.software`).
    public func resume(_ name: String) throws(HyperwardError) {
        try change(name, "resume") { virDomainResume($0) }
    }

    /// Stops the domain at once, as pulling the plug (`virDomainDestroy`).
    /// - Throws: `HyperwardError` (`.notFound`, `.software`).
    public func destroy(_ name: String) throws(HyperwardError) {
        try change(name, "stop") { virDomainDestroy($0) }
    }

    /// Starts a defined domain (`virDomainCreate`).
    /// - Throws: `HyperwardError` (`.notFound`, `.software`).
    public func start(_ name: String) throws(HyperwardError) {
        try change(name, "start") { virDomainCreate($0) }
    }

    /// Removes a domain's persistent definition (`virDomainUndefineFlags`), with its managed save
    /// image and snapshot/checkpoint metadata, keeping its NVRAM (evidence); a running domain
    /// keeps running, as a transient one.
    /// - Throws: `HyperwardError` (`.notFound`, `.software`).
    public func undefine(_ name: String) throws(HyperwardError) {
        let flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE.rawValue | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA.rawValue
            | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA.rawValue | VIR_DOMAIN_UNDEFINE_KEEP_NVRAM.rawValue
        try change(name, "undefine") { virDomainUndefineFlags($0, UInt32(flags)) }
    }

    /// Defines (or redefines) a persistent domain from `xml` (`virDomainDefineXML`).
    /// - Throws: `HyperwardError` (`.software`) when libvirt refuses the definition.
    public func define(xml: String) throws(HyperwardError) {
        guard let domain = virDomainDefineXML(connection.pointer, xml) else {
            throw HyperwardError(.software, "define failed: \(Libvirt.lastError())")
        }
        virDomainFree(domain)
    }

    /// Dumps the domain's memory as an ELF core (readable by crash and volatility) to `path`,
    /// mode 0600. libvirtd writes `path.partial` (QEMU's `dump-guest-memory`) and the finished
    /// dump is renamed into place, so `path` exists only complete.
    /// - Throws: `HyperwardError` (`.notFound`, `.software`).
    public func dumpMemory(ofDomain name: String, to path: String) throws(HyperwardError) {
        let partial = path + ".partial"
        unlink(partial)
        // RAW is libvirt's name for the ELF format (`virsh dump --format elf` passes it).
        try change(name, "memory dump") {
            virDomainCoreDumpWithFormat($0, partial, UInt32(VIR_DOMAIN_CORE_DUMP_FORMAT_RAW.rawValue), VIR_DUMP_MEMORY_ONLY.rawValue)
        }
        chmod(partial, 0o600)
        guard rename(partial, path) == 0 else {
            throw HyperwardError(.software, "cannot move the memory dump into place at \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Takes an external disk-only snapshot of a running or paused domain: each listed disk's
    /// image becomes the backing file of a new qcow2 overlay at the given path, which QEMU writes
    /// from then on. Atomic (all disks or none) and without snapshot metadata in libvirt, as
    /// `virsh snapshot-create-as --disk-only --atomic --no-metadata --diskspec …`.
    /// - Throws: `HyperwardError` (`.notFound`, `.software`).
    public func snapshotDisks(ofDomain name: String, snapshot: String, overlays: [(target: String, file: String)]) throws(HyperwardError) {
        let xml = Self.snapshotXML(name: snapshot, overlays: overlays)
        let flags = VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY.rawValue | VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC.rawValue
            | VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA.rawValue
        try withDomain(name) { domain throws(HyperwardError) in
            guard let taken = virDomainSnapshotCreateXML(domain, xml, flags) else {
                throw HyperwardError(.software, "disk snapshot failed: \(Libvirt.lastError())")
            }
            virDomainSnapshotFree(taken)
        }
    }

    /// The `<domainsnapshot>` document `virsh snapshot-create-as` builds from its `--diskspec`s.
    static func snapshotXML(name: String, overlays: [(target: String, file: String)]) -> String {
        let disks = overlays.map {
            "<disk name='\(DomainXML.escaped($0.target))' snapshot='external'><source file='\(DomainXML.escaped($0.file))'/></disk>"
        }
        return "<domainsnapshot><name>\(DomainXML.escaped(name))</name><disks>\(disks.joined())</disks></domainsnapshot>"
    }


    func withDomain<T>(_ name: String, _ body: (virDomainPtr) throws(HyperwardError) -> T) throws(HyperwardError) -> T {
        guard let domain = virDomainLookupByName(connection.pointer, name) else {
            throw HyperwardError(.notFound, "no domain \(name.debugDescription) in libvirt at \(uri)")
        }
        defer { virDomainFree(domain) }
        return try body(domain)
    }

    func change(_ name: String, _ what: String, _ call: (virDomainPtr) -> Int32) throws(HyperwardError) {
        try withDomain(name) { domain throws(HyperwardError) in
            guard call(domain) == 0 else {
                throw HyperwardError(.software, "\(what) failed: \(Libvirt.lastError())")
            }
        }
    }
}
