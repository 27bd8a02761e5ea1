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
#endif

/// Directories only root may enter (the state directory and everything under it): made 0700, a
/// symbolic link or a non-directory in the way refused, a looser existing one tightened.
public enum PrivateDirectory {
    /// Why a directory could not be made ready.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Makes `path` (and, with `parents`, each missing directory above it) exist as a private
    /// directory. A symbolic link at `path` is refused: the state must not be redirected.
    /// Only `path` itself is tightened when it exists: directories above it that exist are left
    /// exactly as they are (tightening `/tmp` or `/var/lib` would break the host).
    public static func ensure(_ path: String, parents: Bool = false) throws(Failure) {
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                let what = (st.st_mode & S_IFMT) == S_IFLNK ? "a symbolic link" : "not a directory"
                throw Failure(message: "\(path) is \(what); a private directory is needed there")
            }
            // Tighten a directory someone loosened: state must not be readable by others.
            if st.st_mode & 0o077 != 0 { chmod(path, st.st_mode & 0o700) }
            return
        }
        if parents { try createMissingAncestors(of: path) }
        let previous = umask(0o077)
        defer { umask(previous) }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw Failure(message: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Creates the missing directories above `path` (0700), top down; existing ones untouched.
    private static func createMissingAncestors(of path: String) throws(Failure) {
        let parent = SafeFile.parent(of: path)
        guard parent != path, parent != "/", !parent.isEmpty else { return }
        var st = stat()
        // Followed: an ancestor may be a symbolic link (/var/run); only `path` itself may not.
        if stat(parent, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw Failure(message: "\(parent) is not a directory") }
            return
        }
        try createMissingAncestors(of: parent)
        let previous = umask(0o077)
        defer { umask(previous) }
        guard mkdir(parent, 0o700) == 0 || errno == EEXIST else {
            throw Failure(message: "cannot create \(parent): \(String(cString: strerror(errno)))")
        }
    }
}
