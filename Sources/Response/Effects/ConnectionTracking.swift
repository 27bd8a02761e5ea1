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
import NetworkPolicy

/// The host's view of a VM's connections: which addresses its MACs use (the neighbour table),
/// and ending the connections through the host (conntrack). The real default is
/// ``HostConnectionTracking``.
public protocol ConnectionTracking: Sendable {
    /// The addresses the neighbour table holds for these MACs (lower case).
    func neighbourAddresses(ofMACs macs: [String]) throws(HyperwardError) -> [String]
    /// Deletes the conntrack entries from and to each address; returns how many went.
    func flush(addresses: [String]) throws(HyperwardError) -> Int
}

/// `ip neigh` and `conntrack`, in a network namespace or the host's. (`virsh domifaddr --source
/// arp` would answer the first question, but fails on libvirt 9.0: "wrong nlmsg len".)
public struct HostConnectionTracking: ConnectionTracking {
    /// The network namespace (nil: the host's).
    public var namespace: String?

    /// The tracking of `namespace` (nil: the host's).
    public init(namespace: String?) { self.namespace = namespace }

    /// See ``ConnectionTracking/neighbourAddresses(ofMACs:)``.
    public func neighbourAddresses(ofMACs macs: [String]) throws(HyperwardError) -> [String] {
        let wanted = Set(macs.map { $0.lowercased() })
        var found: [String] = []
        let listing = HostCommand.run(NetworkNamespace.argv(["/usr/sbin/ip", "neigh", "show"], in: namespace))
        for line in listing.stdout.split(whereSeparator: \.isNewline) {
            // "192.168.122.91 dev virbr0 lladdr 52:54:00:12:34:56 REACHABLE"
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard let at = fields.firstIndex(of: "lladdr"), at + 1 < fields.count, wanted.contains(fields[at + 1].lowercased()),
                  let first = fields.first, (try? IPNetwork(address: String(first))) != nil else { continue }
            if !found.contains(String(first)) { found.append(String(first)) }
        }
        return found
    }

    /// See ``ConnectionTracking/flush(addresses:)``; addresses that do not parse are skipped.
    public func flush(addresses: [String]) throws(HyperwardError) -> Int {
        ConntrackFlusher(namespace: namespace).flush(addresses: addresses.compactMap { try? IPNetwork(address: $0) })
    }
}
