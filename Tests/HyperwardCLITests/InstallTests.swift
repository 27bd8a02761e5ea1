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
import Testing

/// `scripts/install.sh` and `scripts/uninstall.sh`, run into a scratch root
/// (`HYPERWARD_INSTALL_ROOT`) with this build's binary: files and modes, a second run that
/// changes nothing, an edited configuration kept, uninstall taking back exactly what was added.
/// The unit is checked by systemd's own verifier, and the installed agent is started with the
/// installed configuration.
@Suite("install as a service", .serialized)
struct InstallTests {
    static let isRoot = getuid() == 0
    static let unit = "/etc/systemd/system/hyperward-agent.service"
    static let config = "/etc/hyperward/hyperward.yaml"
    static let binary = "/usr/local/bin/hyperward"

    /// A scratch root shaped like a Debian host's: the system directories exist, with a few
    /// files that are not Hyperward's, and a state directory holding a keystore.
    final class Host: @unchecked Sendable {
        let scratch = Scratch()
        var root: String { scratch.path + "/root" }

        init() throws {
            for directory in ["etc/systemd/system", "usr/local/bin", "usr/local/share", "var/lib"] {
                try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
            }
            scratch.write("root/etc/systemd/system/other.service", "[Service]\nExecStart=/bin/true\n")
            scratch.write("root/usr/local/bin/other-tool", "#!/bin/sh\n")
            scratch.write("root/var/lib/hyperward/keys.sqlite", "not really a keystore")
            chmod(root + "/var/lib/hyperward", 0o700)
        }

        /// Runs `scripts/NAME` against this root.
        func script(_ name: String) throws -> CLI.Result {
            let result = HostCommand.run(["/bin/bash", CLI.packageRoot.appendingPathComponent("scripts/\(name)").path],
                                         environment: ["HYPERWARD_INSTALL_ROOT": root, "HYPERWARD_INSTALL_BINARY": CLI.binary],
                                         outputLimit: 256 << 20)
            return CLI.Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
        }

        @discardableResult
        func install() throws -> CLI.Result {
            let result = try script("install.sh")
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            return result
        }

        func path(_ absolute: String) -> String { root + absolute }

        func text(_ absolute: String) -> String? { try? String(contentsOfFile: path(absolute), encoding: .utf8) }

        /// Permission bits, owner and group of `absolute` (nil when missing).
        func mode(_ absolute: String) -> (permissions: mode_t, uid: uid_t, gid: gid_t)? {
            var st = stat()
            guard lstat(path(absolute), &st) == 0 else { return nil }
            return (st.st_mode & 0o7777, st.st_uid, st.st_gid)
        }

        /// Every entry under the root with what shows a change: type and mode, owner, size,
        /// modification time (directories' change too when an entry comes or goes), link target.
        func tree(directoryTimes: Bool = true) -> [String: String] {
            var entries: [String: String] = [:]
            guard let walker = FileManager.default.enumerator(atPath: root) else { return entries }
            for case let relative as String in walker {
                var st = stat()
                guard lstat(root + "/" + relative, &st) == 0 else { continue }
                let isDirectory = st.st_mode & S_IFMT == S_IFDIR
                var entry = "\(String(st.st_mode, radix: 8)) \(st.st_uid):\(st.st_gid)"
                if !isDirectory || directoryTimes {
                    entry += " \(isDirectory ? 0 : st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
                }
                if st.st_mode & S_IFMT == S_IFLNK {
                    entry += " -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + relative)) ?? "?")
                }
                entries["/" + relative] = entry
            }
            return entries
        }

        /// What `systemd-analyze verify --root` needs besides the unit: the targets a service
        /// depends on by default, and the commands it runs (ExecReload's kill).
        func prepareForSystemd() throws {
            let units = "/usr/lib/systemd/system"
            try FileManager.default.createDirectory(atPath: path(units), withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: units) where name.hasSuffix(".target") {
                // Links point at absolute paths that would resolve inside the scratch root.
                guard (try? FileManager.default.destinationOfSymbolicLink(atPath: units + "/" + name)) == nil else { continue }
                try FileManager.default.copyItem(atPath: units + "/" + name, toPath: path(units + "/" + name))
            }
            try FileManager.default.createDirectory(atPath: path("/bin"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "/bin/kill", toPath: path("/bin/kill"))
        }
    }

    static func packaged(_ name: String) throws -> String {
        try String(contentsOf: CLI.packageRoot.appendingPathComponent("packaging/\(name)"), encoding: .utf8)
    }

