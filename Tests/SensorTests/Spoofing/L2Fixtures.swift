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
import Sensor
import Testing

/// Shared fixtures for the layer-2 detector suites: a two-VM inventory on a libvirt-like bridge.
enum L2Fixtures {
    static let web1MAC = mac("52:54:00:aa:00:01")
    static let db1MAC = mac("52:54:00:aa:00:02")
    static let gatewayMAC = mac("52:54:00:00:00:01")
    static let strangerMAC = mac("02:de:ad:be:ef:01")
    static let otherMAC = mac("02:de:ad:be:ef:02")
    static let web1IP = ip("192.168.122.10")
    static let db1IP = ip("192.168.122.20")
    static let vrrpIP = ip("192.168.122.200")
    static let gatewayIP = ip("192.168.122.1")

    /// The inventory file: the policy's keys plus `infrastructure:`.
    static let inventoryYAML = """
        groups:
          web: { ingress: [ { proto: tcp, ports: ["80"] } ] }
        vms:
          web1:
            groups: [web]
            interfaces:
              - { device: vnet1, mac: "52:54:00:aa:00:01", ipv4: [192.168.122.10], ipv6: ["fd00::10"] }
          db1:
            interfaces:
              - { device: vnet2, mac: "52:54:00:aa:00:02", ipv4: [192.168.122.20] }
            allowed_pairs:
              - { ip: 192.168.122.200 }
          dhcp1:
            interfaces:
              - { device: vnet3, mac: "52:54:00:aa:00:03" }
        infrastructure:
          - name: virbr0
            roles: [router, dhcp-server]
            mac: "52:54:00:00:00:01"
            ipv4: [192.168.122.1]
            ipv6: ["fe80::5054:ff:fe00:1", "fd00::1"]
        """

    static func inventory() throws -> SensorInventory {
        try SensorInventory.parse(inventoryYAML, file: "inventory.yaml")
    }

    static func mac(_ text: String) -> UInt64 { MACText.value(text) ?? 0 }

    static func ip(_ text: String) -> IPAddress { IPAddress(text) ?? IPAddress(ipv4: 0) }

    static func time(_ seconds: Double) -> Timestamp { Timestamp(nanoseconds: 1_800_000_000_000_000_000 + Int64(seconds * 1e9)) }

    static func reply(at seconds: Double, eth: UInt64, sender: UInt64? = nil, ip senderIP: IPAddress, to target: UInt64 = web1MAC,
                      targetIP: IPAddress = ip("192.168.122.99"), ingress: String? = nil) -> ARPObservation {
        ARPObservation(time: time(seconds), ingress: ingress, ethSource: eth, operation: .reply, senderMAC: sender ?? eth,
                       senderIP: senderIP, targetMAC: target, targetIP: targetIP)
    }

    static func request(at seconds: Double, eth: UInt64, ip senderIP: IPAddress, asking: IPAddress, ingress: String? = nil) -> ARPObservation {
        ARPObservation(time: time(seconds), ingress: ingress, ethSource: eth, operation: .request, senderMAC: eth,
                       senderIP: senderIP, targetMAC: 0, targetIP: asking)
    }

    static func gratuitous(at seconds: Double, eth: UInt64, ip address: IPAddress) -> ARPObservation {
        ARPObservation(time: time(seconds), ethSource: eth, operation: .request, senderMAC: eth, senderIP: address,
                       targetMAC: 0, targetIP: address)
    }

    static func evidence(_ alert: Alert, _ key: String) -> EvidenceValue? {
        alert.evidence.first { $0.0 == key }?.1
    }
}

extension EvidenceValue {
    var intValue: Int64? { if case .int(let v) = self { v } else { nil } }
    var stringValue: String? { if case .string(let v) = self { v } else { nil } }
    var listStrings: [String] {
        if case .list(let values) = self { return values.compactMap(\.stringValue) }
        return []
    }
    func field(_ key: String) -> EvidenceValue? {
        if case .object(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }
}
