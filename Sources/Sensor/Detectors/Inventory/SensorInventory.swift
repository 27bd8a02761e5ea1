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
import NetworkPolicy

/// The authoritative layer-2/layer-3 bindings the spoofing and rogue-device detectors judge
/// packets against: each VM interface's port, MAC and addresses (from the NetworkPolicy model), and
/// the infrastructure that may legitimately answer for the network (routers, DHCP servers, the
/// gateway's own address).
///
/// Unlike arpwatch, which trusts the first binding it sees, a binding listed here is never
/// "learned": a packet that contradicts it is an attack even on first sight.
///
/// What a VM interface *owns* mirrors what the NetworkPolicy compiler lets its port send: its
/// declared IPv4 and IPv6 addresses, the EUI-64 link-local address of its MAC (RFC 4291 App. A),
/// and its allowed pairs (a pair without a MAC belongs to each of the VM's interfaces' MACs).
public struct SensorInventory: Sendable {
    /// One VM network interface.
    public struct Interface: Sendable, Hashable {
        /// The VM (libvirt domain) name.
        public var vm: String
        /// The host-side tap device: the bridge port its frames enter on.
        public var device: String
        /// The interface MAC.
        public var mac: UInt64
        /// Declared IPv4 addresses.
        public var ipv4: [IPAddress]
        /// Declared IPv6 addresses (without the implicit EUI-64 link-local).
        public var ipv6: [IPAddress]
        /// The EUI-64 link-local address derived from `mac`.
        public var linkLocal: IPAddress
        /// Extra (MAC, address) pairs the VM may use on this interface, MAC resolved.
        public var allowedPairs: [Pair]

        /// Creates an interface.
        public init(vm: String, device: String, mac: UInt64, ipv4: [IPAddress] = [], ipv6: [IPAddress] = [], allowedPairs: [Pair] = []) {
            self.vm = vm
            self.device = device
            self.mac = mac
            self.ipv4 = ipv4
            self.ipv6 = ipv6
            self.linkLocal = SensorInventory.linkLocal(for: mac)
            self.allowedPairs = allowedPairs
        }

        /// Whether the interface declares at least one address of the family of `address`.
        public func declaresFamily(of address: IPAddress) -> Bool {
            if address.isIPv6 { return !ipv6.isEmpty || allowedPairs.contains { $0.address.isIPv6 } }
            return !ipv4.isEmpty || allowedPairs.contains { !$0.address.isIPv6 }
        }

        /// Whether the interface may send from `address` with Ethernet source `mac`: a declared
        /// address or the EUI-64 link-local with the interface MAC, or an allowed pair with its MAC.
        public func owns(_ address: IPAddress, mac: UInt64) -> Bool {
            if mac == self.mac {
                if address == linkLocal { return true }
                if address.isIPv6 { if ipv6.contains(address) { return true } } else if ipv4.contains(address) { return true }
            }
            for pair in allowedPairs where pair.address == address && pair.mac == mac { return true }
            return false
        }

        /// Whether the interface may use `address` with any of its MACs.
        public func owns(_ address: IPAddress) -> Bool {
            address == linkLocal || ipv4.contains(address) || ipv6.contains(address) || allowedPairs.contains { $0.address == address }
        }
    }

    /// An extra (MAC, address) pair a VM may use.
    public struct Pair: Sendable, Hashable {
        /// The MAC (already resolved to the interface MAC when the policy left it out).
        public var mac: UInt64
        /// The address.
        public var address: IPAddress
        /// Creates a pair.
        public init(mac: UInt64, address: IPAddress) {
            self.mac = mac
            self.address = address
        }
    }

    /// A piece of network infrastructure: the bridge's own address, a router, a DHCP server.
    public struct Infrastructure: Sendable, Hashable {
        /// What the device may legitimately do.
        public struct Roles: OptionSet, Sendable, Hashable {
            public var rawValue: UInt8
            /// Creates roles from bits.
            public init(rawValue: UInt8) { self.rawValue = rawValue }
            /// May send ICMPv6 router advertisements.
            public static let router = Roles(rawValue: 1)
            /// May send DHCP server messages (OFFER/ACK/NAK, ADVERTISE/REPLY), including as a relay.
            public static let dhcpServer = Roles(rawValue: 2)
        }

