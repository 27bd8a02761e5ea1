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
import NetworkPolicy
import Testing

@testable import Sensor

/// Attacks made with real tools between namespace VMs on a bridge (nmap, hping3, arpspoof, curl,
/// a real FTP server), recorded by tcpdump on the bridge and read back through the whole sensor:
/// capture reader, decoders, flows and every detector. Benign traffic must raise nothing.
@Suite("Sensor against real attacks", .serialized, .enabled(if: BridgeLab.isSupported, "needs root, ip and nft"))
final class SenseAttackLabTests {
    let lab: BridgeLab
    var web1: BridgeLab.VM { lab.vms[0] }
    var bastion: BridgeLab.VM { lab.vms[1] }
    var mallory: BridgeLab.VM { lab.vms[2] }
    /// Not a VM: the network's declared router and DHCP server.
    var gateway: BridgeLab.VM { lab.vms[3] }
    /// Every frame of the last `sense` run, decoded (what the traffic was, beside what was alerted).
    var decoded: [DecodedPacket] = []

    init() throws { lab = try BridgeLab(vmCount: 4) }
    deinit { lab.shutdown() }

    /// The lab's three VMs as the sensor's inventory (their ports sit behind anti-spoofing), and
    /// the fourth namespace as the infrastructure that may send router advertisements and DHCP replies.
    var inventory: SensorInventory {
        let vms: [SensorInventory.Interface] = lab.vms.prefix(3).compactMap { vm in
            guard let mac = EthernetAddress(vm.mac), let v4 = IPAddress(vm.ipv4), let v6 = IPAddress(vm.ipv6) else { return nil }
            return .init(vm: vm.name, device: vm.port, mac: mac.value, ipv4: [v4], ipv6: [v6])
        }
        let infrastructure: [SensorInventory.Infrastructure] = [gateway].compactMap { router in
            guard let mac = EthernetAddress(router.mac), let v4 = IPAddress(router.ipv4), let v6 = IPAddress(router.ipv6) else { return nil }
            return .init(name: "gateway", roles: [.router, .dhcpServer], macs: [mac.value], addresses: [v4, v6])
        }
        return SensorInventory(interfaces: vms, infrastructure: infrastructure)
    }

    /// Runs a program with no signal blocked (the test runner's mask is inherited by children:
    /// udhcpc waits for its script's exit on a signal it would never see).
    static let unblocked = ["/usr/bin/python3", "-c", """
        import os, signal, sys
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        for s in (signal.SIGPIPE, signal.SIGXFSZ): signal.signal(s, signal.SIG_DFL)
        os.execvp(sys.argv[1], sys.argv[1:])
        """]

