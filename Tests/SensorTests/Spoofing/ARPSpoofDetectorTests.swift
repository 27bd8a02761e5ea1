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

@Suite("ARP spoofing detector")
struct ARPSpoofDetectorTests {
    typealias F = L2Fixtures

    func run(_ detector: inout ARPSpoofDetector, _ packets: [ARPObservation], flush: Bool = false) -> [Alert] {
        var alerts: [Alert] = []
        for packet in packets { detector.observe(packet, into: &alerts) }
        if flush { detector.flush(into: &alerts) }
        return alerts
    }

    // MARK: Inventory

    @Test func rejectsAnotherVMsMACForAnInventoryAddressOnFirstSight() throws {
        var detector = ARPSpoofDetector(inventory: try F.inventory())
        let alerts = run(&detector, [F.reply(at: 0, eth: F.db1MAC, ip: F.web1IP, to: F.gatewayMAC, targetIP: F.gatewayIP)])
        let alert = try #require(alerts.first)
        #expect(alerts.count == 1)
        #expect(alert.detector == .arpSpoof)
        #expect(alert.incident == "arp-spoof/192.168.122.10/52:54:00:aa:00:02")
        #expect(alert.severity == .high)
        #expect(alert.threat == .maliciousVM)
        #expect(alert.sourceMayBeSpoofed)
        #expect(alert.src == "52:54:00:aa:00:02")
        #expect(alert.dst == "192.168.122.10")
        #expect(F.evidence(alert, "real_mac")?.listStrings == ["52:54:00:aa:00:01"])
        #expect(F.evidence(alert, "attacker_vm")?.stringValue == "db1")
        #expect(F.evidence(alert, "authoritative_binding")?.field("owner")?.stringValue == "web1")
        #expect(F.evidence(alert, "poisoned_hosts")?.listStrings == ["192.168.122.1"])
        #expect(alert.summary.contains("192.168.122.10") && alert.summary.contains("52:54:00:aa:00:01"))
    }

    @Test func gatewayImpersonationByAnUnknownMACIsCritical() throws {
        var detector = ARPSpoofDetector(inventory: try F.inventory())
        let alerts = run(&detector, [F.reply(at: 0, eth: F.strangerMAC, ip: F.gatewayIP)])
        let alert = try #require(alerts.first)
        #expect(alert.severity == .critical)
        #expect(alert.threat == .networkThreat)
        #expect(alert.incident == "arp-spoof/192.168.122.1/02:de:ad:be:ef:01")
        #expect(F.evidence(alert, "authoritative_binding")?.field("owner")?.stringValue == "virbr0")
    }

    @Test func arpspoofCadenceIsOneIncidentThatUpdates() throws {
        var detector = ARPSpoofDetector(inventory: try F.inventory())
        // arpspoof (dsniff) re-sends its reply every 2 s; 40 s of it.
        let packets = stride(from: 0.0, to: 40.0, by: 2.0).map { F.reply(at: $0, eth: F.strangerMAC, ip: F.gatewayIP) }
        let alerts = run(&detector, packets, flush: true)
        #expect(Set(alerts.map(\.incident)) == ["arp-spoof/192.168.122.1/02:de:ad:be:ef:01"])
        #expect(alerts.map(\.occurrence) == [1, 2])
        #expect(alerts.last.flatMap { F.evidence($0, "frames")?.intValue } == 20)
    }

    @Test func realertsAfterTheIntervalWithGrowingCounts() throws {
        var detector = ARPSpoofDetector(inventory: try F.inventory())
        let packets = stride(from: 0.0, to: 130.0, by: 2.0).map { F.reply(at: $0, eth: F.strangerMAC, ip: F.gatewayIP) }
        let alerts = run(&detector, packets)
        #expect(alerts.map(\.occurrence) == [1, 2, 3])
        #expect(alerts.compactMap { F.evidence($0, "frames")?.intValue } == [1, 31, 61])
    }

    @Test func ownMACFromAnotherVMsPortIsSpoofingThatCannotBeForged() throws {
        var detector = ARPSpoofDetector(inventory: try F.inventory())
        let alerts = run(&detector, [F.reply(at: 0, eth: F.web1MAC, ip: F.web1IP, ingress: "vnet2")])
        let alert = try #require(alerts.first)
        #expect(!alert.sourceMayBeSpoofed)
        #expect(F.evidence(alert, "attacker_vm")?.stringValue == "db1")
        #expect(F.evidence(alert, "ingress")?.stringValue == "vnet2")
    }

    @Test func vmClaimingAnUnassignedAddressIsSpoofing() throws {
        var detector = ARPSpoofDetector(inventory: try F.inventory())
        let alerts = run(&detector, [F.reply(at: 0, eth: F.web1MAC, ip: F.ip("192.168.122.77"), ingress: "vnet1")])
        #expect(alerts.map(\.incident) == ["arp-spoof/192.168.122.77/52:54:00:aa:00:01"])
    }

