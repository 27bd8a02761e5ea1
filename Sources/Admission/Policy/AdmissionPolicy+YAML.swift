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

extension AdmissionPolicy {
    /// The policy error code (the network policy's, since both live in one file).
    public static let errorCode = HyperwardError.Code("policy", exitStatus: ExitStatus.configuration)

    /// The top-level keys of the policy file: the admission policy's and the network policy's
    /// (`groups`, `vms`), which this parser skips except for the names of the groups.
    public static let topLevelKeys: Set<String> = ["templates", "tenants", "roles", "groups", "vms"]

    /// Parses the admission part of a policy file (`templates:`, `tenants:`, `roles:`); the
    /// network policy's `groups:` and `vms:` are skipped (only the group names are read, for
    /// `security_groups`). Every problem names `file:line:column`.
    ///
    /// With `path` (e.g. `["network", "policy"]`), the policy is the mapping at that key path of a
    /// larger document, and locations still point into that file.
    /// - Throws: `HyperwardError` with code `policy`.
    public static func parse(_ text: String, file: String, under path: [String] = []) throws(HyperwardError) -> AdmissionPolicy {
        let reader = YAMLReader(file: file, code: errorCode, escapesMessages: true)
        var root = try reader.compose(text)
        for key in path {
            guard let node = root, let mapping = node.mapping else { root = nil; break }
            root = mapping.first { $0.key.string == key }?.value
        }
        guard let root, root.null == nil else { return AdmissionPolicy() }
        return try AdmissionPolicyParser(reader: reader).parse(root)
    }
}

struct AdmissionPolicyParser {
    let reader: YAMLReader

    func fail(_ message: String, _ node: Node) -> HyperwardError { reader.fail(message, node) }

    func parse(_ root: Node) throws(HyperwardError) -> AdmissionPolicy {
        var policy = AdmissionPolicy()
        var groupNames: Set<String> = []
        var templateNodes: [(String, Node, Node)] = []
        var tenantNodes: [(String, Node, Node)] = []
        for entry in try reader.entries(root, what: "policy", known: AdmissionPolicy.topLevelKeys) where entry.value.null == nil {
            switch entry.key {
            case "groups":
                for group in try reader.entries(entry.value, what: "groups") { groupNames.insert(group.key) }
            case "templates":
                templateNodes = try reader.entries(entry.value, what: "templates").map { ($0.key, $0.keyNode, $0.value) }
            case "tenants":
                tenantNodes = try reader.entries(entry.value, what: "tenants").map { ($0.key, $0.keyNode, $0.value) }
            case "roles":
                policy.roles = try roles(entry.value, what: "roles")
            default:
                break  // `vms`: the network policy's.
            }
        }
        for (name, keyNode, node) in templateNodes {
            try validateName(name, keyNode, what: "template")
            policy.templates[name] = try template(node, name: name, groups: groupNames)
        }
        for (name, keyNode, node) in tenantNodes {
            try validateName(name, keyNode, what: "tenant")
            policy.tenants[name] = try tenant(node, name: name, templates: Set(policy.templates.keys))
        }
        return policy
    }

    func validateName(_ name: String, _ node: Node, what: String) throws(HyperwardError) {
        let ok = !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        if !ok { throw fail("\(what) name '\(name)' must be 1-64 characters of letters, digits, '-', '_' or '.'", node) }
    }

    /// A list of strings that must not be empty (an empty one would allow nothing or, worse, be
    /// read as "anything" by someone): `why` says what it would mean.
    func nonEmptyStrings(_ node: Node, what: String, why: String) throws(HyperwardError) -> [String] {
        let values = try reader.strings(node, what: what)
        if values.isEmpty { throw fail("\(what) must not be empty: \(why)", node) }
        return values
    }

    func choice<T: RawRepresentable & CaseIterable>(_ node: Node, what: String, as type: T.Type) throws(HyperwardError) -> T where T.RawValue == String {
        let text = try reader.string(node, what: what)
        guard let value = T(rawValue: text) else {
            throw fail("\(what) '\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))", node)
        }
        return value
    }

