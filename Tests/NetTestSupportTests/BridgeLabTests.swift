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
import Testing

/// The lab proves itself with no firewall in place: everything a policy would block must get
/// through here, or a policy test's "blocked" would prove nothing.
@Suite("Bridge lab", .enabled(if: BridgeLab.isSupported, "needs root, ip and nft"), .timeLimit(.minutes(1)))
struct BridgeLabTests {
    @Test func vmsPingEachOtherOverIPv4AndIPv6() throws {
        let lab = try BridgeLab(vmCount: 2)
        defer { lab.shutdown() }
        let (vm1, vm2) = (lab.vms[0], lab.vms[1])
        #expect(try lab.ping(from: vm1, to: vm2.ipv4))
        #expect(try lab.ping(from: vm2, to: vm1.ipv6))
        #expect(try lab.ping(from: vm1, to: BridgeLab.bridgeIPv4))
        // An address nobody holds: the probe must be able to say no.
        #expect(try !lab.ping(from: vm1, to: "10.77.0.99", timeout: .seconds(1)))
    }

    @Test func vmsGetDistinctAddressesAndLibvirtStylePorts() throws {
        let lab = try BridgeLab(vmCount: 3)
        defer { lab.shutdown() }
        #expect(lab.vms.map(\.ipv4) == ["10.77.0.11", "10.77.0.12", "10.77.0.13"])
        #expect(lab.vms.map(\.ipv6) == ["fd77::11", "fd77::12", "fd77::13"])
        #expect(lab.vms.map(\.port) == ["hwvnet1", "hwvnet2", "hwvnet3"])
        #expect(Set(lab.vms.map(\.mac)).count == 3)
        // The kernel is the oracle: each port is enslaved to br0, each VM has its MAC and addresses.
        let ports = try lab.run(in: lab.hostNamespace, ["ip", "-o", "link", "show", "master", BridgeLab.bridgeName])
        for vm in lab.vms {
            #expect(ports.stdout.contains("\(vm.port)@"), "\(ports)")
            let link = try lab.run(in: vm.name, ["ip", "-o", "link", "show", vm.interface])
            #expect(link.stdout.contains("link/ether \(vm.mac)"), "\(link)")
            let addresses = try lab.run(in: vm.name, ["ip", "-o", "address", "show", vm.interface])
            #expect(addresses.stdout.contains("inet \(vm.ipv4)/24"))
            #expect(addresses.stdout.contains("inet6 \(vm.ipv6)/64"))
        }
        let bridgeNF = try lab.run(in: lab.hostNamespace, ["sysctl", "-n", "net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables"])
        #expect(bridgeNF.stdout.split(separator: "\n") == ["1", "1"], "\(bridgeNF)")
        let acceptRA = try lab.run(in: lab.vms[0].name, ["sysctl", "-n", "net.ipv6.conf.eth0.accept_ra"])
        #expect(acceptRA.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test func tcpAndUDPGetThroughOverBothFamilies() throws {
        let lab = try BridgeLab(vmCount: 2)
        defer { lab.shutdown() }
        let (vm1, vm2) = (lab.vms[0], lab.vms[1])
        let tcp = try lab.listen(in: vm2, tcp: 5555)
        let udp = try lab.listen(in: vm2, udp: 5353)
        #expect(try lab.tcpConnects(from: vm1, to: vm2.ipv4, port: 5555))
        #expect(try lab.tcpConnects(from: vm1, to: vm2.ipv6, port: 5555))
        #expect(try lab.udpDelivers(from: vm1, to: vm2.ipv4, port: 5353))
        #expect(try lab.udpDelivers(from: vm1, to: vm2.ipv6, port: 5353))
        #expect(udp.received.contains { $0.hasPrefix("hw-udp-") })
        #expect(tcp.received.contains { $0.hasPrefix("hw-tcp-") })
        // Negative controls: no listener on the port, and a datagram to an address nobody holds.
        #expect(try !lab.tcpConnects(from: vm1, to: vm2.ipv4, port: 5556))
        #expect(try !lab.udpDelivers(from: vm1, to: "10.77.0.99", port: 5353, timeout: .milliseconds(500)))
        tcp.stop()
        #expect(!tcp.isRunning)
        #expect(try !lab.tcpConnects(from: vm1, to: vm2.ipv4, port: 5555))
    }

