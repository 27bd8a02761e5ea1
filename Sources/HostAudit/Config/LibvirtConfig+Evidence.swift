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

extension LibvirtConfig {
    /// The outcome of reading a configuration file for a check.
    enum Loaded {
        /// The file does not exist.
        case missing
        /// The file exists but could not be read (too large, a FIFO, a symlink loop, unreadable).
        case failed(HyperwardError)
        /// The file was read and parsed; `bytes` is its raw text.
        case parsed(LibvirtConfig, bytes: [UInt8])
    }

    /// Reads `path` for a check: a missing file and a failed read are told apart.
    static func loadForCheck(_ path: String, from fs: any HostFileSystem) -> Loaded {
        do {
            let bytes = try fs.readFile(path, limit: maxFileSize)
            return .parsed(LibvirtConfig(parsing: bytes, file: path), bytes: bytes)
        } catch where error.code == .notFound {
            return .missing
        } catch {
            return .failed(error)
        }
    }

    /// Whether a setting holds a secret whose value must never reach a report.
    static func isSecret(_ key: String) -> Bool {
        key.contains("password") || key.contains("secret")
    }

    /// Evidence for `key`: the statement as written (secrets hidden) with its line, or, when the
    /// file does not set it, that libvirt 9's default applies.
    func evidence(_ key: String, default defaultText: String) -> Evidence {
        guard let entry = entry(key) else {
            return Evidence(path: file, value: "\(key) not set: default \(defaultText) (libvirt 9)")
        }
        let shown = LibvirtConfig.isSecret(key) ? "(set, value hidden)" : entry.value.description
        return Evidence(path: file, value: "\(key) = \(shown)", line: entry.line)
    }

    /// The commented-out example `#key = value` the packaged file carries, if any.
    ///
    /// libvirt generates the shipped `qemu.conf` with the build's default user and group filled
    /// into `#user = "…"` and `#group = "…"`, so that line states what applies when the setting is
    /// absent. Indented examples (`#       user = "qemu"`) are documentation, not the default.
    static func commentedDefault(_ key: String, in bytes: [UInt8]) -> Value? {
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard line.first == UInt8(ascii: "#"), line.count > 1,
                  line[line.startIndex + 1] != UInt8(ascii: " "), line[line.startIndex + 1] != UInt8(ascii: "\t")
            else { continue }
            let example = LibvirtConfig(parsing: Array(line.dropFirst()), file: "")
            if example.diagnostics.isEmpty, let entry = example.entry(key) { return entry.value }
        }
        return nil
    }
}
