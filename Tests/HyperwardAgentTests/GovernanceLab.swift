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

import AdmissionHook
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardStore

#if canImport(Glibc)
import Glibc
#endif

/// A configuration, an admission policy, a state directory and a break-glass path in a scratch
/// directory: the files the hook and the governance commands read.
struct GovernanceLab {
    let scratch = Scratch()
    var state: String { scratch.path + "/state" }
    var breakGlass: String { scratch.path + "/break-glass.yaml" }
    var policyPath: String { scratch.path + "/policy.yaml" }
    var configPath: String { scratch.path + "/hyperward.yaml" }

    static let policy = """
        templates:
          tiny:
            machine: [pc, "pc-i440fx-*"]
            domain_types: [kvm, qemu]
            max_vcpus: 1
            max_memory_mib: 512
            disks: { pools: [/srv/hw-test], formats: [qcow2], encryption: optional }
            networks: [default]
            console: { graphics: none, serial: pty-only }
        tenants:
          lab:
            templates: [tiny]
            roles: { alice: operator, bob: viewer, "@auditors": viewer }
        roles: { root: admin }

        """

    /// A lab with `policy` as the policy file and a configuration naming it (relative to the
    /// configuration) and the break-glass path; `admission: false` leaves the policy unconfigured.
    init(policy: String = GovernanceLab.policy, admission: Bool = true) {
        scratch.write("policy.yaml", policy)
        var config = "state_directory: \(state)\n"
        if admission { config += "admission:\n  policy: policy.yaml\n  break_glass_file: \(breakGlass)\n" }
        scratch.write("hyperward.yaml", config)
    }

    func configuration() throws -> HyperwardConfiguration {
        try HyperwardConfiguration.load(path: configPath, isExplicit: true)
    }

    /// A valid break-glass file (an hour ahead, mode 0600).
    func breakGlassFile(reason: String = "policy restore in progress (test)", offset: TimeInterval = 3600) {
        let until = ISO8601DateFormatter().string(from: Date().addingTimeInterval(offset))
        scratch.write("break-glass.yaml", "until: \(until)\nreason: \"\(reason)\"\n")
        chmod(breakGlass, 0o600)
    }

    /// Puts a directory where the state store's database is, so it cannot be opened.
    func breakStore() throws {
        _ = try StateStore(stateDirectory: state)
        let database = state + "/" + StateStore.fileName
        for suffix in ["", "-wal", "-shm"] { unlink(database + suffix) }
        mkdir(database, 0o700)
    }

    /// The events recorded in the lab's store.
    func events(_ prefix: String? = nil) throws -> [Event] {
        try StateStore(stateDirectory: state).events(kindPrefix: prefix, limit: 10_000)
    }

    /// The policy file's SHA-256 by `sha256sum` (an oracle independent of Hyperward's hashing).
    func policySHA256() -> String {
        String(HostCommand.run(["/usr/bin/sha256sum", policyPath]).stdout.prefix(64))
    }

    /// A domain admitted under `tiny` for `lab`; `extra` goes in `<devices>` and `top` after
    /// `<vcpu>`, to make it break rules.
    static func domain(_ name: String, vcpus: Int = 1, top: String = "", extra: String = "") -> String {
        """
        <domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
          <name>\(name)</name>
          <metadata><hw:admission xmlns:hw='https://hyperward.dev/xmlns/admission/1' template='tiny' tenant='lab'/></metadata>
          <memory unit='MiB'>256</memory>
          <vcpu>\(vcpus)</vcpu>
          \(top)
          <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
          <cpu mode='host-model'/>
          <devices>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2'/><source file='/srv/hw-test/\(name).qcow2'/><target dev='vda' bus='virtio'/>
            </disk>
            <interface type='network'><source network='default'/><model type='virtio'/></interface>
            <serial type='pty'><target port='0'/></serial>
            <console type='pty'><target type='serial' port='0'/></console>
            \(extra)
          </devices>
        </domain>
        """
    }

    /// A domain with two violations: raw QEMU arguments and more vCPUs than the template allows.
    static func deniedDomain(_ name: String) -> String {
        domain(name, vcpus: 4, top: "<qemu:commandline><qemu:arg value='-s'/></qemu:commandline>")
    }
}
