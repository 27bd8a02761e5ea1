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

extension LibvirtGuestTests {
/// The admission hook on the system's real libvirtd and a TCG guest: a domain created from a
/// template starts; a hand-defined one with raw QEMU arguments is refused at `virsh start` with
/// Hyperward's reason; with the state store broken the start is refused too (fail closed); a
/// break-glass file lets an undecidable start through and is recorded; every decision is an
/// event in the ledger. (In the serialized guest suite: while the hook is installed, every start
/// on the host goes through it.)
@Suite("Admission hook on a real libvirt guest", .serialized)
struct GovernanceGuestTests {
    static let hookPath = LibvirtHook.defaultDirectory + "/qemu"

    @Test(.enabled(if: AgentNetworkSyncTests.libvirtUsable || AgentNetworkSyncTests.required, "needs root and libvirtd"),
          .timeLimit(.minutes(6)))
    func templateVMsStartAndOthersAreRefusedAtStart() async throws {
        try #require(AgentNetworkSyncTests.libvirtUsable, "libvirtd is not usable")
        try #require(!FileManager.default.fileExists(atPath: Self.hookPath) || LibvirtHook.isOurs(Self.hookPath),
                     "another program's libvirt hook is installed: not touched")
        let scratch = Scratch()
        #expect(chmod(scratch.path, 0o755) == 0)
        let tag = UInt16.random(in: 0...UInt16.max)
        let good = "hw-gov-\(tag)"
        let bad = "hw-gov-bad-\(tag)"
        let kernel = try #require(try FileManager.default.contentsOfDirectory(atPath: "/boot").filter { $0.hasPrefix("vmlinuz-") }.sorted().last)
        let initrd = "initrd.img-" + kernel.dropFirst("vmlinuz-".count)
        let state = scratch.path + "/state"
        let policy = scratch.write("policy.yaml", """
            templates:
              tiny:
                machine: [pc, "pc-i440fx-*"]
                domain_types: [kvm, qemu]
                max_vcpus: 1
                max_memory_mib: 512
                disks: { pools: [\(scratch.path)], formats: [qcow2], encryption: optional }
                networks: [default]
                vtpm: optional
                console: { graphics: none, serial: pty-only }
                boot_paths: [/boot]
            tenants:
              lab:
                templates: [tiny]
                roles: { root: operator }
            roles: { root: admin }

            """)
        let breakGlass = scratch.path + "/break-glass.yaml"
        let config = scratch.write("hyperward.yaml", """
            state_directory: \(state)
            admission:
              policy: policy.yaml
              break_glass_file: \(breakGlass)

            """)
        func hyperward(_ arguments: [String]) throws -> CLI.Result { try CLI.run(arguments + ["--config", config]) }
        func virsh(_ arguments: String) throws -> CLI.Result { try CLI.shell("virsh -c qemu:///system \(arguments) 2>&1") }

        let installed = try hyperward(["admit", "install-hook"])
        #expect(installed.status == 0, "\(installed.stderr)")
        defer {
            _ = try? virsh("destroy \(good)")
            _ = try? virsh("undefine \(good)")
            _ = try? virsh("undefine \(bad)")
            _ = try? hyperward(["admit", "uninstall-hook"])
        }
        #expect(LibvirtHook.isOurs(Self.hookPath))
        // libvirtd looks for hooks again on SIGHUP; give it a moment.
        try await Task.sleep(for: .seconds(2))

        // A VM from the template starts (direct kernel boot, an initrd shell that idles).
        let created = try hyperward(["vm", "create", "--template", "tiny", "--tenant", "lab", "--name", good, "--memory-mib", "256", "--disk-size", "64M", "--domain-type", "qemu",
                                     "--kernel", "/boot/\(kernel)", "--initrd", "/boot/\(initrd)",
                                     "--cmdline", "console=ttyS0 quiet rdinit=/bin/sh -- -c \"while true; do sleep 3600; done\""])
        #expect(created.status == 0, "\(created.stderr)")
        let started = try virsh("start \(good)")
        #expect(started.status == 0, "a template VM starts: \(started.stdout)")
        _ = try virsh("destroy \(good)")

        // A hand-defined domain with raw QEMU arguments is refused at start, with the reason.
        let badXML = scratch.write("bad.xml", """
            <domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
              <name>\(bad)</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type><kernel>/boot/\(kernel)</kernel><initrd>/boot/\(initrd)</initrd></os>
              <devices><serial type='pty'/><console type='pty'/></devices>
              <qemu:commandline><qemu:arg value='-s'/></qemu:commandline>
            </domain>
            """)
        #expect(try virsh("define \(badXML)").status == 0)
        let refused = try virsh("start \(bad)")
        #expect(refused.status != 0, "a domain with qemu:commandline does not start")
        #expect(refused.stdout.contains("not admitted") && refused.stdout.contains("qemu.commandline"), "libvirt's error carries the reason: \(refused.stdout)")

        // Fail closed: with the store unusable (a directory where the database was), the template
        // VM is refused too.
        let database = state + "/hyperward.sqlite"
        #expect(rename(database, database + ".saved") == 0)
        #expect(mkdir(database, 0o700) == 0)
        let undecided = try virsh("start \(good)")
        #expect(undecided.status != 0, "no start without a recorded decision")
        #expect(undecided.stdout.contains("cannot decide"), "\(undecided.stdout)")
        #expect(rmdir(database) == 0 && rename(database + ".saved", database) == 0)

        // Break-glass: with the policy gone the start is refused, unless a valid break-glass file
        // exists; then it starts and that is recorded.
        #expect(rename(policy, policy + ".saved") == 0)
        let noPolicy = try virsh("start \(good)")
        #expect(noPolicy.status != 0 && noPolicy.stdout.contains("cannot decide"), "\(noPolicy.stdout)")
        let until = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
        scratch.write("break-glass.yaml", "until: \(until)\nreason: \"policy restore in progress (test)\"\n")
        #expect(chmod(breakGlass, 0o600) == 0)
        let glass = try virsh("start \(good)")
        #expect(glass.status == 0, "break-glass lets the start through: \(glass.stdout)")
        _ = try virsh("destroy \(good)")
        #expect(unlink(breakGlass) == 0 && rename(policy + ".saved", policy) == 0)

        // Every decision is an event, and the ledger holds them.
        let lines = try hyperward(["events", "--format", "json", "--limit", "1000"]).stdout.split(separator: "\n")
        let events = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        func recorded(_ kind: String, vm: String) -> [[String: Any]] {
            events.filter { $0["kind"] as? String == kind && $0["vm"] as? String == vm }
        }
        #expect(recorded("vm.created", vm: good).count == 1, "the creation is recorded")
        #expect(recorded("admission.allowed", vm: good).count >= 2, "allowed at creation and at start")
        #expect(recorded("admission.denied", vm: bad).count == 1)
        #expect(recorded("admission.undecided", vm: good).count == 1, "the refusal without a policy (the one without a store is only in syslog)")
        #expect(recorded("admission.break_glass", vm: good).count == 1)
        let denial = try #require(recorded("admission.denied", vm: bad).first)
        #expect("\(denial["evidence"] ?? "")".contains("qemu.commandline"))
        let verified = try hyperward(["ledger", "verify"])
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
    }
}
}
