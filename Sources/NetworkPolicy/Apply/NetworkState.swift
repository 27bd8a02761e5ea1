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
import HyperwardHost

extension NetworkPolicy {
    /// Every address any VM may use (interfaces and allowed pairs).
    public var allAddresses: [IPNetwork] {
        var result: Set<IPNetwork> = []
        for vm in vms.values {
            for i in vm.interfaces { result.formUnion(i.ipv4); result.formUnion(i.ipv6) }
            for p in vm.allowedPairs { result.insert(p.address) }
        }
        return result.sorted()
    }
}

/// Ends live connections by deleting their conntrack entries, so the next packet of a flow is
/// judged by the current rules (a revoked flow is then dropped; an allowed one is picked up again).
public struct ConntrackFlusher: Sendable {
    public var namespace: String?
    public var conntrackPath = "/usr/sbin/conntrack"

    /// Creates a flusher acting in `namespace` (or the current one).
    public init(namespace: String?) { self.namespace = namespace }

    /// Deletes the entries from or to each address; returns how many were deleted (none in a
    /// namespace that does not exist: no child is started there).
    @discardableResult
    public func flush(addresses: [IPNetwork]) -> Int {
        guard (try? NetworkNamespace.require(namespace)) != nil else { return 0 }
        var total = 0
        for address in addresses {
            for direction in ["-s", "-d"] {
                let argv = NetworkNamespace.argv([conntrackPath, "-D", "-f", address.family == .ipv4 ? "ipv4" : "ipv6", direction, address.addressText], in: namespace)
                let result = HostCommand.run(argv)
                // "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been deleted."
                if let range = result.stderr.range(of: " flow entries have been deleted") {
                    let digits = result.stderr[..<range.lowerBound].reversed().prefix { $0.isNumber }
                    total += Int(String(digits.reversed())) ?? 0
                }
            }
        }
        return total
    }
}

/// The IPS blocklist in the kernel: timed set elements the Sensor (or an operator) adds.
public struct Blocklist: Sendable {
    public var applier: any RulesetApplier

    /// Creates a blocklist over `applier`.
    public init(applier: any RulesetApplier) { self.applier = applier }

    /// The longest block: 30 days.
    public static let maxSeconds = 30 * 86_400

    /// Parses `600s`, `10m`, `1h`, `1d` (or bare seconds).
    public static func seconds(_ text: String) -> Int? {
        guard let last = text.last else { return nil }
        let unit: Int
        var number = Substring(text)
        switch last {
        case "s": unit = 1; number = number.dropLast()
        case "m": unit = 60; number = number.dropLast()
        case "h": unit = 3600; number = number.dropLast()
        case "d": unit = 86_400; number = number.dropLast()
        default: unit = 1
        }
        guard let n = Int(number), n > 0, n <= maxSeconds / unit else { return nil }
        return n * unit
    }

    /// Why `address` cannot be blocked as a source, or nil when it can: addresses no packet a
    /// VM or the network sends carries as its source, so blocking them stops nothing and names
    /// something else (0.0.0.0 is a DHCP client's source before it has an address: blocking it
    /// would cut every VM's DHCP).
    public static func refusal(for address: IPNetwork) -> String? {
        let b = address.bytes
        if address.family == .ipv4 {
            if b == [0, 0, 0, 0] { return "it is the unspecified address (a DHCP client's source before it has one)" }
            if b == [255, 255, 255, 255] { return "it is the limited broadcast address, never a source" }
            if b[0] == 127 { return "it is a loopback address (127.0.0.0/8), never a source on the network" }
            if b[0] >= 224 && b[0] <= 239 { return "it is a multicast address (224.0.0.0/4), never a source" }
            if b[0] >= 240 { return "it is a reserved address (240.0.0.0/4), never a source" }
            return nil
        }
        if b.allSatisfy({ $0 == 0 }) { return "it is the unspecified address (::, the source of duplicate address detection)" }
        if b == [UInt8](repeating: 0, count: 15) + [1] { return "it is a loopback address (::1), never a source on the network" }
        if b[0] == 0xff { return "it is a multicast address (ff00::/8), never a source" }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff {
            return "it is an IPv4-mapped address (::ffff:0:0/96), never an IPv6 source: block the IPv4 address"
        }
        return nil
    }

