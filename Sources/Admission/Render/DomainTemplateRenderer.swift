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
import HyperwardHost

/// Renders the domain XML of a new VM from a template: the smallest domain the template allows,
/// with Hyperward's admission metadata, which ``AdmissionJudge`` admits under that template.
///
/// Every value is checked against the template first (a disk outside the pools, too much memory,
/// a network the template does not list): the renderer throws rather than write a domain the
/// judge would deny.
public enum DomainTemplateRenderer {
    /// The error code of a request the template does not allow.
    public static let errorCode = HyperwardError.Code("admission", exitStatus: ExitStatus.usage)

    /// Where the VM's interface attaches.
    public enum Attachment: Sendable, Hashable {
        /// A libvirt network (`<interface type='network'>`).
        case network(String)
        /// A host bridge (`<interface type='bridge'>`).
        case bridge(String)
    }

    /// What the new VM is.
    public struct Request: Sendable, Hashable {
        public var name: String
        public var tenant: String
        /// The domain UUID, lowercase 8-4-4-4-12 hex.
        public var uuid: String
        public var diskPath: String
        /// The disk's format (`<driver type>`): `qcow2`, or `raw` for a LUKS image.
        public var diskFormat: String
        /// The libvirt secret (a LUKS passphrase) of an encrypted disk; required when the
        /// template requires encryption.
        public var secretUUID: String?
        /// Where the interface attaches; nil for a VM without network.
        public var network: Attachment?
        /// The interface's MAC (`52:54:00:…`); nil lets libvirt choose.
        public var mac: String?
        public var memoryMiB: Int
        public var vcpus: Int
        /// A direct-boot kernel, initrd and command line (inside the template's `boot_paths`).
        public var kernel: String?
        public var initrd: String?
        public var cmdline: String?
        /// The machine type; nil takes the template's first machine without wildcards.
        public var machine: String?
        /// The CPU model for mode custom; nil takes the template's first model.
        public var cpuModel: String?
        /// Whether to add a graphics console (VNC on loopback) when the template allows one.
        public var graphics: Bool
        /// The domain type (`kvm`, or `qemu` where the template allows TCG); nil: the template's first.
        public var domainType: String?
        /// The security groups the VM's interfaces join (each one the template allows), written
        /// in its metadata, where the network engine reads them for an admitted domain.
        public var securityGroups: [String] = []

        /// Creates a request.
        public init(name: String, tenant: String, uuid: String, diskPath: String, diskFormat: String, secretUUID: String? = nil,
                    network: Attachment? = nil, mac: String? = nil, memoryMiB: Int, vcpus: Int, kernel: String? = nil,
                    initrd: String? = nil, cmdline: String? = nil, machine: String? = nil, cpuModel: String? = nil, graphics: Bool = false) {
            self.name = name
            self.tenant = tenant
            self.uuid = uuid
            self.diskPath = diskPath
            self.diskFormat = diskFormat
            self.secretUUID = secretUUID
            self.network = network
            self.mac = mac
            self.memoryMiB = memoryMiB
            self.vcpus = vcpus
            self.kernel = kernel
            self.initrd = initrd
            self.cmdline = cmdline
            self.machine = machine
            self.cpuModel = cpuModel
            self.graphics = graphics
        }
    }

    /// Renders the domain XML of `request` under template `templateName` of `policy`.
    /// - Throws: `HyperwardError` code `admission` naming what the template (or the tenant's
    ///   grant) does not allow.
    public static func render(template templateName: String, policy: AdmissionPolicy, request: Request) throws(HyperwardError) -> String {
        guard let template = policy.templates[templateName] else { throw fail("template '\(templateName)' is not in the policy") }
        guard let tenant = policy.tenants[request.tenant] else { throw fail("tenant '\(request.tenant)' is not in the policy") }
        guard tenant.templates.contains(templateName) else { throw fail("tenant '\(request.tenant)' may not use template '\(templateName)'") }
        return try render(templateName: templateName, template: template, request: request)
    }

    /// The convenience form of ``render(template:policy:request:)`` with every field named.
    public static func render(template: String, policy: AdmissionPolicy, name: String, tenant: String, uuid: String,
                              diskPath: String, diskFormat: String, secretUUID: String?, network: Attachment?, mac: String?,
                              memoryMiB: Int, vcpus: Int, kernel: String? = nil, initrd: String? = nil,
                              cmdline: String? = nil) throws(HyperwardError) -> String {
        try render(template: template, policy: policy, request: Request(
            name: name, tenant: tenant, uuid: uuid, diskPath: diskPath, diskFormat: diskFormat, secretUUID: secretUUID,
            network: network, mac: mac, memoryMiB: memoryMiB, vcpus: vcpus, kernel: kernel, initrd: initrd, cmdline: cmdline))
    }

