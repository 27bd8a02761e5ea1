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
import HostAudit
import HyperwardCore
import HyperwardHost

/// A temporary directory laid out as a whole host (`/proc`, `/sys`, `/etc`…), for checks to audit.
///
/// Each test builds exactly the files it needs; the directory is removed when the fixture is freed.
final class FixtureHost: @unchecked Sendable {
    let root: String

    init() {
        let base = FileManager.default.temporaryDirectory.path
        root = "\(base)/hyperward-fixture-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        // Restore permissions a test removed, so cleanup can descend everywhere.
        _ = HostCommand.run(["/bin/chmod", "-R", "u+rwx", root])
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The host path `path` inside the fixture.
    func physical(_ path: String) -> String { root + path }

    /// Writes `text` at host path `path`, creating parent directories.
    @discardableResult
    func write(_ path: String, _ text: String, mode: Int? = nil) -> FixtureHost {
        write(path, bytes: Array(text.utf8), mode: mode)
    }

    /// Writes raw bytes at host path `path`.
    @discardableResult
    func write(_ path: String, bytes: [UInt8], mode: Int? = nil) -> FixtureHost {
        let full = physical(path)
        makeDirectories(physicalPath: (full as NSString).deletingLastPathComponent)
        _ = FileManager.default.createFile(atPath: full, contents: Data(bytes))
        chmod(path, mode ?? 0o644)
        return self
    }

    /// Creates the directory `path` (and parents).
    @discardableResult
    func mkdir(_ path: String, mode: Int? = nil) -> FixtureHost {
        makeDirectories(physicalPath: physical(path))
        if let mode { chmod(path, mode) }
        return self
    }

    /// Creates a symbolic link at `path` pointing to `target` (verbatim).
    @discardableResult
    func symlink(_ path: String, to target: String) -> FixtureHost {
        let full = physical(path)
        makeDirectories(physicalPath: (full as NSString).deletingLastPathComponent)
        try? FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
        return self
    }

    /// Creates a FIFO at `path` (reading it must never block the audit).
    @discardableResult
    func fifo(_ path: String) -> FixtureHost {
        let full = physical(path)
        makeDirectories(physicalPath: (full as NSString).deletingLastPathComponent)
        mkfifo(full, 0o644)
        return self
    }

    /// Creates every missing directory down to `full` at mode 0755, as a fresh host has them,
    /// whatever the umask of the process running the tests (CI may run with 077).
    private func makeDirectories(physicalPath full: String) {
        var path = root
        for component in full.dropFirst(root.count).split(separator: "/") {
            path += "/" + component
            if Foundation.mkdir(path, 0o755) == 0 { Foundation.chmod(path, 0o755) }
        }
    }

    /// Sets the permission bits of `path`.
    @discardableResult
    func chmod(_ path: String, _ mode: Int) -> FixtureHost {
        try? FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: physical(path))
        return self
    }

    /// The fixture as a host file system.
    var fs: RootedFileSystem { RootedFileSystem(root: root) }

    /// A fresh audit context over the fixture.
    func context(feeds: [String] = []) -> AuditContext { AuditContext(fs: fs, feedPaths: feeds) }

    /// Runs `check` over the fixture.
    func run(_ check: any Check) -> [Finding] { check.run(in: context()) }
}

/// A host file system that fails on chosen paths, for the unreadable-file cases root cannot produce
/// with permissions (the test suite runs as root in CI).
struct FailingFileSystem: HostFileSystem {
    var base: any HostFileSystem
    var failing: [String: HyperwardError]
    var root: String { base.root }

    func readFile(_ path: String, limit: Int) throws(HyperwardError) -> [UInt8] {
        if let error = failing[path] { throw error }
        return try base.readFile(path, limit: limit)
    }
    func listDirectory(_ path: String) throws(HyperwardError) -> [String] {
        if let error = failing[path] { throw error }
        return try base.listDirectory(path)
    }
    func status(_ path: String, followingSymlinks: Bool) throws(HyperwardError) -> FileStatus {
        if let error = failing[path] { throw error }
        return try base.status(path, followingSymlinks: followingSymlinks)
    }
    func readLink(_ path: String) throws(HyperwardError) -> String {
        if let error = failing[path] { throw error }
        return try base.readLink(path)
    }
}

extension Array where Element == Finding {
    /// The finding with `id` (and `subject`, if given).
    func first(_ id: String, subject: String? = nil) -> Finding? {
        first { $0.id == id && (subject == nil || $0.subject == subject) }
    }
}
