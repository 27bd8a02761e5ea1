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

/// One object of Hyperward's tables as declared in the ruleset: a set, map, counter or chain.
public struct TableObject: Sendable, Hashable {
    /// What the object is (nft's keyword for it).
    public enum Kind: String, Sendable, Hashable { case set, map, counter, chain }

    /// `bridge` or `inet`.
    public var family: String
    public var kind: Kind
    public var name: String
    /// Declaration lines without the elements: `type …`, `flags …`, a base chain's hook, a comment.
    public var header: [String]
    /// A set's or map's elements, or a chain's rules, each as nft text.
    public var items: [String]

    /// Creates an object.
    public init(family: String, kind: Kind, name: String, header: [String] = [], items: [String] = []) {
        self.family = family
        self.kind = kind
        self.name = name
        self.header = header
        self.items = items
    }

    /// Where it lives and what it is called: `set inet hyperward in4`.
    var identity: String { "\(kind.rawValue) \(family) \(Ruleset.bridgeTable) \(name)" }

    /// The declaration as it appears inside its table block.
    var declaration: String {
        var o = "\t\(kind.rawValue) \(name) {\n"
        for line in header { o += "\t\t\(line)\n" }
        switch kind {
        case .set, .map:
            if !items.isEmpty { o += "\t\telements = { " + items.joined(separator: ", ") + " }\n" }
        case .chain:
            for rule in items { o += "\t\t\(rule)\n" }
        case .counter:
            break
        }
        return o + "\t}\n"
    }

    /// The key of an element (what `delete element` takes): the text before a map's ` : value`
    /// or an element's ` comment "…"`. Interface names cannot hold a colon or a space.
    static func key(of element: String) -> Substring {
        if let r = element.range(of: " : ") { return element[..<r.lowerBound] }
        if let r = element.range(of: " comment \"") { return element[..<r.lowerBound] }
        return Substring(element)
    }
}

/// A compiled nftables ruleset: the text `nft -f` loads, plus the numbering the tables use.
public struct Ruleset: Sendable, Hashable {
    /// The full transaction: Hyperward's two tables replaced atomically, the IPS table kept.
    public var text: String
    /// The mark id of each VM (1…65535): low 16 bits of `meta mark` for traffic from it,
    /// high 16 bits for traffic to it.
    public var vmIDs: [String: Int]
    /// Each filtered port (tap device) and the VM it belongs to.
    public var devices: [String: String]
    /// The objects of the bridge and inet tables, for element-level updates.
    public var objects: [TableObject]
    /// Per VM, a digest of everything that decides its traffic (its binding, its groups' rules,
    /// the members of the groups those rules name): a VM whose digest changes has its flows
    /// re-evaluated.
    public var vmDigests: [String: Int]
    /// Per VM, its addresses (interfaces and allowed pairs), for flushing its flows.
    public var vmAddresses: [String: [IPNetwork]]

    /// The names Hyperward owns in the kernel.
    public static let bridgeTable = "hyperward"
    public static let inetTable = "hyperward"
    public static let ipsTable = "hyperward_ips"
    public static let quarantineTable = "hyperward_quarantine"
}

/// Compiles a `NetworkPolicy` into one nftables transaction. A pure value transformation.
///
/// Design (docs/network.md): this kernel has no bridge conntrack, so
/// - the **bridge** family does what needs no state: per-port anti-spoofing (MAC, ARP, IPv4/IPv6
///   source, ND target, RA/DHCP guard, ethertypes) in `prerouting`, and it stamps `meta mark`
///   with the source VM (low 16 bits, in prerouting) and the destination VM (high 16 bits, in a
///   `forward` chain at priority -300, which runs before br_netfilter hands the frame to IP);
/// - the **inet** family, reached by bridged IPv4/IPv6 through br_netfilter
///   (`net.bridge.bridge-nf-call-ip{,6}tables=1`), does the stateful security groups: there
///   `iifname`/`oifname` are the bridge, so VMs are told apart by those marks.
public enum RulesetCompiler {
    /// The most VMs one host's ruleset can number (16 bits of mark each way).
    public static let maxVMs = 65_535

