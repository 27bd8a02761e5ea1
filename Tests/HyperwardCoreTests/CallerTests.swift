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

#if canImport(Glibc)
import Glibc
#endif

/// Who runs a command: `SUDO_USER` counts only for root and only for an account that exists;
/// names, uids and groups checked against `id` (the system's own answer).
@Suite("Caller")
struct CallerTests {
    func id(_ arguments: String) -> String {
        HostCommand.run(["/bin/sh", "-c", "id \(arguments)"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func withoutSudoTheCallerIsTheRealUser() throws {
        let caller = Caller.current(environment: [:])
        #expect(caller.uid == getuid())
        #expect(caller.user == id("-un"))
        #expect(!caller.viaSudo)
        #expect(Set(caller.groups) == Set(id("-Gn").split(separator: " ").map(String.init)))
        #expect(caller.description == caller.user)
    }

    @Test(.enabled(if: getuid() == 0, "SUDO_USER is trusted only for root"))
    func rootThroughSudoIsTheAccountThatRanSudo() throws {
        let caller = Caller.current(environment: ["SUDO_USER": "nobody"])
        #expect(caller.user == "nobody" && caller.viaSudo)
        #expect(String(caller.uid) == id("-u nobody"))
        #expect(Set(caller.groups) == Set(id("-Gn nobody").split(separator: " ").map(String.init)))
        #expect(caller.description == "nobody (via sudo)")
    }

    @Test(.enabled(if: getuid() == 0, "SUDO_USER is trusted only for root"),
          arguments: ["", "root", "no-such-user-\(UInt32.random(in: 0...UInt32.max))"])
    func anEmptyRootOrUnknownSudoUserIsIgnored(name: String) throws {
        let caller = Caller.current(environment: ["SUDO_USER": name])
        #expect(caller.user == "root" && caller.uid == 0 && !caller.viaSudo)
    }

    @Test(.enabled(if: getuid() != 0, "only a non-root user can show SUDO_USER being ignored"))
    func sudoUserIsIgnoredForOthersThanRoot() throws {
        let caller = Caller.current(environment: ["SUDO_USER": "root"])
        #expect(caller.uid == getuid() && !caller.viaSudo)
    }
}
