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

/// An absolute host path as components, for "is this file inside that directory" without string
/// prefixes (`/srv/vm` must not contain `/srv/vm2/a`) and without `.`/`..` tricks
/// (`/srv/vm/../../etc/shadow` is refused, not resolved: the judge never touches the file system,
/// and libvirt would open exactly the text written).
struct HostPath: Hashable, Sendable {
    var components: [Substring]

    /// Nil for a relative path, or one with a `.` or `..` component, or a NUL.
    init?(_ text: String) {
        guard text.hasPrefix("/"), !text.contains("\0") else { return nil }
        let parts = text.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        components = parts
    }

    var text: String { "/" + components.joined(separator: "/") }

    /// Whether this path is `directory` or inside it.
    func isInside(_ directory: HostPath) -> Bool {
        components.count >= directory.components.count && zip(components, directory.components).allSatisfy { $0 == $1 }
    }

    /// Whether `text` is an acceptable path inside one of `directories`.
    static func text(_ text: String, isInsideAnyOf directories: [String]) -> Bool {
        guard let path = HostPath(text) else { return false }
        return directories.contains { HostPath($0).map(path.isInside) ?? false }
    }
}
