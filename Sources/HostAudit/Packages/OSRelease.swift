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

/// The distribution facts of `/etc/os-release` (os-release(5)) that advisory matching needs.
public struct OSRelease: Sendable, Hashable {
    /// `/etc/os-release`, and the fallback os-release(5) names.
    public static let paths = ["/etc/os-release", "/usr/lib/os-release"]

    /// `ID`, e.g. `debian`, `ubuntu`, `almalinux`.
    public var id: String?
    /// `ID_LIKE`, split.
    public var idLike: [String]
    /// `VERSION_ID`, e.g. `12`, `22.04`, `9.4` (absent on Debian testing/unstable).
    public var versionID: String?
    /// `VERSION_CODENAME`, e.g. `bookworm`.
    public var codename: String?
    /// The file it was read from.
    public var path: String

    /// Parses os-release text: `KEY=value` lines, values optionally quoted.
    public init(parsing text: String, path: String = "/etc/os-release") {
        var values: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters()
            guard !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: eq)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[String(line[..<eq])] = value
        }
        id = values["ID"].map { $0.lowercased() }
        idLike = (values["ID_LIKE"] ?? "").split(separator: " ").map { $0.lowercased() }
        versionID = values["VERSION_ID"]
        codename = values["VERSION_CODENAME"].flatMap { $0.isEmpty ? nil : $0 }
        self.path = path
    }

    /// Reads the host's os-release, or `nil` if there is none.
    public static func read(from fs: any HostFileSystem) -> OSRelease? {
        for path in paths {
            if let text = try? fs.readText(path, limit: 64 * 1024) { return OSRelease(parsing: text, path: path) }
        }
        return nil
    }
}
