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

/// One MAC or address a VM may send from, as anti-spoofing binds it to the VM's port.
struct AddressBinding: Sendable {
    /// What a location is recorded under: the VM, the value, and whether it is the VM's own.
    struct Key: Hashable, Sendable {
        var vm: String
        /// `mac 52:54:00:aa:00:01` or an address in canonical text.
        var value: String
        /// An interface's MAC or address (the VM's alone), as against an allowed pair (which
        /// several VMs may share: a VRRP address moves between them).
        var isExclusive: Bool
    }

    var key: Key
    /// Where the VM holds it, for messages: `interface vnet3`, `allowed_pairs`.
    var origin: String
}

extension NetworkPolicy {
    /// Every MAC and address of every VM, in VM name order: interface MACs and addresses (with the
    /// EUI-64 link-local address each MAC implies, which anti-spoofing also lets through), then
    /// allowed pairs.
    func addressBindings() -> [AddressBinding] {
        var result: [AddressBinding] = []
        for name in vms.keys.sorted() {
            guard let vm = vms[name] else { continue }
            for i in vm.interfaces {
                let origin = i.device.isEmpty ? "interface \(i.mac)" : "interface \(i.device)"
                result.append(.init(key: .init(vm: name, value: "mac \(i.mac)", isExclusive: true), origin: origin))
                for address in i.ipv4 + i.ipv6 {
                    result.append(.init(key: .init(vm: name, value: address.addressText, isExclusive: true), origin: origin))
                }
                let linkLocal = IPNetwork.linkLocal(for: i.mac)
                if !i.ipv6.contains(linkLocal) {
                    result.append(.init(key: .init(vm: name, value: linkLocal.addressText, isExclusive: true),
                                        origin: "\(origin) (the link-local address of its MAC)"))
                }
            }
            for pair in vm.allowedPairs {
                if let mac = pair.mac {
                    result.append(.init(key: .init(vm: name, value: "mac \(mac)", isExclusive: false), origin: "allowed_pairs"))
                }
                result.append(.init(key: .init(vm: name, value: pair.address.addressText, isExclusive: false), origin: "allowed_pairs"))
            }
        }
        return result
    }

    /// Checks that no VM may send from another VM's MAC or address: an interface's MAC and
    /// addresses belong to its VM alone, so they may not appear on another VM's interface or in
    /// another VM's allowed pairs (either VM could then impersonate the other, which anti-spoofing
    /// exists to prevent). Allowed pairs may be shared between VMs: a VRRP address and its virtual
    /// MAC move between the routers that hold them.
    ///
    /// `locations` (filled by the policy parser) places each binding in the policy file.
    /// - Throws: `HyperwardError` (code `policy`) naming both VMs (and both locations when known).
    func validateBindings(locations: [AddressBinding.Key: HyperwardError.SourceLocation] = [:]) throws(HyperwardError) {
        // Report at the later of the two places in the file, naming the earlier one.
        let bindings = addressBindings().enumerated().sorted { a, b in
            let la = locations[a.element.key]?.line ?? Int.max, lb = locations[b.element.key]?.line ?? Int.max
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
        // Per value, its first exclusive holder and its first holders of two different VMs: enough
        // to find a conflict (only one VM can hold a value exclusively without one), in one pass.
        struct Holders { var exclusive: AddressBinding?; var first: AddressBinding?; var otherVM: AddressBinding? }
        var holders: [String: Holders] = [:]
        for binding in bindings {
            let earlier = holders[binding.key.value] ?? Holders()
            let conflicting = binding.key.isExclusive ? [earlier.first, earlier.otherVM] : [earlier.exclusive]
            if let other = conflicting.lazy.compactMap({ $0 }).first(where: { $0.key.vm != binding.key.vm }) {
                let what = binding.key.value.hasPrefix("mac ") ? "MAC \(binding.key.value.dropFirst(4))" : "address \(binding.key.value)"
                let otherWhere = locations[other.key].map { ", \($0)" } ?? ""
                let advice = other.key.isExclusive && binding.key.isExclusive
                    ? "give each VM its own"
                    : "an allowed pair may not name another VM's own MAC or address"
                throw HyperwardError(
                    NetworkPolicy.errorCode,
                    "\(what) of VM \(binding.key.vm) (\(binding.origin)) is already bound to VM \(other.key.vm) (\(other.origin)\(otherWhere)): "
                        + "each could send as the other; \(advice) (VMs may share only allowed pairs, e.g. a VRRP address)",
                    location: locations[binding.key])
            }
            var updated = earlier
            if binding.key.isExclusive && updated.exclusive == nil { updated.exclusive = binding }
            if updated.first == nil {
                updated.first = binding
            } else if updated.otherVM == nil, updated.first?.key.vm != binding.key.vm {
                updated.otherVM = binding
            }
            holders[binding.key.value] = updated
        }
    }
}
