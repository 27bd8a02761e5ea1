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

extension CheckDescriptor {
    /// Whether a `--skip` id names a check, a family item, or a prefix of some check id.
    public static func isKnown(skip: String, in descriptors: [CheckDescriptor]) -> Bool {
        var s = skip
        if s.hasSuffix("*") {
            s.removeLast()
            if s.hasSuffix(".") { s.removeLast() }
        }
        return descriptors.contains { d in
            let isFamily = d.id.hasSuffix(".*")
            let base = isFamily ? String(d.id.dropLast(2)) : d.id
            return base == s || base.hasPrefix(s + ".") || (isFamily && s.hasPrefix(base + "."))
        }
    }
}
