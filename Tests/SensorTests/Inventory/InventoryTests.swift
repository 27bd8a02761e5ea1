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
import Sensor
import Testing

@Suite("Sensor inventory")
struct SensorInventoryTests {
    typealias F = L2Fixtures

    @Test func buildsBindingsFromThePolicyModel() throws {
        let policy = try NetworkPolicy.parse(F.inventoryYAML.components(separatedBy: "infrastructure:")[0], file: "policy.yaml")
        let inventory = SensorInventory(policy: policy)
        #expect(inventory.interfaces.map(\.vm) == ["db1", "dhcp1", "web1"])
        let web1 = try #require(inventory.interfaceIndex(onPort: "vnet1"))
        #expect(inventory.interfaceIndex(withMAC: F.web1MAC) == web1)
        #expect(inventory.interfaces[web1].ipv6 == [F.ip("fd00::10")])
        // The EUI-64 link-local agrees with the policy compiler's.
        let policyMAC = try MACAddress(parsing: "52:54:00:aa:00:01")
        #expect(inventory.interfaces[web1].linkLocal == IPAddress(bytes: IPNetwork.linkLocal(for: policyMAC).bytes))
        // A pair without a MAC is bound to the interface's MAC.
        #expect(inventory.bindings(for: F.vrrpIP).map(\.mac) == [F.db1MAC])
        #expect(inventory.bindings(for: F.vrrpIP).map(\.isAllowedPair) == [true])
        #expect(inventory.bindings(for: F.ip("10.1.1.1")).isEmpty)
        #expect(!inventory.hasRouters)
    }

    @Test func readsTheInfrastructureSection() throws {
        let inventory = try F.inventory()
        #expect(inventory.infrastructure.map(\.name) == ["virbr0"])
        #expect(inventory.hasRouters && inventory.hasDHCPServers)
        #expect(inventory.isRouter(mac: F.gatewayMAC, address: F.ip("fe80::1")))
        #expect(!inventory.isRouter(mac: F.strangerMAC, address: F.ip("fe80::5054:ff:fe00:1")))
        #expect(inventory.bindings(for: F.gatewayIP).map(\.mac) == [F.gatewayMAC])
        #expect(inventory.interfaces.count == 3)
    }

    @Test func thePolicyFileItselfIsAnInventory() throws {
        let policyOnly = F.inventoryYAML.components(separatedBy: "infrastructure:")[0]
        let inventory = try SensorInventory.parse(policyOnly, file: "policy.yaml")
        #expect(inventory.interfaces.count == 3 && inventory.infrastructure.isEmpty)
        #expect(try SensorInventory.parse("", file: "empty.yaml").isEmpty)
    }

    @Test func policyErrorsKeepTheirLineAfterAnInfrastructureSection() {
        let text = """
            infrastructure:
              - name: gw
                mac: "52:54:00:00:00:01"
            vms:
              web1:
                interfaces:
                  - { device: vnet1, mac: "52:54:00:aa:00:01", ipv4: [300.1.1.1] }
            """
        #expect {
            _ = try SensorInventory.parse(text, file: "inv.yaml")
        } throws: { error in
            guard let error = error as? HyperwardError else { return false }
            return error.code == SensorInventory.errorCode && error.location?.line == 7 && error.description.hasPrefix("inv.yaml:7:")
        }
    }

    /// Malformed inventories: each names the problem and where it is.
    @Test(arguments: [
        ("infrastructure:\n  - name: gw\n    mac: 52:54:00:00:00:01\n    colour: red\n", "unknown key 'colour'", 4),
        ("infrastructure:\n  - name: gw\n    mac: \"01:00:5e:00:00:01\"\n", "multicast", 3),
        ("infrastructure:\n  - name: gw\n    ipv4: [fd00::1]\n", "not an IPv4 address", 3),
        ("infrastructure:\n  - name: gw\n    ipv6: [10.0.0.0/8]\n", "must be a single address", 3),
        ("infrastructure:\n  - mac: \"52:54:00:00:00:01\"\n", "needs name", 2),
        ("infrastructure:\n  - name: gw\n    roles: [router]\n", "needs mac, ipv4 or ipv6", 2),
        ("infrastructure:\n  - name: gw\n    ipv4: [10.0.0.1]\n    roles: [nameserver]\n", "role 'nameserver'", 4),
        ("infrastructure:\n  - { name: gw, ipv4: [10.0.0.1] }\n  - { name: gw, ipv4: [10.0.0.2] }\n", "duplicate infrastructure name 'gw'", 3),
        ("infrastructure:\n  - name: \"g w\"\n    ipv4: [10.0.0.1]\n", "infrastructure name 'g w'", 2),
        ("infrastructure: virbr0\n", "infrastructure must be a list", 1),
        ("infrastructure:\n  - just-a-string\n", "must be a mapping", 2),
        ("infrastructure:\n  - name: gw\n    ipv4: 10.0.0.1\n", "ipv4 must be a list", 3),
        ("{infrastructure: [{name: gw, ipv4: [10.0.0.1]}]}", "block mapping", 1),
        ("- a\n- b\n", "must be a mapping", 1),
        ("vms: {\n", "not valid YAML", 2),
        ("vms:\n  web1:\n    colour: red\n", "unknown key 'colour'", 3),
    ] as [(String, String, Int)])
    func rejectsMalformedInventories(text: String, message: String, line: Int) {
        #expect {
            _ = try SensorInventory.parse(text, file: "inv.yaml")
        } throws: { error in
            guard let error = error as? HyperwardError else { return false }
            let ok = error.code == SensorInventory.errorCode && error.message.contains(message) && error.location?.line == line
            if !ok { Issue.record("got \(error) [\(error.code)]") }
            return ok
        }
    }

    @Test func refusesOversizedAndMissingFiles() throws {
        let big = String(repeating: "#", count: SensorInventory.maximumFileSize + 1)
        #expect(throws: HyperwardError.self) { _ = try SensorInventory.parse(big, file: "big.yaml") }
        #expect {
            _ = try SensorInventory.load(path: "/nonexistent/inventory.yaml")
        } throws: { ($0 as? HyperwardError)?.code == .notFound }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("inventory-\(UUID().uuidString).yaml")
        try F.inventoryYAML.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try SensorInventory.load(path: url.path).interfaces.count == 3)
    }

    @Test func hostileInputNeverTraps() {
        // Deep nesting, binary junk and huge scalars must produce errors, not crashes.
        let samples = [
            String(repeating: "[", count: 100),
            "infrastructure:\n" + String(repeating: "  - {name: x, ipv4: [1.1.1.1]}\n", count: 1100),
            "infrastructure:\n  - name: " + String(repeating: "a", count: 100_000) + "\n",
            String(decoding: (0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 37) }, as: UTF8.self),
        ]
        for sample in samples {
            do { _ = try SensorInventory.parse(sample, file: "x.yaml") } catch {}
        }
    }

    @Test func macTextRoundTrips() {
        #expect(MACText.string(0x5254_00aa_0001) == "52:54:00:aa:00:01")
        #expect(MACText.value("52:54:00:AA:00:01") == 0x5254_00aa_0001)
        #expect(MACText.value("52:54:00:aa:00") == nil)
        #expect(MACText.value("52:54:00:aa:00:zz") == nil)
        #expect(MACText.value("525:4:00:aa:00:01") == nil)
    }
}
