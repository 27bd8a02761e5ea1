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

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Yams

extension HyperwardConfiguration {
    /// The keys accepted at each level; anything else is an error with its line and column, so a
    /// typo never silently falls back to a default.
    static let topLevelKeys: Set<String> = ["state_directory", "log_level", "audit", "network", "sense", "keys", "monitor", "admission", "attestation", "fleet"]
    static let fleetKeys: Set<String> = ["push_interval_seconds", "max_pending"]
    static let admissionKeys: Set<String> = ["policy", "break_glass_file", "undefine_unadmitted"]
    static let attestationKeys: Set<String> = ["required", "max_age", "interval_seconds", "policy", "event_log", "ima_log", "tcti"]
    static let keysKeys: Set<String> = ["passphrase_file", "key_file", "rotation_check_seconds"]
    static let senseKeys: Set<String> = ["interfaces", "inventory", "prevent", "ttl_seconds", "allow", "show_secrets"]
    static let networkKeys: Set<String> = ["policy", "netns"]
    static let auditKeys: Set<String> = ["interval_seconds", "feeds", "skip", "waivers", "all_packages"]
    static let logLevels: Set<String> = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Loads the configuration at `path`. A missing file gives the defaults when `isExplicit` is false
    /// (the default path) and is an error when the operator named it. A relative `path` is relative
    /// to the working directory; relative paths inside the file are relative to the file's directory.
    /// - Throws: `HyperwardError(.configuration)` naming `file:line:column` and what to fix.
    public static func load(path: String, isExplicit: Bool, fs: any HostFileSystem = RootedFileSystem()) throws(HyperwardError) -> HyperwardConfiguration {
        let path = absolute(path, in: currentDirectory())
        if fs.isDirectory(path) {
            throw HyperwardError(.configuration, "cannot read the configuration: \(path) is a directory; give a file")
        }
        let text: String
        do {
            text = try fs.readText(path, limit: 1 << 20)
        } catch {
            if error.code == .notFound && !isExplicit { return HyperwardConfiguration() }
            throw HyperwardError(.configuration, "cannot read the configuration: \(error.message)", location: .init(file: path))
        }
        return try parse(text, file: path)
    }

