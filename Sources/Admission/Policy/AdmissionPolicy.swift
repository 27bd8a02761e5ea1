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

/// The admission part of the policy file: security templates, the tenants that may use them, and
/// who holds which role (docs/admission.md). Parsed from the same file as the network policy
/// (`templates:`, `tenants:`, `roles:` beside `groups:` and `vms:`).
public struct AdmissionPolicy: Sendable, Hashable {
    /// The templates by name.
    public var templates: [String: AdmissionTemplate]
    /// The tenants by name.
    public var tenants: [String: Tenant]
    /// Roles over Hyperward's own commands on this host, by principal (`alice`, `@wheel`).
    public var roles: [Principal: Role]

    /// Creates a policy.
    public init(templates: [String: AdmissionTemplate] = [:], tenants: [String: Tenant] = [:], roles: [Principal: Role] = [:]) {
        self.templates = templates
        self.tenants = tenants
        self.roles = roles
    }
}

/// A security template: what a VM created from it may have.
public struct AdmissionTemplate: Sendable, Hashable {
    /// Allowed machine types, as globs (`pc-q35-*`). Never empty.
    public var machines: [String]
    /// Allowed CPU modes (`host-model`, `host-passthrough`, `custom`, `maximum`). Never empty.
    public var cpuModes: [String]
    /// Allowed CPU models for mode `custom`; empty allows any.
    public var cpuModels: [String]
    /// The most vCPUs.
    public var maxVCPUs: Int
    /// The most memory, in MiB (`<memory>`, `<currentMemory>`, `<maxMemory>` each).
    public var maxMemoryMiB: Int
    /// Directories disk images (and their backing files) must lie in. Never empty.
    public var diskPools: [String]
    /// Allowed disk formats (`<driver type>`). Never empty.
    public var diskFormats: [String]
    /// Whether every disk must be LUKS-encrypted.
    public var diskEncryption: Requirement
    /// Allowed libvirt networks and bridges for `<interface type='network'|'bridge'>`; empty
    /// allows no interface.
    public var networks: [String]
    /// Security groups (from the network policy's `groups:`) a VM of this template may bind.
    public var securityGroups: [String]
    /// Whether the VM must, may or must not have an emulated TPM.
    public var vtpm: TriState
    /// What graphics consoles may be.
    public var graphics: GraphicsRule
    /// What serial consoles and channels may be.
    public var serial: SerialRule
    /// Directories vhost-user sockets may lie in; empty allows none.
    public var vhostUserPaths: [String]
    /// Directories direct-boot kernels, initrds, DTBs, firmware and NVRAM files may lie in.
    public var bootPaths: [String]
    /// Free text.
    public var description: String?
    /// The domain types allowed: `kvm` (the default), and `qemu` (TCG emulation, no hardware
    /// isolation: for hosts without KVM, labs and tests) only when listed.
    public var domainTypes: [String] = ["kvm"]

    /// The firmware and NVRAM directories of Debian's and Fedora's QEMU packages: the default of
    /// `boot_paths`.
    public static let defaultBootPaths = [
        "/usr/share/OVMF", "/usr/share/qemu", "/usr/share/seabios", "/usr/share/AAVMF", "/usr/share/edk2",
        "/var/lib/libvirt/qemu/nvram",
    ]

    /// Creates a template; the defaults are the strictest values.
    public init(machines: [String], cpuModes: [String] = ["host-model"], cpuModels: [String] = [],
                maxVCPUs: Int, maxMemoryMiB: Int, diskPools: [String], diskFormats: [String] = ["qcow2"],
                diskEncryption: Requirement = .required, networks: [String] = [], securityGroups: [String] = [],
                vtpm: TriState = .optional, graphics: GraphicsRule = .none, serial: SerialRule = .ptyOnly,
                vhostUserPaths: [String] = [], bootPaths: [String] = AdmissionTemplate.defaultBootPaths,
                description: String? = nil) {
        self.machines = machines
        self.cpuModes = cpuModes
        self.cpuModels = cpuModels
        self.maxVCPUs = maxVCPUs
        self.maxMemoryMiB = maxMemoryMiB
        self.diskPools = diskPools
        self.diskFormats = diskFormats
        self.diskEncryption = diskEncryption
        self.networks = networks
        self.securityGroups = securityGroups
        self.vtpm = vtpm
        self.graphics = graphics
        self.serial = serial
        self.vhostUserPaths = vhostUserPaths
        self.bootPaths = bootPaths
        self.description = description
    }

    /// Required or optional.
    public enum Requirement: String, Sendable, Hashable, CaseIterable {
        case required, optional
    }

    /// Required, optional or forbidden.
    public enum TriState: String, Sendable, Hashable, CaseIterable {
        case required, optional, forbidden
    }

    /// Graphics consoles: none at all; VNC/SPICE on loopback or a socket only; or also on other
    /// addresses with TLS and a password.
    public enum GraphicsRule: String, Sendable, Hashable, CaseIterable {
        case none, loopback, tls
    }

    /// Character devices: pty only (plus libvirt-managed channel sockets and SPICE channels),
    /// or also unix sockets in libvirt's own directories.
    public enum SerialRule: String, Sendable, Hashable, CaseIterable {
        case ptyOnly = "pty-only"
        case ptyOrUnix = "pty-or-unix"
    }
}

/// A tenant: the templates its VMs may use and who holds which role in it.
public struct Tenant: Sendable, Hashable {
    /// The template names it may use.
    public var templates: [String]
    /// Roles in this tenant, by principal.
    public var roles: [Principal: Role]
    /// Free text.
    public var description: String?

    /// Creates a tenant.
    public init(templates: [String], roles: [Principal: Role] = [:], description: String? = nil) {
        self.templates = templates
        self.roles = roles
        self.description = description
    }
}

/// Who a role is given to: a user name, or a Unix group written `@group`.
public enum Principal: Sendable, Hashable, Comparable, CustomStringConvertible {
    case user(String)
    case group(String)

    /// Reads `alice` or `@wheel`; nil when the name is not a valid user or group name
    /// (`[A-Za-z_][A-Za-z0-9_.-]*`, at most 32 characters, an optional trailing `$`).
    public init?(parsing text: String) {
        let isGroup = text.hasPrefix("@")
        let name = isGroup ? String(text.dropFirst()) : text
        guard Principal.isValidName(name) else { return nil }
        self = isGroup ? .group(name) : .user(name)
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, name.count <= 32, first.isASCII, first.isLetter || first == "_" else { return false }
        let body = name.hasSuffix("$") ? name.dropLast() : Substring(name)
        return body.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    public var description: String {
        switch self {
        case .user(let name): name
        case .group(let name): "@" + name
        }
    }
}

