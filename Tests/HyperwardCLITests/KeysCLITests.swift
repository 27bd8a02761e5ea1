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
import HyperwardHost
import HyperwardStore
import KeyManagement
import Testing

/// `hyperward keys` as an operator runs it: exit codes, secrets kept out of output and events,
/// streams through files, and a keystore that survives being killed mid-change.
@Suite("hyperward keys", .serialized)
struct KeysCLITests {
    static let passphrase = "an operator's passphrase"

    final class Lab: @unchecked Sendable {
        let scratch = Scratch()
        var state: String { scratch.path + "/state" }
        let passphraseFile: String

        init() throws {
            passphraseFile = scratch.write("passphrase", KeysCLITests.passphrase + "\n")
            chmod(passphraseFile, 0o600)
            let result = try keys(["init", "--scrypt-log-n", "10"])
            #expect(result.status == 0, "\(result.stderr)")
        }

        func keys(_ arguments: [String], stdin: Data = Data()) throws -> CLI.Result {
            try KeysCLITests.run([arguments[0]] + ["--state-dir", state, "--passphrase-file", passphraseFile] + arguments.dropFirst(), stdin: stdin)
        }

        /// Any command: `arguments[0]` and `[1]` are the command and subcommand, the keystore
        /// options follow them.
        func hyperward(_ arguments: [String], stdin: Data = Data()) throws -> CLI.Result {
            try KeysCLITests.run(Array(arguments.prefix(2)) + ["--state-dir", state, "--passphrase-file", passphraseFile] + arguments.dropFirst(2),
                                 stdin: stdin, command: nil)
        }

        func keystore() throws -> Keystore {
            try Keystore.open(directory: state, unlocker: .passphrase(Array(KeysCLITests.passphrase.utf8)))
        }
    }

    static func run(_ arguments: [String], stdin: Data, command: String? = "keys", environment: [String: String] = [:]) throws -> CLI.Result {
        try CLI.run((command.map { [$0] } ?? []) + arguments, stdin: stdin, environment: environment)
    }

    @Test("every failure has its documented exit code and a message without secrets")
    func exitCodes() throws {
        let lab = try Lab()
        #expect(try lab.keys(["create", "vm-disks"]).status == 0)
        let encrypted = try lab.keys(["encrypt", "vm-disks", "--context", "vm=web1"], stdin: Data("the plaintext marker".utf8))
        #expect(encrypted.status == 0 && encrypted.stdout.hasPrefix("hyperward:v1:"))
        let ciphertext = Data(encrypted.stdout.utf8)
        let decrypted = try lab.keys(["decrypt", "vm-disks", "--context", "vm=web1"], stdin: ciphertext)
        #expect(decrypted.status == 0 && decrypted.stdout == "the plaintext marker")

        var flipped = Array(encrypted.stdout.utf8)
        flipped[20] = flipped[20] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let cases: [(arguments: [String], stdin: Data, status: Int32)] = [
            (["decrypt", "vm-disks", "--context", "vm=web2"], ciphertext, 65),
            (["decrypt", "vm-disks", "--context", "vm=web1"], Data(flipped), 65),
            (["decrypt", "vm-disks"], Data("vault:v1:abc".utf8), 65),
            (["decrypt", "nokey", "--context", "vm=web1"], ciphertext, 67),
            (["create", "bad name"], Data(), 64),
            (["encrypt", "vm-disks", "--context", "novalue"], Data("x".utf8), 64),
        ]
        for item in cases {
            let result = try lab.keys(item.arguments, stdin: item.stdin)
            #expect(result.status == item.status, "\(item.arguments): \(result.status) \(result.stderr)")
            #expect(!result.stderr.isEmpty)
            #expect(!result.stdout.contains("plaintext marker") && !result.stderr.contains("plaintext marker"))
        }
        #expect(try lab.keys(["rotate", "vm-disks"]).status == 0)
        #expect(try lab.keys(["config", "vm-disks", "--min-decryption-version", "2"]).status == 0)
        #expect(try lab.keys(["decrypt", "vm-disks", "--context", "vm=web1"], stdin: ciphertext).status == 68)
        #expect(try lab.keys(["init"]).status == 73)

        // Wrong passphrase (from a descriptor this time) and no keystore.
        let wrong = try Self.run(["list", "--state-dir", lab.state, "--passphrase-fd", "0"], stdin: Data("not it\n".utf8))
        #expect(wrong.status == 77, "\(wrong.stderr)")
        let right = try Self.run(["list", "--state-dir", lab.state, "--passphrase-fd", "0"], stdin: Data((Self.passphrase + "\n").utf8))
        #expect(right.status == 0 && right.stdout.contains("vm-disks"))
        let missing = try Self.run(["list", "--state-dir", lab.scratch.path + "/empty", "--passphrase-file", lab.passphraseFile], stdin: Data())
        #expect(missing.status == 66)
        // No terminal and no passphrase source: a usage error, not a hang.
        #expect(try Self.run(["list", "--state-dir", lab.state], stdin: Data()).status == 64)

        // Tampering behind the product's back.
        let path = lab.state + "/" + Keystore.fileName
        let sqlite = try Self.sql(path, "UPDATE keys SET min_decryption = 1")
        #expect(sqlite)
        #expect(try lab.keys(["show", "vm-disks"]).status == 76)
    }

    /// Edits the keystore with the sqlite3 shell when it is installed, else through Python.
    static func sql(_ path: String, _ statement: String) throws -> Bool {
        HostCommand.run(["/usr/bin/python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()", path, statement]).status == 0
    }