        /// A label for alerts (e.g. `virbr0`).
        public var name: String
        /// What it may do.
        public var roles: Roles
        /// Its MACs; empty when unknown (then it is recognised by address only).
        public var macs: [UInt64]
        /// Its IPv4/IPv6 addresses.
        public var addresses: [IPAddress]

        /// Creates an entry.
        public init(name: String, roles: Roles, macs: [UInt64] = [], addresses: [IPAddress] = []) {
            self.name = name
            self.roles = roles
            self.macs = macs
            self.addresses = addresses
        }

        /// Whether a frame from `mac` with IP source `address` is this device: by MAC when its MACs
        /// are known (an address is trivially forged), else by address.
        public func matches(mac: UInt64, address: IPAddress?) -> Bool {
            if !macs.isEmpty { return macs.contains(mac) }
            guard let address else { return false }
            return addresses.contains(address)
        }
    }

    /// Who an authoritative binding belongs to.
    public enum Owner: Sendable, Hashable, CustomStringConvertible {
        /// Interface `interface` (an index into ``interfaces``) of a VM.
        case vm(interface: Int)
        /// An entry of ``infrastructure`` (an index).
        case infrastructure(Int)

        public var description: String {
            switch self {
            case .vm(let index): "vm#\(index)"
            case .infrastructure(let index): "infrastructure#\(index)"
            }
        }
    }

    /// One authoritative (address, MAC) binding.
    public struct Binding: Sendable, Hashable {
        /// Whose it is.
        public var owner: Owner
        /// The MAC; nil for infrastructure whose MAC is not listed.
        public var mac: UInt64?
        /// Whether it comes from an allowed pair (may be shared, e.g. a VRRP address) rather than a
        /// declared interface address.
        public var isAllowedPair: Bool
    }

    /// The VM interfaces, sorted by VM name then declaration order.
    public private(set) var interfaces: [Interface]
    /// The infrastructure entries, in declaration order.
    public private(set) var infrastructure: [Infrastructure]

    private var interfaceByDevice: [String: Int] = [:]
    private var interfaceByMAC: [UInt64: Int] = [:]
    private var infrastructureByMAC: [UInt64: Int] = [:]
    private var bindingsByAddress: [IPAddress: [Binding]] = [:]

    /// An inventory from VM interfaces and infrastructure.
    ///
    /// When two interfaces share a MAC or a device, the first one is used for lookups by MAC/port.
    public init(interfaces: [Interface] = [], infrastructure: [Infrastructure] = []) {
        self.interfaces = interfaces
        self.infrastructure = infrastructure
        for (index, interface) in interfaces.enumerated() {
            if interfaceByDevice[interface.device] == nil { interfaceByDevice[interface.device] = index }
            if interfaceByMAC[interface.mac] == nil { interfaceByMAC[interface.mac] = index }
            let owner = Owner.vm(interface: index)
            for address in interface.ipv4 + interface.ipv6 + [interface.linkLocal] {
                add(Binding(owner: owner, mac: interface.mac, isAllowedPair: false), for: address)
            }
            for pair in interface.allowedPairs {
                add(Binding(owner: owner, mac: pair.mac, isAllowedPair: true), for: pair.address)
            }
        }
        for (index, entry) in infrastructure.enumerated() {
            for mac in entry.macs where infrastructureByMAC[mac] == nil { infrastructureByMAC[mac] = index }
            for address in entry.addresses {
                if entry.macs.isEmpty {
                    add(Binding(owner: .infrastructure(index), mac: nil, isAllowedPair: false), for: address)
                }
                for mac in entry.macs {
                    add(Binding(owner: .infrastructure(index), mac: mac, isAllowedPair: false), for: address)
                }
            }
        }
    }

    private mutating func add(_ binding: Binding, for address: IPAddress) {
        if bindingsByAddress[address]?.contains(binding) == true { return }
        bindingsByAddress[address, default: []].append(binding)
    }

