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
import HyperwardCore
import Testing

/// One rule's case: a domain that breaks only that rule (at `xpath`), and the same domain made
/// clean; both judged under template `small` of the fixture policy, optionally changed.
struct RuleCase: Sendable, CustomTestStringConvertible {
    var rule: String
    var xpath: String
    var denied: String
    var clean: String
    var tweak: (@Sendable (inout AdmissionTemplate) -> Void)?
    /// The template change for the clean variant, when it differs from `tweak`.
    var cleanTweak: (@Sendable (inout AdmissionTemplate) -> Void)? = nil

    var testDescription: String { "\(rule) at \(xpath)" }

    static func devices(_ rule: String, _ xpath: String, _ bad: String, clean: String = "") -> RuleCase {
        RuleCase(rule: rule, xpath: xpath, denied: Fixtures.domain(devices: bad), clean: Fixtures.domain(devices: clean))
    }

    static func top(_ rule: String, _ xpath: String, _ bad: String, clean: String = "") -> RuleCase {
        RuleCase(rule: rule, xpath: xpath, denied: Fixtures.domain(top: bad), clean: Fixtures.domain(top: clean))
    }
}

@Suite("Admission judge rules")
struct AdmissionJudgeRuleTests {
    static let q = Fixtures.qemuNS
    static let encryption = "<encryption format='luks'><secret type='passphrase' uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'/></encryption>"

    static func disk(_ source: String, driver: String? = "<driver name='qemu' type='qcow2'/>", encrypted: Bool = true, extra: String = "") -> String {
        "<disk type='file' device='disk'>\(driver ?? "")<source file='\(source)'>\(encrypted ? encryption : "")</source><target dev='vda' bus='virtio'/>\(extra)</disk>"
    }

