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
import Yams

extension NetworkPolicy {
    /// The policy error code.
    public static let errorCode = HyperwardError.Code("policy", exitStatus: ExitStatus.configuration)

    /// The most entries (ports or ranges) one rule's `ports` may list: one per port. More can only
    /// repeat ports; ranges (`"1024-65535"`) cover any span in one entry.
    public static let maxPortsPerRule = 65_535

    /// Parses a policy (YAML: `groups:` and `vms:`; the admission policy's `templates:`, `tenants:`
    /// and `roles:` are skipped); every problem names `file:line:column`.
    /// - Throws: `HyperwardError` with code `policy`.
    /// With `path` (e.g. `["network", "policy"]`), the policy is the mapping at that key path of
    /// a larger document (the main configuration), and locations still point into that file.
    public static func parse(_ text: String, file: String, under path: [String] = []) throws(HyperwardError) -> NetworkPolicy {
        var root = try PolicyParser.reader(file).compose(text)
        for key in path {
            guard let node = root, let mapping = node.mapping else { root = nil; break }
            root = mapping.first { $0.key.string == key }?.value
        }
        guard let root else { return NetworkPolicy() }
        var parser = PolicyParser(file: file)
        return try parser.parse(root)
    }
}

struct PolicyParser {
    let file: String
    let reader: YAMLReader
    /// Where each VM's MACs and addresses are written, for the overlap check's messages.
    var bindingLocations: [AddressBinding.Key: HyperwardError.SourceLocation] = [:]

    init(file: String) {
        self.file = file
        self.reader = Self.reader(file)
    }

    /// The policy's reader. Messages echo names and values from the file, which may hold
    /// terminal escapes, bidi overrides or line ends (a hostile or garbled policy): they are
    /// escaped.
    static func reader(_ file: String) -> YAMLReader {
        YAMLReader(file: file, code: NetworkPolicy.errorCode, escapesMessages: true)
    }

    /// An error at `node`.
    func fail(_ message: String, _ node: Node) -> HyperwardError { reader.fail(message, node) }

    /// Records where `vm` binds `value` (the first place wins).
    mutating func record(_ vm: String, _ value: String, exclusive: Bool, _ node: Node) {
        let key = AddressBinding.Key(vm: vm, value: value, isExclusive: exclusive)
        if bindingLocations[key] == nil { bindingLocations[key] = location(node) }
    }

    func location(_ node: Node) -> HyperwardError.SourceLocation { reader.location(node) }

    /// The pairs of a mapping, refusing duplicate and unknown keys.
    func entries(_ node: Node, what: String, allowed: Set<String>? = nil) throws(HyperwardError) -> [(String, Node, Node)] {
        try reader.entries(node, what: what, known: allowed).map { ($0.key, $0.keyNode, $0.value) }
    }

    /// Runs a value parser, attaching the node's location to its message.
    func at<T>(_ node: Node, _ body: () throws(PolicyMessage) -> T) throws(HyperwardError) -> T {
        do { return try body() } catch { throw fail(error.text, node) }
    }

    func list(_ node: Node, what: String) throws(HyperwardError) -> [Node] { try reader.list(node, what: what) }

    func string(_ node: Node, what: String) throws(HyperwardError) -> String { try reader.string(node, what: what) }

    mutating func parse(_ root: Node) throws(HyperwardError) -> NetworkPolicy {
        var policy = NetworkPolicy()
        var groupNodes: [(String, Node)] = []
        var vmNodes: [(String, Node, Node)] = []
        // `templates`, `tenants` and `roles` are the admission policy's (module Admission), which
        // lives in the same file; its parser reads them.
        for (key, _, value) in try entries(root, what: "policy", allowed: ["groups", "vms", "templates", "tenants", "roles"]) {
            if ["templates", "tenants", "roles"].contains(key) { continue }
            if key == "groups" {
                if value.null != nil { continue }
                for (name, keyNode, groupNode) in try entries(value, what: "groups") {
                    try validateName(name, keyNode, what: "group")
                    groupNodes.append((name, groupNode))
                }
            } else {
                if value.null != nil { continue }
                vmNodes = try entries(value, what: "vms")
            }
        }
        let groupNames = Set(groupNodes.map(\.0))
        for (name, node) in groupNodes {
            policy.groups[name] = try group(node, name: name, known: groupNames)
        }
        var devices: [String: String] = [:]
        for (name, keyNode, node) in vmNodes {
            try validateName(name, keyNode, what: "VM")
            let binding = try vm(node, name: name, known: groupNames)
            for interface in binding.interfaces where !interface.device.isEmpty {
                if let other = devices[interface.device] {
                    throw fail("device \(interface.device) of VM \(name) is already used by VM \(other)", node)
                }
                devices[interface.device] = name
            }
            policy.vms[name] = binding
        }
        try policy.validateBindings(locations: bindingLocations)
        return policy
    }