    /// Compiles `policy`. With `previous` (the ruleset in the kernel), VMs keep their numbers and
    /// new VMs get unused ones, so `delta(from:to:)` stays a handful of updates.
    /// - Throws: `HyperwardError` (code `policy`) when the policy cannot be compiled: too many VMs,
    ///   or two VMs bound to the same MAC or address (`NetworkPolicy.validateBindings`).
    public static func compile(_ policy: NetworkPolicy, previous: Ruleset? = nil) throws(HyperwardError) -> Ruleset {
        let names = policy.vms.keys.sorted()
        guard names.count <= maxVMs else {
            throw HyperwardError(NetworkPolicy.errorCode, "\(names.count) VMs exceed the \(maxVMs) a host can number")
        }
        // Also after libvirt filled in MACs and DHCP addresses, which the parser never saw.
        try policy.validateBindings()
        let ids = numbering(names, previous: previous?.vmIDs ?? [:])
        var out = "# Generated by `hyperward net compile`. Do not edit: Hyperward replaces these tables whole.\n"
        out += ipsTable()
        out += quarantineTable()
        out += "table bridge \(Ruleset.bridgeTable)\ndelete table bridge \(Ruleset.bridgeTable)\n"
        out += "table inet \(Ruleset.inetTable)\ndelete table inet \(Ruleset.inetTable)\n"
        let bridge = bridgeTable(policy, names: names, ids: ids)
        let inet = inetTable(policy, names: names, ids: ids)
        out += "table bridge \(Ruleset.bridgeTable) {\n" + bridge.map(\.declaration).joined() + "}\n"
        out += "table inet \(Ruleset.inetTable) {\n" + inet.map(\.declaration).joined() + "}\n"
        var devices: [String: String] = [:]
        var addresses: [String: [IPNetwork]] = [:]
        for (name, vm) in policy.vms {
            for i in vm.interfaces where !i.device.isEmpty { devices[i.device] = name }
            addresses[name] = Array(Set(vm.interfaces.flatMap { $0.ipv4 + $0.ipv6 } + vm.allowedPairs.map(\.address))).sorted()
        }
        return Ruleset(text: out, vmIDs: ids, devices: devices, objects: bridge + inet,
                       vmDigests: digests(policy, names: names), vmAddresses: addresses)
    }

    /// VM numbers: kept from `previous` where the VM is still there; new VMs (in name order) get
    /// numbers above the highest in use, or the lowest free ones once 65,535 is reached. Without
    /// a previous ruleset: 1, 2, 3… in name order.
    static func numbering(_ names: [String], previous: [String: Int]) -> [String: Int] {
        var ids: [String: Int] = [:]
        var used: Set<Int> = []
        for name in names { if let id = previous[name], (1...maxVMs).contains(id), !used.contains(id) { ids[name] = id; used.insert(id) } }
        var next = (used.max() ?? 0) + 1
        var lowestFree = 1
        for name in names where ids[name] == nil {
            if next > maxVMs {
                while used.contains(lowestFree) { lowestFree += 1 }
                next = lowestFree
            }
            ids[name] = next
            used.insert(next)
            next += 1
        }
        return ids
    }

    /// Per VM, a digest of what decides its traffic (see `Ruleset.vmDigests`).
    static func digests(_ policy: NetworkPolicy, names: [String]) -> [String: Int] {
        var members: [String: [[IPNetwork]]] = [:]
        for name in names {
            guard let vm = policy.vms[name] else { continue }
            let own = vm.interfaces.flatMap { $0.ipv4 + $0.ipv6 } + vm.allowedPairs.map(\.address)
            for group in vm.groups { members[group, default: []].append(own) }
        }
        var result: [String: Int] = [:]
        for name in names {
            guard let vm = policy.vms[name] else { continue }
            var hasher = Hasher()
            hasher.combine(vm)
            for group in vm.groups {
                guard let definition = policy.groups[group] else { continue }
                hasher.combine(group)
                hasher.combine(definition)
                for rule in definition.ingress + (definition.egress ?? []) {
                    if let remote = rule.group { hasher.combine(remote); hasher.combine(members[remote] ?? []) }
                }
            }
            result[name] = hasher.finalize()
        }
        return result
    }

    /// The transaction that turns the kernel's `old` tables into `new` ones with element updates
    /// and per-chain rewrites only, or `nil` when an object changed its type (then replace whole).
    /// Like a full apply it is one atomic batch: a refused delta changes nothing.
    public static func delta(from old: Ruleset, to new: Ruleset) -> String? {
        var before: [String: TableObject] = [:]
        for object in old.objects { before[object.identity] = object }
        var after: Set<String> = []
        var create = "", deleteElements = "", addElements = "", fill = "", remove = ""
        for object in new.objects {
            let id = object.identity
            after.insert(id)
            let target = "\(object.family) \(Ruleset.bridgeTable) \(object.name)"
            guard let previous = before[id] else {
                // New: declared empty, filled below (its elements or rules may name other new objects).
                create += "add \(object.kind.rawValue) \(target) { " + object.header.map { $0.hasSuffix(";") ? $0 : $0 + ";" }.joined(separator: " ") + " }\n"
                switch object.kind {
                case .set, .map: if !object.items.isEmpty { addElements += "add element \(target) { " + object.items.joined(separator: ", ") + " }\n" }
                case .chain: for rule in object.items { fill += "add rule \(target) \(rule)\n" }
                case .counter: break
                }
                continue
            }
            guard previous.header == object.header else { return nil }
            if previous.items == object.items { continue }
            switch object.kind {
            case .set, .map:
                let oldItems = Set(previous.items), newItems = Set(object.items)
                let gone = previous.items.filter { !newItems.contains($0) }
                let added = object.items.filter { !oldItems.contains($0) }
                if !gone.isEmpty { deleteElements += "delete element \(target) { " + gone.map { String(TableObject.key(of: $0)) }.joined(separator: ", ") + " }\n" }
                if !added.isEmpty { addElements += "add element \(target) { " + added.joined(separator: ", ") + " }\n" }
            case .chain:
                fill += "flush chain \(target)\n"
                for rule in object.items { fill += "add rule \(target) \(rule)\n" }
            case .counter:
                return nil
            }
        }
        // Gone objects: chains first (emptied, then deleted: their jumps went with the map
        // elements above), then the counters and sets their rules used.
        let gone = old.objects.filter { !after.contains($0.identity) }
        for object in gone where object.kind == .chain {
            remove += "flush chain \(object.family) \(Ruleset.bridgeTable) \(object.name)\ndelete chain \(object.family) \(Ruleset.bridgeTable) \(object.name)\n"
        }
        for object in gone where object.kind != .chain {
            remove += "delete \(object.kind.rawValue) \(object.family) \(Ruleset.bridgeTable) \(object.name)\n"
        }
        return create + deleteElements + addElements + fill + remove
    }

