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

@Suite("Rogue router advertisement detector")
struct RogueRADetectorTests {
    typealias F = L2Fixtures

    func ra(_ seconds: Double, eth: UInt64, ingress: String? = nil, source: String = "fe80::1", lifetime: UInt16 = 1800) -> RouterAdvertisementObservation {
        RouterAdvertisementObservation(time: F.time(seconds), ingress: ingress, ethSource: eth, source: F.ip(source), sourceLinkLayer: eth,
                                       routerLifetime: lifetime, prefixes: [.init(address: F.ip("2001:db8:bad::"), length: 64)])
    }

    func run(_ detector: inout RogueRADetector, _ packets: [RouterAdvertisementObservation], flush: Bool = false) -> [Alert] {
        var alerts: [Alert] = []
        for packet in packets { detector.observe(packet, into: &alerts) }
        if flush { detector.flush(into: &alerts) }
        return alerts
    }

    @Test func routerAdvertisementFromAVMPortIsRogueAndCritical() throws {
        var detector = RogueRADetector(inventory: try F.inventory())
        let alerts = run(&detector, (0..<10).map { ra(Double($0) * 3, eth: F.web1MAC, ingress: "vnet1") }, flush: true)
        #expect(alerts.map(\.incident) == ["rogue-ra/52:54:00:aa:00:01", "rogue-ra/52:54:00:aa:00:01"])
        let alert = try #require(alerts.first)
        #expect(alert.detector == .rogueRA)
        #expect(alert.severity == .critical)
        #expect(alert.threat == .maliciousVM)
        #expect(!alert.sourceMayBeSpoofed)
        #expect(F.evidence(alert, "prefixes")?.listStrings == ["2001:db8:bad::/64"])
        #expect(F.evidence(alert, "router_lifetime")?.intValue == 1800)
        #expect(alerts.last.flatMap { F.evidence($0, "frames")?.intValue } == 10)
    }

    @Test func listedRouterIsFineAndAnUnlistedOneIsNot() throws {
        var detector = RogueRADetector(inventory: try F.inventory())
        #expect(run(&detector, [ra(0, eth: F.gatewayMAC, source: "fe80::5054:ff:fe00:1")]).isEmpty)
        let alerts = run(&detector, [ra(1, eth: F.strangerMAC, source: "fe80::5054:ff:fe00:1", lifetime: 0)])
        #expect(alerts.map(\.severity) == [.high])
        #expect(alerts.first?.threat == .networkThreat)
        #expect(alerts.first.flatMap { F.evidence($0, "judged_by")?.stringValue } == "inventory")
    }

    @Test func withoutListedRoutersTheFirstIsTrustedAndASecondIsRogue() {
        var detector = RogueRADetector()
        let alerts = run(&detector, [ra(0, eth: F.otherMAC), ra(10, eth: F.otherMAC), ra(20, eth: F.strangerMAC), ra(30, eth: F.otherMAC)])
        #expect(alerts.map(\.incident) == ["rogue-ra/02:de:ad:be:ef:01"])
        #expect(alerts.map(\.severity) == [.medium])
    }
}

@Suite("Rogue DHCP detector")
struct RogueDHCPDetectorTests {
    typealias F = L2Fixtures

    func offer(_ seconds: Double, eth: UInt64, ingress: String? = nil, source: String = "192.168.122.1", server: String? = "192.168.122.1",
               type: DHCPServerObservation.MessageType = .offer) -> DHCPServerObservation {
        DHCPServerObservation(time: F.time(seconds), ingress: ingress, ethSource: eth, source: F.ip(source), messageType: type,
                              serverIdentifier: server.map(F.ip), offeredAddress: F.ip("192.168.122.66"), clientMAC: F.db1MAC)
    }

    func run(_ detector: inout RogueDHCPDetector, _ packets: [DHCPServerObservation]) -> [Alert] {
        var alerts: [Alert] = []
        for packet in packets { detector.observe(packet, into: &alerts) }
        return alerts
    }

    @Test func offerFromAVMIsRogueAndNamesTheOffer() throws {
        var detector = RogueDHCPDetector(inventory: try F.inventory())
        let alerts = run(&detector, [offer(0, eth: F.web1MAC, ingress: "vnet1", source: "192.168.122.10", server: "192.168.122.10"),
                                     offer(1, eth: F.web1MAC, ingress: "vnet1", source: "192.168.122.10", server: "192.168.122.10", type: .ack)])
        let alert = try #require(alerts.first)
        #expect(alerts.count == 1)
        #expect(alert.detector == .rogueDHCP)
        #expect(alert.incident == "rogue-dhcp/52:54:00:aa:00:01")
        #expect(alert.threat == .maliciousVM)
        #expect(!alert.sourceMayBeSpoofed)
        #expect(F.evidence(alert, "offered")?.listStrings == ["192.168.122.66"])
        #expect(F.evidence(alert, "server_ids")?.listStrings == ["192.168.122.10"])
        #expect(alert.summary.contains("192.168.122.66") && alert.summary.contains("192.168.122.10"))
    }

    @Test func listedServerIsFineAndAForgedServerIDIsNot() throws {
        var detector = RogueDHCPDetector(inventory: try F.inventory())
        #expect(run(&detector, [offer(0, eth: F.gatewayMAC), offer(1, eth: F.gatewayMAC, type: .ack), offer(2, eth: F.gatewayMAC, type: .nak)]).isEmpty)
        // A stranger claiming the real server's identifier is still rogue: the MAC decides.
        #expect(run(&detector, [offer(3, eth: F.strangerMAC)]).map(\.incident) == ["rogue-dhcp/02:de:ad:be:ef:01"])
    }

    @Test func serverKnownOnlyByAddressMatchesItsIdentifier() {
        let inventory = SensorInventory(infrastructure: [.init(name: "relay", roles: .dhcpServer, addresses: [F.ip("10.0.0.1")])])
        var detector = RogueDHCPDetector(inventory: inventory)
        #expect(run(&detector, [offer(0, eth: F.otherMAC, source: "10.0.0.1", server: "10.0.0.1"),
                                offer(1, eth: F.otherMAC, source: "10.0.0.254", server: "10.0.0.1")]).isEmpty)
        #expect(run(&detector, [offer(2, eth: F.strangerMAC, source: "10.0.0.9", server: "10.0.0.9")]).count == 1)
    }

    @Test func withoutListedServersTheFirstIsTrusted() {
        var detector = RogueDHCPDetector()
        let alerts = run(&detector, [offer(0, eth: F.otherMAC), offer(1, eth: F.otherMAC, type: .ack), offer(5, eth: F.strangerMAC)])
        #expect(alerts.map(\.incident) == ["rogue-dhcp/02:de:ad:be:ef:01"])
        #expect(alerts.map(\.severity) == [.medium])
    }
}
