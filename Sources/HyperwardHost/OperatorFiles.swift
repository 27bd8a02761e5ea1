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

/// Files the operator names on the command line: errors say the path and the system's reason
/// (`strerror`), never a Foundation error domain and code.
public enum OperatorFiles {
    /// The system's reason for `code` (`No such file or directory`).
    public static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// `path` made absolute against the working directory (operator paths are relative to it;
    /// the host file system wants absolute ones).
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let cwd = FileManager.default.currentDirectoryPath
        return cwd.hasSuffix("/") ? cwd + path : cwd + "/" + path
    }

    /// Refuses a directory where a file is expected: `PATH is a directory` (exit `exitCode`).
    public static func refuseDirectory(_ path: String, exitCode: Int32, what: String = "") throws(HyperwardError) {
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw HyperwardError(exitStatus: exitCode, "\(what)\(path) is a directory; give a file")
        }
    }

    /// Checks that `output` may be created: not the input (same path or same file), not an existing
    /// file (exit 73, as other commands refuse to overwrite), not a directory.
    public static func checkNewOutput(_ output: String, input: String?) throws(HyperwardError) {
        var out = stat()
        guard lstat(output, &out) == 0 else { return }  // Nothing there: it will be created.
        var followed = stat()
        if let input, stat(output, &followed) == 0 {
            var source = stat()
            if stat(input, &source) == 0, source.st_dev == followed.st_dev, source.st_ino == followed.st_ino {
                throw HyperwardError(.cannotCreate, "\(output) is the input \(input); refusing to write over it (choose another --out)")
            }
        }
        if (out.st_mode & S_IFMT) == S_IFDIR { throw HyperwardError(.cannotCreate, "\(output) is a directory; give a file name to create") }
        throw HyperwardError(.cannotCreate, "\(output) already exists; remove it or choose another --out")
    }

    /// Writes `text` to `path` (0644): a new file only, or with `replacing`, atomically over the
    /// old one; it appears only when complete (`SafeFile`), so a kill leaves nothing behind.
    /// - Throws: `HyperwardError` 73 naming the path and the system's reason.
    public static func save(_ text: String, to path: String, replacing: Bool) throws(HyperwardError) {
        do {
            try SafeFile.write(Array(text.utf8), to: path, mode: 0o644, replace: replacing)
        } catch let error as FileCreationError {
            throw HyperwardError(.cannotCreate, error.message)
        } catch {
            throw HyperwardError(.cannotCreate, "cannot write \(path): \(error)")
        }
    }
}

extension HyperwardError {
    /// A file that could not be created, as the command's error.
    public init(_ error: FileCreationError) {
        self.init(error.kind == .failed ? .ioError : .cannotCreate, error.message)
    }
}

