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

/// Standard output and error, written with plain write(2): a closed standard output (a reader
/// that went away) ends the command with 74 and a message instead of a crash.
public enum Output {
    public static func write(_ text: String) {
        write(Array(text.utf8), to: STDOUT_FILENO)
    }
    public static func write(_ bytes: [UInt8]) {
        write(bytes, to: STDOUT_FILENO)
    }
    public static func warn(_ text: String) {
        write(Array("hyperward: warning: \(text)\n".utf8), to: STDERR_FILENO)
    }
    public static func error(_ text: String) {
        write(Array("hyperward: \(text)\n".utf8), to: STDERR_FILENO)
    }
    public static func note(_ text: String) {
        write(Array("hyperward: \(text)\n".utf8), to: STDERR_FILENO)
    }

    private static func write(_ bytes: [UInt8], to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                if fd == STDOUT_FILENO {
                    let reason = String(cString: strerror(errno))
                    write(Array("hyperward: standard output failed (\(reason)): the output is incomplete\n".utf8), to: STDERR_FILENO)
                    exit(ExitStatus.ioError)
                }
                return
            }
            offset += n
        }
    }
    /// Whether stdout is a terminal that wants color (honours NO_COLOR).
    public static var wantsColor: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }
}
