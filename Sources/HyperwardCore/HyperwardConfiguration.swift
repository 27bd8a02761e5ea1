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

/// Hyperward's configuration: every field has a sane default, so a missing file means defaults.
///
/// Read from `/etc/hyperward/hyperward.yaml` (or `--config`) by `HyperwardConfiguration+YAML.swift`.
public struct HyperwardConfiguration: Sendable, Hashable {
    /// The default configuration file.
    public static let defaultPath = "/etc/hyperward/hyperward.yaml"
    /// The default state directory.
    public static let defaultStateDirectory = "/var/lib/hyperward"

    /// Where the state store and other state live (created 0700).
    public var stateDirectory: String = HyperwardConfiguration.defaultStateDirectory
    /// Log level: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String = "info"
    /// The audit's settings.
    public var audit: Audit = Audit()
    /// The network engine's settings.
    public var network: Network = Network()
    /// The sensor's settings (the agent's intrusion detection).
    public var sense: Sense = Sense()

    /// The key service's settings (the agent's automatic rotation).
    public var keys: Keys = Keys()

    /// Admission of VM definitions: which policy holds the templates, tenants and roles, the
    /// break-glass file, and what the agent does with domains defined outside the templates.
    public var admission: Admission = Admission()

    /// Settings of admission (docs/governance.md).
    public struct Admission: Sendable, Hashable {
        /// The default break-glass file: while it holds a valid, unexpired `until`, a start that
        /// Hyperward cannot decide (no policy, a corrupt store) is allowed and recorded.
        public static let defaultBreakGlassFile = "/etc/hyperward/break-glass.yaml"
        /// The policy file with `templates:`, `tenants:` and `roles:`; nil: `network.policy`.
        public var policy: String?
        /// The break-glass file.
        public var breakGlassFile: String = Admission.defaultBreakGlassFile
        /// Whether the agent undefines a domain defined outside the templates (it always records it).
        public var undefineUnadmitted = false
        /// Creates default admission settings.
        public init() {}
    }

    /// Measured-boot attestation (docs/attestation.md).
    public var attestation: Attestation = Attestation()

    /// Settings of measured-boot attestation.
    public struct Attestation: Sendable, Hashable {
        /// The default boot event log (the kernel's copy of the firmware's).
        public static let defaultEventLog = "/sys/kernel/security/tpm0/binary_bios_measurements"
        /// The default policy file, written by `hyperward attest baseline`.
        public static let defaultPolicy = "/etc/hyperward/measured-boot.yaml"
        /// With true, no disk key is released (`vm start`, `disk verify`) unless the host's latest
        /// verification passed and is younger than ``maxAgeSeconds``.
        public var required = false
        /// How old a passing verification may be for keys to be released.
        public var maxAgeSeconds = 3600
        /// How often the agent re-attests.
        public var intervalSeconds = 600
        /// The measured-boot policy.
        public var policy: String = Attestation.defaultPolicy
        /// The boot event log.
        public var eventLog: String = Attestation.defaultEventLog
        /// An IMA log whose PCR 10 is verified too; nil: not verified.
        public var imaLog: String?
        /// The TCTI for tpm2-tools (`swtpm:host=…,port=…`); nil: `/dev/tpmrm0`.
        public var tcti: String?
        /// Creates default attestation settings.
        public init() {}
    }

    /// The link to a fleet server (docs/server.md), used once the host is enrolled.
    public var fleet: Fleet = Fleet()

    /// Settings of the agent's link to the fleet server.
    public struct Fleet: Sendable, Hashable {
        /// How often the agent pushes its new events (and, with none, a heartbeat).
        public var pushIntervalSeconds = 10
        /// The most events kept waiting for the server; past it the oldest are dropped and counted.
        public var maxPending = 200_000
        /// Creates default fleet settings.
        public init() {}
    }

    /// The VM monitor: present when the configuration has a `monitor` section, whose settings
    /// (interval, limits, baseline, peers, response) the monitor reads from `file` itself.
    public var monitor: Monitor?

    /// Where the agent's monitor policy is.
    public struct Monitor: Sendable, Hashable {
        /// The configuration file holding the `monitor` section.
        public var file: String
        public init(file: String) { self.file = file }
    }

    /// Settings of the agent's key service.
    public struct Keys: Sendable, Hashable {
        /// A file holding the keystore's passphrase (0600), or
        public var passphraseFile: String?
        /// a key file that opens it. Neither: the agent does not open the keystore.
        public var keyFile: String?
        /// How often the agent rotates the keys whose rotation period has passed, in seconds.
        public var rotationCheckSeconds = 3600
        /// Creates default key settings (off).
        public init() {}
    }

    /// Settings of the agent's sensor.
    public struct Sense: Sendable, Hashable {
        /// Interfaces the agent captures on (libvirt bridges such as virbr0, or taps); none: off.
        public var interfaces: [String] = []
        /// Authoritative bindings (a policy file with an optional infrastructure section); by
        /// default the network policy when it is a file.
        public var inventory: String?
        /// Block unforgeable offenders and rate-limit victims of forged floods.
        public var prevent = false
        /// How long prevention lasts, in seconds.
        public var ttlSeconds = 600
        /// Addresses or CIDRs prevention never acts against.
        public var allow: [String] = []
        /// Show captured passwords in alerts (never do this in production).
        public var showSecrets = false
        /// Creates default sensor settings (off).
        public init() {}
    }

    /// Settings of `hyperward net` and the agent's network service.
    public struct Network: Sendable, Hashable {
        /// The network policy file; when set, the agent applies it and keeps it in sync with libvirt.
        public var policy: String?
        /// Whether the policy is written inline under `network.policy` of the configuration file
        /// itself (then `policy` names that file).
        public var policyIsInline = false
        /// A network namespace to act in instead of the host's (for tests and labs).
        public var netns: String?
        /// Creates default network settings.
        public init() {}
    }

    /// Settings of `hyperward audit` and the agent's audit service.
    public struct Audit: Sendable, Hashable {
        /// Seconds between the agent's audit runs (default one hour, at least 1).
        public var intervalSeconds: Int = 3600
        /// Advisory feeds (files or directories) for package matching.
        public var feeds: [String] = []
        /// Check ids to skip.
        public var skip: [String] = []
        /// A waivers file.
        public var waivers: String?
        /// Match all installed packages against the feeds, not only the virtualization stack.
        public var allPackages: Bool = false
        /// Creates default audit settings.
        public init() {}
    }

    /// Creates the default configuration.
    public init() {}
}
