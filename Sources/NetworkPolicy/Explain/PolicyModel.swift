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

/// A packet to explain: the first packet of a new flow.
public struct PacketQuery: Sendable, Hashable {
    public var source: IPNetwork
    public var destination: IPNetwork
    public var proto: Rule.Proto
    /// The destination port (tcp/udp).
    public var port: Int?
    /// The VM the packet claims to come from, when it differs from the address's owner (a spoof).
    public var sourceVM: String?

    /// Creates a query.
    public init(source: IPNetwork, destination: IPNetwork, proto: Rule.Proto, port: Int? = nil, sourceVM: String? = nil) {
        self.source = source
        self.destination = destination
        self.proto = proto
        self.port = port
        self.sourceVM = sourceVM
    }
}

/// Which rule decides a packet, and why.
public struct Explanation: Sendable, Hashable, Codable {
    public enum Verdict: String, Sendable, Codable { case accept, drop }
    public var verdict: Verdict
    /// `anti-spoofing`, `egress`, `ingress`, or `not-filtered`.
    public var stage: String
    /// The deciding rule: `group (file:line:column)`, or the default that applied.
    public var rule: String
    public var reason: String
}

/// Hyperward's own model of the compiled ruleset: the same decisions `RulesetCompiler` encodes,
/// evaluated in Swift, so `net explain` can say which rule decides a packet. Tests send the same
/// packets through the kernel and require the same verdicts.
public struct PolicyModel: Sendable {
    public var policy: NetworkPolicy

    /// Creates a model of `policy`.
    public init(policy: NetworkPolicy) { self.policy = policy }

    /// The VM owning `address` (an interface address or an allowed pair).
    public func owner(of address: IPNetwork) -> String? {
        for name in policy.vms.keys.sorted() {
            guard let vm = policy.vms[name] else { continue }
            if vm.interfaces.contains(where: { $0.ipv4.contains(address) || $0.ipv6.contains(address) }) { return name }
            if vm.allowedPairs.contains(where: { $0.address == address }) { return name }
        }
        return nil
    }

    /// Explains `query`: anti-spoofing at the source port, the source VM's egress rules, then the
    /// destination VM's ingress rules (default deny). Replies of allowed flows are always accepted.
    public func explain(_ query: PacketQuery) -> Explanation {
        let ownerOfSource = owner(of: query.source)
        let sourceVM = query.sourceVM ?? ownerOfSource
        if let claimed = query.sourceVM {
            guard policy.vms[claimed] != nil else {
                return Explanation(verdict: .accept, stage: "not-filtered", rule: "-", reason: "\(claimed) is not a VM of the policy")
            }
            if ownerOfSource != claimed {
                return Explanation(verdict: .drop, stage: "anti-spoofing", rule: "bridge hyperward: port_src4/port_src6",
                                   reason: "\(query.source) is not an address of \(claimed): a spoofed source is dropped at its port")
            }
        }
        if let source = sourceVM, let vm = policy.vms[source] {
            let groups = vm.groups.compactMap { g in policy.groups[g].map { (g, $0) } }
            let filtersEgress = groups.contains { $0.1.egress != nil }
            if filtersEgress {
                var allowedBy: String?
                for (name, group) in groups {
                    guard let rules = group.egress else { allowedBy = "\(name): egress omitted, all allowed"; break }
                    if let rule = rules.first(where: { matches($0, query, remote: query.destination) }) {
                        allowedBy = describe(rule, group: name)
                        break
                    }
                }
                guard allowedBy != nil else {
                    return Explanation(verdict: .drop, stage: "egress", rule: "default deny (out_vm of \(source))",
                                       reason: "no egress rule of \(vm.groups.joined(separator: ", ")) allows it")
                }
            }
        }
        guard let destination = owner(of: query.destination), let vm = policy.vms[destination] else {
            return Explanation(verdict: .accept, stage: "not-filtered", rule: "-",
                               reason: "\(query.destination) is not a VM address: only the source's egress applies")
        }
        for groupName in vm.groups {
            guard let group = policy.groups[groupName] else { continue }
            if let rule = group.ingress.first(where: { matches($0, query, remote: query.source) }) {
                return Explanation(verdict: .accept, stage: "ingress", rule: describe(rule, group: groupName),
                                   reason: "allowed into \(destination)")
            }
        }
        return Explanation(verdict: .drop, stage: "ingress", rule: "default deny (in_vm of \(destination))",
                           reason: "no ingress rule of \(vm.groups.isEmpty ? "(no groups)" : vm.groups.joined(separator: ", ")) allows it into \(destination)")
    }

    func describe(_ rule: Rule, group: String) -> String {
        "\(group)" + (rule.location.map { " (\($0))" } ?? "")
    }

    /// Whether `rule` matches the packet, exactly as the compiled nft rule would.
    func matches(_ rule: Rule, _ q: PacketQuery, remote: IPNetwork) -> Bool {
        switch rule.proto {
        case .any: break
        case .icmp: if q.proto != .icmp || q.source.family != .ipv4 { return false }
        case .icmpv6: if q.proto != .icmpv6 || q.source.family != .ipv6 { return false }
        case .tcp, .udp:
            if q.proto != rule.proto { return false }
            if !rule.ports.isEmpty {
                guard let port = q.port, rule.ports.contains(where: { $0.contains(port) }) else { return false }
            }
        }
        if let group = rule.group {
            return members(of: group).contains(remote)
        }
        if !rule.networks.isEmpty {
            return rule.networks.contains { $0.family == remote.family && $0.contains(remote) }
        }
        return true
    }

    func members(of group: String) -> Set<IPNetwork> {
        var result: Set<IPNetwork> = []
        for vm in policy.vms.values where vm.groups.contains(group) {
            for i in vm.interfaces { result.formUnion(i.ipv4); result.formUnion(i.ipv6) }
            for p in vm.allowedPairs { result.insert(p.address) }
        }
        return result
    }
}
