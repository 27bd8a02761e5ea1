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

extension JudgeContext {
    /// Checks every device under `<devices>`; unknown devices are not violations by themselves.
    mutating func checkDevices(_ devices: DomainXML.Element) {
        for device in devices.children where device.isLibvirtElement {
            switch device.localName {
            case "emulator": checkEmulator(device)
            case "hostdev": deny(.hostdev, device, "a host \(device[attribute: "type"] ?? "") device given to the guest: its DMA and firmware reach the host")
            case "redirdev": deny(.redirdev, device, "USB redirection (\(device[attribute: "type"] ?? "")) gives the guest a USB device of another machine")
            case "shmem": deny(.shmem, device, "ivshmem '\(device[attribute: "name"] ?? "")' shares memory with the host or other guests")
            case "disk": checkDisk(device)
            case "interface": checkInterface(device)
            case "filesystem": checkFilesystem(device)
            case "serial", "console", "parallel", "channel": checkCharDevice(device, kind: device.localName)
            case "graphics": checkGraphics(device)
            case "tpm": checkTPM(device)
            case "input":
                let type = device[attribute: "type"] ?? ""
                if type == "passthrough" || type == "evdev" {
                    deny(.inputPassthrough, device, "input type '\(type)' hands a host input device (\(device.libvirtChild("source")?[attribute: "evdev"] ?? "?")) to the guest")
                }
            case "smartcard":
                let mode = device[attribute: "mode"] ?? ""
                if mode == "host" || mode == "host-certificates" {
                    deny(.smartcardHost, device, "smartcard mode '\(mode)' uses the host's reader or certificate database")
                } else if mode == "passthrough" {
                    checkCharDevice(device, kind: "smartcard")
                }
            case "rng": checkRNG(device)
            case "audio":
                let type = device[attribute: "type"] ?? ""
                if type != "none" && type != "spice" {
                    deny(.audioBackend, device, "audio backend '\(type)' plays into or records from the host (or writes a host file)")
                }
            case "memory": checkMemoryDevice(device)
            default: break
            }
            checkDeviceSeclabels(device)
        }
    }

    mutating func checkEmulator(_ emulator: DomainXML.Element) {
        let path = emulator.trimmedText
        let isKnown = HostPath(path) != nil && Self.emulatorGlobs.contains { Glob.matches($0, path) } && !path.contains("*")
        if !isKnown {
            deny(.emulatorPath, emulator, "emulator '\(path)' is not the distribution's QEMU (\(Self.emulatorGlobs.joined(separator: ", "))): libvirt would run it with the VM's devices")
        }
    }

    // MARK: Disks

    mutating func checkDisk(_ disk: DomainXML.Element) {
        let type = disk[attribute: "type"] ?? "file"
        let device = disk[attribute: "device"] ?? "disk"
        if device == "lun" {
            deny(.diskLUN, disk, "device='lun' passes the guest's SCSI commands to the host device")
        }
        switch type {
        case "file", "block": break
        case "vhostuser":
            checkVhostUserSocket(disk.libvirtChild("source")?[attribute: "path"], at: disk.libvirtChild("source") ?? disk, what: "vhost-user disk")
            return
        default:
            deny(.diskType, disk, "disk type '\(type)' is not a file or block device in the template's pools")
            return
        }
        guard checksTemplateRules else { return }
        // Every source with a host path: the disk's, its backing chain's, a qcow2 data file's.
        let hasSource = disk.libvirtChild("source").map { $0[attribute: "file"] != nil || $0[attribute: "dev"] != nil } ?? false
        for source in disk.descendantsAndSelf where (source.localName == "source" || source.localName == "dataStore") && source.isLibvirtElement {
            for attribute in ["file", "dev"] {
                guard let path = source[attribute: attribute] else { continue }
                if !HostPath.text(path, isInsideAnyOf: template.diskPools) {
                    deny(.diskPool, source, "disk '\(path)' is outside the template's pools (\(template.diskPools.joined(separator: ", ")))")
                }
            }
        }
        // The declared format of the disk and of every backing store: none declared would let
        // QEMU probe it, and a raw image's guest could then write a qcow2 header naming any host
        // file as its backing file (CVE-2008-2004).
        if hasSource {
            let format = disk.libvirtChild("driver")?[attribute: "type"]
            if !(format.map(template.diskFormats.contains) ?? false) {
                deny(.diskFormat, disk.libvirtChild("driver") ?? disk,
                     format.map { "disk format '\($0)' is not allowed (allowed: \(template.diskFormats.joined(separator: ", ")))" }
                        ?? "no disk format declared (<driver type>): QEMU would probe it")
            }
        }
        for backing in disk.descendantsAndSelf where backing.localName == "backingStore" && backing.isLibvirtElement && backing.libvirtChild("source") != nil {
            let format = backing.libvirtChild("format")?[attribute: "type"]
            if let format, template.diskFormats.contains(format) { continue }
            deny(.diskFormat, backing.libvirtChild("format") ?? backing,
                 format.map { "backing store format '\($0)' is not allowed" } ?? "a backing store without a declared format")
        }
        if hasSource, device == "disk", template.diskEncryption == .required, !Self.isEncrypted(disk) {
            deny(.diskEncryption, disk, "the template requires LUKS encryption: <encryption format='luks'><secret type='passphrase' uuid='…'/></encryption>")
        }
    }

