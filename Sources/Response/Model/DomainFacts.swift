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

/// What response needs from a domain's XML: its interfaces and file-backed disks.
public struct DomainFacts: Sendable, Equatable {
    /// An interface: MAC (lower case), host tap, and whether it is on a bridge (a libvirt network
    /// or a bridge is its source; user-mode networking has none, and quarantine cannot cut it).
    public struct Interface: Sendable, Equatable {
        public var mac: String
        public var tap: String?
        public var isBridged: Bool

        /// Creates an interface.
        public init(mac: String, tap: String?, isBridged: Bool) {
            self.mac = mac
            self.tap = tap
            self.isBridged = isBridged
        }
    }

    /// A file-backed disk and the format the domain declares for it (`raw` when it declares
    /// none, as QEMU assumes), never one probed from guest-written bytes.
    public struct Disk: Sendable, Equatable {
        public var target: String
        public var source: String
        public var format: String

        /// Creates a disk.
        public init(target: String, source: String, format: String) {
            self.target = target
            self.source = source
            self.format = format
        }
    }

    public var interfaces: [Interface]
    public var disks: [Disk]

    /// Creates facts.
    public init(interfaces: [Interface] = [], disks: [Disk] = []) {
        self.interfaces = interfaces
        self.disks = disks
    }

    /// The formats a snapshot or restore handles: a qcow2 overlay takes either as its backing file.
    public static let snapshotFormats: Set<String> = ["raw", "qcow2"]

    /// Reads the facts from a domain XML through the one bounded reader of libvirt XML. Disks
    /// with a relative source are left out (libvirt would resolve them against its own
    /// directory; response never guesses).
    /// - Throws: `HyperwardError` (`.software`) when the XML does not read.
    public init(xml: String) throws(HyperwardError) {
        do {
            interfaces = try DomainXML.interfaces(ofDomain: xml).map {
                Interface(mac: $0.mac.lowercased(), tap: $0.device, isBridged: $0.network != nil)
            }
            disks = try DomainXML.fileDisks(ofDomain: xml).filter { $0.source.hasPrefix("/") }.map {
                Disk(target: $0.target, source: $0.source, format: $0.format ?? "raw")
            }
        } catch {
            throw HyperwardError(.software, "the domain's XML does not read: \(error)")
        }
    }
}
