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
import Testing

extension LibvirtGuestTests {
/// Guests with a virtual TPM: a template that requires one makes `vm create` add an emulated
/// TPM 2.0 (CRB), libvirt runs a swtpm for the guest when it starts, and a domain without one is
/// denied by the admission judge under that template.
@Suite("vTPM guests on real libvirt", .serialized)
struct VirtualTPMGuestTests {
    @Test(.enabled(if: AgentNetworkSyncTests.libvirtUsable || AgentNetworkSyncTests.required, "needs root and libvirtd"),
          .timeLimit(.minutes(4)))
    func aTemplateThatRequiresAVTPMGetsOneFromSwtpm() async throws {
        try #require(AgentNetworkSyncTests.libvirtUsable, "libvirtd is not usable")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/swtpm"), "swtpm is not installed (scripts/install-deps.sh --test)")
        let scratch = Scratch()
        #expect(chmod(scratch.path, 0o755) == 0)
        let name = "hw-vtpm-\(UInt16.random(in: 0...UInt16.max))"
        let kernel = try #require(try FileManager.default.contentsOfDirectory(atPath: "/boot").filter { $0.hasPrefix("vmlinuz-") }.sorted().last)
        let initrd = "initrd.img-" + kernel.dropFirst("vmlinuz-".count)
        scratch.write("policy.yaml", """
            templates:
              measured:
                machine: [q35, "pc-q35-*"]
                domain_types: [kvm, qemu]
                max_vcpus: 1
                max_memory_mib: 512
                disks: { pools: [\(scratch.path)], formats: [qcow2], encryption: optional }
                networks: [default]
                vtpm: required
                console: { graphics: none, serial: pty-only }
                boot_paths: [/boot]
            tenants:
              lab:
                templates: [measured]
                roles: { root: operator }
            roles: { root: admin }

            """)
        let config = scratch.write("hyperward.yaml", """
            state_directory: \(scratch.path)/state
            admission:
              policy: policy.yaml

            """)
        func hyperward(_ arguments: [String]) throws -> CLI.Result { try CLI.run(arguments + ["--config", config]) }
        func virsh(_ arguments: String) throws -> CLI.Result { try CLI.shell("virsh -c qemu:///system \(arguments) 2>&1") }
        defer {
            _ = try? virsh("destroy \(name)")
            _ = try? virsh("undefine \(name) --tpm")
        }
        let created = try hyperward(["vm", "create", "--template", "measured", "--tenant", "lab", "--name", name, "--memory-mib", "256",
                                     "--disk-size", "64M", "--domain-type", "qemu",
                                     "--kernel", "/boot/\(kernel)", "--initrd", "/boot/\(initrd)",
                                     "--cmdline", "console=ttyS0 quiet rdinit=/bin/sh -- -c \"while true; do sleep 3600; done\""])
        #expect(created.status == 0, "\(created.stderr)")
        let xml = try virsh("dumpxml \(name)").stdout
        #expect(xml.contains("<tpm model='tpm-crb'>") && xml.contains("<backend type='emulator' version='2.0'"), "\(xml)")

        // Started, libvirt runs a swtpm for this guest and QEMU has the CRB device.
        let started = try virsh("start \(name)")
        #expect(started.status == 0, "\(started.stdout)")
        let uuid = try virsh("domuuid \(name)").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let swtpm = try CLI.shell("pgrep -af swtpm | grep -F \(uuid)").stdout
        #expect(swtpm.contains("swtpm socket") && swtpm.contains("tpm2"), "a swtpm for the guest: \(swtpm)")
        let qemu = try CLI.shell("pgrep -af qemu-system | grep -F \(name)").stdout
        #expect(qemu.contains("tpm-crb"), "QEMU has a CRB TPM: \(qemu.prefix(2000))")
        _ = try virsh("destroy \(name)")

        // The same domain without its TPM is denied under that template, naming the rule.
        let withoutTPM = xml.replacingOccurrences(of: #"<tpm model='tpm-crb'>[\s\S]*?</tpm>"#, with: "", options: .regularExpression)
        #expect(!withoutTPM.contains("<tpm"))
        let judged = try CLI.run(["admit", "-", "--config", config], stdin: Data(withoutTPM.utf8))
        #expect(judged.status == 1, "\(judged.stdout) \(judged.stderr)")
        #expect(judged.stdout.contains("tpm.missing"), "\(judged.stdout)")
    }
}
}