    /// The working directory ("/" if it cannot be read).
    static func currentDirectory() -> String {
        guard let cwd = getcwd(nil, 0) else { return "/" }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    /// `path` if absolute, else `path` under `directory`.
    public static func absolute(_ path: String, in directory: String) -> String {
        if path.hasPrefix("/") || path.isEmpty { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }

    /// Why `text` is not an address or CIDR that `sense --allow` accepts, or nil: an IPv4 or IPv6
    /// address, optionally `/prefix` within the family's length, without host bits beyond it
    /// (the same rules as the network engine's `IPNetwork`).
    public static func allowProblem(_ text: String) -> String? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = parts.first.map(String.init) else { return "not an address or CIDR" }
        var bytes: [UInt8]
        if address.contains(":") {
            var a = in6_addr()
            guard inet_pton(AF_INET6, address, &a) == 1 else { return "not a valid IPv4 or IPv6 address" }
            bytes = withUnsafeBytes(of: &a) { Array($0) }
        } else {
            var a = in_addr()
            guard inet_pton(AF_INET, address, &a) == 1 else { return "not a valid IPv4 or IPv6 address" }
            bytes = withUnsafeBytes(of: &a) { Array($0) }
        }
        let maxPrefix = bytes.count * 8
        var prefix = maxPrefix
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...maxPrefix).contains(p) else { return "the prefix length must be 0...\(maxPrefix)" }
            prefix = p
        }
        for (index, byte) in bytes.enumerated() {
            let keep = max(0, min(8, prefix - index * 8))
            let mask: UInt8 = keep == 8 ? 0xff : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
            if byte & ~mask != 0 { return "host bits are set beyond /\(prefix)" }
        }
        return nil
    }

    /// Parses configuration YAML; `file` names it in errors. When `file` is absolute, relative paths
    /// in it (audit.feeds, audit.waivers, sense.inventory, network.policy, keys.passphrase_file,
    /// keys.key_file) are made absolute against its directory.
    public static func parse(_ text: String, file: String) throws(HyperwardError) -> HyperwardConfiguration {
        var config = HyperwardConfiguration()
        guard let root = try YAMLReader(file: file, code: .configuration).compose(text) else { return config }  // An empty file: defaults.
        guard let mapping = root.mapping else {
            throw error("the configuration must be a mapping of settings", at: root, file: file)
        }
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            switch key {
            case "state_directory":
                config.stateDirectory = try string(value, key: key, file: file)
                if !config.stateDirectory.hasPrefix("/") {
                    throw error("state_directory must be an absolute path", at: value, file: file)
                }
            case "log_level":
                let level = try string(value, key: key, file: file)
                guard logLevels.contains(level) else {
                    throw error("log_level '\(level)' is not one of \(logLevels.sorted().joined(separator: ", "))", at: value, file: file)
                }
                config.logLevel = level
            case "audit":
                guard let auditMap = value.mapping else { throw error("audit must be a mapping", at: value, file: file) }
                for (k, v) in auditMap {
                    let sub = k.string ?? ""
                    switch sub {
                    case "interval_seconds":
                        guard let n = v.int, n >= 1, n <= 7 * 86400 else {
                            throw error("audit.interval_seconds must be an integer from 1 to 604800", at: v, file: file)
                        }
                        config.audit.intervalSeconds = n
                    case "feeds": config.audit.feeds = try strings(v, key: "audit.feeds", file: file).map { relative($0, to: file) }
                    case "skip": config.audit.skip = try strings(v, key: "audit.skip", file: file)
                    case "waivers": config.audit.waivers = relative(try string(v, key: "audit.waivers", file: file), to: file)
                    case "all_packages":
                        guard let b = v.bool else { throw error("audit.all_packages must be true or false", at: v, file: file) }
                        config.audit.allPackages = b
                    default:
                        throw error("unknown setting 'audit.\(sub)' (known: \(auditKeys.sorted().joined(separator: ", ")))", at: k, file: file)
                    }
                }
            case "keys":
                guard let keysMap = value.mapping else { throw error("keys must be a mapping", at: value, file: file) }
                for (k, v) in keysMap {
                    let sub = k.string ?? ""
                    switch sub {
                    case "passphrase_file": config.keys.passphraseFile = relative(try string(v, key: "keys.passphrase_file", file: file), to: file)
                    case "key_file": config.keys.keyFile = relative(try string(v, key: "keys.key_file", file: file), to: file)
                    case "rotation_check_seconds":
                        guard let n = v.int, n >= 60, n <= 7 * 86400 else {
                            throw error("keys.rotation_check_seconds must be an integer from 60 to 604800", at: v, file: file)
                        }
                        config.keys.rotationCheckSeconds = n
                    default:
                        throw error("unknown setting 'keys.\(sub)' (known: \(keysKeys.sorted().joined(separator: ", ")))", at: k, file: file)
                    }
                }
                if config.keys.passphraseFile != nil && config.keys.keyFile != nil {
                    throw error("keys.passphrase_file and keys.key_file exclude each other", at: value, file: file)
                }
            case "sense":
                guard let senseMap = value.mapping else { throw error("sense must be a mapping", at: value, file: file) }
                for (k, v) in senseMap {
                    let sub = k.string ?? ""
                    switch sub {
                    case "interfaces": config.sense.interfaces = try strings(v, key: "sense.interfaces", file: file)
                    case "inventory": config.sense.inventory = relative(try string(v, key: "sense.inventory", file: file), to: file)
                    case "allow":
                        // Checked here as `sense --allow` checks it: an entry dropped silently would
                        // leave that address open to prevention.
                        guard let seq = v.sequence else { throw error("sense.allow must be a list of addresses or CIDRs", at: v, file: file) }
                        config.sense.allow = []
                        for item in seq {
                            let entry = try string(item, key: "sense.allow", file: file)
                            if let problem = allowProblem(entry) {
                                throw error("sense.allow entry '\(entry)' is not an address or CIDR: \(problem)", at: item, file: file)
                            }
                            config.sense.allow.append(entry)
                        }
                    case "prevent", "show_secrets":
                        guard let b = v.bool else { throw error("sense.\(sub) must be true or false", at: v, file: file) }
                        if sub == "prevent" { config.sense.prevent = b } else { config.sense.showSecrets = b }
                    case "ttl_seconds":
                        guard let n = v.int, n >= 1, n <= 30 * 86400 else {
                            throw error("sense.ttl_seconds must be an integer from 1 to 2592000", at: v, file: file)
                        }
                        config.sense.ttlSeconds = n
                    default:
                        throw error("unknown setting 'sense.\(sub)' (known: \(senseKeys.sorted().joined(separator: ", ")))", at: k, file: file)
                    }
                }
            case "monitor":
                // Validated in full by the monitor (VMMonitor's MonitorPolicy), which reads it from the file.
                guard value.mapping != nil else { throw error("monitor must be a mapping", at: value, file: file) }
                config.monitor = Monitor(file: file)
            case "network":
                guard let networkMap = value.mapping else { throw error("network must be a mapping", at: value, file: file) }
                for (k, v) in networkMap {
                    let sub = k.string ?? ""
                    switch sub {
                    case "policy":
                        // A file name, or the policy itself (groups, vms) written inline.
                        if v.mapping != nil {
                            config.network.policy = file
                            config.network.policyIsInline = true
                        } else {
                            config.network.policy = relative(try string(v, key: "network.policy", file: file), to: file)
                        }
                    case "netns": config.network.netns = try string(v, key: "network.netns", file: file)
                    default:
                        throw error("unknown setting 'network.\(sub)' (known: \(networkKeys.sorted().joined(separator: ", ")))", at: k, file: file)
                    }
                }
            case "admission":
                guard let admissionMap = value.mapping else { throw error("admission must be a mapping", at: value, file: file) }
                for (k, v) in admissionMap {
                    let sub = k.string ?? ""
                    switch sub {
                    case "policy": config.admission.policy = relative(try string(v, key: "admission.policy", file: file), to: file)
                    case "break_glass_file":
                        config.admission.breakGlassFile = relative(try string(v, key: "admission.break_glass_file", file: file), to: file)
                    case "undefine_unadmitted":
                        guard let b = v.bool else { throw error("admission.undefine_unadmitted must be true or false", at: v, file: file) }
                        config.admission.undefineUnadmitted = b
                    default:
                        throw error("unknown setting 'admission.\(sub)' (known: \(admissionKeys.sorted().joined(separator: ", ")))", at: k, file: file)
                    }
                }
            case "attestation":
                guard let map = value.mapping else { throw error("attestation must be a mapping", at: value, file: file) }
                for (k, v) in map {
                    let sub = k.string ?? ""
                    switch sub {
                    case "required":
                        guard let b = v.bool else { throw error("attestation.required must be true or false", at: v, file: file) }
                        config.attestation.required = b
                    case "max_age":
                        guard let seconds = v.int ?? HyperwardConfiguration.durationSeconds(v.string ?? ""), (60...604_800).contains(seconds) else {
                            throw error("attestation.max_age must be from 60 s to 7 d: seconds, or a number with s, m, h or d (30m, 1h)", at: v, file: file)
                        }
                        config.attestation.maxAgeSeconds = seconds
                    case "interval_seconds":
                        guard let n = v.int, (10...86_400).contains(n) else {
                            throw error("attestation.interval_seconds must be an integer from 10 to 86400", at: v, file: file)
                        }
                        config.attestation.intervalSeconds = n
                    case "policy": config.attestation.policy = relative(try string(v, key: "attestation.policy", file: file), to: file)
                    case "event_log": config.attestation.eventLog = relative(try string(v, key: "attestation.event_log", file: file), to: file)
                    case "ima_log":
                        config.attestation.imaLog = v.null != nil ? nil : relative(try string(v, key: "attestation.ima_log", file: file), to: file)
                    case "tcti": config.attestation.tcti = v.null != nil ? nil : try string(v, key: "attestation.tcti", file: file)
                    default:
                        throw error("unknown setting 'attestation.\(sub)' (known: \(attestationKeys.sorted().joined(separator: ", ")))", at: k, file: file)
                    }
                }
            case "fleet":
                guard let map = value.mapping else { throw error("fleet must be a mapping", at: value, file: file) }
                for (k, v) in map {
                    let sub = k.string ?? ""
                    switch sub {
                    case "push_interval_seconds":
                        guard let n = v.int, (1...3_600).contains(n) else {
                            throw error("fleet.push_interval_seconds must be an integer from 1 to 3600", at: v, file: file)
                        }
                        config.fleet.pushIntervalSeconds = n
                    case "max_pending":
                        guard let n = v.int, (1_000...100_000_000).contains(n) else {
                            throw error("fleet.max_pending must be an integer from 1000 to 100000000", at: v, file: file)
                        }
                        config.fleet.maxPending = n
                    default:
                        throw error("unknown setting 'fleet.\(sub)' (known: \(fleetKeys.sorted().joined(separator: ", ")))", at: k, file: file)
                    }
                }
            default:
                throw error("unknown setting '\(key)' (known: \(topLevelKeys.sorted().joined(separator: ", ")))", at: keyNode, file: file)
            }
        }
        return config
    }

    /// A path from the file `file`: relative ones are relative to its directory (when `file` is absolute).
    /// A duration as operators write it: seconds (`900`), or a number with s, m, h or d (`30m`,
    /// `1h`, `2d`); nil otherwise.
    public static func durationSeconds(_ text: String) -> Int? {
        if let n = Int(text) { return n }
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let n = Int(text.dropLast()) else { return nil }
        return n * unit
    }

    static func relative(_ path: String, to file: String) -> String {
        guard file.hasPrefix("/"), let slash = file.lastIndex(of: "/") else { return path }
        let directory = String(file[..<slash])
        return absolute(path, in: directory.isEmpty ? "/" : directory)
    }

    static func error(_ message: String, at node: Node, file: String) -> HyperwardError {
        YAMLReader(file: file, code: .configuration).fail(message, node)
    }

    static func string(_ node: Node, key: String, file: String) throws(HyperwardError) -> String {
        try YAMLReader(file: file, code: .configuration).string(node, what: key)
    }

    static func strings(_ node: Node, key: String, file: String) throws(HyperwardError) -> [String] {
        try YAMLReader(file: file, code: .configuration).strings(node, what: key)
    }

}
