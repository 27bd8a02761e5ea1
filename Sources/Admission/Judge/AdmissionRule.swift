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

import HyperwardCore

/// One rule of the admission judge: a stable id (`hostdev`, `disk.pool`), the threat class it
/// guards against, and what it catches. docs/admission-rules.md explains each; a test checks
/// that page names every rule.
///
/// A struct of static values, not an enum, so adding a rule breaks no `switch` of a consumer.
public struct AdmissionRule: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The stable id, dotted: what reports, events and tests name.
    public var id: String
    /// The threat class a violation belongs to.
    public var threat: ThreatClass
    /// What it catches, one line.
    public var summary: String

    /// Creates a rule.
    public init(_ id: String, _ threat: ThreatClass, _ summary: String) {
        self.id = id
        self.threat = threat
        self.summary = summary
    }

    public var description: String { id }

    public init(from decoder: any Decoder) throws {
        let id = try decoder.singleValueContainer().decode(String.self)
        self = AdmissionRule.byID[id] ?? AdmissionRule(id, .vmEscape, "")
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(id)
    }

    // MARK: The document and its metadata

    /// The XML is malformed, too large, too deep, or not a `<domain>`.
    public static let xmlMalformed = AdmissionRule("xml.malformed", .hypervisorVulnerability, "the XML is malformed, oversized or not a domain")
    /// No Hyperward admission metadata.
    public static let templateMissing = AdmissionRule("template.missing", .vmEscape, "no hyperward:admission metadata naming a template")
    /// More than one admission metadata element.
    public static let templateAmbiguous = AdmissionRule("template.ambiguous", .vmEscape, "more than one hyperward:admission metadata element")
    /// The template named is not in the policy.
    public static let templateUnknown = AdmissionRule("template.unknown", .vmEscape, "the template named is not in the policy")
    /// The metadata names another template than the one asked for.
    public static let templateMismatch = AdmissionRule("template.mismatch", .vmEscape, "the metadata names another template or tenant than the caller's")
    /// No tenant in the metadata.
    public static let tenantMissing = AdmissionRule("tenant.missing", .vmEscape, "the metadata names no tenant")
    /// The tenant named is not in the policy.
    public static let tenantUnknown = AdmissionRule("tenant.unknown", .vmEscape, "the tenant named is not in the policy")
    /// The tenant may not use the template.
    public static let tenantTemplate = AdmissionRule("tenant.template", .vmEscape, "the tenant is not granted the template")
    /// The metadata names a security group the template does not allow.
    public static let securityGroupTemplate = AdmissionRule("security_group.template", .networkThreat, "a security group in the metadata that the template does not allow")

    // MARK: Always applied

    /// Not a KVM domain (TCG is no security boundary).
    public static let domainType = AdmissionRule("domain.type", .hypervisorVulnerability, "a domain type other than kvm (TCG emulation)")
    /// A custom emulator binary.
    public static let emulatorPath = AdmissionRule("emulator.path", .vmEscape, "an <emulator> other than the distribution's QEMU")
    /// Host PCI/USB/SCSI/mdev device assignment.
    public static let hostdev = AdmissionRule("hostdev", .vmEscape, "a <hostdev>: a host device given to the guest")
    /// USB redirection.
    public static let redirdev = AdmissionRule("redirdev", .vmEscape, "a <redirdev>: USB redirection")
    /// Raw QEMU command-line arguments.
    public static let qemuCommandline = AdmissionRule("qemu.commandline", .vmEscape, "qemu:commandline: raw QEMU arguments and environment")
    /// Raw QEMU device property overrides.
    public static let qemuOverride = AdmissionRule("qemu.override", .vmEscape, "qemu:override: raw QEMU device properties")
    /// QEMU capability overrides.
    public static let qemuCapabilities = AdmissionRule("qemu.capabilities", .vmEscape, "qemu:capabilities: libvirt's view of QEMU changed")
    /// Any other element of libvirt's QEMU namespace.
    public static let qemuNamespace = AdmissionRule("qemu.namespace", .vmEscape, "any other element of the QEMU namespace")
    /// Shared memory with the host or other guests.
    public static let shmem = AdmissionRule("shmem", .vmEscape, "a <shmem> (ivshmem) device")
    /// A vhost-user socket outside the template's directories.
    public static let vhostUserPath = AdmissionRule("vhostuser.path", .vmEscape, "a vhost-user socket outside vhost_user_paths")
    /// A host directory exported to the guest.
    public static let filesystemHost = AdmissionRule("filesystem.host", .vmEscape, "a <filesystem>: a host directory in the guest")
    /// A character device to a network, file or host device.
    public static let chardevBackend = AdmissionRule("chardev.backend", .vmEscape, "a serial, console, channel or parallel port not on a pty (or an allowed unix socket)")
    /// A unix socket outside libvirt's directories.
    public static let chardevPath = AdmissionRule("chardev.path", .vmEscape, "a character device's unix socket outside libvirt's directories, or connecting out")
    /// A character device log file outside libvirt's log directory.
    public static let chardevLog = AdmissionRule("chardev.log", .vmEscape, "a character device log file outside /var/log/libvirt/qemu")
    /// A graphics console where the template allows none.
    public static let graphicsForbidden = AdmissionRule("graphics.forbidden", .hypervisorVulnerability, "a <graphics> console where the template allows none")
    /// A graphics type other than VNC or SPICE.
    public static let graphicsType = AdmissionRule("graphics.type", .hypervisorVulnerability, "a graphics type other than vnc or spice (sdl, desktop, rdp, dbus, egl-headless)")
    /// A console listening beyond loopback.
    public static let graphicsListen = AdmissionRule("graphics.listen", .hypervisorVulnerability, "VNC/SPICE listening beyond loopback (or where it listens is left to qemu.conf)")
    /// A console beyond loopback without TLS and a password.
    public static let graphicsAuth = AdmissionRule("graphics.auth", .hypervisorVulnerability, "VNC/SPICE beyond loopback without TLS and a password")
    /// Confinement off.
    public static let seclabelDisabled = AdmissionRule("seclabel.disabled", .vmEscape, "<seclabel type='none'>: sVirt/AppArmor/DAC confinement off")
    /// Relabelling off.
    public static let seclabelNoRelabel = AdmissionRule("seclabel.norelabel", .vmEscape, "relabel='no' on the domain's seclabel")
    /// A static label chosen by the domain.
    public static let seclabelStatic = AdmissionRule("seclabel.static", .vmEscape, "<seclabel type='static'>: a label (or uid:gid) chosen by the domain")
    /// A per-device seclabel that turns relabelling off or sets a label.
    public static let seclabelDevice = AdmissionRule("seclabel.device", .vmEscape, "a device <seclabel> turning relabelling off or setting a label")
    /// Guest memory shared with host processes.
    public static let memoryShared = AdmissionRule("memory.shared", .vmEscape, "guest memory shared (<access mode='shared'>, memAccess='shared')")
    /// Guest memory backed by a host file.
    public static let memorySource = AdmissionRule("memory.source", .vmEscape, "guest memory backed by a host file (<source type='file'>, nvdimm/pmem paths)")
    /// CPU features that mitigate side channels switched off.
    public static let cpuFeature = AdmissionRule("cpu.feature", .sideChannel, "a side-channel mitigation CPU feature disabled")
    /// Host input devices.
    public static let inputPassthrough = AdmissionRule("input.passthrough", .vmEscape, "an <input type='passthrough'|'evdev'>: a host input device")
    /// A smartcard using the host's certificates or reader.
    public static let smartcardHost = AdmissionRule("smartcard.host", .vmEscape, "a <smartcard mode='host'|'host-certificates'>")
    /// An RNG backend other than the kernel's.
    public static let rngBackend = AdmissionRule("rng.backend", .vmEscape, "an <rng> backend other than /dev/urandom, /dev/random, /dev/hwrng or builtin")
    /// An audio backend writing to the host.
    public static let audioBackend = AdmissionRule("audio.backend", .vmEscape, "an <audio> backend other than none or spice")
    /// A boot file outside the template's boot paths.
    public static let bootPath = AdmissionRule("boot.path", .vmEscape, "a kernel, initrd, DTB, loader or NVRAM file outside boot_paths")
    /// A disk that is not a plain file or block device.
    public static let diskType = AdmissionRule("disk.type", .vmEscape, "a disk that is not a file or block device (network, volume, dir, nvme)")
    /// SCSI command passthrough.
    public static let diskLUN = AdmissionRule("disk.lun", .vmEscape, "a <disk device='lun'>: SCSI commands passed to a host device")
    /// Host interface types that bypass the host's firewall or reach its loopback.
    public static let interfaceDirect = AdmissionRule("interface.direct", .networkThreat, "an <interface type='direct'> (macvtap): bypasses the host's bridge firewall")
    /// An unmanaged tap.
    public static let interfaceEthernet = AdmissionRule("interface.ethernet", .vmEscape, "an <interface type='ethernet'>: an unmanaged tap")
    /// User-mode networking.
    public static let interfaceUser = AdmissionRule("interface.user", .vmEscape, "an <interface type='user'> (SLIRP/passt): reaches the host's loopback")
    /// A PCI network device.
    public static let interfaceHostdev = AdmissionRule("interface.hostdev", .vmEscape, "an <interface type='hostdev'>: a host NIC function given to the guest")
    /// A QEMU socket network.
    public static let interfaceSocket = AdmissionRule("interface.socket", .networkThreat, "an <interface type='server'|'client'|'mcast'|'udp'>: a QEMU socket network")
    /// Any other interface type.
    public static let interfaceType = AdmissionRule("interface.type", .networkThreat, "an interface type Hyperward does not know (vdpa, null, vds, …) or none")
    /// A host script run for an interface.
    public static let interfaceScript = AdmissionRule("interface.script", .vmEscape, "an interface <script> or <downscript>: a host program run by libvirt")
    /// A tap or vhost device path chosen by the domain.
    public static let interfaceBackend = AdmissionRule("interface.backend", .vmEscape, "an interface <backend tap|vhost> other than /dev/net/tun and /dev/vhost-net")
    /// A passthrough TPM.
    public static let tpmPassthrough = AdmissionRule("tpm.passthrough", .vmEscape, "a <tpm> backend passthrough: the host's TPM")
    /// An external TPM.
    public static let tpmBackend = AdmissionRule("tpm.backend", .vmEscape, "a <tpm> backend other than emulator (external socket)")

    // MARK: The template's rules

    /// A machine type the template does not allow.
    public static let machineType = AdmissionRule("machine.type", .hypervisorVulnerability, "a machine type outside the template's machine globs")
    /// A CPU mode the template does not allow.
    public static let cpuMode = AdmissionRule("cpu.mode", .sideChannel, "a CPU mode outside the template's cpu.modes")
    /// A CPU model the template does not allow.
    public static let cpuModel = AdmissionRule("cpu.model", .sideChannel, "a CPU model outside the template's cpu.models")
    /// More vCPUs than allowed.
    public static let vcpuLimit = AdmissionRule("vcpu.limit", .maliciousVM, "more vCPUs than max_vcpus")
    /// A vCPU count that does not parse.
    public static let vcpuInvalid = AdmissionRule("vcpu.invalid", .hypervisorVulnerability, "a vCPU count that is not a number")
    /// More memory than allowed.
    public static let memoryLimit = AdmissionRule("memory.limit", .maliciousVM, "more memory than max_memory_mib")
    /// A memory size that does not parse.
    public static let memoryInvalid = AdmissionRule("memory.invalid", .hypervisorVulnerability, "a memory size that is not a number with a known unit, or none")
    /// A disk outside the pools.
    public static let diskPool = AdmissionRule("disk.pool", .vmEscape, "a disk image or backing file outside disks.pools")
    /// A disk format the template does not allow, or none.
    public static let diskFormat = AdmissionRule("disk.format", .vmEscape, "a disk format outside disks.formats, or none declared (format probing)")
    /// An unencrypted disk where encryption is required.
    public static let diskEncryption = AdmissionRule("disk.encryption", .vmEscape, "a disk without LUKS encryption and a passphrase secret where required")
    /// A network or bridge the template does not allow.
    public static let interfaceNetwork = AdmissionRule("interface.network", .networkThreat, "an interface on a network or bridge outside the template's networks")
    /// No vTPM where one is required.
    public static let tpmMissing = AdmissionRule("tpm.missing", .vmEscape, "no emulated TPM where the template requires one")
    /// A vTPM where none is allowed.
    public static let tpmForbidden = AdmissionRule("tpm.forbidden", .hypervisorVulnerability, "a TPM where the template forbids one")

    // MARK: Notes (never a denial)

    /// Kernel same-page merging may merge guest pages.
    public static let noteKSM = AdmissionRule("note.ksm", .sideChannel, "no <nosharepages/>: KSM may merge guest pages (a side channel when KSM runs)")

    /// Every rule, in the order of docs/admission-rules.md.
    public static let all: [AdmissionRule] = [
        xmlMalformed, templateMissing, templateAmbiguous, templateUnknown, templateMismatch, tenantMissing, tenantUnknown, tenantTemplate,
        securityGroupTemplate,
        domainType, emulatorPath, hostdev, redirdev, qemuCommandline, qemuOverride, qemuCapabilities, qemuNamespace, shmem,
        vhostUserPath, filesystemHost, chardevBackend, chardevPath, chardevLog, graphicsForbidden, graphicsType, graphicsListen,
        graphicsAuth, seclabelDisabled, seclabelNoRelabel, seclabelStatic, seclabelDevice, memoryShared, memorySource, cpuFeature,
        inputPassthrough, smartcardHost, rngBackend, audioBackend, bootPath, diskType, diskLUN, interfaceDirect, interfaceEthernet,
        interfaceUser, interfaceHostdev, interfaceSocket, interfaceType, interfaceScript, interfaceBackend, tpmPassthrough, tpmBackend,
        machineType, cpuMode, cpuModel, vcpuLimit, vcpuInvalid, memoryLimit, memoryInvalid, diskPool, diskFormat, diskEncryption,
        interfaceNetwork, tpmMissing, tpmForbidden, noteKSM,
    ]

    /// The rules by id.
    public static let byID: [String: AdmissionRule] = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
}