    /// Blocks `address` for `seconds`, unless it is allowlisted or never a source (`refusal(for:)`).
    /// - Returns: what was done, for the operator.
    public func block(_ address: String, seconds: Int) throws(HyperwardError) -> String {
        let network: IPNetwork
        do { network = try IPNetwork(address: address) } catch {
            throw HyperwardError(.invalidInput, error.text)
        }
        if let reason = Blocklist.refusal(for: network) {
            throw HyperwardError(.invalidInput, "cannot block \(network.addressText): \(reason)")
        }
        let suffix = network.family == .ipv4 ? "v4" : "v6"
        let table = "inet \(Ruleset.ipsTable)"
        if (try? applier.nft(["get", "element", "inet", Ruleset.ipsTable, "allow_\(suffix)", "{ \(network.addressText) }"], input: nil)) != nil {
            throw HyperwardError(.invalidInput, "\(network.addressText) is allowlisted and is never blocked")
        }
        // Re-blocking refreshes the timeout: delete a present element first (ignore its absence).
        _ = try? applier.nft(["delete", "element", "inet", Ruleset.ipsTable, "block_\(suffix)", "{ \(network.addressText) }"], input: nil)
        _ = try applier.nft(["add", "element", "inet", Ruleset.ipsTable, "block_\(suffix)", "{ \(network.addressText) timeout \(seconds)s }"], input: nil)
        return "blocked \(network.addressText) for \(seconds)s (\(table) block_\(suffix))"
    }

    /// Makes sure the IPS table exists (the same idempotent declaration an apply loads; its
    /// elements are kept), so blocking works before any `net apply`.
    public func prepare() throws(HyperwardError) {
        _ = try applier.nft(["-f", "-"], input: RulesetCompiler.ipsTable())
    }

    /// Rate-limits new TCP connections to `address` for `seconds` (to
    /// `RulesetCompiler.protectedSYNRate` per second): the answer to a SYN flood from forged
    /// sources, where blocking the sources would block innocents.
    public func protect(_ address: String, seconds: Int) throws(HyperwardError) -> String {
        let network: IPNetwork
        do { network = try IPNetwork(address: address) } catch { throw HyperwardError(.invalidInput, error.text) }
        let suffix = network.family == .ipv4 ? "v4" : "v6"
        _ = try? applier.nft(["delete", "element", "inet", Ruleset.ipsTable, "protect_\(suffix)", "{ \(network.addressText) }"], input: nil)
        _ = try applier.nft(["add", "element", "inet", Ruleset.ipsTable, "protect_\(suffix)", "{ \(network.addressText) timeout \(seconds)s }"], input: nil)
        return "rate-limiting new TCP connections to \(network.addressText) to \(RulesetCompiler.protectedSYNRate)/s for \(seconds)s (inet \(Ruleset.ipsTable) protect_\(suffix))"
    }

    /// Unblocks `address`.
    /// - Returns: false when it was not blocked (never, or its block expired; also when no IPS
    ///   table exists yet), true when its block was removed.
    /// - Throws: `HyperwardError` when nft could not be asked.
    @discardableResult
    public func unblock(_ address: String) throws(HyperwardError) -> Bool {
        let network: IPNetwork
        do { network = try IPNetwork(address: address) } catch { throw HyperwardError(.invalidInput, error.text) }
        let suffix = network.family == .ipv4 ? "v4" : "v6"
        do throws(HyperwardError) {
            _ = try applier.nft(["delete", "element", "inet", Ruleset.ipsTable, "block_\(suffix)", "{ \(network.addressText) }"], input: nil)
            return true
        } catch where error.code == .nftFailed && error.message.contains("No such file or directory") {
            // ENOENT: no such element, or no such set or table.
            return false
        }
    }
}

