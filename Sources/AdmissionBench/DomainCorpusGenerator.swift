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

import FixtureSupport

/// A seeded generator of libvirt domain XMLs built from parts, each knowing its own ground truth:
/// a clean domain (allowed under template `small` of `policyYAML` for tenant `acme`), with zero
/// or more forbidden items injected at random places. What was injected is recorded as the rule
/// ids it breaks, from the generator's own tables — never from the judge.
///
/// Variation: namespace prefixes of the metadata and of the QEMU namespace (also the default
/// namespace), memory units (b, bytes, k, KiB, KB, M, MiB, MB, G, GiB, GB, none), attribute
/// quotes, the order of devices and of top-level elements, the number of disks and interfaces.
public struct DomainCorpusGenerator {
    /// The policy the generated domains are meant for (template `small`, tenant `acme`).
    public static let policyYAML = """
        groups: { web: {} }
        templates:
          small:
            machine: [pc-q35-*, q35]
            cpu: { modes: [host-model, custom], models: [EPYC, Skylake-Server] }
            max_vcpus: 4
            max_memory_mib: 4096
            disks: { pools: [/var/lib/libvirt/images, /srv/vm], formats: [qcow2, raw], encryption: required }
            networks: [default, br0]
            security_groups: [web]
            console: { graphics: loopback, serial: pty-only }
            vhost_user_paths: [/run/vhost]
            boot_paths: [/var/lib/hyperward/boot, /usr/share/OVMF]
        tenants:
          acme: { templates: [small] }
        """

    /// One generated domain.
    public struct Sample: Sendable {
        public var xml: String
        /// The rule ids the injected items break; empty for a clean domain.
        public var injected: Set<String>
    }

    var rng: SplitMix

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { rng = SplitMix(seed: seed) }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    static let qemuNS = "http://libvirt.org/schemas/domain/qemu/1.0"
    static let metaNS = "https://hyperward.dev/xmlns/admission/1"

    /// Units and their bytes per unit, as libvirt reads them.
    static let units: [(String?, UInt64)] = [
        (nil, 1024), ("b", 1), ("bytes", 1), ("k", 1024), ("KiB", 1024), ("KB", 1000), ("M", 1 << 20), ("MiB", 1 << 20),
        ("MB", 1_000_000), ("G", 1 << 30), ("GiB", 1 << 30), ("GB", 1_000_000_000), ("mib", 1 << 20),
    ]

    /// A `<name unit=…>value</name>` of at most `maxBytes` (clean) or above it (over), in a random unit.
    mutating func size(_ name: String, maxBytes: UInt64, over: Bool) -> String {
        while true {
            let (unit, scale) = pick(Self.units)
            let value: UInt64
            if over {
                let target = maxBytes + UInt64(int(1...(1 << 20))) * UInt64(pick([1, 1024, 65536]))
                value = (target + scale - 1) / scale
            } else {
                let target = UInt64(int(64...Int(maxBytes >> 20))) << 20
                value = target / scale
            }
            guard value > 0 else { continue }
            let bytes = value * scale
            if over ? bytes <= maxBytes : bytes > maxBytes { continue }
            return "<\(name)\(unit.map { " unit=\(q($0))" } ?? "")>\(value)</\(name)>"
        }
    }

    var quote: Character = "'"
    func q(_ value: String) -> String { "\(quote)\(value)\(quote)" }

