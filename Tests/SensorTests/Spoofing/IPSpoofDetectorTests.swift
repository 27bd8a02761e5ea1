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
import Sensor
import Testing

@Suite("IP source spoofing detector")
struct IPSpoofDetectorTests {
    typealias F = L2Fixtures

    func packet(_ source: String, at seconds: Double = 0, eth: UInt64 = L2Fixtures.web1MAC, ingress: String? = "vnet1",
                to destination: String = "192.168.122.20") -> IPSourceObservation {
        IPSourceObservation(time: F.time(seconds), ingress: ingress, ethSource: eth, source: F.ip(source), destination: F.ip(destination))
    }

    func run(_ detector: inout IPSpoofDetector, _ packets: [IPSourceObservation], flush: Bool = false) -> [Alert] {
        var alerts: [Alert] = []
        for packet in packets { detector.observe(packet, into: &alerts) }
        if flush { detector.flush(into: &alerts) }
        return alerts
    }

    @Test func vmSendingFromAnotherVMsAddressIsSpoofingByThatVM() throws {
        var detector = IPSpoofDetector(inventory: try F.inventory())
        let alert = try #require(run(&detector, [packet("192.168.122.20", to: "192.168.122.1")]).first)
        #expect(alert.detector == .ipSpoof)
        #expect(alert.incident == "ip-spoof/web1/vnet1")
        #expect(alert.src == "web1")
        #expect(alert.threat == .maliciousVM)
        #expect(alert.severity == .high)
        #expect(!alert.sourceMayBeSpoofed)
        #expect(F.evidence(alert, "impersonated")?.listStrings == ["db1"])
        #expect(F.evidence(alert, "spoofed_sources")?.listStrings == ["192.168.122.20"])
        #expect(F.evidence(alert, "authoritative_binding")?.field("addresses")?.listStrings
                == ["192.168.122.10", "fd00::10", "fe80::5054:ff:feaa:1"])
    }

    @Test func impersonatingTheGatewayIsCritical() throws {
        var detector = IPSpoofDetector(inventory: try F.inventory())
        #expect(run(&detector, [packet("192.168.122.1")]).map(\.severity) == [.critical])
    }

    @Test func randomSourceFloodIsOneIncidentCountingSources() throws {
        var detector = IPSpoofDetector(inventory: try F.inventory())
        let packets = (0..<1000).map { i in
            IPSourceObservation(time: F.time(Double(i) * 0.001), ingress: "vnet1", ethSource: F.web1MAC,
                                source: IPAddress(ipv4: 0x0b00_0000 &+ UInt32(i) &* 7919), destination: F.db1IP)
        }
        let alerts = run(&detector, packets, flush: true)
        #expect(alerts.map(\.incident) == ["ip-spoof/web1/vnet1", "ip-spoof/web1/vnet1"])
        #expect(alerts.last.flatMap { F.evidence($0, "distinct_sources")?.intValue } == 1000)
        #expect(alerts.last.flatMap { F.evidence($0, "frames")?.intValue } == 1000)
    }

    @Test(arguments: ["192.168.122.10", "fd00::10", "fe80::5054:ff:feaa:1", "0.0.0.0", "::"])
    func ownAndUnspecifiedSourcesAreFine(source: String) throws {
        var detector = IPSpoofDetector(inventory: try F.inventory())
        #expect(run(&detector, [packet(source, to: source.contains(":") ? "ff02::1" : "255.255.255.255")]).isEmpty)
    }

    @Test func allowedPairIsFine() throws {
        var detector = IPSpoofDetector(inventory: try F.inventory())
        #expect(run(&detector, [packet("192.168.122.200", eth: F.db1MAC, ingress: "vnet2")]).isEmpty)
    }

    @Test func stablePrivacyLinkLocalFollowsTheConfiguration() throws {
        let inventory = try F.inventory()
        var strict = IPSpoofDetector(inventory: inventory)
        #expect(run(&strict, [packet("fe80::1c2d:3e4f:5a6b:7c8d", to: "ff02::2")]).count == 1)
        var configuration = IPSpoofDetector.Configuration()
        configuration.acceptsAnyLinkLocal = true
        var relaxed = IPSpoofDetector(inventory: inventory, configuration: configuration)
        #expect(run(&relaxed, [packet("fe80::1c2d:3e4f:5a6b:7c8d", to: "ff02::2")]).isEmpty)
        // Another VM's EUI-64 link-local stays spoofing even when relaxed.
        #expect(run(&relaxed, [packet("fe80::5054:ff:feaa:2", to: "ff02::2")]).count == 1)
    }

    @Test func undeclaredFamilyIsUnmanagedButImpersonationIsNot() throws {
        var detector = IPSpoofDetector(inventory: try F.inventory())
        // db1 declares no IPv6 address: its SLAAC address is not judged…
        #expect(run(&detector, [packet("2001:db8::1234", eth: F.db1MAC, ingress: "vnet2", to: "2001:db8::1")]).isEmpty)
        // …but using web1's is.
        #expect(run(&detector, [packet("fd00::10", eth: F.db1MAC, ingress: "vnet2", to: "fd00::1")]).map(\.incident) == ["ip-spoof/db1/vnet2"])
    }

    @Test func framesNotFromAVMAreNotJudged() throws {
        var detector = IPSpoofDetector(inventory: try F.inventory())
        #expect(run(&detector, [
            packet("8.8.8.8", eth: F.gatewayMAC, ingress: nil),
            packet("8.8.8.8", eth: F.strangerMAC, ingress: nil),
            packet("8.8.8.8", eth: F.web1MAC, ingress: "uplink0"),
        ]).isEmpty)
    }

    @Test func identifiedByMACOnlyMayBeSpoofed() throws {
        var detector = IPSpoofDetector(inventory: try F.inventory())
        let alert = try #require(run(&detector, [packet("10.9.9.9", ingress: nil)]).first)
        #expect(alert.sourceMayBeSpoofed)
        #expect(F.evidence(alert, "identified_by")?.stringValue == "mac")
    }

    @Test func incidentsAreCapped() {
        let interfaces = (0..<64).map { i in
            SensorInventory.Interface(vm: "vm\(i)", device: "vnet\(i)", mac: 0x5254_0000_0000 + UInt64(i), ipv4: [IPAddress(ipv4: 0x0a00_0000 + UInt32(i))])
        }
        var configuration = IPSpoofDetector.Configuration()
        configuration.maximumIncidents = 8
        var detector = IPSpoofDetector(inventory: SensorInventory(interfaces: interfaces), configuration: configuration)
        var alerts: [Alert] = []
        for (i, interface) in interfaces.enumerated() {
            detector.observe(IPSourceObservation(time: F.time(Double(i)), ingress: interface.device, ethSource: interface.mac,
                                                 source: F.ip("1.2.3.4"), destination: F.ip("5.6.7.8")), into: &alerts)
        }
        #expect(alerts.count == 64)
        #expect(detector.evictions > 0)
    }
}
