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
import NetTestSupport
import Sensor
import Testing

/// Real attacks in network namespaces: arpspoof (dsniff) poisons a VM's cache, tcpdump records it on
/// the bridge, tshark decodes it, and the detector must see exactly one incident.
@Suite("ARP spoofing made by arpspoof", .serialized, .enabled(if: BridgeLab.isSupported, "needs root, ip and nft"))
struct SpoofARPLabTests {
    typealias F = L2Fixtures

    /// Records the bridge (promiscuous, so bridged unicast is seen too) while `body` runs.
    func capture(_ lab: BridgeLab, _ body: () throws -> Void) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arpspoof-\(UUID().uuidString).pcap").path
        let tcpdump = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "tcpdump"
        let process = try HostChild(["ip", "netns", "exec", lab.hostNamespace, tcpdump, "-i", BridgeLab.bridgeName, "-n", "-U", "-Z", "root",
                                     "-w", path, "arp or icmp or icmp6"],
                                    stdout: HostChild.nullDevice, stderr: HostChild.nullDevice)
        defer { if process.isRunning { process.signal(SIGKILL) } }
        // tcpdump creates the file once the capture is attached.
        let deadline = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: path), Date() < deadline, process.isRunning { usleep(20_000) }
        guard FileManager.default.fileExists(atPath: path) else {
            throw HyperwardError(.commandFailed, "tcpdump did not start on the lab bridge")
        }
        usleep(300_000)
        try body()
        usleep(500_000)
        // SIGKILL: the test runner's blocked signal mask is inherited, so tcpdump may ignore
        // SIGINT/SIGTERM; with -U every packet is already in the file.
        process.signal(SIGKILL)
        process.wait()
        return path
    }

    func inventory(_ lab: BridgeLab) -> SensorInventory {
        SensorInventory(interfaces: lab.vms.map { vm in
            .init(vm: vm.name, device: vm.port, mac: F.mac(vm.mac), ipv4: [F.ip(vm.ipv4)], ipv6: [F.ip(vm.ipv6)])
        })
    }

    @Test func arpspoofIsOneIncidentNamingVictimAndAttacker() throws {
        let lab = try BridgeLab(vmCount: 3)
        defer { lab.shutdown() }
        let victim = lab.vms[0], owner = lab.vms[1], attacker = lab.vms[2]
        var spoofOutput = ""
        let path = try capture(lab) {
            // Normal traffic first: ARP and ping both ways, so the learned mode knows the real binding.
            #expect(try lab.ping(from: victim, to: owner.ipv4))
            #expect(try lab.ping(from: owner, to: victim.ipv4))
            #expect(try lab.ping(from: victim, to: owner.ipv6))
            // ~5 s of arpspoof telling the victim that the owner's address is at the attacker.
            // SIGKILL: arpspoof must not "re-arp" the real binding on exit.
            let result = try lab.run(in: attacker.name, ["timeout", "-s", "KILL", "5", "arpspoof", "-i", attacker.interface, "-t", victim.ipv4, owner.ipv4],
                                     timeout: .seconds(15))
            spoofOutput = result.stdout + result.stderr
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let observations = try L2TsharkObservations.read(path)
        // arpspoof prints one line per reply it sends: the capture must hold that many claims.
        let sent = spoofOutput.split(separator: "\n").filter { $0.contains("is-at") }.count
        #expect(sent >= 2, "arpspoof output: \(spoofOutput)")
        let claims = observations.arp.filter { $0.senderIP == F.ip(owner.ipv4) && $0.senderMAC == F.mac(attacker.mac) }
        #expect(claims.count == sent)

        for (mode, inventory) in [("inventory", inventory(lab)), ("learned", SensorInventory())] {
            let alerts = observations.alerts(inventory: inventory)
            let incidents = Set(alerts.map(\.incident))
            #expect(incidents == ["arp-spoof/\(owner.ipv4)/\(attacker.mac)"], "\(mode): \(alerts.map(\.summary))")
            let last = try #require(alerts.last)
            #expect(last.dst == owner.ipv4)
            #expect(last.src == attacker.mac)
            #expect(F.evidence(last, "frames")?.intValue == Int64(sent), "\(mode)")
            #expect(F.evidence(last, "poisoned_hosts")?.listStrings == [victim.ipv4], "\(mode)")
            let realMAC = F.evidence(last, "real_mac")?.listStrings
            #expect(realMAC == [owner.mac], "\(mode)")
            if mode == "inventory" {
                #expect(F.evidence(last, "attacker_vm")?.stringValue == attacker.name)
                #expect(last.threat == .maliciousVM)
                #expect(alerts.first?.occurrence == 1)
            }
        }
    }
}