    /// The next sample: about 40% clean, the rest with one to four forbidden items.
    public mutating func next() -> Sample {
        quote = chance(0.5) ? "'" : "\""
        var injected: Set<String> = []
        var faults: [Fault] = []
        if !chance(0.4) {
            let count = int(1...4)
            var pool = Fault.allCases
            for _ in 0..<count {
                let fault = pick(pool)
                pool.removeAll { $0 == fault || fault.excludes.contains($0) }
                faults.append(fault)
                if pool.isEmpty { break }
            }
        }
        let has = Set(faults)
        for fault in faults { injected.insert(fault.rule) }

        let limit: UInt64 = 4096 << 20
        let metaPrefix = pick(["hyperward", "hw", "a", "m9", "x-y"])
        let metadata = chance(0.2)
            ? "<metadata><admission xmlns=\(q(Self.metaNS)) template=\(q("small")) tenant=\(q("acme"))/></metadata>"
            : "<metadata><\(metaPrefix):admission xmlns:\(metaPrefix)=\(q(Self.metaNS)) template=\(q("small")) tenant=\(q("acme"))/></metadata>"

        var top: [String] = []
        top.append(size("memory", maxBytes: limit, over: has.contains(.memoryLimit)))
        if chance(0.5) { top.append(size("currentMemory", maxBytes: limit, over: false)) }
        let vcpus = has.contains(.vcpuLimit) ? int(5...64) : int(1...4)
        top.append(chance(0.5) ? "<vcpu placement=\(q("static"))>\(vcpus)</vcpu>" : "<vcpu current=\(q("1"))>\(vcpus)</vcpu>")
        top.append("<description>generated</description>")
        var backing: [String] = []
        if chance(0.5) { backing.append("<nosharepages/>") }
        if has.contains(.memoryShared) { backing.append("<access mode=\(q("shared"))/>") }
        if has.contains(.memorySource) { backing.append("<source type=\(q("file"))/>") }
        if !backing.isEmpty || chance(0.3) { top.append("<memoryBacking>\(backing.joined())</memoryBacking>") }
        if chance(0.3) { top.append("<seclabel type=\(q("dynamic")) model=\(q("selinux")) relabel=\(q("yes"))/>") }
        if has.contains(.seclabelDisabled) { top.append("<seclabel type=\(q("none"))/>") }
        if has.contains(.seclabelStatic) { top.append("<seclabel type=\(q("static")) model=\(q("dac"))><label>+0:+0</label></seclabel>") }
        if has.contains(.seclabelNoRelabel) { top.append("<seclabel type=\(q("dynamic")) model=\(q("dac")) relabel=\(q("no"))/>") }
        let qemuPrefix = pick(["qemu", "q", "Q2", "libvirt-qemu", ""])
        func qemuElement(_ name: String, _ inner: String) -> String {
            qemuPrefix.isEmpty
                ? "<\(name) xmlns=\(q(Self.qemuNS))>\(inner)</\(name)>"
                : "<\(qemuPrefix):\(name) xmlns:\(qemuPrefix)=\(q(Self.qemuNS))>\(inner.replacingOccurrences(of: "<", with: "<\(qemuPrefix):").replacingOccurrences(of: "<\(qemuPrefix):/", with: "</\(qemuPrefix):"))</\(qemuPrefix):\(name)>"
        }
        if has.contains(.qemuCommandline) { top.append(qemuElement("commandline", "<arg value=\(q("-device"))/><arg value=\(q("pci-testdev"))/>")) }
        if has.contains(.qemuOverride) { top.append(qemuElement("override", "<device alias=\(q("net0"))><frontend/></device>")) }
        if chance(0.2) { top.append("<features><acpi/><apic/></features>") }
        top.shuffle(using: &rng)

        let machine = has.contains(.machineType) ? pick(["pc-i440fx-7.2", "microvm", "isapc"]) : pick(["pc-q35-7.2", "q35", "pc-q35-8.0"])
        var os = "<type arch=\(q("x86_64")) machine=\(q(machine))>hvm</type>"
        if has.contains(.bootPath) {
            os += "<kernel>\(pick(["/etc/shadow", "/root/vmlinuz", "/var/lib/hyperward/boot/../../../etc/passwd"]))</kernel>"
        } else if chance(0.3) {
            os += "<kernel>/var/lib/hyperward/boot/vmlinuz</kernel><initrd>/var/lib/hyperward/boot/initrd.img</initrd><cmdline>console=ttyS0</cmdline>"
        } else {
            os += "<boot dev=\(q("hd"))/>"
        }
        var cpuInner = ""
        var cpuMode = pick(["host-model", "custom"])
        if has.contains(.cpuMode) { cpuMode = pick(["host-passthrough", "maximum"]) }
        if has.contains(.cpuModel) { cpuMode = "custom" }
        if cpuMode == "custom" { cpuInner += "<model>\(has.contains(.cpuModel) ? pick(["Haswell", "qemu64", "Broadwell"]) : pick(["EPYC", "Skylake-Server"]))</model>" }
        if chance(0.3) { cpuInner += "<feature policy=\(q("require")) name=\(q("ssbd"))/>" }
        if has.contains(.cpuFeature) { cpuInner += "<feature policy=\(q(pick(["disable", "forbid"]))) name=\(q(pick(["spec-ctrl", "md-clear", "ssbd"])))/>" }
        let cpu = "<cpu mode=\(q(cpuMode))>\(cpuInner)</cpu>"

        var devices: [String] = []
        let diskCount = int(1...3)
        let badDisk = int(0...(diskCount - 1))
        for index in 0..<diskCount {
            let isBad = index == badDisk
            let pool = isBad && has.contains(.diskPool) ? pick(["/srv/vm2", "/home/user", "/srv/vm/../../etc"]) : pick(["/var/lib/libvirt/images", "/srv/vm", "/srv/vm/sub"])
            let format = isBad && has.contains(.diskFormat) ? pick([nil, "vmdk", "vdi"]) : pick(["qcow2", "raw"])
            let driver = format.map { "<driver name=\(q("qemu")) type=\(q($0))/>" } ?? ""
            let encrypted = !(isBad && has.contains(.diskEncryption))
            let encryption = encrypted ? "<encryption format=\(q("luks"))><secret type=\(q("passphrase")) uuid=\(q("0a81f5b2-8403-7b23-c8d6-21ccc2f80d6\(index)"))/></encryption>" : ""
            let target = "<target dev=\(q("vd\(["a", "b", "c"][index])")) bus=\(q("virtio"))/>"
            if chance(0.5) {
                devices.append("<disk type=\(q("file")) device=\(q("disk"))>\(driver)<source file=\(q("\(pool)/d\(index).img"))>\(encryption)</source>\(target)</disk>")
            } else {
                devices.append("<disk type=\(q("file")) device=\(q("disk"))>\(driver)<source file=\(q("\(pool)/d\(index).img"))/>\(encryption)\(target)</disk>")
            }
        }
        let interfaceCount = int(0...2)
        for index in 0..<interfaceCount {
            let isBad = index == 0 && has.contains(.interfaceNetwork)
            if chance(0.5) {
                devices.append("<interface type=\(q("network"))><mac address=\(q("52:54:00:00:00:0\(index)"))/><source network=\(q(isBad ? "evil" : "default"))/><model type=\(q("virtio"))/></interface>")
            } else {
                devices.append("<interface type=\(q("bridge"))><source bridge=\(q(isBad ? "virbr9" : "br0"))/></interface>")
            }
        }
        if has.contains(.interfaceNetwork) && interfaceCount == 0 {
            devices.append("<interface type=\(q("network"))><source network=\(q("evil"))/></interface>")
        }
        if chance(0.7) { devices.append("<serial type=\(q("pty"))><target port=\(q("0"))/></serial><console type=\(q("pty"))><target type=\(q("serial"))/></console>") }
        if chance(0.5) { devices.append("<channel type=\(q("unix"))><target type=\(q("virtio")) name=\(q("org.qemu.guest_agent.0"))/></channel>") }
        if chance(0.4) { devices.append("<graphics type=\(q(pick(["vnc", "spice"]))) autoport=\(q("yes")) listen=\(q(pick(["127.0.0.1", "::1"])))/>") }
        if chance(0.4) { devices.append("<rng model=\(q("virtio"))><backend model=\(q("random"))>/dev/urandom</backend></rng>") }
        if chance(0.3) { devices.append("<tpm model=\(q("tpm-crb"))><backend type=\(q("emulator")) version=\(q("2.0"))/></tpm>") }
        if chance(0.3) { devices.append("<input type=\(q("tablet")) bus=\(q("usb"))/>") }
        if chance(0.3) { devices.append("<video><model type=\(q("virtio"))/></video><memballoon model=\(q("virtio"))/>") }
        if chance(0.3) { devices.append("<emulator>/usr/bin/qemu-system-x86_64</emulator>") }
        if chance(0.2) { devices.append("<unknownfuturedevice flavour=\(q("x"))/>") }

        for fault in faults {
            if let snippet = deviceSnippet(fault) { devices.append(snippet) }
        }
        devices.shuffle(using: &rng)
        let type = has.contains(.domainType) ? "qemu" : "kvm"
        let xml = """
            <domain type=\(q(type))>
              <name>gen-\(int(0...999_999))</name>
              <uuid>c7a5fdbd-cdaf-9455-926a-\(String(int(0...0xFFFF_FFFF), radix: 16))</uuid>
              \(metadata)
              \(top.joined(separator: "\n  "))
              <os>\(os)</os>
              \(cpu)
              <devices>
                \(devices.joined(separator: "\n    "))
              </devices>
            </domain>
            """
        return Sample(xml: xml, injected: injected)
    }

