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
import NetTestSupport
import Testing

@testable import NetworkPolicy

/// The compiled ruleset against real packets: a Linux bridge in a network namespace, three "VMs"
/// on veth ports, real TCP/UDP/ICMP, crafted spoofed frames and a real `arpspoof`.
///
/// vm1 = web1 (group web: tcp 80 from anywhere, tcp 22 from group admin, icmp),
/// vm2 = bastion (group admin: no ingress), vm3 = mallory (group none: no ingress).
@Suite("Firewall against real packets", .serialized, .enabled(if: BridgeLab.isSupported, "needs root, ip and nft"))
final class FirewallLabTests {
    let lab: BridgeLab
    var web1: BridgeLab.VM { lab.vms[0] }
    var bastion: BridgeLab.VM { lab.vms[1] }
    var mallory: BridgeLab.VM { lab.vms[2] }

    init() throws {
        lab = try BridgeLab(vmCount: 3)
    }

    deinit { lab.shutdown() }

    var applier: NftApplier { NftApplier(namespace: lab.hostNamespace) }

    func policyText(adminMaySSH: Bool = true) -> String {
        func vm(_ v: BridgeLab.VM, _ group: String) -> String {
            "  \(v.name):\n    groups: [\(group)]\n    interfaces:\n      - { device: \(v.port), mac: \"\(v.mac)\", ipv4: [\(v.ipv4)], ipv6: [\"\(v.ipv6)\"] }\n"
        }
        return """
            groups:
              web:
                ingress:
                  - { proto: tcp, ports: [80] }
            \(adminMaySSH ? "      - { proto: tcp, ports: [22], from_group: admin }\n" : "")\
                  - { proto: udp, ports: [53] }
                  - { proto: icmp }
                  - { proto: icmpv6 }
              admin: {}
              none: {}
            vms:
            \(vm(web1, "web"))\(vm(bastion, "admin"))\(vm(mallory, "none"))
            """
    }

    @discardableResult
    func apply(adminMaySSH: Bool = true) throws -> Ruleset {
        let policy = try NetworkPolicy.parse(policyText(adminMaySSH: adminMaySSH), file: "lab.yaml")
        let ruleset = try RulesetCompiler.compile(policy)
        try applier.apply(ruleset.text)
        ConntrackFlusher(namespace: lab.hostNamespace).flush(addresses: policy.allAddresses)
        return ruleset
    }

    @Test func securityGroupsAllowWhatTheyListAndNothingElse() throws {
        let ssh = try lab.listen(in: web1, tcp: 22)
        let http = try lab.listen(in: web1, tcp: 80)
        let other = try lab.listen(in: web1, tcp: 8080)
        let malloryWeb = try lab.listen(in: mallory, tcp: 80)
        defer { [ssh, http, other, malloryWeb].forEach { $0.stop() } }
        // Before the policy, everything gets through: the probes can say yes.
        #expect(try lab.tcpConnects(from: mallory, to: web1.ipv4, port: 22))
        let ruleset = try apply()
        #expect(try lab.tcpConnects(from: bastion, to: web1.ipv4, port: 22), "admin → ssh allowed (from_group)")
        #expect(try !lab.tcpConnects(from: mallory, to: web1.ipv4, port: 22), "non-admin → ssh denied")
        #expect(try lab.tcpConnects(from: mallory, to: web1.ipv4, port: 80), "http from anywhere")
        #expect(try lab.tcpConnects(from: mallory, to: web1.ipv6, port: 80), "http over IPv6 too")
        #expect(try !lab.tcpConnects(from: bastion, to: web1.ipv4, port: 8080), "unlisted port denied")
        let dns = try lab.listen(in: web1, udp: 53)
        let other53 = try lab.listen(in: web1, udp: 54)
        defer { dns.stop(); other53.stop() }
        #expect(try lab.udpDelivers(from: mallory, to: web1.ipv4, port: 53), "udp/53 allowed")
        #expect(try !lab.udpDelivers(from: mallory, to: web1.ipv4, port: 54), "udp/54 denied")
        #expect(try lab.ping(from: mallory, to: web1.ipv4), "icmp allowed")
        #expect(try lab.ping(from: mallory, to: web1.ipv6), "icmpv6 allowed, and IPv6 neighbour discovery works")
        #expect(try !lab.tcpConnects(from: web1, to: mallory.ipv4, port: 80), "mallory's ingress is default-deny")
        #expect(try !lab.ping(from: web1, to: mallory.ipv4))
        let status = try NetworkStatus.read(applier: applier, expected: ruleset)
        #expect(status.drift.isEmpty)
        #expect((status.drops[web1.name] ?? 0) > 0, "drops are counted per VM")
    }