    static func fail(_ message: String) -> HyperwardError { HyperwardError(errorCode, message.terminalSafe) }

    static func render(templateName: String, template: AdmissionTemplate, request r: Request) throws(HyperwardError) -> String {
        try validate(r, template: template)
        let machine: String
        if let chosen = r.machine {
            guard template.machines.contains(where: { Glob.matches($0, chosen) }), !chosen.contains("*") else {
                throw fail("machine type '\(chosen)' is not allowed (allowed: \(template.machines.joined(separator: ", ")))")
            }
            machine = chosen
        } else {
            guard let first = template.machines.first(where: { !$0.contains("*") && !$0.contains("?") }) else {
                throw fail("the template's machine types are all globs (\(template.machines.joined(separator: ", "))): name one")
            }
            machine = first
        }
        let e = DomainXML.escaped
        let domainType = r.domainType ?? template.domainTypes.first ?? "kvm"
        guard template.domainTypes.contains(domainType) else {
            throw fail("domain type '\(domainType)' is not allowed (allowed: \(template.domainTypes.joined(separator: ", ")))")
        }
        for group in r.securityGroups where !template.securityGroups.contains(group) {
            throw fail("security group '\(group)' is not allowed (allowed: \(template.securityGroups.joined(separator: ", ")))")
        }
        let groups = r.securityGroups.isEmpty ? "" : " security-groups='\(e(r.securityGroups.joined(separator: " ")))'"
        var x = "<domain type='\(e(domainType))'>\n"
        x += "  <name>\(e(r.name))</name>\n  <uuid>\(e(r.uuid))</uuid>\n"
        x += "  <metadata>\n    <hyperward:admission xmlns:hyperward='\(AdmissionJudge.metadataNamespace)' template='\(e(templateName))' tenant='\(e(r.tenant))'\(groups)/>\n  </metadata>\n"
        x += "  <memory unit='MiB'>\(r.memoryMiB)</memory>\n  <currentMemory unit='MiB'>\(r.memoryMiB)</currentMemory>\n"
        x += "  <vcpu placement='static'>\(r.vcpus)</vcpu>\n"
        x += "  <os>\n    <type arch='x86_64' machine='\(e(machine))'>hvm</type>\n"
        if let kernel = r.kernel {
            x += "    <kernel>\(e(kernel))</kernel>\n"
            if let initrd = r.initrd { x += "    <initrd>\(e(initrd))</initrd>\n" }
            if let cmdline = r.cmdline { x += "    <cmdline>\(e(cmdline))</cmdline>\n" }
        } else {
            x += "    <boot dev='hd'/>\n"
        }
        x += "  </os>\n  <features>\n    <acpi/>\n    <apic/>\n  </features>\n"
        x += try cpuXML(template: template, request: r)
        // No KSM merging of this guest's pages (a cross-VM timing side channel).
        x += "  <memoryBacking>\n    <nosharepages/>\n  </memoryBacking>\n"
        x += "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n  <on_crash>destroy</on_crash>\n"
        x += "  <devices>\n"
        x += "    <disk type='file' device='disk'>\n      <driver name='qemu' type='\(e(r.diskFormat))'/>\n"
        if let secret = r.secretUUID {
            x += "      <source file='\(e(r.diskPath))'>\n        <encryption format='luks'>\n"
            x += "          <secret type='passphrase' uuid='\(e(secret))'/>\n        </encryption>\n      </source>\n"
        } else {
            x += "      <source file='\(e(r.diskPath))'/>\n"
        }
        x += "      <target dev='vda' bus='virtio'/>\n    </disk>\n"
        if let network = r.network {
            let (type, name): (String, String) = switch network {
            case .network(let n): ("network", n)
            case .bridge(let n): ("bridge", n)
            }
            x += "    <interface type='\(type)'>\n"
            if let mac = r.mac { x += "      <mac address='\(e(mac))'/>\n" }
            x += "      <source \(type)='\(e(name))'/>\n      <model type='virtio'/>\n    </interface>\n"
        }
        x += "    <serial type='pty'>\n      <target port='0'/>\n    </serial>\n"
        x += "    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>\n"
        x += "    <channel type='unix'>\n      <target type='virtio' name='org.qemu.guest_agent.0'/>\n    </channel>\n"
        if r.graphics {
            guard template.graphics != .none else { throw fail("the template allows no graphics console") }
            x += "    <graphics type='vnc' autoport='yes'>\n      <listen type='address' address='127.0.0.1'/>\n    </graphics>\n"
        }
        if template.vtpm == .required {
            x += "    <tpm model='tpm-crb'>\n      <backend type='emulator' version='2.0'/>\n    </tpm>\n"
        }
        x += "    <rng model='virtio'>\n      <backend model='random'>/dev/urandom</backend>\n    </rng>\n"
        x += "    <memballoon model='virtio'/>\n  </devices>\n</domain>\n"
        return x
    }