    mutating func deviceSnippet(_ fault: Fault) -> String? {
        switch fault {
        case .hostdev:
            return pick([
                "<hostdev mode=\(q("subsystem")) type=\(q("pci")) managed=\(q("yes"))><source><address domain=\(q("0x0000")) bus=\(q("0x01")) slot=\(q("0x00")) function=\(q("0x0"))/></source></hostdev>",
                "<hostdev mode=\(q("subsystem")) type=\(q("usb"))><source><vendor id=\(q("0x1234"))/><product id=\(q("0xbeef"))/></source></hostdev>",
                "<hostdev mode=\(q("subsystem")) type=\(q("mdev")) model=\(q("vfio-pci"))><source><address uuid=\(q("c2177883-f1bb-47f0-914d-32a22e3a8804"))/></source></hostdev>",
            ])
        case .redirdev: return "<redirdev bus=\(q("usb")) type=\(q(pick(["spicevmc", "tcp"])))/>"
        case .shmem: return "<shmem name=\(q("ivshmem0"))><model type=\(q(pick(["ivshmem-plain", "ivshmem-doorbell"])))/></shmem>"
        case .vhostUserPath:
            return pick([
                "<interface type=\(q("vhostuser"))><source type=\(q("unix")) path=\(q("/tmp/vhost-\(int(0...9)).sock")) mode=\(q("client"))/></interface>",
                "<disk type=\(q("vhostuser")) device=\(q("disk"))><driver name=\(q("qemu")) type=\(q("raw"))/><source type=\(q("unix")) path=\(q("/var/run/evil.sock"))/><target dev=\(q("vdz")) bus=\(q("virtio"))/></disk>",
            ])
        case .filesystemHost:
            return "<filesystem type=\(q("mount")) accessmode=\(q(pick(["passthrough", "mapped", "squash"])))><source dir=\(q(pick(["/", "/etc", "/home"])))/><target dir=\(q("host"))/></filesystem>"
        case .chardevBackend:
            let kind = pick(["serial", "console", "parallel", "channel"])
            let type = pick(["tcp", "udp", "file", "dev", "pipe", "stdio"])
            return "<\(kind) type=\(q(type))><source path=\(q("/tmp/x")) host=\(q("0.0.0.0")) service=\(q("4555"))/></\(kind)>"
        case .chardevPath:
            return "<channel type=\(q("unix"))><source mode=\(q("bind")) path=\(q(pick(["/tmp/c.sock", "/run/user/0/c.sock"])))/><target type=\(q("virtio")) name=\(q("x"))/></channel>"
        case .chardevLog: return "<serial type=\(q("pty"))><log file=\(q(pick(["/etc/profile.d/x.sh", "/root/.bashrc"])))/></serial>"
        case .graphicsListen:
            return pick([
                "<graphics type=\(q("vnc")) autoport=\(q("yes")) listen=\(q("0.0.0.0"))/>",
                "<graphics type=\(q("spice")) autoport=\(q("yes"))><listen type=\(q("network")) network=\(q("default"))/></graphics>",
                "<graphics type=\(q("vnc")) port=\(q("5901"))/>",
            ])
        case .graphicsType: return "<graphics type=\(q(pick(["sdl", "desktop", "rdp", "egl-headless", "dbus"])))/>"
        case .seclabelDevice: return "<serial type=\(q("pty"))><source><seclabel model=\(q("selinux")) relabel=\(q("no"))/></source></serial>"
        case .inputPassthrough: return "<input type=\(q(pick(["passthrough", "evdev"])))><source evdev=\(q("/dev/input/event0"))/></input>"
        case .smartcardHost: return "<smartcard mode=\(q(pick(["host", "host-certificates"])))/>"
        case .rngBackend: return "<rng model=\(q("virtio"))><backend model=\(q("egd")) type=\(q("udp"))><source mode=\(q("connect")) host=\(q("192.0.2.1")) service=\(q("1"))/></backend></rng>"
        case .audioBackend: return "<audio id=\(q("1")) type=\(q(pick(["file", "pulseaudio", "alsa", "oss"])))/>"
        case .diskType:
            return "<disk type=\(q(pick(["network", "volume", "dir", "nvme"]))) device=\(q("disk"))><source protocol=\(q("nbd")) name=\(q("x"))/><target dev=\(q("vdy"))/></disk>"
        case .diskLUN:
            return "<disk type=\(q("block")) device=\(q("lun"))><driver name=\(q("qemu")) type=\(q("raw"))/><source dev=\(q("/srv/vm/lun0"))/><target dev=\(q("sda")) bus=\(q("scsi"))/></disk>"
        case .interfaceDirect: return "<interface type=\(q("direct"))><source dev=\(q("eth0")) mode=\(q("bridge"))/></interface>"
        case .interfaceEthernet: return "<interface type=\(q("ethernet"))><target dev=\(q("tapx")) managed=\(q("no"))/></interface>"
        case .interfaceUser: return "<interface type=\(q("user"))/>"
        case .interfaceHostdev: return "<interface type=\(q("hostdev"))><source><address type=\(q("pci")) domain=\(q("0")) bus=\(q("3")) slot=\(q("0")) function=\(q("1"))/></source></interface>"
        case .interfaceSocket: return "<interface type=\(q(pick(["server", "client", "mcast", "udp"])))><source address=\(q("192.0.2.9")) port=\(q("5558"))/></interface>"
        case .interfaceScript: return "<interface type=\(q("bridge"))><source bridge=\(q("br0"))/><script path=\(q("/tmp/up.sh"))/></interface>"
        case .tpmPassthrough: return "<tpm model=\(q("tpm-tis"))><backend type=\(q("passthrough"))><device path=\(q("/dev/tpm0"))/></backend></tpm>"
        case .emulatorPath: return "<emulator>\(pick(["/tmp/qemu", "/usr/local/bin/qemu-system-x86_64", "/bin/sh"]))</emulator>"
        default: return nil
        }
    }

