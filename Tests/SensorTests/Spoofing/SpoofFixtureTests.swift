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


import FixtureSupport
import Foundation
import HyperwardCore
import HyperwardHost
import Sensor
import Testing

/// Layer-2 observations read from a capture by tshark: an independent decoder, so these tests do
/// not depend on the sensor's own.
struct L2TsharkObservations {
    var arp: [ARPObservation] = []
    var neighborAdvertisements: [NeighborAdvertisementObservation] = []
    var routerAdvertisements: [RouterAdvertisementObservation] = []
    var ipSources: [IPSourceObservation] = []
    var frames = 0

    static let fields = [
        "frame.time_epoch", "eth.src", "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4",
        "icmpv6.type", "icmpv6.nd.na.target_address", "icmpv6.opt.linkaddr", "icmpv6.nd.ra.router_lifetime",
        "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    ]

    /// Runs `tshark -r FILE -T fields …` and converts each frame.
    static func read(_ path: String) throws -> L2TsharkObservations {
        let tshark = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let tshark else {
            throw HyperwardError(.commandFailed, "tshark is not installed (apt-get install -y tshark)")
        }
        let run = HostCommand.run([tshark, "-r", path, "-T", "fields", "-E", "separator=|", "-E", "occurrence=f"] + fields.flatMap { ["-e", $0] },
                                  outputLimit: .max)
        guard run.status == 0 else {
            throw HyperwardError(.commandFailed, "tshark -r \(path) exited with \(run.status)")
        }
        var result = L2TsharkObservations()
        for line in run.stdout.split(separator: "\n") {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == fields.count else { continue }
            result.frames += 1
            let seconds = Double(f[0]) ?? 0
            let time = Timestamp(nanoseconds: Int64(seconds * 1e9))
            let eth = MACText.value(f[1]) ?? 0
            if let op = Int(f[2]), let sender = MACText.value(f[3]), let senderIP = IPAddress(f[4]),
               let target = MACText.value(f[5]), let targetIP = IPAddress(f[6]) {
                result.arp.append(ARPObservation(time: time, ethSource: eth, operation: op == 2 ? .reply : .request,
                                                 senderMAC: sender, senderIP: senderIP, targetMAC: target, targetIP: targetIP))
            }
            if f[7] == "136", let target = IPAddress(f[8]) {
                result.neighborAdvertisements.append(NeighborAdvertisementObservation(time: time, ethSource: eth, target: target,
                                                                                      targetLinkLayer: MACText.value(f[9])))
            }
            if f[7] == "134", let source = IPAddress(f[13]) {
                result.routerAdvertisements.append(RouterAdvertisementObservation(time: time, ethSource: eth, source: source,
                                                                                  sourceLinkLayer: MACText.value(f[9]),
                                                                                  routerLifetime: UInt16(f[10]) ?? 0))
            }
            if let source = IPAddress(f[11]), let destination = IPAddress(f[12]) {
                result.ipSources.append(IPSourceObservation(time: time, ethSource: eth, source: source, destination: destination))
            } else if let source = IPAddress(f[13]), let destination = IPAddress(f[14]) {
                result.ipSources.append(IPSourceObservation(time: time, ethSource: eth, source: source, destination: destination))
            }
        }
        return result
    }

    /// Feeds every layer-2 detector and returns all alerts, flushed.
    func alerts(inventory: SensorInventory) -> [Alert] {
        var alerts: [Alert] = []
        var arpDetector = ARPSpoofDetector(inventory: inventory)
        var ipDetector = IPSpoofDetector(inventory: inventory)
        var raDetector = RogueRADetector(inventory: inventory)
        for packet in arp { arpDetector.observe(packet, into: &alerts) }
        for packet in neighborAdvertisements { arpDetector.observe(packet, into: &alerts) }
        for packet in ipSources { ipDetector.observe(packet, into: &alerts) }
        for packet in routerAdvertisements { raDetector.observe(packet, into: &alerts) }
        arpDetector.flush(into: &alerts)
        ipDetector.flush(into: &alerts)
        raDetector.flush(into: &alerts)
        return alerts
    }
}

@Suite("Spoofing detectors on the benign fixture captures", .needsFixtures("pcaps"))
struct SpoofFixtureTests {
    typealias F = L2Fixtures

    func fixture(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try Fixtures.file(name, in: "pcaps", sourceLocation: sourceLocation).path
    }

    @Test func benignARPPingRaisesNothingWithOrWithoutInventory() throws {
        let observations = try L2TsharkObservations.read(try fixture("benign_arp_ping.pcap"))
        // The README's ground truth: a request/reply each way between the two hosts.
        #expect(observations.arp.count == 4)
        #expect(observations.ipSources.count == 2)
        #expect(observations.alerts(inventory: SensorInventory()).isEmpty)
        // The same hosts as inventory VMs (bindings from the README): still nothing.
        let inventory = SensorInventory(interfaces: [
            .init(vm: "h1", device: "p1", mac: F.mac("00:1d:09:f0:92:ab"), ipv4: [F.ip("10.10.10.1")]),
            .init(vm: "h2", device: "p2", mac: F.mac("00:1a:6b:6c:0c:cc"), ipv4: [F.ip("10.10.10.2")]),
        ])
        let alerts = observations.alerts(inventory: inventory)
        #expect(alerts.isEmpty, "\(alerts.map(\.summary))")
    }

    @Test func benignNeighbourDiscoveryPingRaisesNothing() throws {
        let observations = try L2TsharkObservations.read(try fixture("benign_ipv6_nd_ping.pcapng"))
        #expect(observations.neighborAdvertisements.count >= 1)
        #expect(observations.neighborAdvertisements.allSatisfy { $0.target == F.ip("2001:db8:1:2::1000") })
        #expect(observations.alerts(inventory: SensorInventory()).isEmpty)
        let inventory = SensorInventory(interfaces: [
            .init(vm: "h1000", device: "p1", mac: F.mac("00:0c:29:1f:a7:55"), ipv6: [F.ip("2001:db8:1:2::1000")]),
            .init(vm: "h1003", device: "p2", mac: F.mac("00:0c:29:2f:80:31"), ipv6: [F.ip("2001:db8:1:2::1003")]),
        ])
        let alerts = observations.alerts(inventory: inventory)
        #expect(alerts.isEmpty, "\(alerts.map(\.summary))")
    }

    /// The oracle cuts both ways: the same capture with the bindings swapped must alert.
    @Test func swappedInventoryBindingsOnTheSameCaptureAlert() throws {
        let observations = try L2TsharkObservations.read(try fixture("benign_arp_ping.pcap"))
        let inventory = SensorInventory(interfaces: [
            .init(vm: "h1", device: "p1", mac: F.mac("00:1a:6b:6c:0c:cc"), ipv4: [F.ip("10.10.10.1")]),
            .init(vm: "h2", device: "p2", mac: F.mac("00:1d:09:f0:92:ab"), ipv4: [F.ip("10.10.10.2")]),
        ])
        let incidents = Set(observations.alerts(inventory: inventory).filter { $0.detector == .arpSpoof }.map(\.incident))
        #expect(incidents == ["arp-spoof/10.10.10.1/00:1d:09:f0:92:ab", "arp-spoof/10.10.10.2/00:1a:6b:6c:0c:cc"])
    }
}