    func validateName(_ name: String, _ node: Node, what: String) throws(HyperwardError) {
        let ok = !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        if !ok { throw fail("\(what) name '\(name)' must be 1-64 characters of letters, digits, '-', '_' or '.'", node) }
    }

    func group(_ node: Node, name: String, known: Set<String>) throws(HyperwardError) -> SecurityGroup {
        var group = SecurityGroup()
        if node.null != nil { return group }
        for (key, _, value) in try entries(node, what: "group \(name)", allowed: ["ingress", "egress", "description"]) {
            switch key {
            case "ingress": group.ingress = try rules(value, direction: "ingress", group: name, known: known)
            case "egress": group.egress = try rules(value, direction: "egress", group: name, known: known)
            default: _ = try string(value, what: "description")
            }
        }
        return group
    }

    func rules(_ node: Node, direction: String, group: String, known: Set<String>) throws(HyperwardError) -> [Rule] {
        var result: [Rule] = []
        let remoteKey = direction == "ingress" ? "from" : "to"
        let remoteGroupKey = direction == "ingress" ? "from_group" : "to_group"
        for item in try list(node, what: "\(group).\(direction)") {
            var proto: Rule.Proto?
            var rule = Rule(proto: .any, location: location(item))
            for (key, keyNode, value) in try entries(item, what: "\(direction) rule", allowed: ["proto", "ports", remoteKey, remoteGroupKey, "description"]) {
                switch key {
                case "proto":
                    let p = try string(value, what: "proto")
                    guard let parsed = Rule.Proto(rawValue: p.lowercased()) else {
                        throw fail("proto '\(p)' is not one of \(Rule.Proto.allCases.map(\.rawValue).joined(separator: ", "))", value)
                    }
                    proto = parsed
                case "ports":
                    let portNodes = try list(value, what: "ports")
                    guard portNodes.count <= NetworkPolicy.maxPortsPerRule else {
                        throw fail("ports lists \(portNodes.count) entries; at most \(NetworkPolicy.maxPortsPerRule) (one per port: write spans as ranges like \"1024-65535\")", value)
                    }
                    for portNode in portNodes { rule.ports.append(try portRange(portNode)) }
                case remoteKey:
                    for n in try list(value, what: remoteKey) {
                        let text = try string(n, what: remoteKey)
                        rule.networks.append(try at(n) { () throws(PolicyMessage) in try IPNetwork(parsing: text) })
                    }
                case remoteGroupKey:
                    let g = try string(value, what: remoteGroupKey)
                    guard known.contains(g) else { throw fail("unknown group '\(g)' in \(remoteGroupKey)", value) }
                    rule.group = g
                default:
                    _ = keyNode
                }
            }
            guard let proto else { throw fail("a rule needs proto (tcp, udp, icmp, icmpv6 or any)", item) }
            rule.proto = proto
            if !rule.ports.isEmpty && proto != .tcp && proto != .udp {
                throw fail("ports only apply to tcp and udp, not \(proto.rawValue)", item)
            }
            if rule.group != nil && !rule.networks.isEmpty {
                throw fail("use either \(remoteKey) or \(remoteGroupKey) in one rule, not both", item)
            }
            result.append(rule)
        }
        return result
    }