    static func cpuXML(template: AdmissionTemplate, request r: Request) throws(HyperwardError) -> String {
        // The first allowed mode in the order of least host exposure.
        let preference = ["custom", "host-model", "maximum", "host-passthrough"]
        let mode = r.cpuModel != nil ? "custom" : preference.first { mode in
            template.cpuModes.contains(mode) && (mode != "custom" || !template.cpuModels.isEmpty)
        } ?? template.cpuModes.first ?? "host-model"
        guard template.cpuModes.contains(mode) else { throw fail("CPU mode '\(mode)' is not allowed by the template") }
        guard mode == "custom" else { return "  <cpu mode='\(mode)'/>\n" }
        guard let model = r.cpuModel ?? template.cpuModels.first else { throw fail("mode custom needs a CPU model: name one") }
        if !template.cpuModels.isEmpty, !template.cpuModels.contains(model) {
            throw fail("CPU model '\(model)' is not allowed (allowed: \(template.cpuModels.joined(separator: ", ")))")
        }
        return "  <cpu mode='custom' match='exact' check='partial'>\n    <model fallback='forbid'>\(DomainXML.escaped(model))</model>\n  </cpu>\n"
    }

    static func validate(_ r: Request, template: AdmissionTemplate) throws(HyperwardError) {
        let nameOK = !r.name.isEmpty && r.name.count <= 64 && r.name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        guard nameOK else { throw fail("VM name '\(r.name)' must be 1-64 characters of letters, digits, '-', '_' or '.'") }
        guard isUUID(r.uuid) else { throw fail("'\(r.uuid)' is not a UUID (8-4-4-4-12 hex digits)") }
        guard HostPath.text(r.diskPath, isInsideAnyOf: template.diskPools) else {
            throw fail("disk '\(r.diskPath)' is outside the template's pools (\(template.diskPools.joined(separator: ", ")))")
        }
        guard template.diskFormats.contains(r.diskFormat) else {
            throw fail("disk format '\(r.diskFormat)' is not allowed (allowed: \(template.diskFormats.joined(separator: ", ")))")
        }
        if let secret = r.secretUUID, !isUUID(secret) { throw fail("secret '\(secret)' is not a UUID") }
        if template.diskEncryption == .required, r.secretUUID == nil {
            throw fail("the template requires encrypted disks: give the disk's LUKS secret UUID")
        }
        if let network = r.network {
            let name = switch network {
            case .network(let n): n
            case .bridge(let n): n
            }
            guard template.networks.contains(name) else {
                throw fail("network '\(name)' is not allowed (allowed: \(template.networks.isEmpty ? "none" : template.networks.joined(separator: ", ")))")
            }
        }
        if let mac = r.mac, !isMAC(mac) { throw fail("'\(mac)' is not a unicast MAC address (aa:bb:cc:dd:ee:ff)") }
        guard (1...template.maxMemoryMiB).contains(r.memoryMiB) else {
            throw fail("\(r.memoryMiB) MiB of memory: the template allows 1 to \(template.maxMemoryMiB)")
        }
        guard (1...template.maxVCPUs).contains(r.vcpus) else { throw fail("\(r.vcpus) vCPUs: the template allows 1 to \(template.maxVCPUs)") }
        for path in [r.kernel, r.initrd].compactMap({ $0 }) where !HostPath.text(path, isInsideAnyOf: template.bootPaths) {
            throw fail("'\(path)' is outside the template's boot_paths (\(template.bootPaths.joined(separator: ", ")))")
        }
        for text in [r.cmdline, r.name].compactMap({ $0 }) where text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw fail("'\(text)' holds control characters, which XML cannot carry")
        }
        if r.kernel == nil, r.initrd != nil || r.cmdline != nil { throw fail("an initrd or command line needs a kernel") }
    }

    static func isUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    static func isMAC(_ text: String) -> Bool {
        let octets = text.split(separator: ":", omittingEmptySubsequences: false)
        guard octets.count == 6, octets.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }),
              let first = UInt8(octets[0], radix: 16) else { return false }
        return first & 1 == 0
    }

}
