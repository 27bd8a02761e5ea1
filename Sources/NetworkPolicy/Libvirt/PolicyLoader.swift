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
import HyperwardHost

/// Reads a policy file and fills in libvirt domains' interfaces.
public enum PolicyLoader {
    /// The policy at `path`; VMs listed without interfaces are resolved from libvirt.
    /// With `inline`, the policy is the `network.policy` mapping of the configuration file `path`.
    public static func load(_ path: String, inline: Bool = false, warn: (String) -> Void) throws(HyperwardError) -> NetworkPolicy {
        try loadCounting(path, inline: inline, warn: warn).policy
    }

    /// Like `load`, also returning how many VMs the file names (libvirt domains that are not
    /// running are left out of the policy, not of this count).
    public static func loadCounting(_ path: String, inline: Bool = false, warn: (String) -> Void) throws(HyperwardError) -> (policy: NetworkPolicy, named: Int) {
        let absolute = OperatorFiles.absolute(path)
        do {
            let text = try RootedFileSystem().readText(absolute, limit: 16 << 20)
            var parsed = try NetworkPolicy.parse(text, file: path, under: inline ? ["network", "policy"] : [])
            let named = parsed.vms.count
            // With templates in the file, admitted domains join the groups their metadata names.
            if let admission = try? AdmissionPolicy.parse(text, file: path, under: inline ? ["network", "policy"] : []),
               !admission.templates.isEmpty {
                let (bound, notes) = parsed.addingAdmittedDomains(admission, source: LibvirtAPIXMLSource())
                for note in notes { warn(note.terminalSafe) }
                parsed = bound
            }
            // VMs listed without interfaces are libvirt domains: their taps and MACs come from the
            // domain XML, their addresses from the network's DHCP host entries.
            guard parsed.vms.values.contains(where: { $0.interfaces.isEmpty || $0.interfaces.contains { $0.device.isEmpty } }) else {
                return (parsed, named)
            }
            let (resolved, notes) = parsed.resolvingLibvirt(LibvirtAPIXMLSource())
            // Notes carry libvirt's own messages: escaped like everything echoed from outside.
            for note in notes { warn(note.terminalSafe) }
            return (resolved, named)
        } catch {
            throw HyperwardError(exitStatus: error.code == .notFound ? ExitStatus.usage : ExitStatus.configuration, error.description.terminalSafe)
        }
    }
}

extension PolicyLoader {
    /// The policy the network commands act on: `policy` when given, else the configuration
    /// file's (`config`, else the default configuration) `network.policy` — a file name, or the
    /// policy inline — else `defaultPolicy`. Returns it with how many VMs its file names and
    /// where it came from.
    public static func loadConfigured(policy: String?, config: String?, defaultPolicy: String,
                                      warn: (String) -> Void) throws(HyperwardError) -> (policy: NetworkPolicy, named: Int, source: String) {
        if let policy {
            let loaded = try loadCounting(policy, warn: warn)
            return (loaded.policy, loaded.named, policy)
        }
        let configuration: HyperwardConfiguration
        do {
            configuration = try HyperwardConfiguration.load(path: config ?? HyperwardConfiguration.defaultPath, isExplicit: config != nil)
        } catch {
            throw HyperwardError(.configuration, error.description.terminalSafe)
        }
        let source = configuration.network.policy ?? defaultPolicy
        let loaded = try loadCounting(source, inline: configuration.network.policy != nil && configuration.network.policyIsInline, warn: warn)
        return (loaded.policy, loaded.named, source)
    }
}