    static let cases: [RuleCase] = [
        .devices("hostdev", "/domain/devices/hostdev",
                 "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>"),
        .devices("hostdev", "/domain/devices/hostdev[2]",
                 "<hostdev mode='subsystem' type='usb'/><hostdev mode='subsystem' type='mdev'/>"),
        .devices("redirdev", "/domain/devices/redirdev", "<redirdev bus='usb' type='spicevmc'/>"),
        // libvirt reads many elements by local name alone: another namespace hides nothing.
        .devices("hostdev", "/domain/devices/x:hostdev", "<x:hostdev xmlns:x='urn:example:other' mode='subsystem' type='pci'/>"),
        .devices("shmem", "/domain/devices/shmem", "<shmem xmlns='urn:example:other' name='s'/>"),
        .top("qemu.commandline", "/domain/q:commandline",
             "<q:commandline xmlns:q='\(q)'><q:arg value='-device'/><q:arg value='ivshmem'/></q:commandline>"),
        .top("qemu.commandline", "/domain/commandline", "<commandline xmlns='\(q)'><arg value='-S'/></commandline>"),
        .top("qemu.override", "/domain/zz:override", "<zz:override xmlns:zz='\(q)'><zz:device alias='net0'/></zz:override>"),
        .top("qemu.capabilities", "/domain/qemu:capabilities", "<qemu:capabilities xmlns:qemu='\(q)'><qemu:del capability='sandbox'/></qemu:capabilities>"),
        .top("qemu.namespace", "/domain/qemu:deprecation", "<qemu:deprecation xmlns:qemu='\(q)' behavior='crash'/>",
             clean: "<other:commandline xmlns:other='http://example.com/not-qemu'/>"),
        .devices("shmem", "/domain/devices/shmem", "<shmem name='ivshmem0'><model type='ivshmem-plain'/><size unit='M'>4</size></shmem>"),
        .devices("vhostuser.path", "/domain/devices/interface[2]/source",
                 "<interface type='vhostuser'><source type='unix' path='/tmp/vhost.sock' mode='client'/></interface>",
                 clean: "<interface type='vhostuser'><source type='unix' path='/run/vhost/net0.sock' mode='client'/></interface>"),
        .devices("vhostuser.path", "/domain/devices/interface[2]/source",
                 "<interface type='vhostuser'><source type='unix' path='/run/vhost/../libvirt/x.sock' mode='client'/></interface>"),
        .devices("vhostuser.path", "/domain/devices/filesystem/source",
                 "<filesystem type='mount'><driver type='virtiofs'/><source socket='/run/vhostx/fs.sock'/><target dir='share'/></filesystem>",
                 clean: "<filesystem type='mount'><driver type='virtiofs'/><source socket='/run/vhost/fs.sock'/><target dir='share'/></filesystem>"),
        .devices("filesystem.host", "/domain/devices/filesystem",
                 "<filesystem type='mount' accessmode='passthrough'><source dir='/'/><target dir='host'/></filesystem>"),
        .devices("chardev.backend", "/domain/devices/serial[2]",
                 "<serial type='tcp'><source mode='bind' host='0.0.0.0' service='4555'/><protocol type='telnet'/></serial>",
                 clean: "<serial type='pty'/>"),
        .devices("chardev.backend", "/domain/devices/channel[2]",
                 "<channel type='file'><source path='/etc/passwd'/><target type='virtio' name='x'/></channel>",
                 clean: "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>"),
        .devices("chardev.backend", "/domain/devices/parallel", "<parallel type='dev'><source path='/dev/parport0'/></parallel>",
                 clean: "<parallel type='pty'/>"),
        .devices("chardev.backend", "/domain/devices/console[2]", "<console type='unix'><source mode='bind' path='/var/lib/libvirt/qemu/c.sock'/></console>"),
        .devices("chardev.path", "/domain/devices/channel[2]/source",
                 "<channel type='unix'><source mode='bind' path='/tmp/evil.sock'/><target type='virtio' name='x'/></channel>",
                 clean: "<channel type='unix'><source mode='bind' path='/var/lib/libvirt/qemu/channel/target/x'/><target type='virtio' name='x'/></channel>"),
        .devices("chardev.path", "/domain/devices/channel[2]/source",
                 "<channel type='unix'><source mode='connect' path='/var/lib/libvirt/qemu/x.sock'/><target type='virtio' name='x'/></channel>"),
        .devices("chardev.log", "/domain/devices/serial[2]/log", "<serial type='pty'><log file='/etc/cron.d/x' append='on'/></serial>",
                 clean: "<serial type='pty'><log file='/var/log/libvirt/qemu/vm1-serial0.log'/></serial>"),
        .devices("graphics.listen", "/domain/devices/graphics[2]", "<graphics type='spice' autoport='yes' listen='0.0.0.0'/>",
                 clean: "<graphics type='spice' autoport='yes' listen='127.0.0.2'/>"),
        .devices("graphics.listen", "/domain/devices/graphics[2]", "<graphics type='vnc' autoport='yes'/>",
                 clean: "<graphics type='vnc' autoport='yes'><listen type='socket'/></graphics>"),
        .devices("graphics.listen", "/domain/devices/graphics[2]",
                 "<graphics type='vnc' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/><listen type='network' network='default'/></graphics>",
                 clean: "<graphics type='vnc'><listen type='address' address='::1'/><listen type='none'/></graphics>"),
        .devices("graphics.type", "/domain/devices/graphics[2]", "<graphics type='sdl' display=':0'/>"),
        RuleCase(rule: "graphics.forbidden", xpath: "/domain/devices/graphics",
                 denied: Fixtures.domain(), clean: Fixtures.domain().replacingOccurrences(of: "<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>", with: ""),
                 tweak: { $0.graphics = .none }),
        RuleCase(rule: "graphics.auth", xpath: "/domain/devices/graphics[2]",
                 denied: Fixtures.domain(devices: "<graphics type='spice' listen='0.0.0.0' passwd='secret'/>"),
                 clean: Fixtures.domain(devices: "<graphics type='spice' listen='0.0.0.0' passwd='secret' defaultMode='secure'/>"),
                 tweak: { $0.graphics = .tls }),
        RuleCase(rule: "graphics.auth", xpath: "/domain/devices/graphics[2]",
                 denied: Fixtures.domain(devices: "<graphics type='vnc'><listen type='address' address='0.0.0.0'/></graphics>"),
                 clean: Fixtures.domain(devices: "<graphics type='vnc' passwd='12345678'><listen type='address' address='0.0.0.0'/></graphics>"),
                 tweak: { $0.graphics = .tls }),
        .top("seclabel.disabled", "/domain/seclabel", "<seclabel type='none'/>",
             clean: "<seclabel type='dynamic' model='selinux' relabel='yes'/>"),
        .top("seclabel.norelabel", "/domain/seclabel[2]", "<seclabel type='dynamic' model='selinux'/><seclabel type='dynamic' model='dac' relabel='no'/>"),
        .top("seclabel.static", "/domain/seclabel", "<seclabel type='static' model='dac' relabel='yes'><label>+0:+0</label></seclabel>"),
        .devices("seclabel.device", "/domain/devices/serial[2]/source/seclabel",
                 "<serial type='pty'><source><seclabel model='dac' relabel='no'/></source></serial>",
                 clean: "<serial type='pty'><source><seclabel model='dac' relabel='yes'/></source></serial>"),
        .top("memory.shared", "/domain/memoryBacking/access", "<memoryBacking><access mode='shared'/></memoryBacking>",
             clean: "<memoryBacking><access mode='private'/><source type='memfd'/><nosharepages/></memoryBacking>"),
        RuleCase(rule: "memory.shared", xpath: "/domain/cpu/numa/cell[2]",
                 denied: Fixtures.domain(cpu: "<cpu mode='host-model'><numa><cell id='0' cpus='0' memory='1' unit='GiB'/><cell id='1' cpus='1' memory='1' unit='GiB' memAccess='shared'/></numa></cpu>"),
                 clean: Fixtures.domain(cpu: "<cpu mode='host-model'><numa><cell id='0' cpus='0' memory='1' unit='GiB'/><cell id='1' cpus='1' memory='1' unit='GiB' memAccess='private'/></numa></cpu>")),
        .top("memory.source", "/domain/memoryBacking/source", "<memoryBacking><source type='file'/></memoryBacking>",
             clean: "<memoryBacking><source type='memfd'/></memoryBacking>"),
        .devices("memory.source", "/domain/devices/memory",
                 "<memory model='nvdimm'><source><path>/etc/shadow</path></source><target><size unit='KiB'>524288</size><node>0</node></target></memory>"),
        RuleCase(rule: "cpu.feature", xpath: "/domain/cpu/feature[2]",
                 denied: Fixtures.domain(cpu: "<cpu mode='host-model'><feature policy='require' name='vmx'/><feature policy='disable' name='md-clear'/></cpu>"),
                 clean: Fixtures.domain(cpu: "<cpu mode='host-model'><feature policy='require' name='vmx'/><feature policy='require' name='md-clear'/></cpu>")),
        .devices("input.passthrough", "/domain/devices/input", "<input type='evdev'><source dev='/dev/input/event0'/></input>",
                 clean: "<input type='tablet' bus='usb'/>"),
        .devices("smartcard.host", "/domain/devices/smartcard", "<smartcard mode='host'/>",
                 clean: "<smartcard mode='passthrough' type='spicevmc'/>"),
        .devices("rng.backend", "/domain/devices/rng[2]/backend",
                 "<rng model='virtio'><backend model='egd' type='tcp'><source mode='connect' host='192.0.2.1' service='708'/></backend></rng>",
                 clean: "<rng model='virtio'><backend model='random'>/dev/hwrng</backend></rng>"),
        .devices("audio.backend", "/domain/devices/audio", "<audio id='1' type='file' path='/tmp/a.wav'/>", clean: "<audio id='1' type='none'/>"),
        RuleCase(rule: "boot.path", xpath: "/domain/os/kernel",
                 denied: Fixtures.domain(os: "<kernel>/etc/shadow</kernel>"),
                 clean: Fixtures.domain(os: "<kernel>/var/lib/hyperward/boot/vmlinuz</kernel><initrd>/var/lib/hyperward/boot/initrd.img</initrd>")),
        RuleCase(rule: "boot.path", xpath: "/domain/os/nvram",
                 denied: Fixtures.domain(os: "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader><nvram template='/root/VARS.fd'>/var/lib/libvirt/qemu/nvram/x.fd</nvram>"),
                 clean: Fixtures.domain(os: "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>")),
        .devices("disk.type", "/domain/devices/disk[2]",
                 "<disk type='network' device='disk'><source protocol='nbd' name='x'><host name='192.0.2.1'/></source><target dev='vdb'/></disk>"),
        .devices("disk.type", "/domain/devices/disk[2]", "<disk type='nvme' device='disk'><source type='pci' managed='yes' namespace='1'/><target dev='vdb'/></disk>"),
        .devices("disk.lun", "/domain/devices/disk[2]",
                 "<disk type='block' device='lun'><driver name='qemu' type='raw'/><source dev='/srv/vm/lun0'/><target dev='sda' bus='scsi'/></disk>",
                 clean: "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/srv/vm/install.iso'/><target dev='sda' bus='sata'/><readonly/></disk>"),
        .devices("interface.direct", "/domain/devices/interface[2]", "<interface type='direct'><source dev='eth0' mode='bridge'/></interface>",
                 clean: "<interface type='bridge'><source bridge='br0'/></interface>"),
        .devices("interface.ethernet", "/domain/devices/interface[2]", "<interface type='ethernet'><target dev='mytap0' managed='no'/></interface>"),
        .devices("interface.user", "/domain/devices/interface[2]", "<interface type='user'/>"),
        .devices("interface.hostdev", "/domain/devices/interface[2]",
                 "<interface type='hostdev' managed='yes'><source><address type='pci' domain='0' bus='3' slot='0' function='1'/></source></interface>"),
        .devices("interface.socket", "/domain/devices/interface[2]", "<interface type='mcast'><source address='230.0.0.1' port='5558'/></interface>"),
        .devices("interface.type", "/domain/devices/interface[2]", "<interface type='vdpa'><source dev='/dev/vhost-vdpa-0'/></interface>"),
        .devices("interface.script", "/domain/devices/interface[2]/script",
                 "<interface type='bridge'><source bridge='br0'/><script path='/tmp/x.sh'/></interface>"),
        .devices("interface.backend", "/domain/devices/interface[2]/backend",
                 "<interface type='network'><source network='default'/><backend tap='/dev/sda'/></interface>",
                 clean: "<interface type='network'><source network='default'/><backend tap='/dev/net/tun' vhost='/dev/vhost-net'/></interface>"),
        .devices("tpm.passthrough", "/domain/devices/tpm", "<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>",
                 clean: "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"),
        .devices("tpm.backend", "/domain/devices/tpm", "<tpm model='tpm-crb'><backend type='external'><source type='unix' mode='connect' path='/tmp/swtpm.sock'/></backend></tpm>"),
        RuleCase(rule: "domain.type", xpath: "/domain", denied: Fixtures.domain(rootAttributes: "type='qemu'"), clean: Fixtures.domain()),
        .devices("emulator.path", "/domain/devices/emulator[2]", "<emulator>/tmp/qemu-system-x86_64</emulator>",
                 clean: "<emulator>/usr/libexec/qemu-kvm</emulator>"),
        // The template's rules.
        RuleCase(rule: "machine.type", xpath: "/domain/os/type", denied: Fixtures.domain(), clean: Fixtures.domain(),
                 tweak: { $0.machines = ["pc-i440fx-*"] }).withCleanTweak { $0.machines = ["pc-i440fx-*", "pc-q35-7.?"] },
        RuleCase(rule: "cpu.mode", xpath: "/domain/cpu", denied: Fixtures.domain(cpu: "<cpu mode='host-passthrough'/>"),
                 clean: Fixtures.domain(cpu: "<cpu mode='custom'><model>EPYC</model></cpu>")),
        RuleCase(rule: "cpu.mode", xpath: "/domain", denied: Fixtures.domain(cpu: ""), clean: Fixtures.domain(),
                 tweak: { $0.cpuModes = ["host-model"] }),
        RuleCase(rule: "cpu.model", xpath: "/domain/cpu/model", denied: Fixtures.domain(cpu: "<cpu mode='custom'><model>Haswell</model></cpu>"),
                 clean: Fixtures.domain(cpu: "<cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Server</model></cpu>")),
        RuleCase(rule: "vcpu.limit", xpath: "/domain/vcpu", denied: Fixtures.domain(vcpu: "<vcpu current='2'>8</vcpu>"),
                 clean: Fixtures.domain(vcpu: "<vcpu placement='static' current='1'>4</vcpu>")),
        RuleCase(rule: "vcpu.limit", xpath: "/domain/vcpu", denied: Fixtures.domain(vcpu: "<vcpu current='5'>4</vcpu>"),
                 clean: Fixtures.domain(vcpu: "")),
        RuleCase(rule: "vcpu.invalid", xpath: "/domain/vcpu", denied: Fixtures.domain(vcpu: "<vcpu>two</vcpu>"), clean: Fixtures.domain(vcpu: "<vcpu> 3 </vcpu>")),
        RuleCase(rule: "vcpu.invalid", xpath: "/domain/vcpu", denied: Fixtures.domain(vcpu: "<vcpu current='-1'>2</vcpu>"), clean: Fixtures.domain()),
        RuleCase(rule: "memory.limit", xpath: "/domain/memory", denied: Fixtures.domain(memory: "<memory unit='GiB'>5</memory>"),
                 clean: Fixtures.domain(memory: "<memory unit='GiB'>4</memory>")),
        RuleCase(rule: "memory.limit", xpath: "/domain/maxMemory",
                 denied: Fixtures.domain(memory: "<memory unit='G'>1</memory><maxMemory slots='16' unit='KiB'>4194305</maxMemory>"),
                 clean: Fixtures.domain(memory: "<memory unit='G'>1</memory><maxMemory slots='16' unit='KiB'>4194304</maxMemory>")),
        RuleCase(rule: "memory.limit", xpath: "/domain/currentMemory",
                 denied: Fixtures.domain(memory: "<memory>1048576</memory><currentMemory unit='b'>4294967297</currentMemory>"),
                 clean: Fixtures.domain(memory: "<memory>4194304</memory><currentMemory unit='bytes'>4294967296</currentMemory>")),
        RuleCase(rule: "memory.invalid", xpath: "/domain/memory", denied: Fixtures.domain(memory: "<memory unit='XB'>1</memory>"),
                 clean: Fixtures.domain(memory: "<memory unit='mib'>1</memory>")),
        RuleCase(rule: "memory.invalid", xpath: "/domain/memory", denied: Fixtures.domain(memory: "<memory unit='EiB'>99999</memory>"),
                 clean: Fixtures.domain(memory: "<memory unit='MB'>4000</memory>")),
        RuleCase(rule: "memory.invalid", xpath: "/domain", denied: Fixtures.domain(memory: ""), clean: Fixtures.domain()),
        RuleCase(rule: "disk.pool", xpath: "/domain/devices/disk/source", denied: Fixtures.domain(disk: disk("/srv/vm2/a.qcow2")),
                 clean: Fixtures.domain(disk: disk("/srv/vm/a.qcow2"))),
        RuleCase(rule: "disk.pool", xpath: "/domain/devices/disk/source", denied: Fixtures.domain(disk: disk("/srv/vm/../../etc/shadow")),
                 clean: Fixtures.domain(disk: disk("/srv//vm/./a.qcow2").replacingOccurrences(of: "/./", with: "/"))),
        RuleCase(rule: "disk.pool", xpath: "/domain/devices/disk/backingStore/source",
                 denied: Fixtures.domain(disk: disk("/srv/vm/a.qcow2", extra: "<backingStore type='file'><format type='qcow2'/><source file='/home/x/base.qcow2'/></backingStore>")),
                 clean: Fixtures.domain(disk: disk("/srv/vm/a.qcow2", extra: "<backingStore type='file'><format type='qcow2'/><source file='/srv/vm/base.qcow2'/></backingStore>"))),
        RuleCase(rule: "disk.format", xpath: "/domain/devices/disk", denied: Fixtures.domain(disk: disk("/srv/vm/a.img", driver: nil)),
                 clean: Fixtures.domain(disk: disk("/srv/vm/a.img", driver: "<driver name='qemu' type='raw'/>"))),
        RuleCase(rule: "disk.format", xpath: "/domain/devices/disk/driver", denied: Fixtures.domain(disk: disk("/srv/vm/a.vmdk", driver: "<driver name='qemu' type='vmdk'/>")),
                 clean: Fixtures.domain(disk: disk("/srv/vm/a.qcow2"))),
        RuleCase(rule: "disk.format", xpath: "/domain/devices/disk/backingStore",
                 denied: Fixtures.domain(disk: disk("/srv/vm/a.qcow2", extra: "<backingStore type='file'><source file='/srv/vm/base.img'/></backingStore>")),
                 clean: Fixtures.domain(disk: disk("/srv/vm/a.qcow2", extra: "<backingStore type='file'><format type='raw'/><source file='/srv/vm/base.img'/></backingStore>"))),
        RuleCase(rule: "disk.encryption", xpath: "/domain/devices/disk", denied: Fixtures.domain(disk: disk("/srv/vm/a.qcow2", encrypted: false)),
                 clean: Fixtures.domain(disk: "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><encryption format='luks'><secret type='passphrase' usage='vm1-disk'/></encryption><source file='/srv/vm/a.qcow2'/><target dev='vda'/></disk>")),
        RuleCase(rule: "disk.encryption", xpath: "/domain/devices/disk",
                 denied: Fixtures.domain(disk: "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/srv/vm/a.qcow2'><encryption format='qcow'><secret type='passphrase' uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'/></encryption></source><target dev='vda'/></disk>"),
                 clean: Fixtures.domain(disk: disk("/srv/vm/a.qcow2", encrypted: false)), tweak: nil)
            .withCleanTweak { $0.diskEncryption = .optional },
        RuleCase(rule: "interface.network", xpath: "/domain/devices/interface/source",
                 denied: Fixtures.domain(interface: "<interface type='network'><source network='evil'/></interface>"),
                 clean: Fixtures.domain(interface: "<interface type='bridge'><source bridge='br0'/></interface>")),
        RuleCase(rule: "interface.network", xpath: "/domain/devices/interface/source",
                 denied: Fixtures.domain(interface: "<interface type='bridge'><source network='br0'/></interface>"),
                 clean: Fixtures.domain(interface: "")),
        RuleCase(rule: "tpm.missing", xpath: "/domain/devices", denied: Fixtures.domain(),
                 clean: Fixtures.domain(devices: "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"),
                 tweak: { $0.vtpm = .required }),
        RuleCase(rule: "tpm.forbidden", xpath: "/domain/devices/tpm",
                 denied: Fixtures.domain(devices: "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"),
                 clean: Fixtures.domain(), tweak: { $0.vtpm = .forbidden }),
    ]

