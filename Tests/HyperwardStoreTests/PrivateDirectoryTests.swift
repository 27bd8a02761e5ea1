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
import HyperwardHost
import Testing

@Suite("Private directories")
struct PrivateDirectoryTests {
    /// Making a private directory with its missing parents creates them 0700, tightens a loosened
    /// leaf, and never touches a directory above it that already existed (an earlier build
    /// tightened /tmp to 0700 this way, and QEMU could no longer read a guest's initrd there).
    @Test func ancestorsThatExistAreLeftAsTheyAre() throws {
        let base = FileManager.default.temporaryDirectory.path + "/hw-private-\(UUID().uuidString)"
        #expect(mkdir(base, 0o755) == 0 && chmod(base, 0o1777) == 0)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try PrivateDirectory.ensure(base + "/a/b/c", parents: true)
        func mode(_ path: String) -> mode_t {
            var st = stat()
            return stat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
        }
        #expect(mode(base) == 0o1777, "an existing ancestor keeps its mode")
        #expect(mode(base + "/a") == 0o700 && mode(base + "/a/b") == 0o700 && mode(base + "/a/b/c") == 0o700)
        #expect(chmod(base + "/a/b/c", 0o755) == 0)
        try PrivateDirectory.ensure(base + "/a/b/c", parents: true)
        #expect(mode(base + "/a/b/c") == 0o700, "the directory itself is tightened")
        #expect(mode(FileManager.default.temporaryDirectory.path) & 0o777 == 0o777, "and /tmp is untouched")
    }
}