    /// A LUKS `<encryption>` with a passphrase secret, in the disk or its `<source>`.
    static func isEncrypted(_ disk: DomainXML.Element) -> Bool {
        let candidates = disk.libvirtChildren(named: "encryption") + (disk.libvirtChild("source")?.libvirtChildren(named: "encryption") ?? [])
        return candidates.contains { encryption in
            encryption[attribute: "format"] == "luks" && encryption.libvirtChildren(named: "secret").contains {
                $0[attribute: "type"] == "passphrase" && ($0[attribute: "uuid"] != nil || $0[attribute: "usage"] != nil)
            }
        }
    }

    // MARK: Interfaces

    mutating func checkInterface(_ interface: DomainXML.Element) {
        let type = interface[attribute: "type"] ?? ""
        let source = interface.libvirtChild("source")
        switch type {
        case "network", "bridge":
            guard checksTemplateRules else { break }
            let name = source?[attribute: type] ?? ""
            if !template.networks.contains(name) {
                deny(.interfaceNetwork, source ?? interface,
                     "\(type) '\(name)' is not allowed (allowed: \(template.networks.isEmpty ? "none" : template.networks.joined(separator: ", ")))")
            }
        case "direct":
            deny(.interfaceDirect, interface, "macvtap on '\(source?[attribute: "dev"] ?? "")' bypasses the bridge where Hyperward's anti-spoofing and security groups apply")
        case "ethernet":
            deny(.interfaceEthernet, interface, "an unmanaged tap: no bridge, no anti-spoofing, and libvirt may run a host script for it")
        case "user":
            deny(.interfaceUser, interface, "user-mode networking lets the guest reach services on the host's loopback")
        case "hostdev":
            deny(.interfaceHostdev, interface, "a host NIC (SR-IOV function) given to the guest: its DMA reaches the host")
        case "vhostuser":
            checkVhostUserSocket(source?[attribute: "path"], at: source ?? interface, what: "vhost-user interface")
        case "server", "client", "mcast", "udp":
            deny(.interfaceSocket, interface, "a QEMU socket network ('\(type)') connects the guest to \(source?[attribute: "address"] ?? "an address") outside every bridge and firewall")
        default:
            deny(.interfaceType, interface, type.isEmpty ? "an interface without a type" : "interface type '\(type)' is not accepted")
        }
        for name in ["script", "downscript"] {
            for script in interface.libvirtChildren(named: name) {
                deny(.interfaceScript, script, "<\(name) path='\(script[attribute: "path"] ?? "")'> would run a host program as root")
            }
        }
        if let backend = interface.libvirtChild("backend") {
            for (attribute, allowed) in [("tap", "/dev/net/tun"), ("vhost", "/dev/vhost-net")] {
                if let path = backend[attribute: attribute], path != allowed {
                    deny(.interfaceBackend, backend, "\(attribute)='\(path)': only \(allowed) is accepted")
                }
            }
        }
    }

    mutating func checkVhostUserSocket(_ path: String?, at element: DomainXML.Element, what: String) {
        guard checksTemplateRules else { return }
        let allowed = template.vhostUserPaths
        if let path, HostPath.text(path, isInsideAnyOf: allowed) { return }
        deny(.vhostUserPath, element,
             "\(what) socket '\(path ?? "")' is outside vhost_user_paths (\(allowed.isEmpty ? "none allowed" : allowed.joined(separator: ", "))): the process behind it sees guest memory")
    }

