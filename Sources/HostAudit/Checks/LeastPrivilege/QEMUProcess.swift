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

/// A running QEMU emulator process found under `/proc`.
public struct QEMUProcess: Sendable, Hashable {
    /// The process id.
    public var pid: Int
    /// `/proc/PID/comm` (at most 15 characters: `qemu-system-x86`).
    public var command: String
    /// The `/proc/PID/exe` link target, when readable (may end in ` (deleted)`).
    public var executable: String?
    /// The guest's name from `-name guest=NAME,…` or `-name NAME`, if any.
    public var vmName: String?

    /// What findings about this process are keyed on: the VM name, else `pid N`.
    public var subject: String { vmName ?? "pid \(pid)" }

    /// `/proc/PID`.
    public var procPath: String { "/proc/\(pid)" }

    /// The bounds for reading per-process files.
    static let smallFileLimit = 64 * 1024
    static let cmdlineLimit = 256 * 1024
    /// `/proc/PID/maps` of a QEMU with many devices runs to a few thousand lines.
    static let mapsLimit = 8 << 20
    /// At most this many `/proc` entries are inspected.
    static let maxProcesses = 1 << 16

    /// Whether a process is QEMU, by its `comm` (`qemu-system-*`, `qemu-kvm`, or `qemu:NAME` when
    /// libvirt's `set_process_name` renamed it) or, failing that, by its executable's base name.
    public static func isQEMU(command: String, executable: String?) -> Bool {
        if isQEMUName(command) || command.hasPrefix("qemu:") { return true }
        guard var exe = executable else { return false }
        if exe.hasSuffix(" (deleted)") { exe.removeLast(" (deleted)".count) }
        let base = exe.split(separator: "/").last.map(String.init) ?? exe
        return isQEMUName(base)
    }

    static func isQEMUName(_ name: String) -> Bool {
        name.hasPrefix("qemu-system-") || name == "qemu-kvm"
    }

    /// The guest name in a NUL-separated `/proc/PID/cmdline`: the `guest` property of `-name`
    /// (QEMU's implied first key), with QEMU's `,,` escape for a literal comma undone.
    public static func vmName(fromCommandLine bytes: [UInt8]) -> String? {
        let args = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard let index = args.lastIndex(where: { $0 == "-name" || $0 == "--name" }), index + 1 < args.count else {
            return nil
        }
        for (offset, option) in splitQEMUOptions(args[index + 1]).enumerated() {
            if option.hasPrefix("guest=") {
                let name = String(option.dropFirst("guest=".count))
                return name.isEmpty ? nil : name
            }
            // The first option without a `key=` is the implied `guest`.
            if offset == 0 && !option.contains("=") { return option.isEmpty ? nil : option }
        }
        return nil
    }

    /// Splits a QEMU option string at single commas; `,,` stands for a literal comma.
    static func splitQEMUOptions(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if c == "," {
                if chars.first == "," {
                    chars.removeFirst()
                    current.append(",")
                } else {
                    parts.append(current)
                    current = ""
                }
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        return parts
    }

    /// Every QEMU process on the host. Processes that vanish while being read are skipped.
    /// - Throws: the error listing `/proc` itself.
    public static func discover(in fs: any HostFileSystem) throws(HyperwardError) -> [QEMUProcess] {
        let names = try fs.listDirectory("/proc")
        var found: [QEMUProcess] = []
        for name in names.prefix(maxProcesses) where !name.isEmpty && name.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let pid = Int(name) else { continue }
            // comm is readable for every process; a failure means it is gone or not ours to see.
            guard let comm = try? fs.readValue("/proc/\(pid)/comm") else { continue }
            let exe = try? fs.readLink("/proc/\(pid)/exe")
            guard isQEMU(command: comm, executable: exe) else { continue }
            let cmdline = (try? fs.readFile("/proc/\(pid)/cmdline", limit: cmdlineLimit)) ?? []
            found.append(.init(pid: pid, command: comm, executable: exe, vmName: vmName(fromCommandLine: cmdline)))
        }
        return found.sorted { $0.pid < $1.pid }
    }
}

/// The fields of `/proc/PID/status` the checks use.
public struct ProcessStatus: Sendable, Hashable {
    /// Every `Key:\tvalue` line.
    public var fields: [String: String]

    /// Parses the text of `/proc/PID/status`.
    public init(_ text: String) {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            if fields[key] == nil { fields[key] = line[line.index(after: colon)...].trimmingCharacters() }
        }
        self.fields = fields
    }

    /// The `Uid:` line's real, effective, saved and filesystem uids.
    public var uids: [UInt32]? { ids("Uid") }
    /// The `Gid:` line's real, effective, saved and filesystem gids.
    public var gids: [UInt32]? { ids("Gid") }

    func ids(_ key: String) -> [UInt32]? {
        guard let text = fields[key] else { return nil }
        let values = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
        return values.count == 4 ? values : nil
    }

    /// The effective capability mask (`CapEff`).
    public var effectiveCapabilities: UInt64? { fields["CapEff"].flatMap { UInt64($0, radix: 16) } }
    /// The seccomp mode: 0 disabled, 1 strict, 2 filter.
    public var seccompMode: Int? { fields["Seccomp"].flatMap { Int($0) } }
    /// The `no_new_privs` bit.
    public var noNewPrivileges: Bool? { fields["NoNewPrivs"].flatMap { Int($0) }.map { $0 != 0 } }
}
