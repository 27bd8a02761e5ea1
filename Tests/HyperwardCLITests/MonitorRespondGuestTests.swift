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
import HyperwardHost
import Testing

/// `hyperward monitor` and `hyperward respond` on real QEMU (TCG) guests under libvirtd: each
/// guest boots the host's kernel with a busybox initramfs that runs a shell command as init.
extension LibvirtGuestTests {
@Suite("Monitor and response on real guests", .serialized)
struct MonitorRespondGuestTests {
    static let virsh = "virsh -c qemu:///system"

    static func kernel() throws -> (file: String, version: String) {
        let kernel = try #require(try FileManager.default.contentsOfDirectory(atPath: "/boot").filter { $0.hasPrefix("vmlinuz-") }.sorted().last)
        return (kernel, String(kernel.dropFirst("vmlinuz-".count)))
    }

    static func domainXML(name: String, kernel: String, initrd: String, console: String, memoryMiB: Int = 256,
                          mac: String? = nil, disk: String? = nil) -> String {
        """
        <domain type='qemu'><name>\(name)</name><memory unit='MiB'>\(memoryMiB)</memory><vcpu>1</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type><kernel>/boot/\(kernel)</kernel><initrd>\(initrd)</initrd>
            <cmdline>console=ttyS0 quiet</cmdline></os>
          <devices>
            \(mac.map { "<interface type='network'><mac address='\($0)'/><source network='default'/><model type='virtio'/></interface>" } ?? "")
            \(disk.map { "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='\($0)'/><target dev='vda' bus='virtio'/></disk>" } ?? "")
            <serial type='file'><source path='\(console)'/></serial>
          </devices>
        </domain>
        """
    }