    @Test func udpProbeWithoutAListenerIsAnError() throws {
        let lab = try BridgeLab(vmCount: 2)
        defer { lab.shutdown() }
        #expect(throws: HyperwardError.self) {
            try lab.udpDelivers(from: lab.vms[0], to: lab.vms[1].ipv4, port: 7777)
        }
    }

    @Test func spoofedIPv4FrameIsForwardedWhenNothingFilters() throws {
        let lab = try BridgeLab(vmCount: 2)
        defer { lab.shutdown() }
        let (vm1, vm2) = (lab.vms[0], lab.vms[1])
        let spoofed = CraftedFrame.ipv4(srcMAC: "02:00:00:00:00:66", srcIP: "10.77.0.66", dstIP: vm2.ipv4, udpPort: 9999)
        #expect(try lab.sendAndCapture(from: vm1, frame: spoofed, captureOn: vm2,
                                       filter: "ether src 02:00:00:00:00:66 and src host 10.77.0.66 and udp dst port 9999"))
        // The capture can say no: a filter the frame does not match sees nothing.
        #expect(try !lab.sendAndCapture(from: vm1, frame: spoofed, captureOn: vm2, filter: "udp dst port 9998",
                                        timeout: .milliseconds(500)))
    }

    @Test func routerAdvertisementFromOneVMReachesAnother() throws {
        let lab = try BridgeLab(vmCount: 2)
        defer { lab.shutdown() }
        let ra = CraftedFrame.routerAdvertisement(srcMAC: lab.vms[0].mac, srcIP: "fe80::5054:ff:fe77:11")
        // ICMPv6 type 134 at the first byte after the fixed 40-byte IPv6 header.
        #expect(try lab.sendAndCapture(from: lab.vms[0], frame: ra, captureOn: lab.vms[1], filter: "icmp6 and ip6[40] == 134"))
    }

    /// Every kind of crafted frame is well formed enough to cross an unfiltered bridge.
    @Test(arguments: ["ipv6", "arpReply", "dhcpOffer", "neighbourAdvertisement", "ethertype"])
    func everyCraftedFrameKindCrossesTheBridge(kind: String) throws {
        let lab = try BridgeLab(vmCount: 2)
        defer { lab.shutdown() }
        let (vm1, vm2) = (lab.vms[0], lab.vms[1])
        let cases: [String: (CraftedFrame, String)] = [
            "ipv6": (.ipv6(srcMAC: vm1.mac, srcIP: "fd77::66", dstIP: vm2.ipv6, udpPort: 9999), "ip6 src fd77::66 and udp dst port 9999"),
            "arpReply": (.arpReply(srcMAC: vm1.mac, senderMAC: vm1.mac, senderIP: "10.77.0.1", targetIP: vm2.ipv4),
                         "arp[6:2] == 2 and arp src host 10.77.0.1"),
            "dhcpOffer": (.dhcpOffer(srcMAC: vm1.mac, serverIP: vm1.ipv4), "udp src port 67 and udp dst port 68"),
            "neighbourAdvertisement": (.neighbourAdvertisement(srcMAC: vm1.mac, srcIP: "fe80::5054:ff:fe77:11", target: "fd77::1"),
                                       "icmp6 and ip6[40] == 136"),
            "ethertype": (.ethertype(srcMAC: vm1.mac, type: 0x88b5), "ether proto 0x88b5"),
        ]
        let (frame, filter) = try #require(cases[kind])
        #expect(try lab.sendAndCapture(from: vm1, frame: frame, captureOn: vm2, filter: filter))
    }

    @Test func malformedFrameFieldsAreRejectedBeforeSending() throws {
        let lab = try BridgeLab(vmCount: 2)
        defer { lab.shutdown() }
        let bad: [CraftedFrame] = [
            .ipv4(srcMAC: "52:54:00:77:00", srcIP: "10.77.0.66", dstIP: "10.77.0.12", udpPort: 9999),
            .ipv4(srcMAC: "52:54:00:77:00:66", srcIP: "10.77.0.666", dstIP: "10.77.0.12", udpPort: 9999),
            .ipv6(srcMAC: "52:54:00:77:00:66", srcIP: "10.77.0.66", dstIP: "fd77::12", udpPort: 9999),
            .ipv4(srcMAC: "52:54:00:77:00:66", srcIP: "10.77.0.66", dstIP: "10.77.0.12", udpPort: 70000),
            .neighbourAdvertisement(srcMAC: "zz:54:00:77:00:66", srcIP: "fe80::1", target: "fd77::1"),
        ]
        for frame in bad {
            #expect(throws: HyperwardError.self) {
                try lab.sendAndCapture(from: lab.vms[0], frame: frame, captureOn: lab.vms[1], filter: "udp")
            }
        }
        #expect(throws: HyperwardError.self) {
            try lab.sendAndCapture(from: lab.vms[0], frame: .ethertype(srcMAC: lab.vms[0].mac, type: 0x88b5),
                                   captureOn: lab.vms[1], filter: "this is not a pcap filter")
        }
    }

    @Test func arpspoofPoisonsTheVictimCacheWhenNothingFilters() throws {
        let lab = try BridgeLab(vmCount: 3)
        defer { lab.shutdown() }
        let (attacker, victim, gateway) = (lab.vms[0], lab.vms[1], lab.vms[2])
        #expect(try lab.arpPoison(attacker: attacker, victim: victim, impersonating: gateway, duration: .seconds(6)))
        let entry = try lab.run(in: victim.name, ["ip", "neigh", "show", gateway.ipv4])
        #expect(entry.stdout.contains(attacker.mac), "\(entry)")
    }

    @Test func liveConnectionDiesWhenAForwardRuleDropsItsPort() throws {
        let lab = try BridgeLab(vmCount: 2)
        defer { lab.shutdown() }
        let (vm1, vm2) = (lab.vms[0], lab.vms[1])
        let dropped = try lab.openConnection(from: vm1, to: vm2, port: 5555)
        let spared = try lab.openConnection(from: vm1, to: vm2, port: 5556)
        #expect(try dropped.isAlive())
        #expect(try dropped.isAlive())
        #expect(try spared.isAlive())
        let applied = try lab.nft("""
            table inet t {
                chain f { type filter hook forward priority 0; tcp dport 5555 drop; }
            }
            """)
        #expect(applied.succeeded, "\(applied)")
        #expect(try !dropped.isAlive())
        #expect(try spared.isAlive(), "a rule for port 5555 must not touch 5556")
        // Dead stays dead even once the rule is gone.
        #expect(try lab.nft("delete table inet t").succeeded)
        #expect(try !dropped.isAlive())
        dropped.close()
        spared.close()
    }

    @Test func nftReportsARejectedRulesetAsAResult() throws {
        let lab = try BridgeLab(vmCount: 1)
        defer { lab.shutdown() }
        let result = try lab.nft("table inet t { chain f { type filter hook forward priority 0; tcp dport banana drop; } }")
        #expect(!result.succeeded)
        #expect(!result.stderr.isEmpty)
        // The lab's nft is the host namespace's, not the machine's.
        let listed = try lab.run(in: lab.hostNamespace, ["nft", "list", "ruleset"])
        #expect(listed.succeeded && listed.stdout.isEmpty, "\(listed)")
    }

    @Test func timeoutKillsTheWholeProcessGroup() throws {
        let lab = try BridgeLab(vmCount: 1)
        defer { lab.shutdown() }
        let vm = lab.vms[0]
        let result = try lab.run(in: vm.name, ["sh", "-c", "sleep 30 & sleep 30"], timeout: .milliseconds(300))
        #expect(result.timedOut)
        #expect(!result.succeeded)
        // Both sleeps were in the group: nothing is left in the namespace.
        #expect(try lab.processes(in: vm.name).isEmpty)
        let background = try lab.listen(in: vm, tcp: 5555)
        #expect(try lab.processes(in: vm.name).count == 1)
        background.stop()
        #expect(try lab.processes(in: vm.name).isEmpty)
        let echoed = try lab.run(in: vm.name, ["cat"], stdin: "hello\n")
        #expect(echoed.succeeded && echoed.stdout == "hello\n")
    }

    @Test func shutdownRemovesEveryNamespaceAndEveryChild() throws {
        let lab = try BridgeLab(vmCount: 2)
        let listener = try lab.listen(in: lab.vms[1], tcp: 5555)
        let connection = try lab.openConnection(from: lab.vms[0], to: lab.vms[1], port: 5556)
        #expect(try connection.isAlive())
        let before = try netnsList()
        #expect(lab.namespaces.allSatisfy(before.contains))
        lab.shutdown()
        lab.shutdown()
        let after = try netnsList()
        #expect(lab.namespaces.allSatisfy { !after.contains($0) }, "left behind: \(after)")
        #expect(!listener.isRunning)
        #expect(try !connection.isAlive())
        #expect(throws: HyperwardError.self) { try lab.run(in: lab.hostNamespace, ["true"]) }
    }

    @Test func droppingTheLastReferenceShutsTheLabDown() throws {
        var lab: BridgeLab? = try BridgeLab(vmCount: 1)
        let namespaces = try #require(lab?.namespaces)
        lab = nil
        let after = try netnsList()
        #expect(namespaces.allSatisfy { !after.contains($0) }, "left behind: \(after)")
    }

    @Test func abandonedLabsOfDeadProcessesAreRemoved() throws {
        // A live lab must survive the sweep. Created first: the first lab of a process sweeps too.
        let live = try BridgeLab(vmCount: 1)
        defer { live.shutdown() }
        // A lab whose process died: its namespaces exist and its scratch directory names a pid
        // that is gone (a child that already exited and was reaped).
        let finished = try HostChild(["/bin/true"], stdout: HostChild.nullDevice, stderr: HostChild.nullDevice)
        finished.wait()
        let name = "hw-dead\(BridgeLab.randomSuffix().prefix(4))"
        let namespaces = ["\(name)-host", "\(name)-vm1"]
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(finished.pid)-\(BridgeLab.randomSuffix())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try namespaces.joined(separator: "\n").write(to: directory.appendingPathComponent("namespaces"), atomically: true, encoding: .utf8)
        for namespace in namespaces { try ip(["netns", "add", namespace]) }

        let removed = BridgeLab.removeAbandonedLabs()
        #expect(Set(removed) == Set(namespaces))
        let after = try netnsList()
        #expect(namespaces.allSatisfy { !after.contains($0) }, "left behind: \(after)")
        #expect(live.namespaces.allSatisfy(after.contains))
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test func invalidLabParametersAreRejected() {
        #expect(throws: HyperwardError.self) { try BridgeLab(vmCount: 0) }
        #expect(throws: HyperwardError.self) { try BridgeLab(vmCount: BridgeLab.maximumVMCount + 1) }
        #expect(throws: HyperwardError.self) { try BridgeLab(name: "Bad Name", vmCount: 1) }
        #expect(throws: HyperwardError.self) { try BridgeLab(vmCount: 1, portPrefix: "much-too-long-prefix") }
    }

    @Test func aNameCollisionFailsAndLeavesTheOtherLabIntact() throws {
        let lab = try BridgeLab(vmCount: 1)
        defer { lab.shutdown() }
        #expect(throws: HyperwardError.self) { try BridgeLab(name: lab.name, vmCount: 1) }
        #expect(try lab.ping(from: lab.vms[0], to: BridgeLab.bridgeIPv4))
    }

    /// The namespace names `ip netns list` shows (it appends " (id: N)" to some).
    private func netnsList() throws -> [String] {
        try ip(["netns", "list"]).split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// Runs `ip` in the test's own namespace; returns its standard output.
    @discardableResult
    private func ip(_ arguments: [String]) throws -> String {
        let result = HostCommand.run(["/usr/sbin/ip"] + arguments, outputLimit: .max)
        // 127: ip could not be started at all.
        guard result.status != 127 else { throw HyperwardError(.commandFailed, result.message) }
        return result.stdout
    }
}
