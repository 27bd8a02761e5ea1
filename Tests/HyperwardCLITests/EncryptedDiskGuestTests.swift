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

import Crypto
import Foundation
import HyperwardStore
import Testing

extension LibvirtGuestTests {
/// A real TCG guest boots with a LUKS disk made by `hyperward disk create`: it sees the plaintext
/// only when `hyperward vm start` released the key; libvirt alone cannot start it, a different
/// VM under the same name is refused, and a backup restores byte-identical.
@Suite("Encrypted disk on a real libvirt guest", .serialized)
struct EncryptedDiskGuestTests {
    @Test(.enabled(if: AgentNetworkSyncTests.libvirtUsable || AgentNetworkSyncTests.required, "needs root and libvirtd"),
          .timeLimit(.minutes(6)))
    func aGuestReadsItsEncryptedDiskOnlyThroughVMStart() async throws {
        try #require(AgentNetworkSyncTests.libvirtUsable, "libvirtd is not usable")
        try #require(FileManager.default.isExecutableFile(atPath: "/bin/busybox"), "needs busybox-static")
        let scratch = Scratch()
        #expect(chmod(scratch.path, 0o755) == 0)
        let tag = UInt16.random(in: 0...UInt16.max)
        let name = "hw-disk-\(tag)"
        let marker = "HYPERWARD-PLAINTEXT-MARKER-\(tag)"
        let state = scratch.path + "/state"
        let passphrase = scratch.write("passphrase", "disk test passphrase\n")
        chmod(passphrase, 0o600)
        func hyperward(_ arguments: [String]) throws -> CLI.Result {
            try CLI.run([arguments[0]] + (arguments.count > 1 ? [arguments[1]] : []) + ["--state-dir", state, "--passphrase-file", passphrase]
                        + arguments.dropFirst(2))
        }
        #expect(try hyperward(["keys", "init", "--scrypt-log-n", "12"]).status == 0)

        // The plaintext: a 4 MiB raw image that starts with the marker.
        let plain = scratch.path + "/plain.raw"
        var bytes = Data(marker.utf8)
        bytes.append(Data(count: 4 << 20 - bytes.count))
        try bytes.write(to: URL(fileURLWithPath: plain))
        let image = scratch.path + "/\(name).img"
        let uuid = UUID().uuidString.lowercased()
        let created = try hyperward(["disk", "create", "--vm", name, "--uuid", uuid, "--from", plain, "--path", image])
        #expect(created.status == 0, "\(created.stderr)")
        let diskXML = created.stdout
        #expect(diskXML.contains("<encryption format='luks'>"))

        // Oracles: QEMU's and cryptsetup's view of the image; no plaintext on disk.
        let info = try CLI.shell("qemu-img info \(image)")
        #expect(info.stdout.contains("file format: luks"), "\(info.stdout)")
        let dump = try CLI.shell("cryptsetup luksDump \(image)")
        #expect(dump.status == 0 && dump.stdout.contains("Version:") && dump.stdout.contains("aes"), "\(dump.stdout.prefix(300)) \(dump.stderr)")
        // Hyperward's own LUKS reader opens it with the stored key: sector 0 is the plaintext's.
        let verified = try hyperward(["disk", "verify", "--vm", name])
        #expect(verified.status == 0, "\(verified.stderr)")
        let sector0 = SHA256.hash(data: bytes.prefix(512)).map { String(format: "%02x", $0) }.joined()
        #expect(verified.stdout.contains("LUKS1 aes-xts-plain64") && verified.stdout.contains("sector 0 sha256 \(sector0)"), "\(verified.stdout)")
        #expect(!verified.stdout.contains(marker))
        let onDisk = try Data(contentsOf: URL(fileURLWithPath: image))
        #expect(onDisk.range(of: Data(marker.utf8)) == nil, "the image holds no plaintext")
        #expect(onDisk.count > 4 << 20)

        let kernel = try #require(try FileManager.default.contentsOfDirectory(atPath: "/boot").filter { $0.hasPrefix("vmlinuz-") }.sorted().last)
        let initrd = try RealGuestFirewallTests.buildInitrd(in: scratch, kernelVersion: String(kernel.dropFirst("vmlinuz-".count)), script: """
            i=0
            while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done
            echo "DISK: $(dd if=/dev/vda bs=64 count=1 2>/dev/null | tr -cd 'A-Z0-9-')"
            echo GUEST-READ-DONE
            while true; do sleep 60; done
            """, modules: ["virtio_pci", "virtio_blk"])
        let console = scratch.path + "/console.log"
        func domainXML(uuid: String) -> String {
            """
            <domain type='qemu'><name>\(name)</name><uuid>\(uuid)</uuid><memory unit='MiB'>384</memory><vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type><kernel>/boot/\(kernel)</kernel><initrd>\(initrd)</initrd>
                <cmdline>console=ttyS0 quiet</cmdline></os>
              <devices>\(diskXML)<serial type='file'><source path='\(console)'/></serial></devices>
            </domain>
            """
        }
        let definition = scratch.write("domain.xml", domainXML(uuid: uuid))
        defer { _ = try? CLI.shell("virsh -c qemu:///system destroy \(name); virsh -c qemu:///system undefine \(name)") }
        #expect(try CLI.shell("virsh -c qemu:///system define \(definition)").status == 0)

        // libvirt alone has no key: the start fails rather than booting without the disk.
        let direct = try CLI.shell("virsh -c qemu:///system start \(name)")
        #expect(direct.status != 0, "virsh start must fail without hyperward: \(direct.stdout)")
        #expect(direct.stderr.lowercased().contains("secret"), "\(direct.stderr)")

        let started = try hyperward(["vm", "start", name])
        #expect(started.status == 0, "\(started.stderr)")
        #expect(try await AgentNetworkSyncTests.poll(seconds: 180) { RealGuestFirewallTests.read(console).contains("GUEST-READ-DONE") },
                "guest boots: \(RealGuestFirewallTests.read(console).suffix(400))")
        #expect(RealGuestFirewallTests.read(console).contains("DISK: \(marker)"), "the guest reads the plaintext: \(RealGuestFirewallTests.read(console).suffix(300))")
        let secrets = try CLI.shell("virsh -c qemu:///system secret-list").stdout
        #expect(!diskXML.split(separator: "'").contains { secrets.contains($0) && $0.count == 36 }, "the secret is gone once QEMU holds the key: \(secrets)")
        #expect(try CLI.shell("virsh -c qemu:///system destroy \(name)").status == 0)