    static func judge(_ xml: String, tweak: (@Sendable (inout AdmissionTemplate) -> Void)?) -> AdmissionDecision {
        var policy = Fixtures.policy
        if let tweak, var template = policy.templates["small"] {
            tweak(&template)
            policy.templates["small"] = template
        }
        return AdmissionJudge.judge(domainXML: xml, policy: policy)
    }

    @Test(arguments: cases)
    func ruleDeniesItsCaseAndAllowsTheCleanVariant(_ c: RuleCase) {
        let denied = Self.judge(c.denied, tweak: c.tweak)
        #expect(!denied.isAllowed)
        #expect(Set(denied.violations.map(\.rule.id)) == [c.rule], "\(denied.text)")
        #expect(denied.violations.contains { $0.rule.id == c.rule && $0.xpath == c.xpath }, "\(denied.text)")
        #expect(denied.violations.allSatisfy { !$0.message.isEmpty })
        let clean = Self.judge(c.clean, tweak: c.cleanTweak ?? c.tweak)
        #expect(clean.isAllowed, "\(clean.text)")
    }

    @Test func everyRuleHasACaseHereOrInTheMetadataTests() {
        let covered = Set(Self.cases.map(\.rule)).union(AdmissionJudgeMetadataTests.coveredRules)
        let all = Set(AdmissionRule.all.map(\.id))
        #expect(all.subtracting(covered) == [], "rules without a test case")
    }
}

extension RuleCase {
    func withCleanTweak(_ tweak: @escaping @Sendable (inout AdmissionTemplate) -> Void) -> RuleCase {
        var copy = self
        copy.cleanTweak = tweak
        return copy
    }
}