    static func systemdAnalyze(_ arguments: [String]) throws -> CLI.Result {
        try CLI.shell((["systemd-analyze"] + arguments).map { "'\($0)'" }.joined(separator: " "))
    }

    static let hasSystemdAnalyze = FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")
    static let hasSystemctl = FileManager.default.isExecutableFile(atPath: "/usr/bin/systemctl")

    @Test func installsTheBinaryConfigurationAndUnitRootOwnedWithTheirModes() throws {
        let host = try Host()
        let result = try host.install()
        for path in [Self.binary, Self.unit, Self.config] {
            #expect(result.stdout.contains("\(path) installed"), "\(result.stdout)")
        }
        #expect(try CLI.shell("cmp -s '\(CLI.binary)' '\(host.path(Self.binary))'").status == 0, "the binary is a copy of the build")
        #expect(host.text(Self.unit) == (try Self.packaged("hyperward-agent.service")))
        #expect(host.text(Self.config) == (try Self.packaged("hyperward.yaml")))
        let expected: [(String, mode_t)] = [(Self.binary, 0o755), (Self.unit, 0o644), (Self.config, 0o644), ("/etc/hyperward", 0o755)]
        for (path, permissions) in expected {
            let mode = try #require(host.mode(path), "\(path) missing")
            #expect(mode.permissions == permissions, "\(path): \(String(mode.permissions, radix: 8))")
            if Self.isRoot { #expect(mode.uid == 0 && mode.gid == 0, "\(path) is not root:root") }
        }
        // Installing never creates the state directory's content or touches it.
        #expect(host.text("/var/lib/hyperward/keys.sqlite") == "not really a keystore")
        #expect(host.mode("/var/lib/hyperward")?.permissions == 0o700)
    }

    @Test func aSecondInstallChangesNothing() throws {
        let host = try Host()
        try host.install()
        let before = host.tree()
        let again = try host.install()
        #expect(host.tree() == before, "the second run rewrote something")
        #expect(!again.stdout.contains(" installed (") && !again.stdout.contains(" updated ("), "\(again.stdout)")
        #expect(again.stdout.contains("\(Self.config) unchanged"), "\(again.stdout)")
    }

    /// An upgrade: the binary and the unit are ours and follow the new version; the mode
    /// is put back too.
    @Test func aChangedBinaryOrUnitIsReplaced() throws {
        let host = try Host()
        try host.install()
        host.scratch.write("root" + Self.unit, "[Service]\nExecStart=/bin/false\n")
        chmod(host.path(Self.binary), 0o777)
        let again = try host.install()
        #expect(again.stdout.contains("\(Self.unit) updated"), "\(again.stdout)")
        #expect(again.stdout.contains("\(Self.binary) updated"), "\(again.stdout)")
        #expect(host.text(Self.unit) == (try Self.packaged("hyperward-agent.service")))
        #expect(host.mode(Self.unit)?.permissions == 0o644 && host.mode(Self.binary)?.permissions == 0o755)
        #expect(try FileManager.default.contentsOfDirectory(atPath: host.path("/etc/systemd/system")).allSatisfy { !$0.hasPrefix(".hyperward-install") },
                "a temporary file was left")
    }

    @Test func anEditedConfigurationIsNeverOverwrittenNorRemoved() throws {
        let host = try Host()
        try host.install()
        let edited = try #require(host.text(Self.config)).replacingOccurrences(of: "interval_seconds: 3600", with: "interval_seconds: 600")
        try edited.write(toFile: host.path(Self.config), atomically: true, encoding: .utf8)
        chmod(host.path(Self.config), 0o640)

        let again = try host.install()
        #expect(again.stdout.contains("\(Self.config) exists: kept"), "\(again.stdout)")
        #expect(host.text(Self.config) == edited)
        #expect(host.mode(Self.config)?.permissions == 0o640, "its mode is the operator's too")

        let removed = try host.script("uninstall.sh")
        #expect(removed.status == 0, "\(removed.stdout)\(removed.stderr)")
        #expect(removed.stdout.contains("\(Self.config) kept"), "\(removed.stdout)")
        #expect(host.text(Self.config) == edited)
        #expect(host.mode(Self.binary) == nil && host.mode(Self.unit) == nil)
    }