    /// The inventory of a NetworkPolicy's VMs (every interface, its addresses and allowed pairs),
    /// plus `infrastructure` the policy does not describe.
    public init(policy: NetworkPolicy, infrastructure: [Infrastructure] = []) {
        var interfaces: [Interface] = []
        for name in policy.vms.keys.sorted() {
            guard let binding = policy.vms[name] else { continue }
            for interface in binding.interfaces {
                let mac = SensorInventory.value(of: interface.mac)
                let pairs = binding.allowedPairs.compactMap { pair -> Pair? in
                    guard let address = IPAddress(bytes: pair.address.bytes) else { return nil }
                    return Pair(mac: pair.mac.map(SensorInventory.value(of:)) ?? mac, address: address)
                }
                interfaces.append(Interface(
                    vm: name, device: interface.device, mac: mac,
                    ipv4: interface.ipv4.compactMap { IPAddress(bytes: $0.bytes) },
                    ipv6: interface.ipv6.compactMap { IPAddress(bytes: $0.bytes) },
                    allowedPairs: pairs))
            }
        }
        self.init(interfaces: interfaces, infrastructure: infrastructure)
    }

    /// Whether the inventory lists nothing at all.
    public var isEmpty: Bool { interfaces.isEmpty && infrastructure.isEmpty }

    /// Whether any infrastructure entry has the router role.
    public var hasRouters: Bool { infrastructure.contains { $0.roles.contains(.router) } }

    /// Whether any infrastructure entry has the DHCP server role.
    public var hasDHCPServers: Bool { infrastructure.contains { $0.roles.contains(.dhcpServer) } }

    /// The index of the interface whose tap device is `port`, if any.
    public func interfaceIndex(onPort port: String) -> Int? { interfaceByDevice[port] }

    /// The index of the interface with MAC `mac`, if any.
    public func interfaceIndex(withMAC mac: UInt64) -> Int? { interfaceByMAC[mac] }

    /// The index of the infrastructure entry with MAC `mac`, if any.
    public func infrastructureIndex(withMAC mac: UInt64) -> Int? { infrastructureByMAC[mac] }

    /// The authoritative bindings of `address` (empty when the inventory does not cover it).
    public func bindings(for address: IPAddress) -> [Binding] { bindingsByAddress[address] ?? [] }

    /// Whether a router advertisement from Ethernet source `mac` and IP source `address` comes from
    /// listed router infrastructure.
    public func isRouter(mac: UInt64, address: IPAddress) -> Bool {
        infrastructure.contains { $0.roles.contains(.router) && $0.matches(mac: mac, address: address) }
    }

    /// Whether a DHCP server message from `mac`/`address` (or naming `serverIdentifier`, when the
    /// entry's MAC is unknown) comes from listed DHCP server infrastructure.
    public func isDHCPServer(mac: UInt64, address: IPAddress, serverIdentifier: IPAddress?) -> Bool {
        infrastructure.contains { entry in
            guard entry.roles.contains(.dhcpServer) else { return false }
            if entry.matches(mac: mac, address: address) { return true }
            return entry.macs.isEmpty && serverIdentifier.map { entry.addresses.contains($0) } == true
        }
    }

    /// A name for a binding's owner: the VM name, or `infrastructure <name>`.
    public func ownerName(_ owner: Owner) -> String {
        switch owner {
        case .vm(let index): interfaces.indices.contains(index) ? interfaces[index].vm : "?"
        case .infrastructure(let index): infrastructure.indices.contains(index) ? infrastructure[index].name : "?"
        }
    }

    /// The VM name of interface `index`.
    func vmName(_ index: Int) -> String { interfaces.indices.contains(index) ? interfaces[index].vm : "?" }

    /// The 48-bit value of a policy MAC.
    public static func value(of mac: MACAddress) -> UInt64 {
        var value: UInt64 = 0
        for byte in mac.bytes.prefix(6) { value = value << 8 | UInt64(byte) }
        return value
    }

    /// The EUI-64 link-local address of `mac` (fe80::/64, universal/local bit flipped).
    public static func linkLocal(for mac: UInt64) -> IPAddress {
        let b0 = UInt64((mac >> 40) & 0xff) ^ 0x02
        let b1 = (mac >> 32) & 0xff, b2 = (mac >> 24) & 0xff
        let b3 = (mac >> 16) & 0xff, b4 = (mac >> 8) & 0xff, b5 = mac & 0xff
        let low = b0 << 56 | b1 << 48 | b2 << 40 | 0xff << 32 | 0xfe << 24 | b3 << 16 | b4 << 8 | b5
        return IPAddress(ipv6High: 0xfe80_0000_0000_0000, low: low)
    }
}
