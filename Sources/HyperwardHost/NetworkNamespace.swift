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
import HyperwardCore

/// Named network namespaces, as `ip netns` keeps them: a bind-mounted file per name in `/run/netns`.
public enum NetworkNamespace {
    /// Where `ip netns` keeps named namespaces.
    public static let directory = "/run/netns"

    /// Checks that `name` (nil: the current namespace) exists, before any child is started in it:
    /// `ip netns exec` into a missing one exits at once, and a child that exits before reading
    /// the ruleset written to it used to end the writer by SIGPIPE.
    /// - Throws: `HyperwardError` (`invalid-input` for a name `ip netns` cannot hold,
    ///   `no-namespace` for one that does not exist).
    public static func require(_ name: String?) throws(HyperwardError) {
        guard let name else { return }
        // `ip netns` names are file names in /run/netns: no '/', not '.' or '..', no NUL.
        guard !name.isEmpty, name.utf8.count <= 255, name != ".", name != "..",
              !name.contains("/"), !name.unicodeScalars.contains("\0") else {
            throw HyperwardError(.invalidInput, "'\(name.terminalSafe)' is not a network namespace name")
        }
        guard FileManager.default.fileExists(atPath: directory + "/" + name) else {
            throw HyperwardError(.noNamespace, "no network namespace \(name.terminalSafe) (ip netns list shows those that exist)")
        }
    }

    /// `argv` as run inside namespace `name` (`ip netns exec NAME …`), or as it is for nil.
    public static func argv(_ argv: [String], in name: String?) -> [String] {
        guard let name else { return argv }
        return ["/usr/sbin/ip", "netns", "exec", name] + argv
    }
}

extension HyperwardError.Code {
    /// A named network namespace does not exist.
    public static let noNamespace = HyperwardError.Code("no-namespace", exitStatus: ExitStatus.usage)
}

/// Kernel parameters (`sysctl`), in the current network namespace or a named one.
public enum Sysctl {
    /// Sets every `key=value` in one `sysctl -w` run; nil when done, else what it said.
    public static func write(_ assignments: [String], namespace: String? = nil) -> String? {
        let result = HostCommand.run(NetworkNamespace.argv(["/usr/sbin/sysctl", "-q", "-w"] + assignments, in: namespace))
        return result.status == 0 ? nil : (result.message.split(separator: "\n").first.map(String.init) ?? "sysctl exit \(result.status)")
    }

    /// The value of `key` (dots or slashes) read from /proc/sys, trimmed; nil when absent.
    public static func read(_ key: String) -> String? {
        let path = "/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")
        guard let data = FileManager.default.contents(atPath: path), data.count < 65536 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Loads a kernel module (`modprobe NAME`); nil when done, else what modprobe said.
    public static func loadModule(_ name: String) -> String? {
        let result = HostCommand.run(["/usr/sbin/modprobe", name])
        return result.status == 0 ? nil : result.message
    }
}