    @Test func anExistingConfigurationIsKeptAndUninstallLeavesIt() throws {
        let host = try Host()
        let own = "state_directory: /var/lib/hyperward\nlog_level: debug\n"
        host.scratch.write("root/etc/hyperward/hyperward.yaml", own)
        let result = try host.install()
        #expect(result.stdout.contains("exists: kept"), "\(result.stdout)")
        #expect(host.text(Self.config) == own)
        let removed = try host.script("uninstall.sh")
        #expect(removed.status == 0)
        #expect(host.text(Self.config) == own, "install did not write it, so uninstall keeps it")
        #expect(host.mode("/etc/hyperward") != nil)
    }

    @Test func uninstallRemovesExactlyWhatInstallAddedAndKeepsTheState() throws {
        let host = try Host()
        let before = host.tree(directoryTimes: false)
        try host.install()
        if Self.hasSystemctl {
            // Enabled the way systemctl does it offline; uninstall takes the link back too.
            let enabled = try CLI.shell("systemctl --root='\(host.root)' enable hyperward-agent.service")
            #expect(enabled.status == 0, "\(enabled.stderr)")
            #expect(host.mode("/etc/systemd/system/multi-user.target.wants/hyperward-agent.service") != nil)
        }
        let removed = try host.script("uninstall.sh")
        #expect(removed.status == 0, "\(removed.stdout)\(removed.stderr)")
        #expect(removed.stdout.contains("\(Self.config) removed"), "\(removed.stdout)")
        #expect(removed.stdout.contains("/var/lib/hyperward kept"), "\(removed.stdout)")
        let afterUninstall = host.tree(directoryTimes: false)
        var after = afterUninstall
        // systemctl enable made this directory; it is systemd's, not the install's.
        after.removeValue(forKey: "/etc/systemd/system/multi-user.target.wants")
        #expect(after == before, "left or removed: \(Set(after.keys).symmetricDifference(before.keys).sorted())")
        #expect(host.text("/var/lib/hyperward/keys.sqlite") == "not really a keystore")

        let again = try host.script("uninstall.sh")
        #expect(again.status == 0)
        #expect(again.stdout.contains("nothing installed"), "\(again.stdout)")
        #expect(host.tree(directoryTimes: false) == afterUninstall, "a second uninstall changed something")
    }

