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

import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardLibvirt
import HyperwardStore

/// Everything the ``Responder`` runs actions through: one small protocol per effect, each with
/// a real default (``host(namespace:store:)``) and, in tests, a double.
public struct ResponseEffects: Sendable {
    /// libvirt.
    public var domains: any DomainControl
    /// The bridge quarantine's sets.
    public var quarantineSet: any QuarantineSet
    /// Neighbour table and conntrack.
    public var connections: any ConnectionTracking
    /// qemu-img.
    public var images: any DiskImages
    /// Hashes, modes, removals.
    public var files: any EvidenceFiles
    /// Where steps go as events (nil: nowhere, as in a dry run).
    public var events: (any ResponseEventLog)?
    /// The time.
    public var now: @Sendable () -> Date

    /// Creates a set of effects.
    public init(domains: any DomainControl, quarantineSet: any QuarantineSet, connections: any ConnectionTracking,
                images: any DiskImages, files: any EvidenceFiles, events: (any ResponseEventLog)?,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.domains = domains
        self.quarantineSet = quarantineSet
        self.connections = connections
        self.images = images
        self.files = files
        self.events = events
        self.now = now
    }

    /// The host's: libvirt's C API on a read-write connection to the system driver, nft and
    /// conntrack in `namespace` (nil: the host's), qemu-img, the local file system, `store`.
    /// - Throws: `HyperwardError` (`.libvirt`) when libvirt cannot be reached.
    public static func host(namespace: String?, store: StateStore?) throws(HyperwardError) -> ResponseEffects {
        ResponseEffects(domains: try LibvirtDomainControl(), quarantineSet: NftQuarantineSet(namespace: namespace),
                        connections: HostConnectionTracking(namespace: namespace), images: QemuImg(),
                        files: LocalEvidenceFiles(), events: store)
    }
}
