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

/// Which mandatory access control the kernel enforces: AppArmor and/or SELinux, as sysfs says.
public struct MACState: Sendable {
    /// One loaded AppArmor profile and its mode (`enforce`, `complain`, `kill`, `unconfined`).
    public struct Profile: Sendable, Hashable {
        /// The profile name (`libvirtd`, `/usr/sbin/libvirtd`, `libvirt-<uuid>`).
        public var name: String
        /// The mode, e.g. `enforce`.
        public var mode: String
    }

    /// `Y` when AppArmor is enabled.
    public static let appArmorEnabledPath = "/sys/module/apparmor/parameters/enabled"
    /// The loaded AppArmor profiles, one `name (mode)` per line.
    public static let appArmorProfilesPath = "/sys/kernel/security/apparmor/profiles"
    /// `1` enforcing, `0` permissive; absent without SELinux.
    public static let seLinuxEnforcePath = "/sys/fs/selinux/enforce"

    /// `/sys/module/apparmor/parameters/enabled` is `Y`.
    public var isAppArmorEnabled: Bool
    /// The loaded profiles, or `nil` when the list could not be read (securityfs not mounted).
    public var appArmorProfiles: [Profile]?
    /// The error reading the profile list, if any.
    public var appArmorProfilesError: HyperwardError?
    /// `/sys/fs/selinux/enforce`: `true` enforcing, `false` permissive, `nil` SELinux not active.
    public var seLinuxEnforcing: Bool?

    /// Whether any MAC that labels processes is active.
    public var isAnyActive: Bool { isAppArmorEnabled || seLinuxEnforcing != nil }

    /// Reads the state from `fs`.
    public init(fs: any HostFileSystem) {
        isAppArmorEnabled = (try? fs.readValue(MACState.appArmorEnabledPath)) == "Y"
        appArmorProfiles = nil
        appArmorProfilesError = nil
        if isAppArmorEnabled {
            do {
                appArmorProfiles = MACState.parseProfiles(try fs.readText(MACState.appArmorProfilesPath, limit: 8 << 20))
            } catch {
                appArmorProfilesError = error
            }
        }
        switch try? fs.readValue(MACState.seLinuxEnforcePath) {
        case "1": seLinuxEnforcing = true
        case "0": seLinuxEnforcing = false
        default: seLinuxEnforcing = nil
        }
    }

    /// Parses AppArmor's profile list: one `name (mode)` per line.
    public static func parseProfiles(_ text: String) -> [Profile] {
        text.split(separator: "\n").compactMap { line in
            let label = ProcessLabel(String(line))
            guard case .appArmor(let name, let mode) = label, let mode else { return nil }
            return Profile(name: name, mode: mode)
        }
    }
}

/// A process's security label from `/proc/PID/attr/current`, classified.
public enum ProcessLabel: Sendable, Hashable {
    /// No label, or AppArmor's `unconfined`.
    case unconfined
    /// An AppArmor profile `name (mode)`; `mode` is `nil` when the text has none.
    case appArmor(profile: String, mode: String?)
    /// An SELinux context `user:role:type[:level]`.
    case seLinux(context: String, type: String)

    /// Classifies the text of `/proc/PID/attr/current` (trailing newline and NULs ignored).
    public init(_ text: String) {
        let label = text.trimmingWhitespace()
        if label.isEmpty || label == "unconfined" {
            self = .unconfined
            return
        }
        if label.hasSuffix(")"), let open = label.lastIndex(of: "(") {
            let name = String(label[..<open]).trimmingWhitespace()
            let mode = String(label[label.index(after: open)..<label.index(before: label.endIndex)])
            self = .appArmor(profile: name, mode: mode)
            return
        }
        let parts = label.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count >= 3 {
            self = .seLinux(context: label, type: String(parts[2]))
            return
        }
        self = .appArmor(profile: label, mode: nil)
    }
}