        // A backup restores byte-identical.
        let before = try Data(contentsOf: URL(fileURLWithPath: image))
        let backup = scratch.path + "/backup.hws"
        #expect(try hyperward(["disk", "backup", "--vm", name, "--out", backup]).status == 0)
        let sealed = try Data(contentsOf: URL(fileURLWithPath: backup))
        #expect(sealed.count > before.count && sealed.range(of: before.prefix(4096)) == nil)
        var damaged = before
        damaged.replaceSubrange(0..<4096, with: Data(count: 4096))
        try damaged.write(to: URL(fileURLWithPath: image))
        let restored = try hyperward(["disk", "restore", "--vm", name, "--in", backup])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: image)) == before)

        // Another VM under the same name (a different UUID) never gets the key.
        #expect(try CLI.shell("virsh -c qemu:///system undefine \(name)").status == 0)
        let impostor = scratch.write("impostor.xml", domainXML(uuid: UUID().uuidString.lowercased()))
        #expect(try CLI.shell("virsh -c qemu:///system define \(impostor)").status == 0)
        let refused = try hyperward(["vm", "start", name])
        #expect(refused.status == 69, "\(refused.status) \(refused.stderr)")
        #expect(refused.stderr.contains("refused"))
        #expect(!(try CLI.shell("virsh -c qemu:///system domstate \(name)").stdout.contains("running")))
        let events = try StateStore(stateDirectory: state).events(kindPrefix: "vm.", limit: 10)
        #expect(events.map(\.kind) == ["vm.start", "vm.start.refused"], "\(events.map(\.kind))")
    }
}
}
