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
import Testing

@Suite("hyperward server token")
struct ServerCLITests {
    @Test func aTokenIsPrintedOnceAndStoredOnlyAsItsHash() throws {
        let scratch = Scratch()
        let state = scratch.path + "/server"
        let made = try CLI.run(["server", "token", "create", "--group", "rack-7", "--expires", "30m", "--state-dir", state, "--format", "json"])
        #expect(made.status == 0, "\(made.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: Any])
        let token = try #require(object["token"] as? String)
        #expect(token.hasPrefix("hwt_") && object["group"] as? String == "rack-7")
        // The file and its write-ahead log, where the latest commits are.
        var database = try Data(contentsOf: URL(fileURLWithPath: state + "/fleet.sqlite"))
        database.append(FileManager.default.contents(atPath: state + "/fleet.sqlite-wal") ?? Data())
        #expect(database.range(of: Data(token.utf8)) == nil, "the token is not stored, only its hash")
        var st = stat()
        #expect(stat(state + "/fleet.sqlite", &st) == 0 && st.st_mode & 0o077 == 0)
        // Text output: the token alone on standard output, the warning that it is shown once on standard error.
        let text = try CLI.run(["server", "token", "create", "--group", "rack-7", "--state-dir", state])
        #expect(text.status == 0 && text.stdout.hasPrefix("hwt_") && text.stdout.split(separator: "\n").count == 1)
        #expect(text.stderr.contains("not shown again"))
        for bad in [["--group", "a b"], ["--group", "g", "--expires", "9d"], ["--group", "g", "--expires", "soon"], ["--group", "g", "--expires", "10"]] {
            let refused = try CLI.run(["server", "token", "create", "--state-dir", state] + bad)
            #expect(refused.status == 64, "\(bad): \(refused.stderr)")
        }
    }

    @Test func hostsAreListedAndAnUnknownOneCannotBeRevoked() throws {
        let scratch = Scratch()
        let state = scratch.path + "/server"
        let passphrase = scratch.path + "/pass"
        try "server test passphrase".write(toFile: passphrase, atomically: true, encoding: .utf8)
        chmod(passphrase, 0o600)
        #expect(try CLI.run(["keys", "init", "--state-dir", state, "--passphrase-file", passphrase, "--scrypt-log-n", "10"]).status == 0)
        #expect(try CLI.run(["server", "token", "create", "--group", "g", "--state-dir", state]).status == 0)
        let list = try CLI.run(["server", "host", "list", "--state-dir", state])
        #expect(list.status == 0 && list.stdout.isEmpty, "no host enrolled yet: \(list.stdout)")
        let revoke = try CLI.run(["server", "host", "revoke", "kvm-99", "--state-dir", state, "--passphrase-file", passphrase])
        #expect(revoke.status == 67, "\(revoke.stderr)")
        #expect(revoke.stderr.contains("no enrolled host named \"kvm-99\""))
    }
}
