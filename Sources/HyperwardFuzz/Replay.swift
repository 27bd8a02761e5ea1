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
#elseif canImport(Darwin)
import Darwin
#endif
import HyperwardCore

/// Reads corpus files for replaying them through a target.
enum Replay {
    /// The largest input replayed (corpus files are a few KiB).
    static let maxInputSize = 4 << 20

    private static let fs = RootedFileSystem()

    /// `path` made absolute against the working directory.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" + path }
        let cwd = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (cwd == "/" ? "" : cwd) + "/" + path
    }

    /// The files at `path`: the file itself, or a directory's files (recursively, sorted, hidden
    /// names skipped).
    static func files(at path: String) -> [String] {
        let path = absolute(path)
        guard fs.isDirectory(path) else { return [path] }
        guard let names = try? fs.listDirectory(path) else { return [] }
        return names.filter { !$0.hasPrefix(".") }.flatMap { files(at: path + "/" + $0) }
    }

    /// A file's bytes, or `nil` if it cannot be read.
    static func read(_ path: String) -> [UInt8]? {
        try? fs.readFile(absolute(path), limit: maxInputSize)
    }
}

/// Writes `text` and a newline to standard error.
func writeError(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        offset += n
    }
}
