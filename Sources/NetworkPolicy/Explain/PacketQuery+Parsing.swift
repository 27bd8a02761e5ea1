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

extension PacketQuery {
    /// A query from the operator's words (`net explain --from --to --proto --port`), checked:
    /// addresses of one family (a packet has one; a mixed question has no answer, not an
    /// ACCEPT), a protocol of that family, a port exactly for tcp and udp.
    /// - Throws: `HyperwardError` `.usage` saying which flag is wrong.
    public init(from: String, to: String, proto: String, port: Int?) throws(HyperwardError) {
        guard let source = try? IPNetwork(address: from) else { throw HyperwardError(.usage, "--from '\(from.terminalSafe)' is not an address") }
        guard let destination = try? IPNetwork(address: to) else { throw HyperwardError(.usage, "--to '\(to.terminalSafe)' is not an address") }
        guard source.family == destination.family else {
            throw HyperwardError(.usage, "--from and --to must be of the same family (both IPv4 or both IPv6): \(from) and \(to)")
        }
        guard let p = Rule.Proto(rawValue: proto), p != .any else { throw HyperwardError(.usage, "--proto must be tcp, udp, icmp or icmpv6") }
        if p == .icmp && source.family == .ipv6 { throw HyperwardError(.usage, "--proto icmp is IPv4's ICMP; IPv6 uses icmpv6") }
        if p == .icmpv6 && source.family == .ipv4 { throw HyperwardError(.usage, "--proto icmpv6 is IPv6's ICMP; IPv4 uses icmp") }
        if let port {
            guard p == .tcp || p == .udp else { throw HyperwardError(.usage, "--port applies only to tcp and udp, not \(p.rawValue)") }
            guard (1...65535).contains(port) else { throw HyperwardError(.usage, "--port \(port) is out of range 1...65535") }
        }
        if (p == .tcp || p == .udp) && port == nil { throw HyperwardError(.usage, "--port is required for \(proto)") }
        self.init(source: source, destination: destination, proto: p, port: port)
    }
}