    // MARK: Filesystems

    mutating func checkFilesystem(_ filesystem: DomainXML.Element) {
        // virtiofs served by an external virtiofsd: a vhost-user socket, judged as one.
        if filesystem.libvirtChild("driver")?[attribute: "type"] == "virtiofs", let socket = filesystem.libvirtChild("source")?[attribute: "socket"] {
            checkVhostUserSocket(socket, at: filesystem.libvirtChild("source") ?? filesystem, what: "virtiofs")
            return
        }
        let source = filesystem.libvirtChild("source")
        let path = source?[attribute: "dir"] ?? source?[attribute: "file"] ?? source?[attribute: "dev"] ?? source?[attribute: "name"] ?? ""
        let mode = filesystem[attribute: "accessmode"].map { ", accessmode \($0)" } ?? ""
        deny(.filesystemHost, filesystem, "host path '\(path)' exported to the guest (type \(filesystem[attribute: "type"] ?? "mount")\(mode))")
    }

    // MARK: Character devices

    /// A serial, console, parallel or channel device (and a passthrough smartcard): pty always;
    /// unix sockets libvirt binds in its own directories for channels (or for every kind under
    /// `pty-or-unix`); SPICE channels; `null`. Nothing on the network, files or host devices.
    mutating func checkCharDevice(_ device: DomainXML.Element, kind: String) {
        let type = device[attribute: "type"] ?? "pty"
        let isChannel = kind == "channel" || kind == "smartcard"
        let isSpiceChannel = ["spicevmc", "spiceport", "qemu-vdagent"].contains(type) && isChannel
        let allowsUnix = isChannel || (checksTemplateRules && template.serial == .ptyOrUnix)
        if type == "pty" || type == "null" || isSpiceChannel {
            // Accepted.
        } else if type == "unix" && allowsUnix {
            let source = device.libvirtChild("source")
            if let mode = source?[attribute: "mode"], mode != "bind" {
                deny(.chardevPath, source ?? device, "\(kind) connects to a host socket (mode '\(mode)'): only sockets libvirt binds are accepted")
            } else if let path = source?[attribute: "path"], !HostPath.text(path, isInsideAnyOf: Self.libvirtSocketDirectories) {
                deny(.chardevPath, source ?? device, "\(kind) socket '\(path)' is outside libvirt's directories (\(Self.libvirtSocketDirectories.joined(separator: ", ")))")
            }
        } else {
            let allowed = isChannel ? "pty, unix, spicevmc" : (allowsUnix ? "pty, unix" : "pty")
            let detail = [device.libvirtChild("source")?[attribute: "host"], device.libvirtChild("source")?[attribute: "path"]].compactMap { $0 }.first
            deny(.chardevBackend, device, "\(kind) of type '\(type)'\(detail.map { " (\($0))" } ?? "") is not accepted (allowed: \(allowed))")
        }
        if let log = device.libvirtChild("log"), let file = log[attribute: "file"], !HostPath.text(file, isInsideAnyOf: Self.libvirtLogDirectories) {
            deny(.chardevLog, log, "\(kind) log '\(file)' is written outside \(Self.libvirtLogDirectories.joined(separator: ", "))")
        }
    }

    // MARK: Graphics

