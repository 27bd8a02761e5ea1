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
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat` says of a path, reduced to what checks need.
public struct FileStatus: Sendable, Hashable {
    /// The kind of file.
    public enum Kind: String, Sendable, Hashable {
        case regular, directory, symlink, characterDevice, blockDevice, fifo, socket, other
    }

    public var kind: Kind
    /// Permission bits including setuid/setgid/sticky (`mode & 0o7777`).
    public var permissions: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64

    /// Creates a status value.
    public init(kind: Kind, permissions: UInt32, uid: UInt32, gid: UInt32, size: Int64) {
        self.kind = kind
        self.permissions = permissions
        self.uid = uid
        self.gid = gid
        self.size = size
    }

    /// Whether "other" users may write.
    public var isWorldWritable: Bool { permissions & 0o002 != 0 }
    /// Whether "other" users may read.
    public var isWorldReadable: Bool { permissions & 0o004 != 0 }
    /// Whether group members may read.
    public var isGroupReadable: Bool { permissions & 0o040 != 0 }
    /// Whether group members may write.
    public var isGroupWritable: Bool { permissions & 0o020 != 0 }

    /// The permissions as four octal digits, e.g. `0660`.
    public var octalPermissions: String {
        let digits = String(permissions, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// Read-only access to a host's files, rooted at a directory, so a fixture tree is a whole host.
///
/// Every path is absolute *as seen on the audited host* (`/proc/cmdline`); implementations map it
/// under their root and resolve symbolic links without ever leaving that root. Reads are bounded:
/// a file larger than the limit is an error, not an allocation.
public protocol HostFileSystem: Sendable {
    /// The directory that stands for `/` (the real `/` by default).
    var root: String { get }

    /// The bytes of the regular file at `path`, at most `limit` of them.
    /// - Throws: `HyperwardError` with `.notFound`, `.unreadable`, `.tooLarge`,
    ///   `.notRegularFile` or `.symlinkLoop`.
    func readFile(_ path: String, limit: Int) throws(HyperwardError) -> [UInt8]

    /// The names in the directory at `path`, sorted, without `.` and `..`.
    func listDirectory(_ path: String) throws(HyperwardError) -> [String]

    /// The status of `path`; with `followingSymlinks` false, of a final symlink itself.
    func status(_ path: String, followingSymlinks: Bool) throws(HyperwardError) -> FileStatus

    /// The target of the symbolic link at `path`, verbatim (e.g. `/usr/bin/qemu (deleted)`).
    func readLink(_ path: String) throws(HyperwardError) -> String
}

extension HostFileSystem {
    /// The default bound for configuration-sized files: 1 MiB.
    public static var defaultReadLimit: Int { 1 << 20 }

    /// The text of the file at `path` (invalid UTF-8 repaired), at most `limit` bytes.
    public func readText(_ path: String, limit: Int = 1 << 20) throws(HyperwardError) -> String {
        String(decoding: try readFile(path, limit: limit), as: UTF8.self)
    }

    /// The text of a one-value pseudo-file (sysfs/procfs), trimmed of surrounding whitespace.
    public func readValue(_ path: String) throws(HyperwardError) -> String {
        try readText(path, limit: 64 * 1024).trimmingWhitespace()
    }

    /// Whether anything exists at `path` (a dangling symlink counts).
    public func exists(_ path: String) -> Bool {
        (try? status(path, followingSymlinks: false)) != nil
    }

    /// Whether `path` is a directory (following symlinks).
    public func isDirectory(_ path: String) -> Bool {
        (try? status(path, followingSymlinks: true))?.kind == .directory
    }
}

extension Substring {
    /// The substring as a `String` without leading and trailing spaces, tabs, newlines and NULs.
    public func trimmingCharacters() -> String { String(self).trimmingWhitespace() }
}

extension String {
    /// The string without leading and trailing spaces, tabs, newlines and NULs.
    public func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\0" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return String(self[start...end])
    }
}

/// The real file system, seen from `root` (`/` for the running host).
///
/// Symbolic links are resolved component by component with absolute targets re-rooted, so a fixture
/// tree can hold `/proc/self -> 42`-style links and a hostile link can never reach outside the root.
/// Files are opened with `O_NONBLOCK | O_NOFOLLOW` and must be regular: a FIFO planted where a
/// config file should be cannot hang the audit.
public struct RootedFileSystem: HostFileSystem {
    public let root: String
    /// The most symbolic links followed while resolving one path (Linux's own limit is 40).
    public static let maxSymlinkHops = 40

    /// Creates a view of the host rooted at `root` (default `/`).
    public init(root: String = "/") {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r.isEmpty ? "/" : r
    }

    func physical(_ hostPath: String) -> String {
        root == "/" ? hostPath : root + hostPath
    }

    /// Resolves `path` to a host path free of symlinks (except, with `followLast` false, the last component).
    func resolve(_ path: String, followLast: Bool) throws(HyperwardError) -> String {
        var pending = RootedFileSystem.components(of: path)
        pending.reverse()
        var resolved: [String] = []
        var hops = 0
        while let component = pending.popLast() {
            if component == "." || component.isEmpty { continue }
            if component == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let candidate = "/" + (resolved + [component]).joined(separator: "/")
            let isLast = pending.isEmpty
            var st = stat()
            if lstat(physical(candidate), &st) != 0 {
                // A missing component: report it as the path asked for.
                throw RootedFileSystem.error(errno: errno, path: path)
            }
            if (st.st_mode & S_IFMT) == S_IFLNK && (!isLast || followLast) {
                hops += 1
                if hops > RootedFileSystem.maxSymlinkHops {
                    throw HyperwardError(.symlinkLoop, "\(path): too many levels of symbolic links")
                }
                let target = try rawReadLink(candidate, reportedAs: path)
                if target.hasPrefix("/") { resolved = [] }
                pending.append(contentsOf: RootedFileSystem.components(of: target).reversed())
                continue
            }
            resolved.append(component)
        }
        return "/" + resolved.joined(separator: "/")
    }

    static func components(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func error(errno code: Int32, path: String) -> HyperwardError {
        switch code {
        case ENOENT, ENOTDIR: HyperwardError(.notFound, "\(path): no such file or directory")
        case ELOOP: HyperwardError(.symlinkLoop, "\(path): too many levels of symbolic links")
        case EACCES, EPERM: HyperwardError(.unreadable, "\(path): permission denied")
        default: HyperwardError(.unreadable, "\(path): \(String(cString: strerror(code)))")
        }
    }

    func rawReadLink(_ hostPath: String, reportedAs path: String) throws(HyperwardError) -> String {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(physical(hostPath), &buffer, 4096)
        if n < 0 { throw RootedFileSystem.error(errno: errno, path: path) }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func readFile(_ path: String, limit: Int) throws(HyperwardError) -> [UInt8] {
        let resolved = try resolve(path, followLast: true)
        // Refuse devices, FIFOs and sockets before opening: opening some devices has side effects
        // (a watchdog, a tape). The fstat after open re-checks against a swap in between.
        var pre = stat()
        if lstat(physical(resolved), &pre) != 0 { throw RootedFileSystem.error(errno: errno, path: path) }
        guard (pre.st_mode & S_IFMT) == S_IFREG else {
            throw HyperwardError(.notRegularFile, "\(path): not a regular file")
        }
        let fd = open(physical(resolved), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 { throw RootedFileSystem.error(errno: errno, path: path) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw RootedFileSystem.error(errno: errno, path: path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw HyperwardError(.notRegularFile, "\(path): not a regular file")
        }
        // sysfs/procfs report a size of 4096 or 0 whatever they hold: read until EOF, bounded.
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RootedFileSystem.error(errno: errno, path: path)
            }
            if n == 0 { break }
            if bytes.count + n > limit {
                throw HyperwardError(.tooLarge, "\(path): larger than the \(limit)-byte limit for this file")
            }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    public func listDirectory(_ path: String) throws(HyperwardError) -> [String] {
        let resolved = try resolve(path, followLast: true)
        guard let dir = opendir(physical(resolved)) else {
            throw RootedFileSystem.error(errno: errno, path: path)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names.sorted()
    }

    public func status(_ path: String, followingSymlinks: Bool) throws(HyperwardError) -> FileStatus {
        let resolved = try resolve(path, followLast: followingSymlinks)
        var st = stat()
        if lstat(physical(resolved), &st) != 0 { throw RootedFileSystem.error(errno: errno, path: path) }
        let kind: FileStatus.Kind =
            switch st.st_mode & S_IFMT {
            case S_IFREG: .regular
            case S_IFDIR: .directory
            case S_IFLNK: .symlink
            case S_IFCHR: .characterDevice
            case S_IFBLK: .blockDevice
            case S_IFIFO: .fifo
            case S_IFSOCK: .socket
            default: .other
            }
        return FileStatus(
            kind: kind,
            permissions: UInt32(st.st_mode) & 0o7777,
            uid: UInt32(st.st_uid),
            gid: UInt32(st.st_gid),
            size: Int64(st.st_size)
        )
    }

    public func readLink(_ path: String) throws(HyperwardError) -> String {
        let resolved = try resolve(path, followLast: false)
        return try rawReadLink(resolved, reportedAs: path)
    }
}