/// What the kernel holds compared with the policy, and the drops per VM.
/// The quarantine: interfaces whose frames are all dropped, in and out (incident response). Its
/// table is Hyperward's but never replaced by an apply, so a quarantine outlives policy changes.
public struct Quarantine: Sendable {
    public var applier: any RulesetApplier

    /// Creates a quarantine over `applier`.
    public init(applier: any RulesetApplier) { self.applier = applier }

    /// Quarantines `devices` (idempotent: already quarantined ones stay so).
    public func add(_ devices: [String]) throws(HyperwardError) {
        guard !devices.isEmpty else { return }
        try declare()
        let list = devices.map { RulesetCompiler.quote($0) }.joined(separator: ", ")
        _ = try applier.nft(["add", "element", "bridge", Ruleset.quarantineTable, "ports", "{ \(list) }"], input: nil)
    }

    /// Releases `devices` (idempotent: ones not quarantined are ignored).
    public func remove(_ devices: [String]) throws(HyperwardError) {
        let present = Set(try ports())
        let list = devices.filter { present.contains($0) }.map { RulesetCompiler.quote($0) }
        guard !list.isEmpty else { return }
        _ = try applier.nft(["delete", "element", "bridge", Ruleset.quarantineTable, "ports", "{ \(list.joined(separator: ", ")) }"], input: nil)
    }

    /// Quarantines the VMs with these MAC addresses wherever they are plugged (idempotent).
    public func add(macs: [String]) throws(HyperwardError) {
        let list = try Self.validated(macs)
        guard !list.isEmpty else { return }
        try declare()
        _ = try applier.nft(["add", "element", "bridge", Ruleset.quarantineTable, "macs", "{ \(list.joined(separator: ", ")) }"], input: nil)
    }

    /// Releases these MAC addresses (idempotent).
    public func remove(macs: [String]) throws(HyperwardError) {
        let present = Set(try self.macs())
        let list = try Self.validated(macs).filter { present.contains($0) }
        guard !list.isEmpty else { return }
        _ = try applier.nft(["delete", "element", "bridge", Ruleset.quarantineTable, "macs", "{ \(list.joined(separator: ", ")) }"], input: nil)
    }

    /// The quarantined MAC addresses, lower-case and sorted (none when the table or set does not exist).
    public func macs() throws(HyperwardError) -> [String] {
        guard let listing = try? applier.nft(["list", "set", "bridge", Ruleset.quarantineTable, "macs"], input: nil) else { return [] }
        var found: Set<String> = []
        for token in listing.split(whereSeparator: { " ,{}\n\t".contains($0) }) where Self.isMAC(token) { found.insert(token.lowercased()) }
        return found.sorted()
    }

    static func isMAC(_ text: Substring) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 && parts.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
    }

    static func validated(_ macs: [String]) throws(HyperwardError) -> [String] {
        var result: [String] = []
        for mac in macs {
            guard isMAC(Substring(mac)) else { throw HyperwardError(.invalidInput, "not a MAC address: \(mac.prefix(40).debugDescription)") }
            result.append(mac.lowercased())
        }
        return result
    }

    /// The quarantined interfaces, sorted (none when the table does not exist yet).
    public func ports() throws(HyperwardError) -> [String] {
        guard let listing = try? applier.nft(["list", "set", "bridge", Ruleset.quarantineTable, "ports"], input: nil) else { return [] }
        return NetworkStatus.quotedElements(of: "set ports", in: listing).sorted()
    }

    /// Creates the quarantine table if no apply has yet (the same idempotent text an apply loads).
    func declare() throws(HyperwardError) {
        _ = try applier.nft(["-f", "-"], input: RulesetCompiler.quarantineTable())
    }
}

public struct NetworkStatus: Sendable, Codable {
    public var tablesPresent: [String: Bool]
    /// Ports filtered in the kernel (the bridge table's `ports` set).
    public var ports: [String]
    /// Differences between the policy and the kernel; empty when in sync.
    public var drift: [String]
    /// Dropped packets per VM (bridge anti-spoofing + inet security groups).
    public var drops: [String: Int]

