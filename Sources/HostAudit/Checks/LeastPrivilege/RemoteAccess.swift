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

/// Where libvirt's remote (TCP/TLS) access is switched on: the daemon configuration files, the
/// systemd socket units enabled under `sockets.target.wants`, and a `--listen` daemon flag.
///
/// Since libvirt 5.6 the daemons are socket-activated and `listen_tcp`/`listen_tls` only apply
/// when the daemon is started with `--listen`; the `*-tcp.socket`/`*-tls.socket` units are the
/// switch otherwise (https://libvirt.org/daemons.html#daemon-listening-sockets-and-systemd).
struct RemoteAccess {
    /// The daemon configuration files that can open remote listeners, in check order.
    static let daemonConfigFiles = ["/etc/libvirt/libvirtd.conf", "/etc/libvirt/virtproxyd.conf"]
    /// Where enabled socket units are linked.
    static let socketsDirectory = "/etc/systemd/system/sockets.target.wants"
    /// Files that pass extra flags (such as `--listen`) to libvirtd.
    static let daemonDefaults = ["/etc/default/libvirtd", "/etc/sysconfig/libvirtd"]

    /// One enabled remote socket unit.
    struct SocketUnit: Hashable {
        /// `libvirtd-tcp.socket` …
        var name: String
        /// The daemon configuration file whose `auth_*` settings apply to it.
        var configFile: String
        var isTLS: Bool
        /// The unit's path on the host.
        var path: String { "\(RemoteAccess.socketsDirectory)/\(name)" }
    }

    /// The remote socket units that exist on the host, enabled or not.
    static let knownSocketUnits: [SocketUnit] = [
        SocketUnit(name: "libvirtd-tcp.socket", configFile: "/etc/libvirt/libvirtd.conf", isTLS: false),
        SocketUnit(name: "virtproxyd-tcp.socket", configFile: "/etc/libvirt/virtproxyd.conf", isTLS: false),
        SocketUnit(name: "libvirtd-tls.socket", configFile: "/etc/libvirt/libvirtd.conf", isTLS: true),
        SocketUnit(name: "virtproxyd-tls.socket", configFile: "/etc/libvirt/virtproxyd.conf", isTLS: true),
    ]

    /// The enabled remote socket units.
    var enabledSockets: [SocketUnit]
    /// Evidence that something accepts remote connections; empty when nothing does.
    var reasons: [Evidence]

    init(fs: any HostFileSystem) {
        enabledSockets = RemoteAccess.knownSocketUnits.filter { fs.exists($0.path) }
        var reasons = enabledSockets.map { Evidence(path: $0.path, value: "\($0.name) enabled") }
        for file in RemoteAccess.daemonConfigFiles {
            guard let config = try? LibvirtConfig.load(file, from: fs) else { continue }
            for key in ["listen_tcp", "listen_tls"] where config.bool(key).value == true {
                reasons.append(config.evidence(key, default: ""))
            }
        }
        for file in RemoteAccess.daemonDefaults {
            guard let text = try? fs.readText(file, limit: 64 * 1024) else { continue }
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters().hasPrefix("#") && line.contains("--listen") {
                reasons.append(Evidence(path: file, value: line.trimmingCharacters(), line: index + 1))
            }
        }
        self.reasons = reasons
    }
}