    @Test("events record who did what to which key, never material or plaintext")
    func events() throws {
        let lab = try Lab()
        #expect(try lab.keys(["create", "k"]).status == 0)
        let datakey = try lab.keys(["datakey", "k"])
        let plaintext = try #require(datakey.stdout.split(separator: "\"").dropLast().last.map(String.init))
        #expect(try lab.keys(["encrypt", "k"], stdin: Data("marker-in-plaintext".utf8)).status == 0)
        _ = try lab.keys(["decrypt", "k"], stdin: Data("hyperward:v9:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".utf8))
        let events = try StateStore(stateDirectory: lab.state).events(kindPrefix: "key.", limit: 100)
        #expect(events.map(\.kind) == ["key.init", "key.create", "key.datakey", "key.encrypt", "key.decrypt"])
        let decrypt = try #require(events.last)
        #expect(decrypt.body?.contains("\"outcome\":\"error\"") == true && decrypt.body?.contains("unknown-key") == true)
        #expect(events.allSatisfy { $0.body?.contains("\"uid\":\"\(getuid())\"") == true })
        for event in events {
            let text = "\(event.summary) \(event.body ?? "")"
            #expect(!text.contains(plaintext) && !text.contains("marker-in-plaintext") && !text.contains(Self.passphrase))
        }
    }

    @Test("streams through files: byte-identical back, output only when complete, 0600")
    func streams() throws {
        let lab = try Lab()
        #expect(try lab.keys(["create", "backups"]).status == 0)
        var generator = SystemRandomNumberGenerator()
        let original = Data((0..<700_001).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let input = lab.scratch.path + "/disk.raw"
        try original.write(to: URL(fileURLWithPath: input))
        let sealed = lab.scratch.path + "/disk.hws", back = lab.scratch.path + "/disk.back"
        #expect(try lab.keys(["encrypt", "backups", "--stream", "--in", input, "--out", sealed, "--context", "vm=db1"]).status == 0)
        #expect(try lab.keys(["decrypt", "backups", "--stream", "--in", sealed, "--out", back, "--context", "vm=db1"]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: back)) == original)
        var st = stat()
        #expect(stat(back, &st) == 0 && st.st_mode & 0o777 == 0o600)

        let cut = lab.scratch.path + "/disk.cut", failed = lab.scratch.path + "/disk.failed"
        try Data(try Data(contentsOf: URL(fileURLWithPath: sealed)).prefix(400_000)).write(to: URL(fileURLWithPath: cut))
        let result = try lab.keys(["decrypt", "backups", "--stream", "--in", cut, "--out", failed, "--context", "vm=db1"])
        #expect(result.status == 65)
        #expect(!FileManager.default.fileExists(atPath: failed))
        #expect(try FileManager.default.contentsOfDirectory(atPath: lab.scratch.path).allSatisfy { !$0.contains(".partial-") })
    }

    @Test("killed at random points of rotate, rewrap, trim and config, the keystore loses nothing")
    func crashSafety() async throws {
        let lab = try Lab()
        #expect(try lab.keys(["create", "k"]).status == 0)
        var made: [(ciphertext: String, plaintext: String)] = []
        for round in 0..<4 {
            if round > 0 { #expect(try lab.keys(["rotate", "k"]).status == 0) }
            let text = "payload \(round)"
            let result = try lab.keys(["encrypt", "k"], stdin: Data(text.utf8))
            made.append((result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), text))
        }
        // How long one change takes, so kills land before, during and after its transaction.
        var durations: [Double] = []
        for _ in 0..<3 {
            let start = Date()
            _ = try lab.keys(["config", "k", "--rotate-after", "3600"])
            durations.append(Date().timeIntervalSince(start))
        }
        let typical = durations.sorted()[1]
        var killed = 0, completed = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<60 {
            let info = try lab.keystore().info("k")
            let (target, _) = made.filter { (try? Ciphertext(parsing: $0.ciphertext).version) ?? 0 >= info.minDecryptionVersion }.randomElement(using: &generator) ?? made[0]
            let operations: [[String]] = [
                ["rotate", "k"], ["rotate", "k", "--keep", "4"], ["trim", "k"], ["rewrap", "k"],
                ["config", "k", "--min-decryption-version", String(max(1, info.latestVersion - 5))],
            ]
            let arguments = operations[round % operations.count]
            let process = try HostChild([CLI.binary, "keys", arguments[0], "--state-dir", lab.state, "--passphrase-file", lab.passphraseFile]
                                            + arguments.dropFirst(),
                                        stdout: HostChild.nullDevice, stderr: HostChild.nullDevice, input: Data(target.utf8))
            try await Task.sleep(for: .seconds(typical * Double.random(in: 0.2...1.3, using: &generator)))
            process.signal(SIGKILL)
            process.wait()
            if case .signaled = process.termination { killed += 1 } else { completed += 1 }

            // Afterwards: the keystore opens, its records authenticate, and every ciphertext
            // made before decrypts where its version is still allowed.
            let store = try lab.keystore()
            let now = try store.info("k")
            for item in made {
                let ciphertext = try Ciphertext(parsing: item.ciphertext)
                if ciphertext.version >= now.minDecryptionVersion {
                    #expect(try store.decrypt("k", ciphertext) == Array(item.plaintext.utf8), "round \(round) after \(arguments)")
                } else {
                    #expect(throws: KeyError.self) { try store.decrypt("k", ciphertext) }
                }
            }
            // Keep the set growing with the newest version, so later rounds still have targets.
            if round % 5 == 4 {
                let text = "payload after round \(round)"
                made.append((try store.encrypt("k", Array(text.utf8)).description, text))
            }
        }
        print("crash safety: \(killed) runs killed mid-way, \(completed) finished (typical run \(Int(typical * 1000)) ms)")
        #expect(killed >= 10, "only \(killed) of 60 runs were killed before finishing: the test would prove little")
        #expect(completed >= 3, "no run finished: the timing never reached the end of an operation")
    }
}