    mutating func checkGraphics(_ graphics: DomainXML.Element) {
        let type = graphics[attribute: "type"] ?? ""
        guard type == "vnc" || type == "spice" else {
            deny(.graphicsType, graphics, "graphics type '\(type)' is not accepted (vnc or spice only)")
            return
        }
        guard checksTemplateRules else { return }
        if template.graphics == .none {
            deny(.graphicsForbidden, graphics, "the template allows no graphics console")
            return
        }
        // Where it listens: the legacy attributes and every <listen>. Nothing said means
        // qemu.conf's vnc_listen/spice_listen, which this XML cannot prove is loopback.
        var exposed: [String] = []
        var places = 0
        if let address = graphics[attribute: "listen"] {
            places += 1
            if !Self.isLoopback(address) { exposed.append(address) }
        }
        if let socket = graphics[attribute: "socket"] {
            places += 1
            if !HostPath.text(socket, isInsideAnyOf: Self.libvirtSocketDirectories) { exposed.append("socket \(socket)") }
        }
        for listen in graphics.libvirtChildren(named: "listen") {
            places += 1
            switch listen[attribute: "type"] ?? "address" {
            case "none": break
            case "socket":
                if let socket = listen[attribute: "socket"], !HostPath.text(socket, isInsideAnyOf: Self.libvirtSocketDirectories) {
                    exposed.append("socket \(socket)")
                }
            case "address":
                let address = listen[attribute: "address"] ?? ""
                if !Self.isLoopback(address) { exposed.append(address.isEmpty ? "qemu.conf's default address" : address) }
            case "network":
                exposed.append("network \(listen[attribute: "network"] ?? "")")
            default:
                exposed.append("listen type '\(listen[attribute: "type"] ?? "")'")
            }
        }
        if places == 0 { exposed.append("qemu.conf's default address (no listen given)") }
        guard !exposed.isEmpty else { return }
        if template.graphics == .loopback {
            deny(.graphicsListen, graphics, "\(type) listens on \(exposed.joined(separator: ", ")); the template allows loopback (127.0.0.1, ::1) or libvirt's sockets only")
            return
        }
        // `tls`: beyond loopback only encrypted and with a password. For SPICE the XML says it
        // (defaultMode='secure'); for VNC TLS is qemu.conf's vnc_tls, which the audit checks.
        let hasPassword = !(graphics[attribute: "passwd"] ?? "").isEmpty
        let isSecure = type == "vnc" || graphics[attribute: "defaultMode"] == "secure"
        if !hasPassword || !isSecure {
            var missing: [String] = []
            if !hasPassword { missing.append("a password (passwd)") }
            if !isSecure { missing.append("TLS (defaultMode='secure')") }
            deny(.graphicsAuth, graphics, "\(type) listens on \(exposed.joined(separator: ", ")) without \(missing.joined(separator: " and "))")
        }
    }

    static func isLoopback(_ address: String) -> Bool {
        let a = address.trimmingCharacters(in: .whitespaces)
        if a == "::1" || a == "localhost" || a == "[::1]" { return true }
        let octets = a.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { $0.count <= 3 && !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } && (Int($0) ?? 256) <= 255 }
    }

    // MARK: TPM, RNG, memory devices

    mutating func checkTPM(_ tpm: DomainXML.Element) {
        let backend = tpm.libvirtChild("backend")?[attribute: "type"] ?? ""
        switch backend {
        case "emulator": break
        case "passthrough": deny(.tpmPassthrough, tpm, "the host's TPM (\(tpm.libvirtChild("backend")?.libvirtChild("device")?[attribute: "path"] ?? "/dev/tpm0")) given to the guest")
        default: deny(.tpmBackend, tpm, "TPM backend '\(backend)' is not accepted (emulator only)")
        }
        if checksTemplateRules, template.vtpm == .forbidden {
            deny(.tpmForbidden, tpm, "the template forbids a TPM")
        }
    }

    static let rngSources: Set<String> = ["/dev/random", "/dev/urandom", "/dev/hwrng"]

    mutating func checkRNG(_ rng: DomainXML.Element) {
        guard let backend = rng.libvirtChild("backend") else { return }
        switch backend[attribute: "model"] ?? "" {
        case "builtin": break
        case "random":
            let path = backend.trimmedText
            if !path.isEmpty && !Self.rngSources.contains(path) {
                deny(.rngBackend, backend, "RNG source '\(path)' is not /dev/urandom, /dev/random or /dev/hwrng")
            }
        default:
            deny(.rngBackend, backend, "RNG backend '\(backend[attribute: "model"] ?? "")' (\(backend[attribute: "type"] ?? "")) reaches outside the host's kernel RNG")
        }
    }

    mutating func checkMemoryDevice(_ memory: DomainXML.Element) {
        if memory[attribute: "access"] == "shared" {
            deny(.memoryShared, memory, "a memory device shared (access='shared') with host processes")
        }
        if let path = memory.libvirtChild("source")?.libvirtChild("path")?.trimmedText, !path.isEmpty {
            deny(.memorySource, memory, "a \(memory[attribute: "model"] ?? "memory") device backed by host file '\(path)'")
        }
        if checksTemplateRules, let size = memory.libvirtChild("target")?.libvirtChild("size") {
            if case .failure(let problem) = MemorySize.bytes(size.trimmedText, unit: size[attribute: "unit"]) {
                deny(.memoryInvalid, size, "memory device size: \(problem)")
            }
        }
    }
}
