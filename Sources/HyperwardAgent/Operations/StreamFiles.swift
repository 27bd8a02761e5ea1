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
import HyperwardHost
import KeyManagement

#if canImport(Glibc)
import Glibc
#endif

/// Files for streams: an input read from a path or standard input, an output written to a path
/// (0600, appearing only when complete, never over an existing file unless `replace`) or
/// standard output.
public enum StreamFiles {
    public static func transform(input: String?, output: String?, replace: Bool = false,
                          _ body: (inout FileDescriptorStream, inout FileDescriptorStream) throws -> Void) throws {
        var inputFD = STDIN_FILENO
        if let input {
            inputFD = try openInput(input, allowPipes: true)
        }
        defer { if input != nil { close(inputFD) } }
        guard let output else {
            var source = FileDescriptorStream(fd: inputFD)
            var sink = FileDescriptorStream(fd: STDOUT_FILENO)
            return try body(&source, &sink)
        }
        if let input, sameFile(input, output) {
            throw HyperwardError(.usage, "--out \(output) is the input file")
        }
        // The output is an unnamed file until it is complete: a run killed at any point (even
        // SIGKILL) leaves no partial file, no plaintext, behind.
        try SafeFile.create(output, mode: 0o600, replace: replace) { outputFD in
            var source = FileDescriptorStream(fd: inputFD)
            var sink = FileDescriptorStream(fd: outputFD)
            try body(&source, &sink)
        }
    }

    /// Opens a file to read without blocking on a FIFO's open (a disk image replaced by a FIFO
    /// must not hang the command): a regular file, or a pipe where `allowPipes`.
    public static func openInput(_ path: String, allowPipes: Bool = false) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw HyperwardError(.notFound, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw HyperwardError(.notFound, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFBLK || (allowPipes && type == S_IFIFO) else {
            close(fd)
            let what = type == S_IFDIR ? "a directory" : type == S_IFIFO ? "a FIFO" : type == S_IFCHR ? "a character device" : type == S_IFSOCK ? "a socket" : "not a regular file"
            throw HyperwardError(.notFound, "\(path) is \(what), not a file")
        }
        // Reads block normally from here on.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// Whether two paths name the same existing file.
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }
}