    /// Absolute directories, normalised (no trailing slash); `.`/`..` components, relative paths
    /// and the root itself refused.
    func directories(_ node: Node, what: String, mayBeEmpty: Bool, why: String = "") throws(HyperwardError) -> [String] {
        let values = try reader.strings(node, what: what)
        if values.isEmpty && !mayBeEmpty { throw fail("\(what) must not be empty: \(why)", node) }
        var result: [String] = []
        for (index, value) in values.enumerated() {
            let item = node.sequence.map { Array($0)[index] } ?? node
            guard let path = HostPath(value), !path.components.isEmpty else {
                throw fail("\(what): '\(value)' must be an absolute directory other than / without '.' or '..' components", item)
            }
            if let first = path.components.first, ["proc", "sys", "etc"].contains(first) {
                throw fail("\(what): '\(value)' is a host system directory; images and sockets there would expose the host", item)
            }
            result.append(path.text)
        }
        return result
    }

    static let templateKeys: Set<String> = [
        "description", "machine", "cpu", "max_vcpus", "max_memory_mib", "disks", "networks", "security_groups",
        "vtpm", "console", "vhost_user_paths", "boot_paths", "domain_types",
    ]
    static let domainTypes: Set<String> = ["kvm", "qemu"]
    static let cpuModes: Set<String> = ["host-model", "host-passthrough", "custom", "maximum"]
    static let diskFormats: Set<String> = ["raw", "qcow2", "qed", "vmdk", "vdi", "vpc", "vhdx", "iso", "luks"]

