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

import Admission
import Foundation

/// The policy and domain pieces the admission tests share.
enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let policyYAML = """
        groups:
          web:
            ingress: [{ proto: tcp, ports: [443] }]
          db: {}
        vms:
          web1: { groups: [web] }
        templates:
          small:
            description: general purpose
            machine: [pc-q35-*, q35]
            cpu: { modes: [host-model, custom], models: [EPYC, Skylake-Server] }
            max_vcpus: 4
            max_memory_mib: 4096
            disks: { pools: [/var/lib/libvirt/images, /srv/vm/], formats: [qcow2, raw], encryption: required }
            networks: [default, br0]
            security_groups: [web]
            vtpm: optional
            console: { graphics: loopback, serial: pty-only }
            vhost_user_paths: [/run/vhost]
            boot_paths: [/var/lib/hyperward/boot, /usr/share/OVMF]
          exposed:
            machine: [q35]
            max_vcpus: 2
            max_memory_mib: 1024
            disks: { pools: [/srv/vm], encryption: optional }
            networks: [default]
            console: { graphics: tls, serial: pty-or-unix }
          sealed:
            machine: [pc-q35-7.2]
            cpu: { modes: [custom], models: [EPYC] }
            max_vcpus: 1
            max_memory_mib: 512
            disks: { pools: [/srv/sealed], formats: [raw] }
            vtpm: required
        tenants:
          acme:
            templates: [small, exposed]
            roles: { alice: operator, bob: viewer, "@devs": operator }
          beta:
            templates: [sealed]
            roles: { carol: admin }
        roles: { root: admin, "@wheel": viewer }
        """

    static let policy: AdmissionPolicy = {
        do { return try AdmissionPolicy.parse(policyYAML, file: "policy.yaml") } catch { fatalError("fixture policy: \(error)") }
    }()

    static let qemuNS = "http://libvirt.org/schemas/domain/qemu/1.0"
    static let metaNS = "https://hyperward.dev/xmlns/admission/1"

    /// A domain allowed under `small` for `acme`, with places to put more: `top` (after
    /// `<vcpu>`), `os` (inside `<os>`), `devices` (after the clean devices), and the metadata.
    static func domain(metadata: String? = nil, top: String = "", os: String = "", devices: String = "",
                       rootAttributes: String = "type='kvm'", memory: String = "<memory unit='MiB'>2048</memory>",
                       vcpu: String = "<vcpu>2</vcpu>", cpu: String = "<cpu mode='host-model'/>",
                       disk: String? = nil, interface: String? = nil) -> String {
        let meta = metadata ?? "<metadata><hw:admission xmlns:hw='\(metaNS)' template='small' tenant='acme'/></metadata>"
        let cleanDisk = disk ?? """
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2'/>
              <source file='/var/lib/libvirt/images/vm1.qcow2'>
                <encryption format='luks'><secret type='passphrase' uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'/></encryption>
              </source>
              <target dev='vda' bus='virtio'/>
            </disk>
            """
        let cleanInterface = interface ?? """
            <interface type='network'>
              <mac address='52:54:00:aa:00:01'/><source network='default'/><model type='virtio'/>
            </interface>
            """
        return """
            <domain \(rootAttributes)>
              <name>vm1</name>
              <uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>
              \(meta)
              \(memory)
              \(vcpu)
              \(top)
              <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><boot dev='hd'/>\(os)</os>
              \(cpu)
              <devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                \(cleanDisk)
                \(cleanInterface)
                <serial type='pty'><target port='0'/></serial>
                <console type='pty'><target type='serial' port='0'/></console>
                <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
                <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
                <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
                \(devices)
              </devices>
            </domain>
            """
    }
}