    @Test func antiSpoofingDropsForgedFramesButPassesHonestOnes() throws {
        try apply()
        let udpFilter = "udp dst port 9999"
        // Control: honest frames from mallory do reach web1 (ARP, and below its own NA), so a miss
        // is the firewall's doing, not the probe's. (Honest UDP would meet web1's default-deny.)
        #expect(try lab.sendAndCapture(from: mallory, frame: .arpReply(srcMAC: mallory.mac, senderMAC: mallory.mac, senderIP: mallory.ipv4, targetIP: web1.ipv4),
                                       captureOn: web1, filter: "arp and ether src \(mallory.mac)"), "honest ARP passes")
        #expect(try !lab.sendAndCapture(from: mallory, frame: .ipv4(srcMAC: "02:00:00:00:00:66", srcIP: mallory.ipv4, dstIP: web1.ipv4, udpPort: 9999),
                                        captureOn: web1, filter: udpFilter), "spoofed source MAC")
        #expect(try !lab.sendAndCapture(from: mallory, frame: .ipv4(srcMAC: mallory.mac, srcIP: bastion.ipv4, dstIP: web1.ipv4, udpPort: 9999),
                                        captureOn: web1, filter: udpFilter), "spoofed IPv4 source")
        #expect(try !lab.sendAndCapture(from: mallory, frame: .ipv6(srcMAC: mallory.mac, srcIP: bastion.ipv6, dstIP: web1.ipv6, udpPort: 9999),
                                        captureOn: web1, filter: udpFilter), "spoofed IPv6 source")
        #expect(try !lab.sendAndCapture(from: mallory, frame: .arpReply(srcMAC: mallory.mac, senderMAC: mallory.mac, senderIP: bastion.ipv4, targetIP: web1.ipv4),
                                        captureOn: web1, filter: "arp and ether src \(mallory.mac)"), "ARP claiming bastion's IP")
        #expect(try !lab.sendAndCapture(from: mallory, frame: .dhcpOffer(srcMAC: mallory.mac, serverIP: mallory.ipv4),
                                        captureOn: web1, filter: "udp src port 67"), "rogue DHCP server")
        #expect(try !lab.sendAndCapture(from: mallory, frame: .routerAdvertisement(srcMAC: mallory.mac, srcIP: "fe80::5054:ff:fe00:1"),
                                        captureOn: web1, filter: "icmp6 and ip6[40] == 134"), "rogue router advertisement")
        #expect(try !lab.sendAndCapture(from: mallory, frame: .neighbourAdvertisement(srcMAC: mallory.mac, srcIP: mallory.ipv6, target: bastion.ipv6),
                                        captureOn: web1, filter: "icmp6 and ip6[40] == 136"), "NA for a neighbour's address")
        #expect(try lab.sendAndCapture(from: mallory, frame: .neighbourAdvertisement(srcMAC: mallory.mac, srcIP: mallory.ipv6, target: mallory.ipv6),
                                       captureOn: web1, filter: "icmp6 and ip6[40] == 136"), "NA for its own address passes")
        #expect(try !lab.sendAndCapture(from: mallory, frame: .ethertype(srcMAC: mallory.mac, type: 0x88b5),
                                        captureOn: web1, filter: "ether proto 0x88b5"), "unneeded ethertype")
    }

    /// `net explain` evaluates Hyperward's own model of the ruleset; the kernel must agree with it
    /// on every probe (TCP on several ports over IPv4 and IPv6, ICMP, between every pair of VMs).
    @Test func theExplainModelAgreesWithTheKernel() throws {
        let policy = try NetworkPolicy.parse(policyText(), file: "lab.yaml")
        try apply()
        let ports = [22, 80, 8080]
        var listeners: [Listener] = []
        for vm in lab.vms { for port in ports { listeners.append(try lab.listen(in: vm, tcp: port)) } }
        defer { listeners.forEach { $0.stop() } }
        let model = PolicyModel(policy: policy)
        var probes = 0
        for source in lab.vms {
            for destination in lab.vms where destination.name != source.name {
                for (from, to) in [(source.ipv4, destination.ipv4), (source.ipv6, destination.ipv6)] {
                    for port in ports where from.contains(".") || port == 80 {
                        let predicted = model.explain(PacketQuery(source: try IPNetwork(address: from), destination: try IPNetwork(address: to),
                                                                  proto: .tcp, port: port))
                        let kernel = try lab.tcpConnects(from: source, to: to, port: port, timeout: .seconds(1))
                        #expect((predicted.verdict == .accept) == kernel, "\(source.name) → \(destination.name) tcp/\(port) (\(to)): model \(predicted.verdict) by \(predicted.rule), kernel \(kernel)")
                        probes += 1
                    }
                }
                let predicted = model.explain(PacketQuery(source: try IPNetwork(address: source.ipv4),
                                                          destination: try IPNetwork(address: destination.ipv4), proto: .icmp))
                let kernel = try lab.ping(from: source, to: destination.ipv4, timeout: .seconds(1))
                #expect((predicted.verdict == .accept) == kernel, "\(source.name) → \(destination.name) icmp")
                probes += 1
            }
        }
        #expect(probes == 30)
    }

    @Test func arpspoofCannotPoisonANeighbour() throws {
        try apply()
        #expect(try !lab.arpPoison(attacker: mallory, victim: web1, impersonating: bastion, duration: .seconds(4)))
    }

    @Test func revocationEndsAnEstablishedConnection() throws {
        try apply()
        let connection = try lab.openConnection(from: bastion, to: web1, port: 22)
        defer { connection.close() }
        #expect(try connection.isAlive())
        try apply(adminMaySSH: true)  // re-applying the same policy keeps it alive
        #expect(try connection.isAlive())
        try apply(adminMaySSH: false)
        #expect(try !connection.isAlive(), "revoked: the live flow is cut")
    }

    @Test func aFailedApplyLeavesThePreviousRulesetExactly() throws {
        try apply()
        let before = try applier.nft(["list", "ruleset"], input: nil)
        let broken = try RulesetCompiler.compile(try NetworkPolicy.parse(policyText(), file: "lab.yaml")).text
            + "\ntable inet hyperward {\n\tchain broken {\n\t\tjump does_not_exist\n\t}\n}\n"
        #expect(throws: HyperwardError.self) { try applier.apply(broken) }
        #expect(try applier.nft(["list", "ruleset"], input: nil) == before)
    }

    /// Traffic from a VM to the host itself obeys the VM's egress rules (inet `input`); a VM
    /// whose groups omit egress reaches the host as before.
    @Test func egressRulesAlsoGuardTheHost() throws {
        let host = BridgeLab.VM(name: lab.hostNamespace, port: BridgeLab.bridgeName, mac: "00:00:00:00:00:00",
                                ipv4: BridgeLab.bridgeIPv4, ipv6: BridgeLab.bridgeIPv6, interface: BridgeLab.bridgeName, index: 0)
        let ssh = try lab.listen(in: host, tcp: 2222)
        let https = try lab.listen(in: host, tcp: 443)
        defer { [ssh, https].forEach { $0.stop() } }
        #expect(try lab.tcpConnects(from: mallory, to: host.ipv4, port: 2222), "before the policy the host is open")
        let text = policyText().replacingOccurrences(of: "  none: {}\n", with: "  none:\n    egress:\n      - { proto: tcp, ports: [443] }\n")
        #expect(text.contains("ports: [443]"))
        let policy = try NetworkPolicy.parse(text, file: "lab.yaml")
        try applier.apply(try RulesetCompiler.compile(policy).text)
        #expect(try !lab.tcpConnects(from: mallory, to: host.ipv4, port: 2222), "egress tcp 443 only: the host's ssh is closed")
        #expect(try !lab.tcpConnects(from: mallory, to: host.ipv6, port: 2222), "also over IPv6")
        #expect(try lab.tcpConnects(from: mallory, to: host.ipv4, port: 443), "the allowed port reaches the host")
        #expect(try lab.tcpConnects(from: web1, to: host.ipv4, port: 2222), "egress omitted: all allowed")
        #expect(try lab.ping(from: mallory, to: web1.ipv4) == false, "and mallory's egress applies between VMs as before")
    }

    @Test func blocklistAndAllowlistAndQuarantine() throws {
        try apply()
        let http = try lab.listen(in: web1, tcp: 80)
        defer { http.stop() }
        #expect(try lab.tcpConnects(from: mallory, to: web1.ipv4, port: 80))
        let blocklist = Blocklist(applier: applier)
        _ = try blocklist.block(mallory.ipv4, seconds: 60)
        #expect(try !lab.tcpConnects(from: mallory, to: web1.ipv4, port: 80), "blocked source")
        // The block survives a re-apply of the policy.
        try apply()
        #expect(try !lab.tcpConnects(from: mallory, to: web1.ipv4, port: 80), "block survives net apply")
        try blocklist.unblock(mallory.ipv4)
        #expect(try lab.tcpConnects(from: mallory, to: web1.ipv4, port: 80))
        // A protected destination takes new TCP connections at a limited rate, from any source.
        _ = try blocklist.protect(web1.ipv4, seconds: 60)
        // --flood: hping3's interval timer (SIGALRM) stays blocked in a child of the test process.
        _ = try lab.run(in: mallory.name, ["timeout", "-s", "KILL", "1", "hping3", "-q", "-S", "-p", "80", "--flood", web1.ipv4], timeout: .seconds(10))
        let limited = try applier.nft(["list", "counter", "inet", Ruleset.ipsTable, "limited"], input: nil)
        let dropped = limited.range(of: "packets ").flatMap { Int(limited[$0.upperBound...].prefix { $0.isNumber }) } ?? 0
        #expect(dropped > 1000, "a second of SYN flood against 200/s + burst 400: \(limited)")
        #expect(try lab.tcpConnects(from: bastion, to: web1.ipv4, port: 80), "a new connection after the flood still gets through")
        // Allowlisted addresses are never blocked.
        _ = try applier.nft(["add", "element", "inet", Ruleset.ipsTable, "allow_v4", "{ \(bastion.ipv4) }"], input: nil)
        #expect(throws: HyperwardError.self) { try blocklist.block(bastion.ipv4, seconds: 60) }
        // Quarantine: the port passes nothing, in or out, also after a re-apply; release restores it.
        let quarantine = Quarantine(applier: applier)
        try quarantine.add([mallory.port])
        #expect(try quarantine.ports() == [mallory.port])
        #expect(try !lab.tcpConnects(from: mallory, to: web1.ipv4, port: 80), "quarantined port")
        #expect(try !lab.ping(from: mallory, to: web1.ipv4))
        #expect(try !lab.ping(from: web1, to: mallory.ipv4), "nothing reaches a quarantined port")
        try apply()
        #expect(try !lab.ping(from: mallory, to: web1.ipv4), "quarantine survives net apply")
        try quarantine.remove([mallory.port])
        #expect(try quarantine.ports().isEmpty)
        #expect(try lab.tcpConnects(from: mallory, to: web1.ipv4, port: 80), "released")
        // By MAC: the VM is cut wherever it is plugged; releasing the MAC restores it.
        try quarantine.add(macs: [mallory.mac.uppercased()])
        #expect(try quarantine.macs() == [mallory.mac.lowercased()])
        #expect(try !lab.ping(from: mallory, to: web1.ipv4), "frames from a quarantined MAC are dropped")
        try quarantine.add(macs: [mallory.mac])
        #expect(try quarantine.macs().count == 1, "idempotent")
        #expect(throws: HyperwardError.self) { try quarantine.add(macs: ["52:54:00:zz:00:01"]) }
        try quarantine.remove(macs: [mallory.mac])
        #expect(try quarantine.macs().isEmpty)
        #expect(try lab.ping(from: mallory, to: web1.ipv4), "released by MAC")
    }
}
