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
import Testing

/// `hyperward net apply` against a real QEMU guest on libvirt's default network: its tap is found
/// from the domain XML by the MAC the policy names, and real packets prove the rules — a
/// namespace "VM" plugged into virbr0 reaches the guest's web server but no longer its ICMP, and
/// the guest's own pings from an address it does not own are dropped while its real one passes.
///
/// The guest boots the host's kernel with a small initramfs built here (static busybox plus the
/// virtio network modules), which configures its addresses, serves HTTP and pings the probe
/// every second, printing each result on its serial console.
extension LibvirtGuestTests {
@Suite("Firewall on a real libvirt guest", .serialized)
struct RealGuestFirewallTests {
    @Test(.enabled(if: AgentNetworkSyncTests.libvirtUsable || AgentNetworkSyncTests.required, "needs root and libvirtd with the default network"),
          .timeLimit(.minutes(5)))
    func aRealGuestIsFilteredByItsDomainMAC() async throws {
        try #require(AgentNetworkSyncTests.libvirtUsable, "libvirtd or its default network is not usable")
        try #require(FileManager.default.isExecutableFile(atPath: "/bin/busybox"), "needs busybox-static")
        let scratch = Scratch()
        let tag = UInt16.random(in: 0...UInt16.max)
        let name = "hw-guest-\(tag)"
        let octet = 200 + Int(tag % 50)
        let guestIP = "192.168.122.\(octet)", spoofIP = "192.168.122.\(octet - 50)", probeIP = "192.168.122.\(octet - 100)"
        let mac = String(format: "52:54:00:9a:%02x:%02x", tag >> 8, tag & 0xff)
        let kernel = try #require(try FileManager.default.contentsOfDirectory(atPath: "/boot").filter { $0.hasPrefix("vmlinuz-") }.sorted().last)
        let version = String(kernel.dropFirst("vmlinuz-".count))
        let initrd = try Self.buildInitrd(in: scratch, kernelVersion: version, script: """
            ip link set lo up
            ip link set eth0 up
            ip addr add \(guestIP)/24 dev eth0
            ip addr add \(spoofIP)/24 dev eth0
            mkdir -p /www && echo hyperward-guest > /www/index.html
            httpd -p 80 -h /www
            echo GUEST-UP
            i=0
            while true; do
              i=$((i+1))
              if ping -c1 -W1 -I \(guestIP) \(probeIP) >/dev/null 2>&1; then echo "PROBE $i own ok"; else echo "PROBE $i own fail"; fi
              if ping -c1 -W1 -I \(spoofIP) \(probeIP) >/dev/null 2>&1; then echo "PROBE $i spoof ok"; else echo "PROBE $i spoof fail"; fi
              sleep 1
            done
            """)
        let console = scratch.path + "/console.log"
        let xml = scratch.write("guest.xml", """
            <domain type='qemu'><name>\(name)</name><memory unit='MiB'>512</memory><vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type><kernel>/boot/\(kernel)</kernel><initrd>\(initrd)</initrd>
                <cmdline>console=ttyS0 quiet</cmdline></os>
              <devices><interface type='network'><mac address='\(mac)'/><source network='default'/><model type='virtio'/></interface>
                <serial type='file'><source path='\(console)'/></serial></devices>
            </domain>
            """)
        // The probe: a network namespace plugged into virbr0, a static VM of the policy.
        let probe = "hwprb\(tag % 10000)"
        #expect(try CLI.shell("ip netns add \(probe) && ip link add \(probe) type veth peer name eth0 netns \(probe) && ip link set \(probe) master virbr0 up && ip -n \(probe) link set lo up && ip -n \(probe) link set eth0 up && ip -n \(probe) addr add \(probeIP)/24 dev eth0").status == 0)
        defer {
            _ = try? CLI.shell("virsh -c qemu:///system destroy \(name); ip netns del \(probe); ip link del \(probe)")
            _ = try? CLI.shell("nft delete table bridge hyperward; nft delete table inet hyperward")
        }
        let probeMAC = try CLI.shell("ip -n \(probe) -br link show eth0 | awk '{print $3}'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        #expect(try CLI.shell("virsh -c qemu:///system create \(xml)").status == 0)
        #expect(try await AgentNetworkSyncTests.poll(seconds: 180) { Self.read(console).contains("GUEST-UP") }, "guest boots: \(Self.read(console).suffix(400))")
        // Before any policy: the probe reaches the guest's ICMP and HTTP, both of its pings pass.
        #expect(try await Self.eventually { try Self.ping(probe, guestIP) })
        #expect(try Self.http(probe, guestIP))
        #expect(try await Self.guestReports(console, "spoof ok"), "before the policy even the spoofed source passes")

        let policy = scratch.write("policy.yaml", """
            groups:
              web:
                ingress:
                  - { proto: tcp, ports: [80] }
              probe:
                ingress:
                  - { proto: icmp }
            vms:
              \(name):
                groups: [web]
                interfaces:
                  - { mac: "\(mac)", ipv4: [\(guestIP)] }
              prober:
                groups: [probe]
                interfaces:
                  - { device: \(probe), mac: "\(probeMAC)", ipv4: [\(probeIP)] }
            """)
        let apply = try CLI.run(["net", "apply", "--policy", policy])
        #expect(apply.status == 0, "\(apply.stderr)")
        let tap = try CLI.shell("virsh -c qemu:///system domiflist \(name) | awk '/vnet/ {print $1}'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try CLI.shell("nft list set bridge hyperward ports").stdout.contains("\"\(tap)\""), "the guest's tap, found by its MAC, is filtered")

        #expect(try Self.http(probe, guestIP), "tcp 80 is allowed in")
        #expect(try !Self.ping(probe, guestIP), "ICMP to the guest is not in its ingress rules")
        #expect(try await Self.guestReports(console, "own ok"), "the guest's pings from its own address pass")
        #expect(try await Self.guestReports(console, "spoof fail"), "its pings from an address it does not own are dropped")
        let status = try CLI.run(["net", "status", "--policy", policy, "--format", "json"])
        #expect(status.stdout.contains("\"\(name)\""), "drops are counted for the guest: \(status.stdout.prefix(400))")
    }