    func template(_ node: Node, name: String, groups: Set<String>) throws(HyperwardError) -> AdmissionTemplate {
        let what = "template \(name)"
        var machines: [String]?
        var maxVCPUs: Int?
        var maxMemory: Int?
        var pools: [String]?
        var template = AdmissionTemplate(machines: [], maxVCPUs: 0, maxMemoryMiB: 0, diskPools: [], diskFormats: ["qcow2", "raw"])
        for (key, keyNode, value) in try reader.entries(node, what: what, known: Self.templateKeys) {
            _ = keyNode
            switch key {
            case "description": template.description = try reader.string(value, what: "description")
            case "machine":
                machines = try nonEmptyStrings(value, what: "\(what): machine", why: "list the allowed machine types (globs such as pc-q35-*)")
            case "cpu":
                for (k, _, v) in try reader.entries(value, what: "\(what): cpu", known: ["modes", "models"]) {
                    if k == "modes" {
                        let modes = try nonEmptyStrings(v, what: "\(what): cpu.modes", why: "list the allowed modes (host-model, custom, …)")
                        for mode in modes where !Self.cpuModes.contains(mode) {
                            throw fail("\(what): cpu mode '\(mode)' is not one of \(Self.cpuModes.sorted().joined(separator: ", "))", v)
                        }
                        template.cpuModes = modes
                    } else {
                        template.cpuModels = try reader.strings(v, what: "\(what): cpu.models")
                    }
                }
            case "max_vcpus": maxVCPUs = try reader.int(value, what: "\(what): max_vcpus", in: 1...4096)
            case "max_memory_mib": maxMemory = try reader.int(value, what: "\(what): max_memory_mib", in: 1...(1 << 30))
            case "disks":
                for (k, _, v) in try reader.entries(value, what: "\(what): disks", known: ["pools", "formats", "encryption"]) {
                    switch k {
                    case "pools":
                        pools = try directories(v, what: "\(what): disks.pools", mayBeEmpty: false,
                                                why: "a template without disk pools would let a disk be any host file")
                    case "formats":
                        let formats = try nonEmptyStrings(v, what: "\(what): disks.formats", why: "list the allowed formats (qcow2, raw)")
                        for format in formats where !Self.diskFormats.contains(format) {
                            throw fail("\(what): disk format '\(format)' is not one of \(Self.diskFormats.sorted().joined(separator: ", "))", v)
                        }
                        template.diskFormats = formats
                    default:
                        template.diskEncryption = try choice(v, what: "\(what): disks.encryption", as: AdmissionTemplate.Requirement.self)
                    }
                }
            case "networks":
                template.networks = try reader.strings(value, what: "\(what): networks")
                for network in template.networks where network.isEmpty || network.contains("/") || network.count > 64 {
                    throw fail("\(what): network '\(network)' is not a libvirt network or bridge name", value)
                }
            case "security_groups":
                template.securityGroups = try reader.strings(value, what: "\(what): security_groups")
                for group in template.securityGroups where !groups.contains(group) {
                    throw fail("\(what): unknown security group '\(group)' (not in groups:)", value)
                }
            case "vtpm": template.vtpm = try choice(value, what: "\(what): vtpm", as: AdmissionTemplate.TriState.self)
            case "console":
                for (k, _, v) in try reader.entries(value, what: "\(what): console", known: ["graphics", "serial"]) {
                    if k == "graphics" {
                        template.graphics = try choice(v, what: "\(what): console.graphics", as: AdmissionTemplate.GraphicsRule.self)
                    } else {
                        template.serial = try choice(v, what: "\(what): console.serial", as: AdmissionTemplate.SerialRule.self)
                    }
                }
            case "domain_types":
                let types = try nonEmptyStrings(value, what: "\(what): domain_types", why: "list the allowed domain types (kvm; qemu for TCG)")
                for type in types where !Self.domainTypes.contains(type) {
                    throw fail("\(what): domain type '\(type)' is not one of \(Self.domainTypes.sorted().joined(separator: ", "))", value)
                }
                template.domainTypes = types
            case "vhost_user_paths": template.vhostUserPaths = try directories(value, what: "\(what): vhost_user_paths", mayBeEmpty: true)
            default:
                template.bootPaths = try directories(value, what: "\(what): boot_paths", mayBeEmpty: true)
            }
        }
        guard let machines else { throw fail("\(what) needs machine (the allowed machine types)", node) }
        guard let maxVCPUs else { throw fail("\(what) needs max_vcpus", node) }
        guard let maxMemory else { throw fail("\(what) needs max_memory_mib", node) }
        guard let pools else { throw fail("\(what) needs disks.pools (the directories disk images may lie in)", node) }
        template.machines = machines
        template.maxVCPUs = maxVCPUs
        template.maxMemoryMiB = maxMemory
        template.diskPools = pools
        return template
    }

    func tenant(_ node: Node, name: String, templates known: Set<String>) throws(HyperwardError) -> Tenant {
        let what = "tenant \(name)"
        var tenant = Tenant(templates: [])
        var sawTemplates = false
        for (key, _, value) in try reader.entries(node, what: what, known: ["templates", "roles", "description"]) {
            switch key {
            case "templates":
                sawTemplates = true
                let items = try reader.list(value, what: "\(what): templates")
                for item in items {
                    let template = try reader.string(item, what: "template")
                    guard known.contains(template) else {
                        throw fail("\(what): unknown template '\(template)' (known: \(known.sorted().joined(separator: ", ")))", item)
                    }
                    tenant.templates.append(template)
                }
            case "roles": tenant.roles = try roles(value, what: "\(what): roles")
            default: tenant.description = try reader.string(value, what: "description")
            }
        }
        if !sawTemplates { throw fail("\(what) needs templates (the templates its VMs may use)", node) }
        return tenant
    }

    func roles(_ node: Node, what: String) throws(HyperwardError) -> [Principal: Role] {
        var result: [Principal: Role] = [:]
        if node.null != nil { return result }
        for (key, keyNode, value) in try reader.entries(node, what: what) {
            guard let principal = Principal(parsing: key) else {
                throw fail("\(what): '\(key)' is not a user name or @group", keyNode)
            }
            result[principal] = try choice(value, what: "\(what): role of \(key)", as: Role.self)
        }
        return result
    }
}