    /// Under scripts/test.sh (which installs the package) a missing verifier fails the test.
    @Test(.enabled(if: hasSystemdAnalyze || AgentNetworkSyncTests.required, "needs systemd-analyze (Debian package systemd)"))
    func systemdVerifiesTheInstalledUnit() throws {
        try #require(Self.hasSystemdAnalyze, "systemd-analyze is missing: install the Debian package systemd")
        let host = try Host()
        try host.prepareForSystemd()
        try host.install()
        let verified = try Self.systemdAnalyze(["verify", "--root=\(host.root)", Self.unit])
        // verify exits 0 on settings it ignores, so silence is the pass.
        #expect(verified.status == 0 && verified.stdout.isEmpty && verified.stderr.isEmpty, "\(verified.stdout)\(verified.stderr)")

        // The oracle notices mistakes: a misspelt value and an unknown setting.
        let broken = try #require(host.text(Self.unit))
            .replacingOccurrences(of: "ProtectSystem=strict", with: "ProtectSystem=strictest")
            .replacingOccurrences(of: "NoNewPrivileges=yes", with: "NoNewPrivilege=yes")
        host.scratch.write("root/etc/systemd/system/broken.service", broken)
        let complaint = try Self.systemdAnalyze(["verify", "--root=\(host.root)", "/etc/systemd/system/broken.service"])
        #expect(complaint.stderr.contains("strictest") && complaint.stderr.contains("NoNewPrivilege"), "\(complaint.stderr)")
        try FileManager.default.removeItem(atPath: host.path("/etc/systemd/system/broken.service"))

        // systemd's own reading of the sandbox. Weakening it fails this: the exposure score must
        // stay at 3.0 or below, and only the exposures docs/install.md explains may remain.
        let security = try Self.systemdAnalyze(["security", "--offline=yes", "--threshold=30", "--root=\(host.root)", Self.unit])
        #expect(security.status == 0, "\(security.stdout.split(separator: "\n").suffix(3).joined(separator: "\n"))\(security.stderr)")
        let json = try Self.systemdAnalyze(["security", "--offline=yes", "--json=short", "--root=\(host.root)", Self.unit])
        let items = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]], "\(json.stderr)")
        let exposed = Set(items.filter { $0["set"] as? Bool == false }.compactMap { $0["name"] as? String })
        #expect(exposed.subtracting(Self.acceptedExposures).isEmpty, "not protected: \(exposed.subtracting(Self.acceptedExposures).sorted())")
        // A misspelt capability is ignored silently by verify; systemd's parse shows the set.
        let capabilities: Set<String> = exposed.filter { $0.hasPrefix("CapabilityBoundingSet=") }
        #expect(capabilities == ["CapabilityBoundingSet=~CAP_NET_ADMIN", "CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)"])
        for protection in ["NoNewPrivileges=", "ProtectSystem=", "ProtectHome=", "PrivateTmp=", "ProtectKernelTunables=",
                           "ProtectKernelModules=", "MemoryDenyWriteExecute=", "CapabilityBoundingSet=~CAP_SYS_ADMIN",
                           "CapabilityBoundingSet=~CAP_SYS_PTRACE", "CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)"] {
            #expect(items.contains { $0["name"] as? String == protection && $0["set"] as? Bool == true }, "\(protection) is not in force")
        }
    }

    /// What `systemd-analyze security` reports as not protected, each on purpose
    /// (docs/install.md, "What stays open").
    static let acceptedExposures: Set<String> = [
        "User=/DynamicUser=", "SupplementaryGroups=", "RemoveIPC=",          // root: nft, capture, /proc of QEMU
        "PrivateUsers=", "RootDirectory=/RootImage=",
        "PrivateNetwork=", "IPAddressDeny=",                                 // it polices the host's network
        "RestrictAddressFamilies=~AF_PACKET", "RestrictAddressFamilies=~AF_NETLINK",
        "RestrictAddressFamilies=~AF_UNIX", "RestrictAddressFamilies=~AF_(INET|INET6)",
        "CapabilityBoundingSet=~CAP_NET_ADMIN", "CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)",
        "PrivateDevices=", "DeviceAllow=",                                   // the audit stats /dev/kvm, /dev/tpmrm0
        "ProtectProc=", "ProcSubset=",                                       // the audit reads every QEMU's /proc
        "SystemCallFilter=~@privileged", "SystemCallFilter=~@resources",     // SQLite's fchown as root, set_mempolicy
    ]

    @Test func theUnitRunsTheInstalledBinaryWithItsHardening() throws {
        let unit = try Self.packaged("hyperward-agent.service")
        let settings = Set(unit.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && $0.contains("=") })
        for line in [
            "ExecStart=/usr/local/bin/hyperward agent --config /etc/hyperward/hyperward.yaml",
            "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
            "StateDirectory=hyperward", "StateDirectoryMode=0700",
            "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW", "NoNewPrivileges=yes",
            "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "ProtectKernelTunables=yes",
            "ReadWritePaths=-/proc/sys/net/bridge",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET",
        ] {
            #expect(settings.contains(line), "missing: \(line)")
        }
        // One ReadWritePaths= only: nothing but the state directory and the bridge switches is writable.
        #expect(settings.filter { $0.hasPrefix("ReadWritePaths=") }.count == 1)
        #expect(settings.filter { $0.hasPrefix("CapabilityBoundingSet=") }.count == 1)
    }

    /// The installed binary and configuration make a working agent: it starts, audits,
    /// reloads on SIGHUP (ExecReload) and stops cleanly on SIGTERM (systemctl stop).
    @Test(.timeLimit(.minutes(2)))
    func theInstalledAgentRunsWithTheInstalledConfiguration() async throws {
        let host = try Host()
        try host.install()
        let state = host.scratch.path + "/state"
        let log = host.scratch.path + "/agent.log"
        let logURL = URL(fileURLWithPath: log)
        let agent = try HostChild([host.path(Self.binary), "agent", "--config", host.path(Self.config), "--state-dir", state],
                                  stdout: logURL, stderr: logURL)
        defer { if agent.isRunning { agent.signal(SIGKILL) } }
        func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        for _ in 0..<200 where !logText().contains("audit run recorded") { try await Task.sleep(for: .milliseconds(100)) }
        #expect(logText().contains("agent starting"), "\(logText())")
        #expect(logText().contains("audit run recorded"), "\(logText())")
        agent.signal(SIGHUP)
        for _ in 0..<100 where !logText().contains("reloaded its configuration") { try await Task.sleep(for: .milliseconds(100)) }
        #expect(logText().contains("reloaded its configuration"), "\(logText())")

        agent.signal(SIGTERM)
        for _ in 0..<100 where agent.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!agent.isRunning)
        #expect(agent.status == 0, "\(logText())")
        #expect(logText().contains("agent stopped"), "\(logText())")
        #expect(!logText().contains(" error "), "\(logText())")
    }
}