    func portRange(_ node: Node) throws(HyperwardError) -> ClosedRange<Int> {
        let text = try string(node, what: "port")
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 1 || bounds.count == 2 else { throw fail("port '\(text)' must be N or N-M", node) }
        var values: [Int] = []
        for b in bounds {
            guard let v = Int(b.trimmingCharacters()) else { throw fail("port '\(text)' must be N or N-M", node) }
            guard (1...65535).contains(v) else { throw fail("port \(v) is out of range 1...65535", node) }
            values.append(v)
        }
        guard let low = values.first, let high = values.last, low <= high else {
            throw fail("port range '\(text)' is reversed", node)
        }
        return low...high
    }

    mutating func vm(_ node: Node, name: String, known: Set<String>) throws(HyperwardError) -> VMBinding {
        var binding = VMBinding()
        for (key, _, value) in try entries(node, what: "VM \(name)", allowed: ["groups", "interfaces", "allowed_pairs", "description"]) {
            switch key {
            case "groups":
                for g in try list(value, what: "groups") {
                    let gname = try string(g, what: "group")
                    guard known.contains(gname) else { throw fail("VM \(name): unknown group '\(gname)'", g) }
                    binding.groups.append(gname)
                }
            case "interfaces":
                for i in try list(value, what: "interfaces") { binding.interfaces.append(try interface(i, vm: name)) }
            case "allowed_pairs":
                for p in try list(value, what: "allowed_pairs") {
                    var mac: MACAddress?
                    var address: IPNetwork?
                    for (k, _, v) in try entries(p, what: "allowed pair", allowed: ["mac", "ip"]) {
                        let text = try string(v, what: k)
                        if k == "mac" {
                            let parsed = try at(v) { () throws(PolicyMessage) in try MACAddress(parsing: text) }
                            record(name, "mac \(parsed)", exclusive: false, v)
                            mac = parsed
                        } else {
                            let parsed = try at(v) { () throws(PolicyMessage) in try IPNetwork(address: text) }
                            record(name, parsed.addressText, exclusive: false, v)
                            address = parsed
                        }
                    }
                    guard let address else { throw fail("an allowed pair needs ip", p) }
                    binding.allowedPairs.append(AddressPair(mac: mac, address: address))
                }
            default: _ = try string(value, what: "description")
            }
        }
        return binding
    }

    mutating func interface(_ node: Node, vm: String) throws(HyperwardError) -> VMInterface {
        var device: String?
        var mac: MACAddress?
        var v4: [IPNetwork] = []
        var v6: [IPNetwork] = []
        for (key, _, value) in try entries(node, what: "interface", allowed: ["device", "mac", "ipv4", "ipv6"]) {
            switch key {
            case "device":
                let d = try string(value, what: "device")
                // Linux interface names: at most 15 bytes, no '/', no whitespace.
                guard !d.isEmpty, d.utf8.count <= 15, d.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                    throw fail("device '\(d)' is not a valid interface name (1-15 of letters, digits, '-', '_', '.')", value)
                }
                device = d
            case "mac":
                let text = try string(value, what: "mac")
                let parsed = try at(value) { () throws(PolicyMessage) in try MACAddress(parsing: text) }
                record(vm, "mac \(parsed)", exclusive: true, value)
                record(vm, IPNetwork.linkLocal(for: parsed).addressText, exclusive: true, value)
                mac = parsed
            default:
                let family: IPNetwork.Family = key == "ipv4" ? .ipv4 : .ipv6
                for a in try list(value, what: key) {
                    let text = try string(a, what: key)
                    let n = try at(a) { () throws(PolicyMessage) in try IPNetwork(address: text) }
                    guard n.family == family else { throw fail("'\(n)' is not an \(key == "ipv4" ? "IPv4" : "IPv6") address", a) }
                    record(vm, n.addressText, exclusive: true, a)
                    if key == "ipv4" { v4.append(n) } else { v6.append(n) }
                }
            }
        }
        // Without `device`, the interface is a libvirt domain's, found by its MAC when the policy
        // is resolved (its tap device changes with every start); its addresses stay the policy's.
        guard let mac else { throw fail("VM \(vm): interface \(device ?? "") needs mac", node) }
        return VMInterface(device: device ?? "", mac: mac, ipv4: v4, ipv6: v6)
    }
}
