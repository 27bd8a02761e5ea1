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

import HyperwardCore
import HyperwardHost
import HyperwardLibvirt

/// libvirt, as incident response uses it. The real default is `LibvirtDomainControl` (libvirt's
/// C API on a read-write connection); tests use a double that keeps domains in memory.
public protocol DomainControl: Sendable {
    /// The domain's identity and run state, or nil when libvirt has no such domain.
    /// - Throws: `HyperwardError` when libvirt cannot be asked.
    func status(ofDomain name: String) throws(HyperwardError) -> DomainStatus?
    /// The domain's XML: the live one, or with `inactive` the persistent definition including its
    /// secrets (to be defined again unchanged but for the edit).
    func xml(ofDomain name: String, inactive: Bool) throws(HyperwardError) -> String
    /// The names of the running and paused domains.
    func activeDomainNames() throws(HyperwardError) -> [String]
    /// The addresses libvirt's DHCP server leased to the domain.
    func leaseAddresses(ofDomain name: String) throws(HyperwardError) -> [String]
    /// Pauses the domain.
    func suspend(_ name: String) throws(HyperwardError)
    /// Resumes the paused domain.
    func resume(_ name: String) throws(HyperwardError)
    /// Stops the domain at once.
    func destroy(_ name: String) throws(HyperwardError)
    /// Starts the defined domain.
    func start(_ name: String) throws(HyperwardError)
    /// Defines the domain from `xml`.
    func define(xml: String) throws(HyperwardError)
    /// Dumps the domain's memory as an ELF core to `path` (0600); `path` appears only complete.
    func dumpMemory(ofDomain name: String, to path: String) throws(HyperwardError)
    /// Takes an external, disk-only, atomic snapshot without libvirt metadata: each disk's image
    /// becomes the backing file of the new overlay, which the domain writes from then on.
    func snapshotDisks(ofDomain name: String, snapshot: String, disks: [ResponseCase.PendingDisk]) throws(HyperwardError)
}

extension LibvirtDomainControl: DomainControl {
    /// The domain's identity and run state (`virDomainGetState`, `virDomainIsActive`).
    public func status(ofDomain name: String) throws(HyperwardError) -> DomainStatus? {
        domain(named: name).map { DomainStatus(uuid: $0.uuid, state: $0.state, isActive: $0.isActive) }
    }

    /// See ``DomainControl/snapshotDisks(ofDomain:snapshot:disks:)``.
    public func snapshotDisks(ofDomain name: String, snapshot: String, disks: [ResponseCase.PendingDisk]) throws(HyperwardError) {
        try snapshotDisks(ofDomain: name, snapshot: snapshot, overlays: disks.map { (target: $0.target, file: $0.overlay) })
    }
}