    /// The VMs whose traffic rules differ between `old` and `new` (added, removed or changed).
    public static func changedVMs(from old: Ruleset, to new: Ruleset) -> [String] {
        let names = Set(old.vmDigests.keys).union(new.vmDigests.keys)
        return names.filter { old.vmDigests[$0] != new.vmDigests[$0] }.sorted()
    }

    static func hex(_ value: Int) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// `s` as an nft quoted string: quotes, backslashes and control characters (line ends among
    /// them) are dropped. Filtered by Unicode scalar: "\r\n" is a single `Character`, which a
    /// `Character` comparison with "\n" lets through.
    static func quote(_ s: String) -> String {
        // Fast path: printable ASCII without quote or backslash needs no filtering (the common case).
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c }) { return "\"" + s + "\"" }
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: s.unicodeScalars.filter { scalar in
            scalar != "\"" && scalar != "\\" && scalar.properties.generalCategory != .control
                && scalar != "\u{2028}" && scalar != "\u{2029}"
        })
        return "\"" + String(kept) + "\""
    }

    /// The IPS table: timed blocklists the Sensor fills, an allowlist that always wins, and timed
    /// "protected" destinations whose new TCP connections are rate limited per destination (the
    /// answer to a flood from forged sources, where blocking sources is useless). Declared
    /// idempotently (existing elements survive) and its chains flushed and rewritten. It guards
    /// traffic between VMs (`forward`) and to the host (`input`).
    static func ipsTable() -> String {
        let t = Ruleset.ipsTable
        let rules = """
            \t\tip saddr @allow_v4 return
            \t\tip6 saddr @allow_v6 return
            \t\tip saddr @block_v4 counter name "blocked" drop
            \t\tip6 saddr @block_v6 counter name "blocked" drop
            \t\ttcp flags & (syn | ack) == syn ip daddr @protect_v4 update @synrate_v4 { ip daddr limit rate over \(protectedSYNRate)/second burst \(protectedSYNRate * 2) packets } counter name "limited" drop
            \t\ttcp flags & (syn | ack) == syn ip6 daddr @protect_v6 update @synrate_v6 { ip6 daddr limit rate over \(protectedSYNRate)/second burst \(protectedSYNRate * 2) packets } counter name "limited" drop

            """
        return """
            table inet \(t) {
            \tset block_v4 { type ipv4_addr; flags timeout; }
            \tset block_v6 { type ipv6_addr; flags timeout; }
            \tset allow_v4 { type ipv4_addr; flags interval; }
            \tset allow_v6 { type ipv6_addr; flags interval; }
            \tset protect_v4 { type ipv4_addr; flags timeout; }
            \tset protect_v6 { type ipv6_addr; flags timeout; }
            \tset synrate_v4 { type ipv4_addr; flags dynamic,timeout; timeout 1m; }
            \tset synrate_v6 { type ipv6_addr; flags dynamic,timeout; timeout 1m; }
            \tcounter blocked { }
            \tcounter limited { }
            \tchain forward { type filter hook forward priority -10; policy accept; }
            \tchain input { type filter hook input priority -10; policy accept; }
            }
            flush chain inet \(t) forward
            flush chain inet \(t) input
            table inet \(t) {
            \tchain forward {
            \(rules)\t}
            \tchain input {
            \(rules)\t}
            }

            """
    }

    /// New TCP connections per second a protected destination accepts (burst twice that).
    public static let protectedSYNRate = 200

    struct Port {
        var id: Int
        var vm: String
        var vmID: Int
        var interface: VMInterface
        var pairs: [AddressPair]
    }

    static func ports(_ policy: NetworkPolicy, names: [String], ids: [String: Int]) -> [Port] {
        var result: [Port] = []
        for name in names {
            guard let binding = policy.vms[name], let vmID = ids[name] else { continue }
            // An interface still without a device (a libvirt domain's not resolved) filters nothing.
            for interface in binding.interfaces where !interface.device.isEmpty {
                result.append(Port(id: result.count + 1, vm: name, vmID: vmID, interface: interface, pairs: binding.allowedPairs))
            }
        }
        return result
    }

    /// The quarantine table: interfaces in its `ports` set, and frames from or to the MACs in its
    /// `macs` set, pass nothing. A table of its own, declared idempotently like the IPS table, so a
    /// quarantine survives every re-apply; by MAC it also survives the VM's restart on a new tap.
    static func quarantineTable() -> String {
        let t = Ruleset.quarantineTable
        return """
            table bridge \(t) {
            \tset ports { type ifname; }
            \tset macs { type ether_addr; }
            \tcounter dropped { }
            \tchain prerouting { type filter hook prerouting priority -310; policy accept; }
            \tchain forward { type filter hook forward priority -310; policy accept; }
            \tchain output { type filter hook output priority -310; policy accept; }
            }
            flush chain bridge \(t) prerouting
            flush chain bridge \(t) forward
            flush chain bridge \(t) output
            table bridge \(t) {
            \tchain prerouting {
            \t\tiifname @ports counter name "dropped" drop
            \t\tether saddr @macs counter name "dropped" drop
            \t}
            \tchain forward {
            \t\toifname @ports counter name "dropped" drop
            \t\tether daddr @macs counter name "dropped" drop
            \t}
            \tchain output {
            \t\toifname @ports counter name "dropped" drop
            \t\tether daddr @macs counter name "dropped" drop
            \t}
            }

            """
    }

    /// Rule text lines (`\t\trule\n` each, as `lines` and `AllowTable.add` return them) as items.
    static func rules(_ text: String) -> [String] {
        text.split(separator: "\n").map { String($0.drop { $0 == "\t" }) }
    }

    /// The bridge table. Per-port facts are elements of a few global sets keyed by the port
    /// (`iifname . ether saddr . ip saddr`), not per-port sets and chains: a set is a kernel object
    /// that costs about 0.2 ms to create, chains and elements are cheap, and adding one VM is then a
    /// handful of element updates.
    static func bridgeTable(_ policy: NetworkPolicy, names: [String], ids: [String: Int]) -> [TableObject] {
        let ports = ports(policy, names: names, ids: ids)
        var macs: [String] = [], src4: [String] = [], src6: [String] = [], targets: [String] = []
        for port in ports {
            let dev = quote(port.interface.device)
            let mac = port.interface.mac
            var v4 = port.interface.ipv4.map { (mac, $0) }
            // The default (EUI-64) link-local address of the interface's MAC.
            var v6 = port.interface.ipv6.map { (mac, $0) } + [(mac, IPNetwork.linkLocal(for: mac))]
            var portMACs = [mac]
            for pair in port.pairs {
                let m = pair.mac ?? mac
                if !portMACs.contains(m) { portMACs.append(m) }
                if pair.address.family == .ipv4 { v4.append((m, pair.address)) } else { v6.append((m, pair.address)) }
            }
            macs += portMACs.sorted().map { "\(dev) . \($0)" }
            src4 += v4.map { "\(dev) . \($0.0) . \($0.1.addressText)" }
            src6 += v6.map { "\(dev) . \($0.0) . \($0.1.addressText)" }
            // ND targets this port may advertise: its own IPv6 addresses. nft 1.0.6 has no
            // `icmpv6 taddr`, so the target is matched as raw payload (ICMPv6 header + 8 bytes).
            targets += Set(v6.map { $0.1 }).sorted().map { "\(dev) . 0x" + $0.bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
        }
        func object(_ kind: TableObject.Kind, _ name: String, _ header: [String], _ items: [String] = []) -> TableObject {
            TableObject(family: "bridge", kind: kind, name: name, header: header, items: items)
        }
        var o: [TableObject] = []
        o.append(object(.set, "ports", ["type ifname"], ports.map { quote($0.interface.device) }))
        o.append(object(.map, "port_mark", ["type ifname : mark"], ports.map { "\(quote($0.interface.device)) : \(hex($0.vmID))" }))
        for name in names { if let id = ids[name] { o.append(object(.counter, "drops_vm\(id)", ["comment \(quote(name))"])) } }
        o.append(object(.map, "port_counter", ["type ifname : counter"], ports.map { "\(quote($0.interface.device)) : \"drops_vm\($0.vmID)\"" }))
        o.append(object(.map, "port_to", ["type ifname : verdict"], ports.map { "\(quote($0.interface.device)) : jump to_vm\($0.vmID)" }))
        o.append(object(.set, "port_macs", ["type ifname . ether_addr"], macs))
        o.append(object(.set, "port_src4", ["type ifname . ether_addr . ipv4_addr"], src4))
        o.append(object(.set, "port_src6", ["type ifname . ether_addr . ipv6_addr"], src6))
        o.append(object(.set, "port_na", ["typeof iifname . @th,64,128"], targets))
        o.append(object(.chain, "prerouting", ["type filter hook prerouting priority -300; policy accept;"], [
            "iifname != @ports accept",
            "meta mark set iifname map @port_mark",
            "iifname . ether saddr != @port_macs goto spoofed",
            "ether type arp goto arp_in",
            "ether type ip goto ip4_in",
            "ether type ip6 goto ip6_in",
            "goto spoofed",
        ]))
        o.append(object(.chain, "arp_in", [], [
            "iifname . arp saddr ether != @port_macs goto spoofed",
            "arp saddr ip 0.0.0.0 accept",
            "iifname . arp saddr ether . arp saddr ip != @port_src4 goto spoofed",
            "accept",
        ]))
        o.append(object(.chain, "ip4_in", [], [
            "udp sport 67 goto spoofed",
            "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept",
            "iifname . ether saddr . ip saddr != @port_src4 goto spoofed",
            "accept",
        ]))
        o.append(object(.chain, "ip6_in", [], [
            "icmpv6 type { nd-router-advert, nd-redirect } goto spoofed",
            "udp sport 547 goto spoofed",
            "ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } accept",
            "iifname . ether saddr . ip6 saddr != @port_src6 goto spoofed",
            "icmpv6 type nd-neighbor-advert iifname . @th,64,128 != @port_na goto spoofed",
            "accept",
        ]))
        o.append(object(.chain, "spoofed", [], [
            "counter name iifname map @port_counter",
            "limit rate 10/minute burst 5 packets log prefix \"hyperward spoofed: \" level warn",
            "drop",
        ]))
        o.append(object(.chain, "forward", ["type filter hook forward priority -300; policy accept;"], ["oifname vmap @port_to"]))
        for name in names {
            guard let id = ids[name] else { continue }
            o.append(object(.chain, "to_vm\(id)", [], ["meta mark set meta mark | \(hex(id << 16))"]))
        }
        return o
    }

    static func inetTable(_ policy: NetworkPolicy, names: [String], ids: [String: Int]) -> [TableObject] {
        func object(_ kind: TableObject.Kind, _ name: String, _ header: [String], _ items: [String] = []) -> TableObject {
            TableObject(family: "inet", kind: kind, name: name, header: header, items: items)
        }
        var o: [TableObject] = []
        // Group member sets, for the groups some rule names as its remote: every address of every
        // interface (and allowed pair) of a member VM. Unreferenced groups get no set (sets are
        // the costly kernel objects).
        var referenced: Set<String> = []
        for group in policy.groups.values {
            for rule in group.ingress + (group.egress ?? []) { if let g = rule.group { referenced.insert(g) } }
        }
        for group in policy.groups.keys.sorted() where referenced.contains(group) {
            var v4: Set<IPNetwork> = []
            var v6: Set<IPNetwork> = []
            for name in names {
                guard let vm = policy.vms[name], vm.groups.contains(group) else { continue }
                for i in vm.interfaces {
                    v4.formUnion(i.ipv4)
                    v6.formUnion(i.ipv6)
                }
                for pair in vm.allowedPairs {
                    if pair.address.family == .ipv4 { v4.insert(pair.address) } else { v6.insert(pair.address) }
                }
            }
            o.append(object(.set, "grp_\(sanitized(group))_v4", ["type ipv4_addr"], v4.sorted().map(\.addressText)))
            o.append(object(.set, "grp_\(sanitized(group))_v6", ["type ipv6_addr"], v6.sorted().map(\.addressText)))
        }
        for name in names { if let id = ids[name] { o.append(object(.counter, "drops_vm\(id)", [])) } }
        let egressVMs = names.filter { name in
            guard let vm = policy.vms[name] else { return false }
            return vm.groups.contains { policy.groups[$0]?.egress != nil }
        }
        let egressSet = Set(egressVMs)
        o.append(object(.map, "egress", ["type mark : verdict"], egressVMs.compactMap { ids[$0].map { "\(hex($0)) : jump out_vm\($0)" } }))
        o.append(object(.map, "ingress", ["type mark : verdict"], names.compactMap { ids[$0].map { "\(hex($0 << 16)) : jump in_vm\($0)" } }))
        o.append(object(.chain, "forward", ["type filter hook forward priority 0; policy accept;"], [
            "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert, mld-listener-query, mld-listener-report, mld2-listener-report } accept",
            "ct state established,related accept",
            "ct state invalid counter drop",
            "meta mark & 0x0000ffff vmap @egress",
            "meta mark & 0xffff0000 . ip saddr . meta l4proto . th dport @in4 accept",
            "meta mark & 0xffff0000 . ip6 saddr . meta l4proto . th dport @in6 accept",
            "meta mark & 0xffff0000 vmap @ingress",
        ]))
        // Traffic from a VM to the host itself (its DNS, SSH, libvirt's services: the host is the
        // prize of a VM escape) obeys the VM's egress rules too. DHCP and IPv6 neighbour discovery
        // to the host always pass: anti-spoofing already vetted them and a guest needs them.
        o.append(object(.chain, "input", ["type filter hook input priority 0; policy accept;"], [
            "meta mark & 0x0000ffff == 0 accept",
            "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report } accept",
            "ct state established,related accept",
            "ct state invalid counter drop",
            "udp sport 68 udp dport 67 accept",
            "udp dport 547 accept",
            "meta mark & 0x0000ffff vmap @egress",
        ]))
        var chains: [TableObject] = []
        var allowed = (in4: [String](), in6: [String](), out4: [String](), out6: [String]())
        for name in names {
            guard let id = ids[name], let vm = policy.vms[name] else { continue }
            let groups = vm.groups.compactMap { g in policy.groups[g].map { (g, $0) } }
            if egressSet.contains(name) {
                var body = ""
                var table = AllowTable()
                for (gname, group) in groups {
                    // A group that omits egress allows everything out for its members.
                    guard let rules = group.egress else { body += "\t\treturn comment \(quote("\(gname): egress omitted, all allowed"))\n"; continue }
                    for rule in rules { body += table.add(rule, direction: .egress, verdict: "return", group: gname) }
                }
                allowed.out4 += table.elements(family: .ipv4, mark: hex(id))
                allowed.out6 += table.elements(family: .ipv6, mark: hex(id))
                chains.append(object(.chain, "out_vm\(id)", [], [
                    "meta mark & 0x0000ffff . ip daddr . meta l4proto . th dport @out4 return",
                    "meta mark & 0x0000ffff . ip6 daddr . meta l4proto . th dport @out6 return",
                ] + rules(body) + [
                    "limit rate 10/minute burst 5 packets log prefix \(quote("hyperward egress drop vm=\(name) ")) level warn",
                    "counter name \"drops_vm\(id)\" drop",
                ]))
            }
            var body = ""
            var table = AllowTable()
            for (gname, group) in groups {
                for rule in group.ingress { body += table.add(rule, direction: .ingress, verdict: "accept", group: gname) }
            }
            allowed.in4 += table.elements(family: .ipv4, mark: hex(id << 16))
            allowed.in6 += table.elements(family: .ipv6, mark: hex(id << 16))
            chains.append(object(.chain, "in_vm\(id)", [], rules(body) + [
                "limit rate 10/minute burst 5 packets log prefix \(quote("hyperward ingress drop vm=\(name) ")) level warn",
                "counter name \"drops_vm\(id)\" drop",
            ]))
        }
        for (name, type, items) in [("in4", "ipv4_addr", allowed.in4), ("in6", "ipv6_addr", allowed.in6),
                                    ("out4", "ipv4_addr", allowed.out4), ("out6", "ipv6_addr", allowed.out6)] {
            o.append(object(.set, name, ["type mark . \(type) . inet_proto . inet_service", "flags interval"], items))
        }
        return o + chains
    }

    enum Direction { case ingress, egress }

    /// One VM's port rules in one direction as elements of the table's four named sets
    /// (`vm mark . remote . l4proto . dport`: `in4`, `in6`, `out4`, `out6`), each looked up by one
    /// rule. At 1,000 VMs × 20 rules this halves nft's and the kernel's work against one rule per
    /// policy rule (per-VM sets would not: every set is a kernel object costing ~0.5 ms), and a
    /// change to a VM's rules is element updates. Sets of concatenations with intervals reject
    /// overlapping elements, so a range already covered by another is left out and one that partly
    /// overlaps another stays a rule of its own (every entry accepts: the union is what matters, not the order).
    struct AllowTable {
        struct Box {
            var network: IPNetwork
            var proto: Rule.Proto
            var ports: ClosedRange<Int>
            var comment: String

            func covers(_ other: Box) -> Bool {
                network.prefixLength <= other.network.prefixLength && network.contains(other.network)
                    && ports.lowerBound <= other.ports.lowerBound && other.ports.upperBound <= ports.upperBound
            }

            func overlaps(_ other: Box) -> Bool {
                ports.overlaps(other.ports)
                    && (network.contains(other.network) || other.network.contains(network))
            }

            var element: String {
                let p = ports.lowerBound == ports.upperBound ? "\(ports.lowerBound)" : "\(ports.lowerBound)-\(ports.upperBound)"
                return "\(network.description) . \(proto.rawValue) . \(p) comment \(comment)"
            }
        }

        /// The elements of one family and protocol, indexed so that placing a box costs a lookup
        /// per overlapping network and a binary search, not a scan of every element: one rule with
        /// tens of thousands of ports made the scan quadratic (65,535 ports took minutes).
        ///
        /// The elements never overlap one another (the set would refuse them), so those of one
        /// network, sorted by their first port, have their last ports sorted too.
        struct Bucket {
            struct Entry { var low: Int; var high: Int; var slot: Int }
            /// In the order they were taken (the order of the set's elements); nil once displaced.
            var boxes: [Box?] = []
            /// Per network, its elements' port ranges sorted by first port.
            var byNetwork: [IPNetwork: [Entry]] = [:]
            /// Per network `a`, the indexed networks inside it (itself included), registered under
            /// every prefix of each indexed network.
            var inside: [IPNetwork: [IPNetwork]] = [:]
            /// The prefix lengths of the indexed networks.
            var prefixLengths: Set<Int> = []

            /// The indexed networks that overlap `network` (contain it or lie inside it).
            func nested(with network: IPNetwork) -> [IPNetwork] {
                var result = inside[network] ?? []
                for length in prefixLengths where length < network.prefixLength {
                    let outer = network.truncated(to: length)
                    if byNetwork[outer] != nil { result.append(outer) }
                }
                return result
            }

            /// The first entry of `entries` whose last port is at or above `port`.
            static func firstEnding(atOrAfter port: Int, in entries: [Entry]) -> Int {
                var low = 0, high = entries.count
                while low < high {
                    let mid = (low + high) / 2
                    if entries[mid].high < port { low = mid + 1 } else { high = mid }
                }
                return low
            }

            /// Whether `byNetwork`, `inside` and `prefixLengths` are kept. A VM's few rules are
            /// placed faster by a scan than by maintaining the index (building it for every VM's
            /// table made compiling 1,000 VMs × 20 rules four times slower); the index is built
            /// once a bucket holds `indexFrom` elements, for rules with thousands of ports.
            var isIndexed = false
            var indexFrom = 32

            /// Takes `box` unless an element covers it already; displaces the elements it covers.
            /// - Returns: false when it partly overlaps an element (it must then be a rule).
            mutating func take(_ box: Box) -> Bool {
                if !isIndexed && boxes.count >= indexFrom { buildIndex() }
                return isIndexed ? takeIndexed(box) : takeScanning(box)
            }

            /// `take` by a scan of every element: an element that covers `box` wins; else one
            /// that `box` overlaps without covering makes it a rule; else `box` displaces what it
            /// covers. The same decisions as `takeIndexed`.
            mutating func takeScanning(_ box: Box) -> Bool {
                var displaced: [Int] = []
                var isPartial = false
                for (slot, element) in boxes.enumerated() {
                    guard let element, element.overlaps(box) else { continue }
                    if element.covers(box) { return true }
                    if box.covers(element) { displaced.append(slot) } else { isPartial = true }
                }
                if isPartial { return false }
                for slot in displaced { boxes[slot] = nil }
                boxes.append(box)
                return true
            }

            /// Indexes the elements taken so far; from then on `takeIndexed` keeps the index.
            mutating func buildIndex() {
                isIndexed = true
                for (slot, element) in boxes.enumerated() {
                    guard let box = element else { continue }
                    if byNetwork[box.network] == nil {
                        byNetwork[box.network] = []
                        prefixLengths.insert(box.network.prefixLength)
                        for length in 0...box.network.prefixLength { inside[box.network.truncated(to: length), default: []].append(box.network) }
                    }
                    byNetwork[box.network]?.append(Entry(low: box.ports.lowerBound, high: box.ports.upperBound, slot: slot))
                }
                for network in Array(byNetwork.keys) { byNetwork[network]?.sort { $0.low < $1.low } }
            }

            /// `take` through the index.
            mutating func takeIndexed(_ box: Box) -> Bool {
                let low = box.ports.lowerBound, high = box.ports.upperBound
                var displaced: [(network: IPNetwork, range: Range<Int>)] = []
                var isPartial = false
                for network in nested(with: box.network) {
                    guard let entries = byNetwork[network] else { continue }
                    let start = Bucket.firstEnding(atOrAfter: low, in: entries)
                    var end = start
                    let outer = network.prefixLength <= box.network.prefixLength
                    let inner = box.network.prefixLength <= network.prefixLength
                    while end < entries.count, entries[end].low <= high {
                        let entry = entries[end]
                        if outer && entry.low <= low && high <= entry.high { return true }   // covered already
                        if !(inner && low <= entry.low && entry.high <= high) { isPartial = true }
                        end += 1
                    }
                    if end > start { displaced.append((network, start..<end)) }
                }
                if isPartial { return false }
                for (network, range) in displaced {
                    for entry in byNetwork[network]?[range] ?? [] { boxes[entry.slot] = nil }
                    byNetwork[network]?.removeSubrange(range)
                }
                if byNetwork[box.network] == nil {
                    byNetwork[box.network] = []
                    prefixLengths.insert(box.network.prefixLength)
                    for length in 0...box.network.prefixLength { inside[box.network.truncated(to: length), default: []].append(box.network) }
                }
                let entry = Entry(low: low, high: high, slot: boxes.count)
                boxes.append(box)
                // Policies list ports in order: appending is the common case. (No copy of the
                // array may be held across the mutation: it would copy the whole array each time.)
                if let last = byNetwork[box.network]?.last, last.low > low {
                    let position = Bucket.firstEnding(atOrAfter: low, in: byNetwork[box.network] ?? [])
                    byNetwork[box.network]?.insert(entry, at: position)
                } else {
                    byNetwork[box.network]?.append(entry)
                }
                return true
            }

            var elements: [Box] { boxes.compactMap { $0 } }
        }

        /// Elements by family and protocol (0: IPv4 tcp, 1: IPv4 udp, 2: IPv6 tcp, 3: IPv6 udp).
        var buckets: [Bucket] = [Bucket(), Bucket(), Bucket(), Bucket()]

        /// Takes `rule` into the sets where it fits; returns the rule lines of what does not.
        mutating func add(_ rule: Rule, direction: Direction, verdict: String, group: String) -> String {
            guard rule.group == nil, rule.proto == .tcp || rule.proto == .udp else {
                return RulesetCompiler.lines(rule, direction: direction, verdict: verdict, group: group)
            }
            let where_ = rule.location.map { " (\($0))" } ?? ""
            let comment = RulesetCompiler.quote("\(group)\(where_)")
            let networks = rule.networks.isEmpty ? [IPNetwork.everything(.ipv4), IPNetwork.everything(.ipv6)] : rule.networks
            let ports = rule.ports.isEmpty ? [0...65535] : RulesetCompiler.coalesced(rule.ports)
            var leftovers: [Box] = []
            for network in networks {
                for range in ports {
                    let box = Box(network: network, proto: rule.proto, ports: range, comment: comment)
                    let index = (network.family == .ipv4 ? 0 : 2) + (rule.proto == .tcp ? 0 : 1)
                    if !buckets[index].take(box) { leftovers.append(box) }
                }
            }
            let field = direction == .ingress ? "saddr" : "daddr"
            return leftovers.map { box in
                let family = box.network.family == .ipv4 ? "ip" : "ip6"
                let remote = box.network.prefixLength == 0 ? "" : "\(family) \(field) \(box.network.description) "
                let p = box.ports.lowerBound == box.ports.upperBound ? "\(box.ports.lowerBound)" : "\(box.ports.lowerBound)-\(box.ports.upperBound)"
                let familyMatch = box.network.prefixLength == 0 ? "meta nfproto \(box.network.family == .ipv4 ? "ipv4" : "ipv6") " : ""
                return "\t\t\(familyMatch)\(remote)meta l4proto \(box.proto.rawValue) th dport \(p) \(verdict) comment \(box.comment)\n"
            }.joined()
        }

        /// The elements for one family, each prefixed with the VM's `mark`.
        func elements(family: IPNetwork.Family, mark: String) -> [String] {
            (family == .ipv4 ? buckets[0].elements + buckets[1].elements : buckets[2].elements + buckets[3].elements)
                .map { "\(mark) . \($0.element)" }
        }
    }

    /// `ranges` sorted, with overlapping and adjacent ones joined: the same ports in the fewest
    /// ranges. nft's time to load an interval set grows faster than its element count (65,535
    /// single ports took minutes in `nft -c`; as one range, milliseconds), and a rule's own
    /// overlapping ports would otherwise make each other leftover rules.
    static func coalesced(_ ranges: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// `x` for one value, `{ x, y }` (an anonymous set) for several.
    static func braced(_ values: [String]) -> String {
        values.count == 1 ? values[0] : "{ " + values.joined(separator: ", ") + " }"
    }

    static func sanitized(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    }

    /// The nft rule lines of one policy rule (one per address family it concerns).
    static func lines(_ rule: Rule, direction: Direction, verdict: String, group: String) -> String {
        let field = direction == .ingress ? "saddr" : "daddr"
        var protoMatch = ""
        switch rule.proto {
        case .tcp, .udp:
            protoMatch = "meta l4proto \(rule.proto.rawValue)"
            if !rule.ports.isEmpty {
                let ports = coalesced(rule.ports).map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
                // One value needs no set: every anonymous set is a kernel object, and tens of
                // thousands of them dominate apply time at scale.
                protoMatch += " th dport " + braced(ports)
            }
        case .icmp: protoMatch = "meta l4proto icmp"
        case .icmpv6: protoMatch = "meta l4proto ipv6-icmp"
        case .any: protoMatch = ""
        }
        let where_ = rule.location.map { " (\($0))" } ?? ""
        let comment = " comment \(quote("\(group)\(where_)"))"
        var remotes: [String] = []
        if let g = rule.group {
            if rule.proto != .icmpv6 { remotes.append("ip \(field) @grp_\(sanitized(g))_v4") }
            if rule.proto != .icmp { remotes.append("ip6 \(field) @grp_\(sanitized(g))_v6") }
        } else if !rule.networks.isEmpty {
            let v4 = rule.networks.filter { $0.family == .ipv4 }.map(\.description)
            let v6 = rule.networks.filter { $0.family == .ipv6 }.map(\.description)
            if !v4.isEmpty && rule.proto != .icmpv6 { remotes.append("ip \(field) " + braced(v4)) }
            if !v6.isEmpty && rule.proto != .icmp { remotes.append("ip6 \(field) " + braced(v6)) }
            if remotes.isEmpty { return "" }
        } else {
            remotes.append("")
        }
        return remotes.map { remote in
            let parts = [remote, protoMatch, verdict].filter { !$0.isEmpty }
            return "\t\t" + parts.joined(separator: " ") + comment + "\n"
        }.joined()
    }
}


extension IPNetwork {
    /// The network of the first `length` bits of this one (`length` at most its prefix length).
    func truncated(to length: Int) -> IPNetwork {
        var bytes = self.bytes
        for index in bytes.indices {
            let keep = max(0, min(8, length - index * 8))
            bytes[index] &= keep == 8 ? 0xff : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
        }
        return IPNetwork(family: family, bytes: bytes, prefixLength: length)
    }
}
