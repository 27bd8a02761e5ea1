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

import HyperwardHost
import Foundation
import Testing

/// The tests that drive real libvirt guests and the host's own (root namespace) Hyperward tables:
/// one at a time, so one test's rules or clean-up never meet another's agent.
@Suite("libvirt guests", .serialized)
enum LibvirtGuestTests {}

/// The agent keeps the kernel's rules in step with libvirt: a real TCG guest is started and
/// destroyed, and its tap must appear in and leave the filtered ports on its own.
extension LibvirtGuestTests {
@Suite("Agent network sync with libvirt", .serialized)
struct AgentNetworkSyncTests {
    static var libvirtUsable: Bool {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/virsh") else { return false }
        return (try? CLI.shell("virsh -c qemu:///system net-info default | grep -q 'Active: *yes'").status) == 0
    }

    static var required: Bool { ProcessInfo.processInfo.environment["HYPERWARD_REQUIRE_LIBVIRT"] == "1" }

    @Test(.enabled(if: libvirtUsable || required, "needs root and libvirtd with the default network"))
    func aStartedGuestIsFilteredAndAStoppedOneIsNot() async throws {
        try #require(Self.libvirtUsable, "libvirtd or its default network is not usable (HYPERWARD_REQUIRE_LIBVIRT=1)")
        let scratch = Scratch()
        let name = "hw-sync-\(UInt16.random(in: 0...UInt16.max))"
        let policy = scratch.write("policy.yaml", "groups:\n  web:\n    ingress: [{ proto: tcp, ports: [80] }]\nvms:\n  \(name):\n    groups: [web]\n")
        let kernel = try #require(try FileManager.default.contentsOfDirectory(atPath: "/boot").filter { $0.hasPrefix("vmlinuz-") }.sorted().last)
        let initrd = "initrd.img-" + kernel.dropFirst("vmlinuz-".count)
        let xml = scratch.write("guest.xml", """
            <domain type='qemu'><name>\(name)</name><memory unit='MiB'>1024</memory><vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type><kernel>/boot/\(kernel)</kernel><initrd>/boot/\(initrd)</initrd>
                <cmdline>console=ttyS0 quiet rdinit=/bin/sh -- -c "while true; do sleep 3600; done"</cmdline></os>
              <devices><interface type='network'><source network='default'/><model type='virtio'/></interface>
                <serial type='file'><source path='\(scratch.path)/console.log'/></serial></devices>
            </domain>
            """)
        let log = scratch.path + "/agent.log"
        let agent = try HostChild([CLI.binary, "agent", "--policy", policy, "--state-dir", scratch.path + "/state", "--interval", "3600"],
                                  stdout: HostChild.nullDevice, stderr: URL(fileURLWithPath: log))
        defer {
            _ = try? CLI.shell("virsh -c qemu:///system destroy \(name)")
            agent.signal(SIGTERM)
            agent.wait()
        }
        // The start-up apply has created the table (no guest yet: no ports).
        #expect(try await Self.poll(seconds: 10) { try Self.ports().contains("\"") == false && Self.tableExists() })

        #expect(try CLI.shell("virsh -c qemu:///system create \(xml)").status == 0)
        let created = ContinuousClock.now
        // Timed to the first port in the set (asking virsh for the tap first would time virsh too,
        // seconds on a loaded machine); which port it is is checked right after.
        #expect(try await Self.poll(seconds: 20) { try Self.ports().contains("\"vnet") }, "a tap is filtered")
        let filteredAfter = ContinuousClock.now - created
        let tap = try CLI.shell("virsh -c qemu:///system domiflist \(name) | awk '/vnet/ {print $1}'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(tap.hasPrefix("vnet"))
        #expect(try Self.ports().contains("\"\(tap)\""), "the guest's tap is the one filtered")
        print("agent sync: \(tap) filtered \(filteredAfter) after virsh create returned")

        #expect(try CLI.shell("virsh -c qemu:///system destroy \(name)").status == 0)
        let destroyed = ContinuousClock.now
        #expect(try await Self.poll(seconds: 20) { !(try Self.ports().contains("\"\(tap)\"")) }, "a stopped guest's port leaves the ruleset")
        print("agent sync: \(tap) removed \(ContinuousClock.now - destroyed) after virsh destroy returned")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        // Where the time went: each apply's reason, mode and duration (net.apply_ms).
        for line in text.split(separator: "\n") where line.contains("network policy") { print("agent sync log: \(line)") }
        // (An apply that changes nothing logs at debug level; the removal at least follows an event:
        // destroy sends "shutdown" and then "stopped".)
        #expect(text.contains("net.reason=lifecycle ") && text.contains(" of domain \(name)"),
                "rules followed libvirt's lifecycle events (C API), not only the periodic resync")
    }

    static func ports() throws -> String { try CLI.shell("nft list set bridge hyperward ports").stdout }
    static func tableExists() throws -> Bool { try CLI.shell("nft list table bridge hyperward").status == 0 }

    static func poll(seconds: Int, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }
}

}

/// Shared by the suites that need libvirt.
typealias AgentNetworkSyncTests = LibvirtGuestTests.AgentNetworkSyncTests

extension CLI {
    /// Runs a shell command line (test plumbing only).
    static func shell(_ command: String) throws -> Result {
        let result = HostCommand.run(["/bin/sh", "-c", command], outputLimit: 64 << 20)
        return Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }
}