    /// Reads the kernel's state through `applier` and compares it with `expected`.
    public static func read(applier: any RulesetApplier, expected: Ruleset) throws(HyperwardError) -> NetworkStatus {
        var present: [String: Bool] = [:]
        var listings: [String: String] = [:]
        for (family, name) in [("bridge", Ruleset.bridgeTable), ("inet", Ruleset.inetTable), ("inet", Ruleset.ipsTable),
                               ("bridge", Ruleset.quarantineTable)] {
            let key = "\(family) \(name)"
            if let text = try? applier.nft(["list", "table", family, name], input: nil) {
                present[key] = true
                listings[key] = text
            } else {
                present[key] = false
            }
        }
        var drift: [String] = present.filter { !$0.value }.map { "table \($0.key) is missing" }.sorted()
        let bridge = listings["bridge \(Ruleset.bridgeTable)"] ?? ""
        let ports = quotedElements(of: "set ports", in: bridge)
        let expectedPorts = Set(expected.devices.keys)
        for p in expectedPorts.subtracting(ports).sorted() { drift.append("port \(p) (VM \(expected.devices[p] ?? "?")) is not filtered in the kernel") }
        for p in Set(ports).subtracting(expectedPorts).sorted() { drift.append("port \(p) is filtered in the kernel but not in the policy") }
        var drops: [String: Int] = [:]
        let names = Dictionary(uniqueKeysWithValues: expected.vmIDs.map { ($0.value, $0.key) })
        for key in ["bridge \(Ruleset.bridgeTable)", "inet \(Ruleset.inetTable)"] {
            for (id, packets) in counters(in: listings[key] ?? "") {
                drops[names[id] ?? "vm\(id)", default: 0] += packets
            }
        }
        return NetworkStatus(tablesPresent: present, ports: ports.sorted(), drift: drift, drops: drops)
    }

    /// The quoted elements (or keys) of the set or map declared as `header` in an `nft list` output.
    static func quotedElements(of header: String, in listing: String) -> [String] {
        guard let start = listing.range(of: "\(header) {") else { return [] }
        let rest = listing[start.upperBound...]
        guard let close = rest.range(of: "\n\t}") else { return [] }
        var keys: [String] = []
        var inQuote = false
        var current = ""
        for ch in rest[..<close.lowerBound] {
            if ch == "\"" {
                if inQuote { keys.append(current); current = "" }
                inQuote.toggle()
            } else if inQuote { current.append(ch) }
        }
        return keys
    }

    /// `counter drops_vmN { packets P bytes B }` blocks.
    static func counters(in listing: String) -> [(Int, Int)] {
        var result: [(Int, Int)] = []
        var pendingID: Int?
        for line in listing.split(separator: "\n") {
            let t = line.trimmingCharacters()
            if t.hasPrefix("counter drops_vm"), t.hasSuffix("{") {
                pendingID = Int(t.dropFirst("counter drops_vm".count).dropLast().trimmingCharacters())
            } else if let id = pendingID, t.hasPrefix("packets ") {
                let n = Int(t.split(separator: " ").dropFirst().first ?? "") ?? 0
                result.append((id, n))
                pendingID = nil
            }
        }
        return result
    }

    /// A human summary.
    public var text: String {
        var o = ""
        for (table, ok) in tablesPresent.sorted(by: { $0.key < $1.key }) { o += "table \(table): \(ok ? "present" : "MISSING")\n" }
        o += "filtered ports: \(ports.isEmpty ? "none" : ports.joined(separator: ", "))\n"
        o += drift.isEmpty ? "drift: none (kernel matches the policy)\n" : "drift:\n" + drift.map { "  - \($0)\n" }.joined()
        o += "drops per VM:\n"
        for (vm, n) in drops.sorted(by: { $0.key < $1.key }) { o += "  \(vm): \(n)\n" }
        return o
    }
}