    /// Records the bridge while `body` runs, then runs the sensor over the capture.
    func sense(inventory: SensorInventory = SensorInventory(), _ body: () throws -> Void) throws -> [Alert] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sense-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tcpdump = try background(lab.hostNamespace, ["tcpdump", "-i", BridgeLab.bridgeName, "-n", "-U", "-Z", "root", "-s", "0", "-w", path])
        defer { stop(tcpdump) }
        let deadline = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: path), Date() < deadline { usleep(20_000) }
        try #require(FileManager.default.fileExists(atPath: path), "tcpdump did not start")
        usleep(300_000)
        try body()
        usleep(700_000)
        stop(tcpdump)
        var configuration = SensorConfiguration()
        configuration.inventory = inventory
        var engine = SensorEngine(configuration: configuration)
        var alerts: [Alert] = []
        let file = try CaptureFile(path: path)
        decoded = []
        while let frame = try file.next() {
            engine.process(frame, into: &alerts)
            decoded.append(PacketDecoder.decode(frame.bytes, linkType: frame.linkType, originalLength: frame.originalLength))
        }
        engine.finish(into: &alerts)
        #expect(engine.statistics.packets > 0)
        return alerts
    }

    /// A process inside a namespace, killed with SIGKILL by `stop` (the test runner's blocked
    /// signal mask is inherited, so SIGTERM may be ignored).
    func background(_ namespace: String, _ argv: [String]) throws -> HostChild {
        try HostChild(["ip", "netns", "exec", namespace] + argv, stdout: HostChild.nullDevice, stderr: HostChild.nullDevice,
                      environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
    }

    func stop(_ process: HostChild) {
        if process.isRunning {
            process.signal(SIGKILL)
            process.wait()
        }
    }

    func waitForPort(_ vm: BridgeLab.VM, _ port: Int) throws {
        for _ in 0..<50 {
            if try lab.run(in: vm.name, ["ss", "-ltn", "sport = :\(port)"]).stdout.contains("LISTEN") { return }
            usleep(100_000)
        }
        Issue.record("nothing listens on \(vm.name):\(port)")
    }

    static let basicAuthServer = """
        import base64, http.server, sys
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                good = 'Basic ' + base64.b64encode(b'test:s3cr:et').decode()
                ok = self.path == '/public' or self.headers.get('Authorization') == good
                self.send_response(200 if ok else 401)
                self.send_header('Content-Length', '2')
                self.end_headers()
                self.wfile.write(b'ok')
            def log_message(self, *args): pass
        http.server.HTTPServer(('0.0.0.0', int(sys.argv[1])), H).serve_forever()
        """

    @Test func nmapSynAndConnectScansAreOneIncidentEach() throws {
        let http = try lab.listen(in: web1, tcp: 80)
        defer { http.stop() }
        let alerts = try sense {
            _ = try lab.run(in: mallory.name, ["nmap", "-n", "-Pn", "-sS", "-p", "1-300", "--max-retries", "0", web1.ipv4], timeout: .seconds(60))
            _ = try lab.run(in: bastion.name, ["nmap", "-n", "-Pn", "-sT", "-p", "1-300", "--max-retries", "0", web1.ipv4], timeout: .seconds(60))
        }
        let scans = alerts.filter { $0.detector == .portScan }
        #expect(Set(scans.map(\.incident)) == ["port-scan/\(mallory.ipv4)/\(web1.ipv4)", "port-scan/\(bastion.ipv4)/\(web1.ipv4)"],
                "\(alerts.map(\.summary))")
        #expect(scans.allSatisfy { $0.dst == web1.ipv4 })
        #expect(scans.count <= 6, "updates, not an alert per probe: \(scans.count)")
        #expect(!alerts.contains { $0.detector == .synFlood || $0.detector == .flood }, "a scan is not a flood: \(alerts.map(\.summary))")
    }

    @Test func hping3FloodsWithAndWithoutForgedSources() throws {
        let http = try lab.listen(in: web1, tcp: 80)
        defer { http.stop() }
        let alerts = try sense(inventory: inventory) {
            _ = try lab.run(in: mallory.name, ["timeout", "-s", "KILL", "1", "hping3", "-q", "-S", "-p", "80", "--flood", "--rand-source", web1.ipv4],
                            timeout: .seconds(10))
            sleep(2)
            _ = try lab.run(in: bastion.name, ["timeout", "-s", "KILL", "1", "hping3", "-q", "-S", "-p", "443", "--flood", web1.ipv4],
                            timeout: .seconds(10))
        }
        let floods = alerts.filter { $0.detector == .synFlood }
        // Forged sources: the victim is named, the sources may be spoofed, prevention rate-limits.
        let forged = try #require(floods.first { $0.dstPort == 80 }, "\(alerts.map(\.summary))")
        #expect(forged.dst == web1.ipv4)
        #expect(forged.sourceMayBeSpoofed)
        // One source behind anti-spoofing (a VM port of the inventory): named and blockable.
        let single = try #require(floods.first { $0.dstPort == 443 && $0.src == bastion.ipv4 }, "\(alerts.map(\.summary))")
        #expect(!single.sourceMayBeSpoofed)
        var prevention = PreventionPolicy(allowlist: [])
        #expect(prevention.action(for: forged) == .protect(try #require(IPAddress(web1.ipv4))))
        #expect(prevention.action(for: single) == .block(try #require(IPAddress(bastion.ipv4))))
        #expect(prevention.action(for: single) == nil, "once per incident")
        var allowing = PreventionPolicy(allowlist: [try IPNetwork(parsing: "10.77.0.0/24")])
        #expect(allowing.action(for: single) == nil, "never an allowlisted source")
    }

    @Test func cleartextLoginsOverFTPAndHTTPBasicAreReportedWithoutThePassword() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ftp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ftp = try background(web1.name, ["/usr/bin/python3", "-m", "pyftpdlib", "-p", "21", "-u", "bob", "-P", "password", "-d", root])
        let web = try background(web1.name, ["/usr/bin/python3", "-c", Self.basicAuthServer, "8080"])
        defer { stop(ftp); stop(web) }
        try waitForPort(web1, 21)
        try waitForPort(web1, 8080)
        let alerts = try sense {
            let ok = try lab.run(in: bastion.name, ["curl", "-s", "-m", "10", "ftp://bob:password@\(web1.ipv4)/"], timeout: .seconds(20))
            #expect(ok.status == 0, "\(ok)")
            _ = try lab.run(in: bastion.name, ["curl", "-s", "-m", "10", "ftp://bob:wrong@\(web1.ipv4)/"], timeout: .seconds(20))
            let basic = try lab.run(in: bastion.name, ["curl", "-s", "-m", "5", "-u", "test:s3cr:et", "http://\(web1.ipv4):8080/"], timeout: .seconds(10))
            #expect(basic.stdout == "ok")
        }
        let credentials = alerts.filter { $0.detector == .cleartextCredentials }
        let ftpOK = credentials.first { $0.protocolName == "ftp" && $0.outcome == "success" }
        let ftpBad = credentials.first { $0.protocolName == "ftp" && $0.outcome == "failure" }
        let http = credentials.first { $0.protocolName == "http-basic" }
        #expect(ftpOK?.user == "bob" && ftpOK?.src == bastion.ipv4 && ftpOK?.dst == web1.ipv4 && ftpOK?.dstPort == 21, "\(credentials.map(\.summary))")
        #expect(ftpBad?.user == "bob")
        #expect(http?.user == "test" && http?.outcome == "success" && http?.dstPort == 8080, "\(credentials.map(\.summary))")
        for alert in credentials {
            let line = AlertRendering.json(alert)
            #expect(!line.contains("password") || line.contains("redacted"), "\(line)")
            #expect(!line.contains("s3cr:et"), "\(line)")
        }
    }

    @Test func arpspoofIsCaughtThroughTheWholePipeline() throws {
        let alerts = try sense(inventory: inventory) {
            #expect(try lab.ping(from: web1, to: bastion.ipv4))
            _ = try lab.run(in: mallory.name, ["timeout", "-s", "KILL", "5", "arpspoof", "-i", mallory.interface, "-t", web1.ipv4, bastion.ipv4],
                            timeout: .seconds(15))
        }
        let spoofs = alerts.filter { $0.detector == .arpSpoof }
        #expect(Set(spoofs.map(\.incident)) == ["arp-spoof/\(bastion.ipv4)/\(mallory.mac)"], "\(alerts.map(\.summary))")
        #expect(spoofs.first?.threat == .maliciousVM)
    }

    @Test func benignTrafficRaisesNothing() throws {
        let web = try background(web1.name, ["/usr/bin/python3", "-c", Self.basicAuthServer, "8080"])
        defer { stop(web) }
        try waitForPort(web1, 8080)
        let alerts = try sense(inventory: inventory) {
            for vm in [bastion, mallory] {
                #expect(try lab.ping(from: vm, to: web1.ipv4))
                #expect(try lab.ping(from: vm, to: web1.ipv6))
                for _ in 0..<5 {
                    let page = try lab.run(in: vm.name, ["curl", "-s", "-m", "5", "http://\(web1.ipv4):8080/public"], timeout: .seconds(10))
                    #expect(page.stdout == "ok")
                }
            }
            #expect(try lab.ping(from: web1, to: mallory.ipv4))
        }
        #expect(alerts.isEmpty, "\(alerts.map(\.summary))")
    }

    /// A busybox DHCP server in a namespace, handing out `first...last` of the lab's /24.
    func dhcpServer(_ vm: BridgeLab.VM, first: Int, last: Int) throws -> HostChild {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("udhcpd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = """
            start 10.77.0.\(first)
            end 10.77.0.\(last)
            interface \(vm.interface)
            lease_file \(directory.path)/leases
            pidfile \(directory.path)/pid
            opt subnet 255.255.255.0
            opt router \(vm.ipv4)
            option lease 600

            """
        try config.write(to: directory.appendingPathComponent("udhcpd.conf"), atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("leases").path, contents: nil)
        return try background(vm.name, Self.unblocked + ["busybox", "udhcpd", "-f", directory.appendingPathComponent("udhcpd.conf").path])
    }

    /// A real DHCP exchange (busybox udhcpc; the lease is not applied): true when a lease came.
    func requestLease(_ vm: BridgeLab.VM) throws -> Bool {
        let result = try lab.run(in: vm.name, Self.unblocked + ["busybox", "udhcpc", "-i", vm.interface, "-f", "-q", "-n", "-t", "5", "-T", "1",
                                                                "-s", "/bin/true"], timeout: .seconds(20))
        return result.status == 0
    }

    /// DHCP server messages in the last capture: (Ethernet source, message type).
    var dhcpReplies: [(mac: UInt64, type: UInt8)] {
        decoded.filter { $0.isDHCP && $0.dhcp.operation == 2 }.map { ($0.sourceMAC.value, $0.dhcp.messageType) }
    }

    @Test func dhcpFromTheDeclaredServerIsBenignAndARogueServerIsCaught() throws {
        let legitimate = try dhcpServer(gateway, first: 100, last: 150)
        defer { stop(legitimate) }
        usleep(500_000)
        let gatewayMAC = try #require(EthernetAddress(gateway.mac)).value
        let malloryMAC = try #require(EthernetAddress(mallory.mac)).value

        let benign = try sense(inventory: inventory) {
            let leased = try requestLease(bastion)
            #expect(leased, "no lease from the declared server")
        }
        #expect(Set(dhcpReplies.map(\.type)).isSuperset(of: [2, 5]), "an OFFER and an ACK were on the wire: \(dhcpReplies)")
        #expect(dhcpReplies.allSatisfy { $0.mac == gatewayMAC })
        #expect(benign.isEmpty, "a lease from the declared server is not an incident: \(benign.map(\.summary))")

        let rogue = try dhcpServer(mallory, first: 200, last: 220)
        defer { stop(rogue) }
        usleep(500_000)
        let alerts = try sense(inventory: inventory) { _ = try requestLease(web1) }
        #expect(dhcpReplies.contains { $0.mac == malloryMAC }, "the rogue server answered: \(dhcpReplies)")
        let rogues = alerts.filter { $0.detector == .rogueDHCP }
        #expect(Set(rogues.map(\.incident)) == ["rogue-dhcp/\(mallory.mac)"], "\(alerts.map(\.summary))")
        #expect(rogues.first?.threat == .maliciousVM && rogues.first?.severity == .high)
        #expect(!alerts.contains { $0.incident.contains(gateway.mac) }, "\(alerts.map(\.summary))")
    }

    @Test func routerAdvertisementsFromTheDeclaredRouterAreBenignAndFakeRouter6IsCaught() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("radvd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = """
            interface \(gateway.interface) {
                AdvSendAdvert on;
                MinRtrAdvInterval 3;
                MaxRtrAdvInterval 4;
                prefix fd77::/64 { AdvOnLink on; AdvAutonomous off; };
            };

            """
        try config.write(to: directory.appendingPathComponent("radvd.conf"), atomically: true, encoding: .utf8)
        _ = try lab.run(in: gateway.name, ["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"])
        let gatewayMAC = try #require(EthernetAddress(gateway.mac)).value
        let malloryMAC = try #require(EthernetAddress(mallory.mac)).value
        func advertisers() -> [UInt64] { decoded.filter { $0.transport == .icmpv6 && $0.icmp.type == 134 }.map(\.sourceMAC.value) }

        var radvd: HostChild?
        defer { radvd.map(stop) }
        let benign = try sense(inventory: inventory) {
            // Started while the bridge is recorded: its first advertisements come at once.
            radvd = try background(gateway.name, Self.unblocked + ["radvd", "-n", "-m", "stderr", "-C", directory.appendingPathComponent("radvd.conf").path,
                                                                   "-p", directory.appendingPathComponent("pid").path])
            #expect(try lab.ping(from: bastion, to: web1.ipv6))
            sleep(5)
        }
        #expect(advertisers().contains(gatewayMAC), "radvd advertised: \(advertisers())")
        #expect(benign.isEmpty, "the declared router's advertisements are not an incident: \(benign.map(\.summary))")

        let alerts = try sense(inventory: inventory) {
            _ = try lab.run(in: mallory.name, Self.unblocked + ["timeout", "-s", "KILL", "4", "atk6-fake_router6", mallory.interface, "2001:db8:bad::/64"],
                            timeout: .seconds(15))
        }
        #expect(advertisers().contains(malloryMAC), "fake_router6 advertised: \(advertisers())")
        let rogues = alerts.filter { $0.detector == .rogueRA }
        #expect(Set(rogues.map(\.incident)) == ["rogue-ra/\(mallory.mac)"], "\(alerts.map(\.summary))")
        #expect(rogues.first?.threat == .maliciousVM)
    }
}