    @Test func benignInventoryTrafficRaisesNothing() throws {
        var detector = ARPSpoofDetector(inventory: try F.inventory())
        let alerts = run(&detector, [
            F.request(at: 0, eth: F.web1MAC, ip: F.web1IP, asking: F.gatewayIP, ingress: "vnet1"),
            F.reply(at: 0.001, eth: F.gatewayMAC, ip: F.gatewayIP, to: F.web1MAC, targetIP: F.web1IP),
            F.gratuitous(at: 1, eth: F.db1MAC, ip: F.db1IP),
            // The VRRP address is an allowed pair of db1.
            F.gratuitous(at: 2, eth: F.db1MAC, ip: F.vrrpIP),
            F.reply(at: 3, eth: F.db1MAC, ip: F.vrrpIP, ingress: "vnet2"),
            // An RFC 5227 probe from a DHCP guest, then its DHCP-assigned (uninventoried) address.
            ARPObservation(time: F.time(4), ethSource: F.mac("52:54:00:aa:00:03"), operation: .request,
                           senderMAC: F.mac("52:54:00:aa:00:03"), senderIP: IPAddress(ipv4: 0), targetMAC: 0, targetIP: F.ip("192.168.122.150")),
            F.gratuitous(at: 5, eth: F.mac("52:54:00:aa:00:03"), ip: F.ip("192.168.122.150")),
        ] + stride(from: 10.0, to: 1000.0, by: 30.0).map {
            F.reply(at: $0, eth: F.mac("52:54:00:aa:00:03"), ip: F.ip("192.168.122.150"), to: F.gatewayMAC, targetIP: F.gatewayIP)
        }, flush: true)
        #expect(alerts.isEmpty, "\(alerts.map(\.summary))")
    }

    // MARK: Learned

    @Test func changedAddressThenFlipFlopIsOneIncidentThatEscalates() {
        var detector = ARPSpoofDetector()
        let victim = F.ip("10.0.0.1")
        let alerts = run(&detector, [
            F.reply(at: 0, eth: F.otherMAC, ip: victim),     // learned
            F.reply(at: 10, eth: F.strangerMAC, ip: victim), // changed address
            F.reply(at: 11, eth: F.otherMAC, ip: victim),    // back: flip-flop
            F.reply(at: 12, eth: F.strangerMAC, ip: victim),
        ])
        #expect(Set(alerts.map(\.incident)) == ["arp-spoof/10.0.0.1/02:de:ad:be:ef:01"])
        #expect(alerts.map(\.severity) == [.medium, .high])
        #expect(alerts.last?.summary.contains("flip-flop") == true)
        #expect(alerts.last.flatMap { F.evidence($0, "flip_flops")?.intValue } == 1)
        #expect(alerts.first.flatMap { F.evidence($0, "learned_binding")?.field("macs")?.listStrings } == ["02:de:ad:be:ef:02"])
    }

    @Test func addressReusedAfterItsOwnerWentSilentIsNotAnAlert() {
        var detector = ARPSpoofDetector()
        let address = F.ip("10.0.0.50")
        let alerts = run(&detector, [
            F.reply(at: 0, eth: F.otherMAC, ip: address),
            F.reply(at: 3600, eth: F.strangerMAC, ip: address),
            F.reply(at: 3700, eth: F.strangerMAC, ip: address),
        ], flush: true)
        #expect(alerts.isEmpty)
    }

    @Test func consistentHostsWithoutInventoryRaiseNothing() {
        var detector = ARPSpoofDetector()
        var packets: [ARPObservation] = []
        for round in 0..<50 {
            let t = Double(round) * 20
            packets.append(F.request(at: t, eth: F.otherMAC, ip: F.ip("10.0.0.2"), asking: F.ip("10.0.0.3")))
            packets.append(F.reply(at: t + 0.001, eth: F.strangerMAC, ip: F.ip("10.0.0.3"), to: F.otherMAC, targetIP: F.ip("10.0.0.2")))
        }
        #expect(run(&detector, packets, flush: true).isEmpty)
    }

    // MARK: Mismatch, many addresses, floods

    @Test func ethernetSourceDifferentFromARPSenderIsReported() throws {
        var detector = ARPSpoofDetector()
        let alerts = run(&detector, [F.reply(at: 0, eth: F.strangerMAC, sender: F.otherMAC, ip: F.ip("10.0.0.9"))])
        let alert = try #require(alerts.first)
        #expect(alert.incident == "arp-spoof/eth-mismatch/02:de:ad:be:ef:01")
        #expect(F.evidence(alert, "arp_sender_macs")?.listStrings == ["02:de:ad:be:ef:02"])
    }

    @Test func infrastructureMayProxyARP() throws {
        var detector = ARPSpoofDetector(inventory: try F.inventory())
        #expect(run(&detector, [F.reply(at: 0, eth: F.gatewayMAC, sender: F.otherMAC, ip: F.ip("10.0.0.9"))]).isEmpty)
    }

