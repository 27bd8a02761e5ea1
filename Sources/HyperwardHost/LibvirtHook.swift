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

#if canImport(Glibc)
import Glibc
#endif

/// libvirt's QEMU hook (`/etc/libvirt/hooks/qemu`): the script Hyperward installs there, and
/// the invocation libvirt makes of it (`NAME OPERATION SUB-OPERATION EXTRA`, the domain XML on
/// standard input). libvirt looks for hook scripts when the daemon starts, so a new hook takes
/// effect after libvirtd (or virtqemud) restarts.
public enum LibvirtHook {
    /// The directory libvirt reads hooks from.
    public static let defaultDirectory = "/etc/libvirt/hooks"
    /// The first line after the shebang of a hook Hyperward wrote: how it recognises its own.
    public static let marker = "# hyperward admission hook"

    /// One call of the hook by libvirt.
    public struct Invocation: Sendable, Hashable {
        public var domain: String
        public var operation: String
        public var subOperation: String
        public var extra: String

        public init(arguments: [String]) throws(HyperwardError) {
            guard arguments.count >= 2, !arguments[0].isEmpty else {
                throw HyperwardError(.usage, "the hook is called as NAME OPERATION SUB-OPERATION EXTRA (by libvirt)")
            }
            domain = arguments[0]
            operation = arguments[1]
            subOperation = arguments.count > 2 ? arguments[2] : "-"
            extra = arguments.count > 3 ? arguments[3] : "-"
        }

        /// Whether this call decides a start: `prepare begin`, which libvirt makes before it
        /// allocates anything for a domain that starts, is restored or migrates in. Every other
        /// call (a `reconnect` above all: failing it would kill a running guest) is let through.
        public var decidesStart: Bool { operation == "prepare" && subOperation == "begin" }
    }

    /// The hook script: it only runs Hyperward, which must never call back into libvirt (the
    /// daemon is waiting for the hook). A missing or failing `hyperward` refuses the start.
    public static func script(binary: String, configuration: String?, stateDirectory: String?,
                              subcommand: [String] = ["admit", "hook"]) -> String {
        var command = [shellQuoted(binary)] + subcommand.map(shellQuoted)
        if let configuration { command += ["--config", shellQuoted(configuration)] }
        if let stateDirectory { command += ["--state-dir", shellQuoted(stateDirectory)] }
        return """
            #!/bin/sh
            \(marker) (written by `hyperward admit install-hook`; docs/governance.md).
            # libvirt runs this with the domain XML on standard input. On `prepare begin` Hyperward
            # judges the domain against its template and records the decision; anything but exit 0
            # refuses the start, with Hyperward's reasons in libvirt's error. If Hyperward cannot
            # be run or cannot decide, the start is refused (fail closed).
            exec \(command.joined(separator: " ")) -- "$@"

            """
    }

    /// Whether the file at `path` is a hook Hyperward wrote.
    public static func isOurs(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 256)) ?? nil
        return head.map { String(decoding: $0, as: UTF8.self).contains(marker) } ?? false
    }

    /// What `install` did.
    public struct Installed: Sendable, Hashable {
        public var path: String
        /// Where a foreign hook that was there was moved (with `replaceForeign`).
        public var movedAside: String?
    }

    /// Installs the hook as `directory/qemu` (mode 0755, written whole and renamed into place). A
    /// hook Hyperward wrote is replaced; another program's is refused unless `replaceForeign`,
    /// which moves it to `qemu.before-hyperward` (never over an earlier one).
    public static func install(script: String, directory: String = defaultDirectory, replaceForeign: Bool) throws(HyperwardError) -> Installed {
        let path = "\(directory)/qemu"
        var st = stat()
        if stat(directory, &st) != 0 {
            guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
                throw HyperwardError(.cannotCreate, "cannot create the hook directory \(directory): \(OperatorFiles.reason(errno))")
            }
        }
        var movedAside: String?
        if lstat(path, &st) == 0, !isOurs(path) {
            guard replaceForeign else {
                throw HyperwardError(.cannotCreate, "\(path) exists and is not Hyperward's hook: not replaced (pass --replace to move it to qemu.before-hyperward)")
            }
            let aside = "\(directory)/qemu.before-hyperward"
            guard lstat(aside, &st) != 0 else {
                throw HyperwardError(.cannotCreate, "\(aside) exists already: move it away first")
            }
            guard rename(path, aside) == 0 else {
                throw HyperwardError(.cannotCreate, "cannot move \(path) to \(aside): \(OperatorFiles.reason(errno))")
            }
            movedAside = aside
        }
        do {
            try SafeFile.write(Array(script.utf8), to: path, mode: 0o755, replace: true)
        } catch {
            throw HyperwardError(.cannotCreate, "cannot write \(path): \(error)")
        }
        return Installed(path: path, movedAside: movedAside)
    }

    /// Removes the hook if it is Hyperward's; returns whether it removed one.
    public static func uninstall(directory: String = defaultDirectory) throws(HyperwardError) -> Bool {
        let path = "\(directory)/qemu"
        guard FileManager.default.fileExists(atPath: path) else { return false }
        guard isOurs(path) else { throw HyperwardError(.refused, "\(path) is not Hyperward's hook: left as it is") }
        guard unlink(path) == 0 else { throw HyperwardError(.ioError, "cannot remove \(path): \(OperatorFiles.reason(errno))") }
        return true
    }

    static func shellQuoted(_ s: String) -> String {
        if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "/._-+:=@".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension LibvirtHook {
    /// Makes the running daemons look for hooks again: libvirtd (or the modular virtqemud) reads
    /// which hook scripts exist when it starts and when it is sent SIGHUP, which reloads its
    /// configuration without touching running guests or client connections. Returns the daemons
    /// signalled as `name[pid]`.
    @discardableResult
    public static func reloadDaemons(names: Set<String> = ["libvirtd", "virtqemud"]) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var signalled: [String] = []
        for entry in entries {
            guard let pid = Int32(entry), pid > 1,
                  let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8) else { continue }
            let name = comm.trimmingCharacters(in: .whitespacesAndNewlines)
            if names.contains(name), kill(pid, SIGHUP) == 0 { signalled.append("\(name)[\(pid)]") }
        }
        return signalled.sorted()
    }
}
