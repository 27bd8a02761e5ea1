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

/// Everything a check may consult: the host's files and what the operator passed in.
public struct AuditContext: Sendable {
    /// The audited host's files.
    public var fs: any HostFileSystem
    /// Offline advisory feeds to match installed packages against (files or directories).
    public var feedPaths: [String]
    /// Match every installed package against the feeds, not only the virtualization stack.
    public var matchAllPackages: Bool
    /// Facts several checks share, read once.
    public var facts: HostFacts
    /// The host's measured-boot attestation state, from the state store (not the audited file
    /// system); nil when the auditor has none to give (another root, a library caller).
    public var attestation: AttestationState?

    /// What the latest attestation says, as the `boot.attestation` check reports it.
    public struct AttestationState: Sendable {
        public var status: Status
        public var detail: String
        public var evidence: [Evidence]
        public init(status: Status, detail: String, evidence: [Evidence]) {
            self.status = status
            self.detail = detail
            self.evidence = evidence
        }
    }

    /// Creates a context and gathers the shared facts.
    public init(fs: any HostFileSystem, feedPaths: [String] = [], matchAllPackages: Bool = false) {
        self.fs = fs
        self.feedPaths = feedPaths
        self.matchAllPackages = matchAllPackages
        self.facts = HostFacts(fs: fs)
    }
}

/// Host facts shared by many checks: kernel command line, CPU flags and vendor, CPU vulnerability
/// states, SMT state. Missing files leave the fact `nil`; checks decide what that means.
public struct HostFacts: Sendable {
    /// `/proc/cmdline`, split into parameters.
    public var commandLine: KernelCommandLine?
    /// The raw `/proc/cmdline` text.
    public var commandLineText: String?
    /// CPU flags of the first processor in `/proc/cpuinfo`.
    public var cpuFlags: Set<String>
    /// `vmx flags` of the first processor (Intel VMX features such as `ept`), if the kernel lists them.
    public var vmxFlags: Set<String>
    /// `vendor_id`, e.g. `GenuineIntel`, `AuthenticAMD`.
    public var cpuVendor: String?
    /// `cpu family` of the first processor (decimal, as /proc/cpuinfo prints it).
    public var cpuFamily: Int?
    /// `microcode` revision of the first processor.
    public var microcode: String?
    /// Whether `/proc/cpuinfo` could be read.
    public var hasCPUInfo: Bool
    /// Each file in `/sys/devices/system/cpu/vulnerabilities/` and its text.
    public var vulnerabilities: [String: String]
    /// `/sys/devices/system/cpu/smt/control` (`on`, `off`, `forceoff`, `notsupported`, `notimplemented`).
    public var smtControl: String?
    /// `/sys/devices/system/cpu/smt/active` as a boolean.
    public var smtActive: Bool?
    /// The running kernel release (`/proc/sys/kernel/osrelease`).
    public var kernelRelease: String?

    public static let vulnerabilitiesDirectory = "/sys/devices/system/cpu/vulnerabilities"

    /// Reads the facts from `fs`.
    public init(fs: any HostFileSystem) {
        if let text = try? fs.readText("/proc/cmdline", limit: 64 * 1024) {
            commandLineText = text.trimmingWhitespace()
            commandLine = KernelCommandLine(text)
        }
        cpuFlags = []
        vmxFlags = []
        hasCPUInfo = false
        if let info = try? fs.readText("/proc/cpuinfo", limit: 16 << 20) {
            hasCPUInfo = true
            // The first processor block is representative: KVM requires uniform features.
            for line in info.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.isEmpty { break }
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = line[..<colon].trimmingCharacters()
                let value = line[line.index(after: colon)...].trimmingCharacters()
                switch key {
                case "flags": cpuFlags = Set(value.split(separator: " ").map(String.init))
                case "vmx flags": vmxFlags = Set(value.split(separator: " ").map(String.init))
                case "vendor_id": cpuVendor = value
                case "microcode": microcode = value
                case "cpu family": cpuFamily = Int(value)
                default: break
                }
            }
        }
        vulnerabilities = [:]
        if let names = try? fs.listDirectory(HostFacts.vulnerabilitiesDirectory) {
            for name in names {
                if let value = try? fs.readValue("\(HostFacts.vulnerabilitiesDirectory)/\(name)") {
                    vulnerabilities[name] = value
                }
            }
        }
        smtControl = try? fs.readValue("/sys/devices/system/cpu/smt/control")
        if let active = try? fs.readValue("/sys/devices/system/cpu/smt/active") {
            smtActive = active == "1"
        }
        kernelRelease = try? fs.readValue("/proc/sys/kernel/osrelease")
    }

    /// Whether the CPU is from Intel.
    public var isIntel: Bool { cpuVendor == "GenuineIntel" }
    /// Whether the CPU is from AMD or Hygon.
    public var isAMD: Bool { cpuVendor == "AuthenticAMD" || cpuVendor == "HygonGenuine" }

    /// Whether the kernel reports `name` as affecting this CPU (vulnerable or mitigated).
    public func isAffected(by name: String) -> Bool? {
        guard let value = vulnerabilities[name] else { return nil }
        return !value.hasPrefix("Not affected")
    }
}
