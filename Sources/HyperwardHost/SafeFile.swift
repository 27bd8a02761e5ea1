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

import CHostSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why a file could not be created.
public struct FileCreationError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The path exists and was not to be replaced (or another process created it first).
        case exists
        /// The directory it goes in does not exist or is not a directory.
        case noDirectory
        /// Anything else (permissions, space, I/O).
        case failed
    }

    public var kind: Kind
    public var message: String
    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// Files that appear whole or not at all, and never replace anything by accident.
///
/// The content is written to an unnamed file (`O_TMPFILE`) in the target's directory and given
/// its name only when complete, with `linkat`, which fails if the name exists: two processes
/// racing for one path cannot both win, and a process killed at any point (SIGKILL included)
/// leaves nothing behind. Where the file system has no unnamed files, a 0600 temporary name
/// (`.NAME.hyperward-PID.partial`) is used instead, registered with `Cleanup` and swept by the
/// next run once its process is gone.
public enum SafeFile {
    /// Creates `path` with the bytes `body` writes to the descriptor it is given.
    /// - Parameters:
    ///   - mode: the final file's mode (the content is written while it is 0600).
    ///   - replace: replace an existing file (atomically, by rename) instead of refusing it.
    /// - Throws: `FileCreationError`, or whatever `body` throws (then nothing is created).
    public static func create(_ path: String, mode: mode_t = 0o600, replace: Bool = false,
                              _ body: (Int32) throws -> Void) throws {
        let directory = parent(of: path)
        try checkDirectory(directory, for: path)
        var st = stat()
        if lstat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { throw FileCreationError(.exists, "\(path) is a directory") }
            if !replace { throw FileCreationError(.exists, "\(path) exists: not overwritten") }
        }
        let temporaryPrefix = ".\(basename(of: path)).hyperward-"
        Cleanup.sweepStale(in: directory, prefix: temporaryPrefix)

        var fd = hyperward_open_unnamed(directory, 0o600)
        var named: (path: String, token: Int)?
        if fd < 0 {
            guard [EOPNOTSUPP, EISDIR, EINVAL].contains(errno) else { throw failure("cannot create a file in \(directory)") }
            let temporary = "\(directory)/\(temporaryPrefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max)).partial"
            let token = Cleanup.track(path: temporary)
            fd = open(temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else {
                Cleanup.untrack(token)
                throw failure("cannot create \(temporary)")
            }
            named = (temporary, token)
        }
        func abandon() {
            close(fd)
            if let named {
                unlink(named.path)
                Cleanup.untrack(named.token)
            }
        }
        do {
            try body(fd)
        } catch {
            abandon()
            throw error
        }
        guard fchmod(fd, mode) == 0, fsync(fd) == 0 else {
            let error = failure("cannot write \(path)")
            abandon()
            throw error
        }
        do {
            try place(fd: fd, named: named, at: path, replace: replace)
        } catch {
            abandon()
            throw error
        }
        close(fd)
        syncDirectory(directory)
    }

    /// Writes `bytes` to a new file (see `create`).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600, replace: Bool = false) throws {
        try create(path, mode: mode, replace: replace) { fd in try writeAll(fd, bytes, path: path) }
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("cannot write \(path)")
            }
            offset += n
        }
    }

    /// Gives the finished file its name.
    private static func place(fd: Int32, named: (path: String, token: Int)?, at path: String, replace: Bool) throws {
        if let named {
            try Cleanup.settle(named.token) {
                if replace {
                    guard rename(named.path, path) == 0 else { throw failure("cannot rename into \(path)") }
                } else if hyperward_rename_noreplace(named.path, path) != 0 {
                    if errno == EEXIST { throw FileCreationError(.exists, "\(path) exists: not overwritten (created meanwhile by another process)") }
                    // Kernels or file systems without RENAME_NOREPLACE: link is exclusive too.
                    guard errno == EINVAL || errno == ENOSYS else { throw failure("cannot rename into \(path)") }
                    guard Glibc.link(named.path, path) == 0 else {
                        if errno == EEXIST { throw FileCreationError(.exists, "\(path) exists: not overwritten (created meanwhile by another process)") }
                        throw failure("cannot link \(path)")
                    }
                    unlink(named.path)
                }
            }
            return
        }
        if !replace {
            guard hyperward_link_unnamed(fd, path) == 0 else {
                if errno == EEXIST { throw FileCreationError(.exists, "\(path) exists: not overwritten (created meanwhile by another process)") }
                throw failure("cannot create \(path)")
            }
            return
        }
        // Replacing: name the file beside the target, then rename it over the target.
        let temporary = "\(parent(of: path))/.\(basename(of: path)).hyperward-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).partial"
        let token = Cleanup.track(path: temporary)
        guard hyperward_link_unnamed(fd, temporary) == 0 else {
            Cleanup.untrack(token)
            throw failure("cannot create \(temporary)")
        }
        try Cleanup.settle(token) {
            guard rename(temporary, path) == 0 else {
                let error = failure("cannot rename into \(path)")
                unlink(temporary)
                throw error
            }
        }
    }

    /// An unnamed 0600 file in `directory` (read-write descriptor), or -1 and errno.
    public static func openUnnamed(in directory: String) -> Int32 {
        hyperward_open_unnamed(directory, 0o600)
    }

    /// Names the unnamed file behind `fd`; -1 and errno (EEXIST when `path` exists).
    public static func link(unnamed fd: Int32, to path: String) -> Int32 {
        hyperward_link_unnamed(fd, path)
    }

    /// The directory a path's file goes in (`.` for a bare name).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    static func basename(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Fails clearly when the directory a file should go in is missing or is not a directory.
    public static func checkDirectory(_ directory: String, for path: String) throws {
        var st = stat()
        guard stat(directory, &st) == 0 else {
            if errno == ENOENT { throw FileCreationError(.noDirectory, "cannot create \(path): the directory \(directory) does not exist") }
            throw failure("cannot create \(path): \(directory)")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw FileCreationError(.noDirectory, "cannot create \(path): \(directory) is not a directory")
        }
    }

    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    static func failure(_ what: String) -> FileCreationError {
        FileCreationError(.failed, "\(what): \(String(cString: strerror(errno)))")
    }
}

/// A secret handed to a child process by path without ever being written to a file system: an
/// anonymous memory file (memfd) the child opens as `/proc/PID/fd/N`. It disappears with this
/// process, however the process ends.
public final class SecretMemoryFile {
    public let fd: Int32

    /// The path a child process (same user) opens to read the secret.
    public var path: String { "/proc/\(getpid())/fd/\(fd)" }

    public init(_ secret: [UInt8], name: String = "hyperward-secret") throws {
        fd = hyperward_memfd(name)
        guard fd >= 0 else { throw SafeFile.failure("cannot create a memory file for a secret") }
        do {
            try SafeFile.writeAll(fd, secret, path: "a memory file")
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }
}