    /// The forbidden items the generator can inject, each with the one rule it breaks.
    enum Fault: CaseIterable, Hashable {
        case hostdev, redirdev, qemuCommandline, qemuOverride, shmem, vhostUserPath, filesystemHost, chardevBackend, chardevPath
        case chardevLog, graphicsListen, graphicsType, seclabelDisabled, seclabelNoRelabel, seclabelStatic, seclabelDevice
        case memoryShared, memorySource, cpuFeature, inputPassthrough, smartcardHost, rngBackend, audioBackend, bootPath
        case diskType, diskLUN, interfaceDirect, interfaceEthernet, interfaceUser, interfaceHostdev, interfaceSocket
        case interfaceScript, tpmPassthrough, domainType, emulatorPath, machineType, cpuMode, cpuModel, vcpuLimit, memoryLimit
        case diskPool, diskFormat, diskEncryption, interfaceNetwork

        /// The rule id, written out here (not taken from the judge's catalogue).
        var rule: String {
            switch self {
            case .hostdev: "hostdev"
            case .redirdev: "redirdev"
            case .qemuCommandline: "qemu.commandline"
            case .qemuOverride: "qemu.override"
            case .shmem: "shmem"
            case .vhostUserPath: "vhostuser.path"
            case .filesystemHost: "filesystem.host"
            case .chardevBackend: "chardev.backend"
            case .chardevPath: "chardev.path"
            case .chardevLog: "chardev.log"
            case .graphicsListen: "graphics.listen"
            case .graphicsType: "graphics.type"
            case .seclabelDisabled: "seclabel.disabled"
            case .seclabelNoRelabel: "seclabel.norelabel"
            case .seclabelStatic: "seclabel.static"
            case .seclabelDevice: "seclabel.device"
            case .memoryShared: "memory.shared"
            case .memorySource: "memory.source"
            case .cpuFeature: "cpu.feature"
            case .inputPassthrough: "input.passthrough"
            case .smartcardHost: "smartcard.host"
            case .rngBackend: "rng.backend"
            case .audioBackend: "audio.backend"
            case .bootPath: "boot.path"
            case .diskType: "disk.type"
            case .diskLUN: "disk.lun"
            case .interfaceDirect: "interface.direct"
            case .interfaceEthernet: "interface.ethernet"
            case .interfaceUser: "interface.user"
            case .interfaceHostdev: "interface.hostdev"
            case .interfaceSocket: "interface.socket"
            case .interfaceScript: "interface.script"
            case .tpmPassthrough: "tpm.passthrough"
            case .domainType: "domain.type"
            case .emulatorPath: "emulator.path"
            case .machineType: "machine.type"
            case .cpuMode: "cpu.mode"
            case .cpuModel: "cpu.model"
            case .vcpuLimit: "vcpu.limit"
            case .memoryLimit: "memory.limit"
            case .diskPool: "disk.pool"
            case .diskFormat: "disk.format"
            case .diskEncryption: "disk.encryption"
            case .interfaceNetwork: "interface.network"
            }
        }

        /// Faults that cannot share one domain (they set the same thing).
        var excludes: [Fault] {
            switch self {
            case .cpuMode: [.cpuModel]
            case .cpuModel: [.cpuMode]
            default: []
            }
        }
    }
}
