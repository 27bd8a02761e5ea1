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


import Foundation
import HyperwardCore
import NetworkPolicy
import Yams

/// The inventory file (`hyperward sense --inventory FILE`): the NetworkPolicy file itself, with an
/// optional top-level `infrastructure:` section the policy parser does not know.
///
/// ```yaml
/// groups: { ... }            # as in the policy (parsed by the policy parser, same errors)
/// vms:
///   web1:
///     interfaces:
///       - { device: vnet3, mac: "52:54:00:aa:00:01", ipv4: [192.168.122.10], ipv6: ["fd00::10"] }
///     allowed_pairs:
///       - { ip: 192.168.122.200 }          # e.g. a VRRP address; mac defaults to the interface's
/// infrastructure:            # who may answer for the network
///   - name: virbr0           # 1-64 letters, digits, '-', '_', '.'; unique
///     roles: [router, dhcp-server]   # optional: router (may send RAs), dhcp-server (may send
///                            # OFFER/ACK/NAK, ADVERTISE/REPLY, also as a relay)
///     mac: "52:54:00:12:34:56"       # optional, but at least one of mac/ipv4/ipv6
///     ipv4: [192.168.122.1]          # optional lists of single addresses
///     ipv6: ["fe80::5054:ff:fe12:3456"]
///     description: libvirt default network
/// ```
///
/// An infrastructure address is authoritative like a VM's: an ARP reply claiming 192.168.122.1
/// from another MAC is the classic gateway impersonation (critical). Where the MAC is omitted, the
/// device is recognised by its addresses (and a DHCP server by its Server Identifier), which a
/// spoofer can forge: list the MAC when you can. Unknown keys, duplicate names and bad addresses are
/// errors at `file:line:column`, as in the policy.
extension SensorInventory {
    /// The inventory error code.
    public static let errorCode = HyperwardError.Code("inventory", exitStatus: ExitStatus.configuration)
    /// The largest inventory file accepted, in bytes.
    public static let maximumFileSize = 4 << 20
    /// The most infrastructure entries accepted.
    public static let maximumInfrastructureEntries = 1024

    /// Reads and parses an inventory file.
    /// - Throws: `HyperwardError` with code `not-found`, `unreadable`, `too-large` or `inventory`.
    public static func load(path: String) throws(HyperwardError) -> SensorInventory {
        guard FileManager.default.fileExists(atPath: path) else {
            throw HyperwardError(.notFound, "inventory \(path) does not exist")
        }
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: maximumFileSize + 1) ?? Data()
        } catch {
            throw HyperwardError(.unreadable, "cannot read inventory \(path): \(error.localizedDescription)")
        }
        guard data.count <= maximumFileSize else {
            throw HyperwardError(.tooLarge, "inventory \(path) is larger than \(maximumFileSize) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw HyperwardError(errorCode, "inventory is not UTF-8 text", location: .init(file: path))
        }
        return try parse(text, file: path)
    }

    /// Parses inventory text (the policy's `groups:`/`vms:` plus `infrastructure:`).
    /// - Throws: `HyperwardError` with code `inventory` (or `too-large`), naming `file:line:column`.
    public static func parse(_ text: String, file: String) throws(HyperwardError) -> SensorInventory {
        guard text.utf8.count <= maximumFileSize else {
            throw HyperwardError(.tooLarge, "inventory is larger than \(maximumFileSize) bytes", location: .init(file: file))
        }
        let reader = InventoryReader(file: file)
        guard let root = try reader.yaml.compose(text) else { return SensorInventory() }
        guard let mapping = root.mapping else {
            throw reader.fail("an inventory must be a mapping (the policy's groups: and vms:, plus infrastructure:)", root)
        }
        // Find `infrastructure:` and the line range its block occupies: from its key to the line
        // before the next top-level key (or the end). Those lines are blanked, not removed, so the
        // policy parser's file:line:column stay true for the rest.
        var infrastructureNode: Node?
        var blankRange: Range<Int>?
        let pairs = Array(mapping)
        for (index, (key, value)) in pairs.enumerated() where key.scalar?.string == "infrastructure" {
            if infrastructureNode != nil { throw reader.fail("duplicate inventory key 'infrastructure'", key) }
            // A block mapping's keys start in the mapping's own column, one per line; a flow
            // mapping (`{infrastructure: …}`) starts one column before its first key.
            let isBlock = mapping.style != .flow && key.mark?.column == root.mark?.column
                && (index + 1 == pairs.count || pairs[index + 1].key.mark?.line != key.mark?.line)
            guard isBlock, let start = key.mark?.line else {
                throw reader.fail("write the inventory as a block mapping (one top-level key per line) to use infrastructure:", key)
            }
            infrastructureNode = value
            let end = index + 1 < pairs.count ? (pairs[index + 1].key.mark?.line ?? Int.max) : Int.max
            blankRange = start..<max(start, end)
        }
        var policyText = text
        if let blankRange {
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let lower = max(1, blankRange.lowerBound), upper = min(lines.count, blankRange.upperBound - 1)
            if lower <= upper {
                for number in lower...upper { lines[number - 1] = "" }
            }
            policyText = lines.joined(separator: "\n")
        }
        let policy: NetworkPolicy
        do { policy = try NetworkPolicy.parse(policyText, file: file) } catch {
            throw HyperwardError(errorCode, error.message, location: error.location)
        }
        let infrastructure = try infrastructureNode.map { node throws(HyperwardError) in try reader.infrastructure(node) } ?? []
        return SensorInventory(policy: policy, infrastructure: infrastructure)
    }
}

