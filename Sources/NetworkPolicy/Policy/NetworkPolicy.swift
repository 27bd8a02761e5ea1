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

/// Security groups and the VMs bound to them: what `hyperward net` enforces.
///
/// Ingress is default-deny and stateful; egress is allow-all unless a group lists egress rules.
public struct NetworkPolicy: Sendable, Hashable {
    /// Security groups by name.
    public var groups: [String: SecurityGroup]
    /// VM bindings by name (a libvirt domain name, or a static entry).
    public var vms: [String: VMBinding]

    /// Creates a policy.
    public init(groups: [String: SecurityGroup] = [:], vms: [String: VMBinding] = [:]) {
        self.groups = groups
        self.vms = vms
    }
}

/// A named set of rules.
public struct SecurityGroup: Sendable, Hashable {
    /// Allowed inbound traffic; empty means nothing is allowed in (besides replies).
    public var ingress: [Rule]
    /// Allowed outbound traffic; `nil` (omitted) means everything may go out.
    public var egress: [Rule]?

    /// Creates a group.
    public init(ingress: [Rule] = [], egress: [Rule]? = nil) {
        self.ingress = ingress
        self.egress = egress
    }
}

/// One allow rule of a security group.
public struct Rule: Sendable, Hashable {
    public enum Proto: String, Sendable, Hashable, CaseIterable { case tcp, udp, icmp, icmpv6, any }

    public var proto: Proto
    /// Destination ports (tcp/udp only); empty means all ports.
    public var ports: [ClosedRange<Int>]
    /// Remote networks (sources for ingress, destinations for egress); empty with no group means anywhere.
    public var networks: [IPNetwork]
    /// A remote security group: its members' addresses.
    public var group: String?
    /// Where the rule was written, for error messages and `net explain`.
    public var location: HyperwardError.SourceLocation?

    /// Creates a rule.
    public init(proto: Proto, ports: [ClosedRange<Int>] = [], networks: [IPNetwork] = [], group: String? = nil,
                location: HyperwardError.SourceLocation? = nil) {
        self.proto = proto
        self.ports = ports
        self.networks = networks
        self.group = group
        self.location = location
    }
}

/// A VM and what it may be.
public struct VMBinding: Sendable, Hashable {
    public var groups: [String]
    public var interfaces: [VMInterface]
    /// Extra (MAC, address) pairs the VM may send from, e.g. a VRRP virtual address.
    public var allowedPairs: [AddressPair]

    /// Creates a binding.
    public init(groups: [String] = [], interfaces: [VMInterface] = [], allowedPairs: [AddressPair] = []) {
        self.groups = groups
        self.interfaces = interfaces
        self.allowedPairs = allowedPairs
    }
}

/// One VM network interface: the host-side tap device and the guest's authoritative addresses.
public struct VMInterface: Sendable, Hashable {
    public var device: String
    public var mac: MACAddress
    public var ipv4: [IPNetwork]
    public var ipv6: [IPNetwork]

    /// Creates an interface.
    public init(device: String, mac: MACAddress, ipv4: [IPNetwork] = [], ipv6: [IPNetwork] = []) {
        self.device = device
        self.mac = mac
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }
}

/// An extra source a VM may use.
public struct AddressPair: Sendable, Hashable {
    /// The MAC; `nil` means the interface's own MAC.
    public var mac: MACAddress?
    public var address: IPNetwork

    /// Creates a pair.
    public init(mac: MACAddress?, address: IPNetwork) {
        self.mac = mac
        self.address = address
    }
}