    @Test(.enabled(if: AgentNetworkSyncTests.libvirtUsable || AgentNetworkSyncTests.required, "needs root and libvirtd with the default network"),
          .timeLimit(.minutes(6)))
    func theBusyGuestIsFlaggedAndTheIdleOneIsNot() async throws {
        try #require(AgentNetworkSyncTests.libvirtUsable, "libvirtd or its default network is not usable")
        try #require(FileManager.default.isExecutableFile(atPath: "/bin/busybox"), "needs busybox-static")
        let scratch = Scratch()
        let tag = UInt16.random(in: 0...UInt16.max)
        let (kernel, version) = try Self.kernel()
        var names: [String: String] = [:]
        defer { for name in names.values { _ = try? CLI.shell("\(Self.virsh) destroy \(name)") } }
        for (role, loop) in [("busy", "while :; do :; done"), ("idle", "while true; do sleep 3600; done")] {
            let sub = Scratch()
            let initrd = try RealGuestFirewallTests.buildInitrd(in: sub, kernelVersion: version, script: "echo GUEST-UP\n\(loop)\n")
            let target = scratch.path + "/\(role)-initrd.gz"
            #expect(try CLI.shell("cp \(initrd) \(target) && chmod 644 \(target) && chmod 755 \(scratch.path)").status == 0)
            let name = "hw-mon-\(role)-\(tag)"
            names[role] = name
            let xml = scratch.write("\(role).xml", Self.domainXML(name: name, kernel: kernel, initrd: target, console: scratch.path + "/\(role).log",
                                                                     mac: String(format: "52:54:00:7c:%02x:%02x", tag >> 8, role == "busy" ? 1 : 2)))
            #expect(try CLI.shell("\(Self.virsh) create \(xml)").status == 0)
        }
        for role in ["busy", "idle"] {
            #expect(try await AgentNetworkSyncTests.poll(seconds: 240) { RealGuestFirewallTests.read(scratch.path + "/\(role).log").contains("GUEST-UP") },
                    "\(role) guest boots")
        }
        // Only this test's guests: other suites (or an operator) may run guests at the same time,
        // and the peers detector compares each watched VM with the others watched.
        let policy = scratch.write("monitor.yaml", """
            vms: ["hw-mon-*-\(tag)"]
            limits:
              cpu: { max: 0.5, sustain: 2 }
            baseline: { history: 30, warm_up: 8 }
            """)
        let watch = try CLI.run(["monitor", "--policy", policy, "--interval", "1", "--duration", "14", "--format", "json", "--rates",
                                 "--state-dir", scratch.path + "/state", "--record", "--fail-on-alert"])
        let lines = watch.stdout.split(whereSeparator: \.isNewline).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let rates = lines.filter { $0["type"] as? String == "rates" }
        let alerts = lines.compactMap { $0["type"] as? String == "alert" ? $0["alert"] as? [String: Any] : nil }
        let mine = alerts.filter { names.values.contains($0["vm"] as? String ?? "") }
        #expect(watch.status == 1, "an incident opened: exit 1 with --fail-on-alert (\(watch.stderr))")
        func cpu(_ role: String) -> [Double] {
            rates.filter { $0["vm"] as? String == names[role] }.compactMap { ($0["metrics"] as? [String: Double])?["cpu"] }
        }
        let busyCPU = cpu("busy"), idleCPU = cpu("idle")
        #expect(busyCPU.count >= 10 && idleCPU.count >= 10, "a rate per VM per second")
        #expect((busyCPU.sorted().dropFirst(busyCPU.count / 2).first ?? 0) > 0.7, "the busy guest burns a core: \(busyCPU)")
        #expect((idleCPU.sorted().dropFirst(idleCPU.count / 2).first ?? 1) < 0.3, "the idle guest does not: \(idleCPU)")
        #expect(rates.contains { $0["vm"] as? String == names["busy"] && $0["vcpu_time_unit"] as? String == "nanoseconds" },
                "QEMU reports vcpu.N.time in nanoseconds, and the monitor detects it")
        #expect(mine.filter { $0["vm"] as? String == names["busy"] && $0["phase"] as? String == "opened" }.count == 1,
                "one incident for the busy guest: \(mine)")
        #expect(!mine.contains { $0["vm"] as? String == names["idle"] }, "the idle guest is never flagged: \(mine)")
        let signal = (mine.first?["signals"] as? [[String: Any]])?.first { $0["metric"] as? String == "cpu" }
        #expect((signal?["detectors"] as? [String])?.contains("limit") == true)
        #expect((signal?["observed"] as? Double ?? 0) > 0.5 && signal?["limit"] as? Double == 0.5)
        let events = try CLI.run(["events", "--state-dir", scratch.path + "/state", "--kind", "monitor", "--format", "json"])
        #expect(events.stdout.contains("\"monitor.opened\"") && events.stdout.contains(names["busy"]!), "the incident is an event: \(events.stdout.prefix(300))")
    }

    @Test(.enabled(if: AgentNetworkSyncTests.libvirtUsable || AgentNetworkSyncTests.required, "needs root and libvirtd with the default network"),
          .timeLimit(.minutes(8)))
    func quarantineReleaseAndRestoreAGuest() async throws {
        try #require(AgentNetworkSyncTests.libvirtUsable, "libvirtd or its default network is not usable")
        try #require(FileManager.default.isExecutableFile(atPath: "/bin/busybox"), "needs busybox-static")
        let scratch = Scratch()
        let state = scratch.path + "/state"
        let tag = UInt16.random(in: 0...UInt16.max)
        let name = "hw-respond-\(tag)"
        let guestIP = "192.168.122.\(60 + Int(tag % 40))"
        let (kernel, version) = try Self.kernel()
        let initrd = try RealGuestFirewallTests.buildInitrd(in: scratch, kernelVersion: version, script: """
            ip link set lo up
            ip link set eth0 up
            ip addr add \(guestIP)/24 dev eth0
            echo "DISK-AT-BOOT $(dd if=/dev/vda bs=16 count=1 2>/dev/null)"
            printf INFECTED-DISK-01 | dd of=/dev/vda conv=notrunc 2>/dev/null
            sync
            echo GUEST-UP
            while true; do sleep 3600; done
            """, modules: ["virtio_pci", "virtio_net", "virtio_blk"])
        // The golden disk: 16 MiB whose first bytes say so.
        let golden = scratch.path + "/disk.qcow2"
        #expect(try CLI.shell("printf GOLDEN-DISK-0001 > \(scratch.path)/raw && truncate -s 16M \(scratch.path)/raw && qemu-img convert -O qcow2 \(scratch.path)/raw \(golden) && rm \(scratch.path)/raw").status == 0)
        let console = scratch.path + "/console.log"
        let xml = scratch.write("guest.xml", Self.domainXML(name: name, kernel: kernel, initrd: initrd, console: console,
                                                            mac: String(format: "52:54:00:7d:%02x:%02x", tag >> 8, tag & 0xff), disk: golden))
        #expect(try CLI.shell("\(Self.virsh) define \(xml)").status == 0)
        defer {
            _ = try? CLI.run(["respond", "release", name, "--state-dir", state])
            _ = try? CLI.shell("\(Self.virsh) destroy \(name); \(Self.virsh) undefine \(name)")
        }
        func respond(_ arguments: [String]) throws -> CLI.Result {
            try CLI.run(["respond"] + arguments + ["--state-dir", state])
        }
        func ping() throws -> Bool { try CLI.shell("ping -c1 -W2 \(guestIP)").status == 0 }
        func domstate() throws -> String { try CLI.shell("\(Self.virsh) domstate \(name)").stdout.trimmingCharacters(in: .whitespacesAndNewlines) }

        // The known-good state, taken while the VM is off: the image becomes a read-only base.
        let snapshot = try respond(["snapshot", name, "--name", "golden"])
        #expect(snapshot.status == 0, "\(snapshot.stdout) \(snapshot.stderr)")
        let goldenHash = try CLI.shell("sha256sum \(golden) | cut -d' ' -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(snapshot.stdout.contains(goldenHash), "the base's hash is reported: \(snapshot.stdout)")
        #expect(try CLI.shell("\(Self.virsh) domblklist \(name)").stdout.contains("disk.hw-golden.qcow2"), "the domain writes to an overlay now")

        #expect(try CLI.shell("\(Self.virsh) start \(name)").status == 0)
        #expect(try await AgentNetworkSyncTests.poll(seconds: 180) { RealGuestFirewallTests.read(console).contains("GUEST-UP") }, "guest boots: \(RealGuestFirewallTests.read(console).suffix(300))")
        #expect(RealGuestFirewallTests.read(console).contains("DISK-AT-BOOT GOLDEN-DISK-0001"))
        #expect(try await RealGuestFirewallTests.eventually { try ping() }, "the host reaches the guest")

        // Quarantine: unreachable, paused, evidence hashed (the oracle: sha256sum).
        let dry = try respond(["quarantine", name, "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("would quarantine") && dry.stdout.contains("would suspend"), "\(dry.stdout)")
        #expect(try ping() && domstate() == "running", "a dry run changes nothing")
        let q = try respond(["quarantine", name])
        #expect(q.status == 0, "\(q.stdout) \(q.stderr)")
        #expect(try domstate() == "paused")
        #expect(try !ping(), "a quarantined guest is unreachable")
        let mac = String(format: "52:54:00:7d:%02x:%02x", tag >> 8, tag & 0xff)
        #expect(try CLI.shell("nft list set bridge hyperward_quarantine macs").stdout.contains(mac), "cut by its MAC too")
        let dump = try CLI.shell("ls \(state)/response/\(name)/memory-*.elf").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let dumpHash = try CLI.shell("sha256sum \(dump) | cut -d' ' -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(dumpHash.count == 64, "the memory dump exists")
        #expect(try CLI.shell("file \(dump) || head -c 4 \(dump) | od -c").stdout.contains("ELF"), "an ELF core")
        let events = try CLI.run(["events", "--state-dir", state, "--kind", "respond", "--format", "json"]).stdout
        #expect(events.contains(dumpHash), "the dump's hash is an event")
        #expect(events.contains("respond.quarantine.disk") && events.contains("respond.quarantine.pause") && events.contains("respond.quarantine.network"))
        #expect(try CLI.shell("stat -c %a \(dump)").stdout.hasPrefix("600"), "evidence is private")
        // Again: nothing is done twice.
        let again = try respond(["quarantine", name])
        #expect(again.status == 0 && again.stdout.contains("already quarantined") && again.stdout.contains("already paused")
                && again.stdout.contains("already dumped") && again.stdout.contains("already snapshotted"), "\(again.stdout)")

        // Release: reachable and running again.
        let release = try respond(["release", name])
        #expect(release.status == 0, "\(release.stdout) \(release.stderr)")
        #expect(try domstate() == "running")
        #expect(try await RealGuestFirewallTests.eventually { try ping() }, "released: reachable again")
        #expect(try respond(["release", name]).stdout.contains("not quarantined"), "release is idempotent")
        #expect(try !CLI.shell("nft list set bridge hyperward_quarantine macs").stdout.contains(mac), "its MAC is released")

        // Restore: the golden disk comes back (the guest wrote INFECTED over it in the meantime).
        let restore = try respond(["restore", name, "--to", "golden"])
        #expect(restore.status == 0, "\(restore.stdout) \(restore.stderr)")
        #expect(try await AgentNetworkSyncTests.poll(seconds: 180) { RealGuestFirewallTests.read(console).contains("GUEST-UP") }, "guest reboots")
        #expect(RealGuestFirewallTests.read(console).contains("DISK-AT-BOOT GOLDEN-DISK-0001"), "restored to the golden disk: \(RealGuestFirewallTests.read(console).suffix(300))")
        #expect(try CLI.shell("sha256sum \(golden) | cut -d' ' -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == goldenHash, "the golden base never changed")
        #expect(try respond(["restore", name, "--to", "nonexistent"]).status == 66)
        // A tampered base is refused, not restored from.
        #expect(try CLI.shell("chmod 644 \(golden) && printf x >> \(golden)").status == 0)
        let tampered = try respond(["restore", name, "--to", "golden"])
        #expect(tampered.status == 65 && tampered.stderr.contains("changed since it was recorded"), "\(tampered.stderr)")
    }

    @Test(.enabled(if: AgentNetworkSyncTests.libvirtUsable || AgentNetworkSyncTests.required, "needs root and libvirtd with the default network"),
          .timeLimit(.minutes(6)))
    func theAgentQuarantinesAutomaticallyOnlyWhatThePolicyAllows() async throws {
        try #require(AgentNetworkSyncTests.libvirtUsable, "libvirtd or its default network is not usable")
        try #require(FileManager.default.isExecutableFile(atPath: "/bin/busybox"), "needs busybox-static")
        let scratch = Scratch()
        let state = scratch.path + "/state"
        let tag = UInt16.random(in: 0...UInt16.max)
        let (kernel, version) = try Self.kernel()
        let initrd = try RealGuestFirewallTests.buildInitrd(in: scratch, kernelVersion: version, script: "echo GUEST-UP\nwhile :; do :; done\n")
        let offender = "hw-agent-a-\(tag)", allowed = "hw-agent-b-\(tag)"
        defer {
            // Release while the domain exists (a transient one is gone once destroyed).
            _ = try? CLI.run(["respond", "release", offender, "--state-dir", state])
            for name in [offender, allowed] { _ = try? CLI.shell("\(Self.virsh) destroy \(name)") }
        }
        for (index, name) in [offender, allowed].enumerated() {
            let xml = scratch.write("\(name).xml", Self.domainXML(name: name, kernel: kernel, initrd: initrd, console: scratch.path + "/\(name).log",
                                                                  mac: String(format: "52:54:00:7e:%02x:%02x", tag >> 8, index)))
            #expect(try CLI.shell("\(Self.virsh) create \(xml)").status == 0)
        }
        for name in [offender, allowed] {
            #expect(try await AgentNetworkSyncTests.poll(seconds: 240) { RealGuestFirewallTests.read(scratch.path + "/\(name).log").contains("GUEST-UP") })
        }
        // Both guests spin (about one core each on an idle machine; 0.4 when the machine is busy
        // with other tests): the limit sits below both, the allowlist alone spares the second.
        let config = scratch.write("hyperward.yaml", """
            state_directory: \(state)
            monitor:
              interval_seconds: 1
              vms: ["hw-agent-*-\(tag)"]
              limits: { cpu: { max: 0.3, sustain: 2 } }
              response: { quarantine_on: [limit], allow: [\(allowed)], max_per_hour: 1 }
            """)
        let process = try HostChild([CLI.binary, "agent", "--config", config, "--root", scratch.weakHost(), "--interval", "3600"],
                                    stdout: HostChild.nullDevice, stderr: URL(fileURLWithPath: scratch.path + "/agent.log"))
        let paused = try await AgentNetworkSyncTests.poll(seconds: 60) {
            try CLI.shell("\(Self.virsh) domstate \(offender)").stdout.contains("paused")
        }
        try await Task.sleep(for: .seconds(3))
        process.signal(SIGTERM)
        process.wait()
        let log = HostChild.read(process.stderrURL, limit: 256 << 20)
        #expect(paused, "the offender is quarantined automatically: \(log.suffix(1500))")
        #expect(log.contains("VMs are quarantined automatically"), "relaxing the default (alert only) is logged as a warning")
        #expect(try CLI.shell("\(Self.virsh) domstate \(allowed)").stdout.contains("running"), "the allowlisted VM is left running")
        let events = try CLI.run(["events", "--state-dir", state, "--format", "json"]).stdout
        let auto = events.split(whereSeparator: \.isNewline).filter { $0.contains("\"respond.auto\"") }
        #expect(auto.count == 1 && auto[0].contains(offender), "one automatic quarantine, of the offender: \(auto)")
        #expect(events.contains("\"monitor.opened\"") && events.contains(allowed), "the allowlisted VM still raises its incident")
        let tap = try CLI.shell("\(Self.virsh) domiflist \(offender) | awk '/vnet/ {print $1}'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let ports = try CLI.shell("nft list set bridge hyperward_quarantine ports").stdout
        #expect(!tap.isEmpty && ports.contains("\"\(tap)\""), "its interface is in the quarantine set: \(tap) in \(ports)")
    }

    /// `respond snapshot` and `respond restore` on a stopped VM killed with SIGKILL at random
    /// points, then run again: every snapshot ends recorded exactly once, the domain on its
    /// overlay, the base read-only and matching its recorded hash; every restore ends on a fresh
    /// overlay over the chosen base with nothing pending.
    @Test(.enabled(if: AgentNetworkSyncTests.libvirtUsable || AgentNetworkSyncTests.required, "needs root and libvirtd"),
          .timeLimit(.minutes(4)))
    func anInterruptedSnapshotIsFinishedByRunningItAgain() async throws {
        try #require(AgentNetworkSyncTests.libvirtUsable, "libvirtd is not usable")
        let scratch = Scratch()
        #expect(try CLI.shell("chmod 755 \(scratch.path)").status == 0)
        let state = scratch.path + "/state"
        let name = "hw-kill-\(UInt16.random(in: 0...UInt16.max))"
        let (kernel, _) = try Self.kernel()
        let disk = scratch.path + "/disk.qcow2"
        #expect(try CLI.shell("qemu-img create -q -f qcow2 \(disk) 16M").status == 0)
        let xml = scratch.write("guest.xml", Self.domainXML(name: name, kernel: kernel, initrd: "/dev/null", console: scratch.path + "/c.log", disk: disk))
        #expect(try CLI.shell("\(Self.virsh) define \(xml)").status == 0)
        defer { _ = try? CLI.shell("\(Self.virsh) undefine \(name)") }
        let arguments = { (snapshot: String) in ["respond", "snapshot", name, "--name", snapshot, "--state-dir", state] }
        #expect(try CLI.run(arguments("first")).status == 0)
        // A later snapshot's length (the first one also freezes the original disk, and takes
        // longer): kills drawn within it land mid-way.
        let started = ContinuousClock.now
        #expect(try CLI.run(arguments("second")).status == 0)
        let typical = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
        var generator = SystemRandomNumberGenerator()
        var killed = 0, resumed = 0
        for round in 0..<8 {
            let snapshot = "s\(round)"
            let process = try HostChild([CLI.binary] + arguments(snapshot), stdout: HostChild.nullDevice, stderr: HostChild.nullDevice)
            try await Task.sleep(for: .seconds(typical * Double.random(in: 0.05...0.9, using: &generator)))
            // The command alone, not its group: a virsh or qemu-img it started runs on.
            if process.isRunning { process.signal(SIGKILL); killed += 1 }
            process.wait()
            try await Task.sleep(for: .milliseconds(300))   // a virsh or qemu-img it started finishes
            let again = try CLI.run(arguments(snapshot))
            #expect(again.status == 0, "round \(round): \(again.stdout) \(again.stderr)")
            if again.stdout.contains("interrupted") { resumed += 1 }
            let source = try CLI.shell("\(Self.virsh) domblklist \(name) | awk '/vda/ {print $2}'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(source == scratch.path + "/disk.hw-\(snapshot).qcow2", "round \(round): the domain writes to the new overlay")
            let data = try Data(contentsOf: URL(fileURLWithPath: state + "/response/\(name)/case.json"))
            let record = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let snapshots = (record["snapshots"] as? [[String: Any]] ?? []).filter { $0["name"] as? String == snapshot }
            #expect(snapshots.count == 1, "round \(round): recorded once")
            #expect(record["pendingSnapshot"] == nil, "round \(round): nothing left pending")
            if let base = snapshots.first?["base"] as? String {
                let hash = try CLI.shell("sha256sum \(base) | cut -d' ' -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(hash == snapshots.first?["sha256"] as? String, "round \(round): the base matches its hash")
                #expect(try CLI.shell("stat -c %a \(base)").stdout.hasPrefix("440"), "round \(round): the base is read-only")
            }
        }
        print("snapshot crash safety: \(killed) of 8 runs killed mid-way, \(resumed) re-runs finished or cleaned up after one (typical run \(Int(typical * 1000)) ms)")
        #expect(killed >= 3, "most runs are killed mid-way")
        #expect(try CLI.shell("qemu-img check -q \(scratch.path)/disk.hw-s7.qcow2 && qemu-img info --backing-chain -U \(scratch.path)/disk.hw-s7.qcow2 | grep -c 'image:'").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "11",
                "one chain: the original, first, second, s0…s7")
        // Restore to the first known-good state, killed at random points and run again: the
        // domain ends on a fresh overlay whose backing file is that state's base, nothing pending.
        for round in 0..<4 {
            let restore = ["respond", "restore", name, "--to", "first", "--state-dir", state]
            let process = try HostChild([CLI.binary] + restore, stdout: HostChild.nullDevice, stderr: HostChild.nullDevice)
            try await Task.sleep(for: .seconds(typical * Double.random(in: 0.1...1.2, using: &generator)))
            if process.isRunning { process.signal(SIGKILL) }
            process.wait()
            try await Task.sleep(for: .milliseconds(300))
            let again = try CLI.run(restore)
            #expect(again.status == 0, "restore round \(round): \(again.stdout) \(again.stderr)")
            let source = try CLI.shell("\(Self.virsh) domblklist \(name) | awk '/vda/ {print $2}'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(source.contains(".hw-restored-"), "restore round \(round): on a fresh overlay (\(source))")
            let backing = try CLI.shell("qemu-img info -U \(source) | awk -F': ' '/^backing file:/ {print $2}'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(backing == disk, "restore round \(round): backed by the first state's base")
            let data = try Data(contentsOf: URL(fileURLWithPath: state + "/response/\(name)/case.json"))
            let record = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(record["pendingRestore"] == nil, "restore round \(round): nothing left pending")
            #expect(try CLI.shell("\(Self.virsh) domstate \(name)").stdout.contains("shut off"), "a stopped VM stays stopped")
        }
    }
}
}