/// Reads the `infrastructure:` section, strictly.
struct InventoryReader {
    let file: String
    let yaml: YAMLReader

    init(file: String) {
        self.file = file
        self.yaml = YAMLReader(file: file, code: SensorInventory.errorCode)
    }

    func fail(_ message: String, _ node: Node) -> HyperwardError { yaml.fail(message, node) }

    func string(_ node: Node, what: String) throws(HyperwardError) -> String { try yaml.string(node, what: what) }

    func list(_ node: Node, what: String) throws(HyperwardError) -> [Node] { try yaml.list(node, what: what) }

    func infrastructure(_ node: Node) throws(HyperwardError) -> [SensorInventory.Infrastructure] {
        let items = try list(node, what: "infrastructure")
        guard items.count <= SensorInventory.maximumInfrastructureEntries else {
            throw fail("infrastructure lists \(items.count) entries; at most \(SensorInventory.maximumInfrastructureEntries) are accepted", node)
        }
        var names: Set<String> = []
        var result: [SensorInventory.Infrastructure] = []
        for item in items {
            let entry = try self.entry(item)
            if !names.insert(entry.name).inserted { throw fail("duplicate infrastructure name '\(entry.name)'", item) }
            result.append(entry)
        }
        return result
    }

    func entry(_ node: Node) throws(HyperwardError) -> SensorInventory.Infrastructure {
        guard let mapping = node.mapping else { throw fail("an infrastructure entry must be a mapping (name, roles, mac, ipv4, ipv6)", node) }
        let allowed: Set<String> = ["name", "roles", "mac", "ipv4", "ipv6", "description"]
        var seen: Set<String> = []
        var name: String?
        var roles: SensorInventory.Infrastructure.Roles = []
        var macs: [UInt64] = []
        var addresses: [IPAddress] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else { throw fail("infrastructure entry: keys must be strings", keyNode) }
            if !seen.insert(key).inserted { throw fail("duplicate infrastructure entry key '\(key)'", keyNode) }
            guard allowed.contains(key) else {
                throw fail("unknown key '\(key)' in infrastructure entry (known: \(allowed.sorted().joined(separator: ", ")))", keyNode)
            }
            switch key {
            case "name":
                let text = try string(value, what: "name")
                let ok = !text.isEmpty && text.count <= 64
                    && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
                guard ok else { throw fail("infrastructure name '\(text)' must be 1-64 characters of letters, digits, '-', '_' or '.'", value) }
                name = text
            case "roles":
                for roleNode in try list(value, what: "roles") {
                    switch try string(roleNode, what: "role") {
                    case "router": roles.insert(.router)
                    case "dhcp-server": roles.insert(.dhcpServer)
                    case let other: throw fail("role '\(other)' is not one of router, dhcp-server", roleNode)
                    }
                }
            case "mac":
                let text = try string(value, what: "mac")
                do { macs.append(SensorInventory.value(of: try MACAddress(parsing: text))) } catch { throw fail(error.text, value) }
            case "ipv4", "ipv6":
                for addressNode in try list(value, what: key) {
                    let text = try string(addressNode, what: key)
                    let network: IPNetwork
                    do { network = try IPNetwork(address: text) } catch { throw fail(error.text, addressNode) }
                    guard (network.family == .ipv4) == (key == "ipv4"), let address = IPAddress(bytes: network.bytes) else {
                        throw fail("'\(text)' is not an \(key == "ipv4" ? "IPv4" : "IPv6") address", addressNode)
                    }
                    addresses.append(address)
                }
            default:
                _ = try string(value, what: "description")
            }
        }
        guard let name else { throw fail("an infrastructure entry needs name", node) }
        guard !macs.isEmpty || !addresses.isEmpty else { throw fail("infrastructure \(name) needs mac, ipv4 or ipv6", node) }
        return SensorInventory.Infrastructure(name: name, roles: roles, macs: macs, addresses: addresses)
    }
}