    @Test(arguments: [3, 4, 6])
    func oneMACClaimingManyAddressesPastTheThreshold(count: Int) {
        var detector = ARPSpoofDetector()
        let packets = (0..<count).map { F.reply(at: Double($0), eth: F.strangerMAC, ip: IPAddress(ipv4: 0x0a00_0001 + UInt32($0))) }
        let incidents = Set(run(&detector, packets).map(\.incident))
        #expect(incidents == (count >= 4 ? ["arp-spoof/many-addresses/02:de:ad:be:ef:01"] : []))
    }

    @Test func declaredAddressesDoNotCountTowardsMany() throws {
        let inventory = SensorInventory(interfaces: [
            .init(vm: "router1", device: "vnet9", mac: F.strangerMAC, ipv4: (1...6).map { IPAddress(ipv4: 0x0a00_0000 + $0) }),
        ])
        var detector = ARPSpoofDetector(inventory: inventory)
        let packets = (1...6).map { F.gratuitous(at: Double($0), eth: F.strangerMAC, ip: IPAddress(ipv4: 0x0a00_0000 + UInt32($0))) }
        #expect(run(&detector, packets).isEmpty)
    }

    @Test func gratuitousFloodIsOneIncident() {
        var detector = ARPSpoofDetector()
        let packets = (0..<100).map { F.gratuitous(at: Double($0) * 0.05, eth: F.strangerMAC, ip: F.ip("10.0.0.5")) }
        let alerts = run(&detector, packets, flush: true)
        #expect(Set(alerts.map(\.incident)) == ["arp-spoof/flood/02:de:ad:be:ef:01"])
        #expect(alerts.last.flatMap { F.evidence($0, "gratuitous")?.intValue } == 81)
    }

    @Test func unsolicitedRepliesFloodButAnsweredOnesDoNot() {
        var unsolicited = ARPSpoofDetector()
        let flood = (0..<30).map { F.reply(at: Double($0) * 0.1, eth: F.strangerMAC, ip: F.ip("10.0.0.5"), to: F.otherMAC, targetIP: F.ip("10.0.0.6")) }
        #expect(run(&unsolicited, flood).map(\.incident) == ["arp-spoof/flood/02:de:ad:be:ef:01"])

        var answered = ARPSpoofDetector()
        var packets: [ARPObservation] = []
        for i in 0..<30 {
            packets.append(F.request(at: Double(i) * 0.1, eth: F.otherMAC, ip: F.ip("10.0.0.6"), asking: F.ip("10.0.0.5")))
            packets.append(F.reply(at: Double(i) * 0.1 + 0.001, eth: F.strangerMAC, ip: F.ip("10.0.0.5"), to: F.otherMAC, targetIP: F.ip("10.0.0.6")))
        }
        #expect(run(&answered, packets).isEmpty)
    }

    // MARK: Neighbour advertisements

    @Test func neighbourAdvertisementForAnotherVMsAddressIsSpoofing() throws {
        var detector = ARPSpoofDetector(inventory: try F.inventory())
        var alerts: [Alert] = []
        detector.observe(NeighborAdvertisementObservation(time: F.time(0), ethSource: F.db1MAC, target: F.ip("fd00::10"),
                                                          targetLinkLayer: F.db1MAC), into: &alerts)
        let alert = try #require(alerts.first)
        #expect(alert.detector == .arpSpoof)
        #expect(alert.incident == "arp-spoof/fd00::10/52:54:00:aa:00:02")
        #expect(alert.summary.hasPrefix("Neighbour advertisement spoofing"))
        #expect(F.evidence(alert, "via")?.stringValue == "nd")

        var own: [Alert] = []
        detector.observe(NeighborAdvertisementObservation(time: F.time(1), ethSource: F.web1MAC, target: F.ip("fd00::10")), into: &own)
        detector.observe(NeighborAdvertisementObservation(time: F.time(2), ethSource: F.web1MAC,
                                                          target: SensorInventory.linkLocal(for: F.web1MAC)), into: &own)
        #expect(own.isEmpty)
    }

    @Test func neighbourAdvertisementForTheRouterIsCritical() throws {
        var detector = ARPSpoofDetector(inventory: try F.inventory())
        var alerts: [Alert] = []
        detector.observe(NeighborAdvertisementObservation(time: F.time(0), ingress: "vnet1", ethSource: F.web1MAC,
                                                          target: F.ip("fe80::5054:ff:fe00:1")), into: &alerts)
        #expect(alerts.map(\.severity) == [.critical])
        #expect(alerts.first?.sourceMayBeSpoofed == false)
    }

    // MARK: Memory

    @Test func learnedBindingsAreCappedAndEvictionsCounted() {
        var configuration = ARPSpoofDetector.Configuration()
        configuration.maximumBindings = 128
        configuration.maximumSenders = 64
        var detector = ARPSpoofDetector(configuration: configuration)
        var alerts: [Alert] = []
        for i in 0..<10_000 {
            let mac = 0x0200_0000_0000 + UInt64(i)
            detector.observe(F.gratuitous(at: Double(i) * 0.001, eth: mac, ip: IPAddress(ipv4: 0x0a00_0000 + UInt32(i))), into: &alerts)
        }
        #expect(detector.learnedBindingCount <= 128)
        #expect(detector.evictions > 0)
        #expect(alerts.isEmpty)
    }
}