    // MARK: Plumbing

    /// An initramfs: static busybox as /init's shell, the virtio modules (network by default) in load order.
    static func buildInitrd(in scratch: Scratch, kernelVersion: String, script: String,
                            modules wanted: [String] = ["virtio_pci", "virtio_net"]) throws -> String {
        let root = scratch.path + "/initramfs"
        var modules: [String] = []
        for module in wanted {
            let deps = try CLI.shell("modprobe -S \(kernelVersion) --show-depends \(module)")
            try #require(deps.status == 0, "modules for \(kernelVersion): \(deps.stderr)")
            for line in deps.stdout.split(separator: "\n") where line.hasPrefix("insmod ") {
                let path = String(line.split(separator: " ")[1])
                if !modules.contains(path) { modules.append(path) }
            }
        }
        var setup = "set -e; rm -rf \(root); mkdir -p \(root)/bin \(root)/proc \(root)/sys \(root)/dev \(root)/mods; cp /bin/busybox \(root)/bin/busybox"
        var load = ""
        for (index, path) in modules.enumerated() {
            let file = "\(index)-" + (path.split(separator: "/").last.map(String.init) ?? "m.ko")
            setup += "; cp \(path) \(root)/mods/\(file)"
            load += "insmod /mods/\(file)\n"
        }
        #expect(try CLI.shell(setup).status == 0)
        let initScript = """
            #!/bin/busybox sh
            /bin/busybox --install -s /bin
            mount -t proc proc /proc
            mount -t sysfs sys /sys
            mount -t devtmpfs dev /dev
            \(load)
            \(script)
            """
        try Data(initScript.utf8).write(to: URL(fileURLWithPath: root + "/init"))
        let packed = scratch.path + "/initrd.gz"
        #expect(try CLI.shell("chmod 755 \(root)/init && cd \(root) && find . | cpio -o -H newc 2>/dev/null | gzip -1 > \(packed) && chmod 644 \(packed) && chmod 755 \(scratch.path)").status == 0)
        return packed
    }

    static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    static func ping(_ namespace: String, _ address: String) throws -> Bool {
        try CLI.shell("ip netns exec \(namespace) ping -c1 -W2 \(address)").status == 0
    }

    static func http(_ namespace: String, _ address: String) throws -> Bool {
        try CLI.shell("ip netns exec \(namespace) curl -s -m 5 http://\(address)/").stdout.contains("hyperward-guest")
    }

    static func eventually(_ condition: () throws -> Bool) async throws -> Bool {
        for _ in 0..<10 {
            if try condition() { return true }
            try await Task.sleep(for: .seconds(1))
        }
        return false
    }

    /// Whether the guest prints `result` for a round that started after now (its rounds take up
    /// to ~3 s: two pings with a 1 s timeout and a 1 s sleep).
    static func guestReports(_ console: String, _ result: String) async throws -> Bool {
        let startRound = lastRound(read(console))
        return try await AgentNetworkSyncTests.poll(seconds: 20) {
            read(console).split(whereSeparator: \.isNewline).contains { line in
                let parts = line.split(whereSeparator: \.isWhitespace)
                guard parts.count == 4, parts[0] == "PROBE", let round = Int(parts[1]) else { return false }
                return round > startRound + 1 && "\(parts[2]) \(parts[3])" == result
            }
        }
    }

    static func lastRound(_ text: String) -> Int {
        text.split(whereSeparator: \.isNewline).compactMap { line -> Int? in
            let parts = line.split(whereSeparator: \.isWhitespace)
            return parts.count == 4 && parts[0] == "PROBE" ? Int(parts[1]) : nil
        }.max() ?? 0
    }
}
}
