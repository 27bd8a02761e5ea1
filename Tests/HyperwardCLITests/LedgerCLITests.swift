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
import Testing

/// `hyperward ledger` end to end on a real store and keystore, and the hand-verification script
/// of docs/governance.md run on real `prove` output.
@Suite("hyperward ledger")
struct LedgerCLITests {
    let path = FileManager.default.temporaryDirectory.path + "/hw-ledger-cli-\(UUID().uuidString)"
    var state: String { path + "/state" }

    func prepare() throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let passphrase = path + "/pass"
        try "ledger-test-passphrase".write(toFile: passphrase, atomically: true, encoding: .utf8)
        chmod(passphrase, 0o600)
        #expect(try CLI.run(["keys", "init", "--state-dir", state, "--passphrase-file", passphrase, "--scrypt-log-n", "10"]).status == 0)
        for name in ["a", "b", "c", "d", "e"] {
            #expect(try CLI.run(["keys", "create", name, "--state-dir", state, "--passphrase-file", passphrase]).status == 0)
        }
        return passphrase
    }

    /// The script in docs/governance.md's "Verifying an inclusion proof by hand".
    static func governanceScript() throws -> String {
        let text = try String(contentsOfFile: CLI.packageRoot.path + "/docs/governance.md", encoding: .utf8)
        let start = try #require(text.range(of: "```sh\n#!/bin/sh\n# verify-inclusion.sh"))
        let end = try #require(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        return String(text[text.index(start.lowerBound, offsetBy: 6)..<end.lowerBound]) + "\n"
    }

    @Test func checkpointVerifyProveAndTheHandScriptAgree() throws {
        let passphrase = try prepare()
        let checkpoint = try CLI.run(["ledger", "checkpoint", "--state-dir", state, "--passphrase-file", passphrase])
        #expect(checkpoint.status == 0, "\(checkpoint.stderr)")
        try checkpoint.stdout.write(toFile: path + "/checkpoint", atomically: true, encoding: .utf8)
        var st = stat()
        #expect(stat(state + "/ledger.pub", &st) == 0 && st.st_mode & 0o777 == 0o644)
        let verify = try CLI.run(["ledger", "verify", "--state-dir", state, "--format", "json"])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(verify.stdout.contains("\"ok\":true"))

        let events = try CLI.run(["events", "--state-dir", state, "--format", "json"]).stdout.split(separator: "\n")
        let script = path + "/verify-inclusion.sh"
        try Self.governanceScript().write(toFile: script, atomically: true, encoding: .utf8)
        for line in events {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let id = try #require(object["id"] as? String)
            let prove = try CLI.run(["ledger", "prove", "--state-dir", state, "--inclusion", id])
            #expect(prove.status == 0, "\(prove.stderr)")
            let proofFile = path + "/proof-\(id)"
            try prove.stdout.write(toFile: proofFile, atomically: true, encoding: .utf8)
            let run = HostCommand.run(["/bin/sh", script, proofFile, path + "/checkpoint", state + "/ledger.pub"])
            #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
            #expect(run.stdout.contains("inclusion verified"))
        }
        // A changed proof, a changed leaf or another checkpoint fails the script.
        let id = try #require((try JSONSerialization.jsonObject(with: Data(events[2].utf8)) as? [String: Any])?["id"] as? String)
        let good = try CLI.run(["ledger", "prove", "--state-dir", state, "--inclusion", id]).stdout
        let proofLine = try #require(good.split(separator: "\n").first { $0.hasPrefix("proof ") })
        let flipped = String(proofLine.dropLast()) + (proofLine.last == "0" ? "1" : "0")
        for bad in [good.replacingOccurrences(of: String(proofLine), with: flipped), good.replacingOccurrences(of: "index 2\n", with: "index 3\n")] {
            try bad.write(toFile: path + "/bad", atomically: true, encoding: .utf8)
            #expect(HostCommand.run(["/bin/sh", script, path + "/bad"]).status != 0)
        }
        try checkpoint.stdout.replacingOccurrences(of: "\n6\n", with: "\n7\n").write(toFile: path + "/forged", atomically: true, encoding: .utf8)
        try good.write(toFile: path + "/good", atomically: true, encoding: .utf8)
        #expect(HostCommand.run(["/bin/sh", script, path + "/good", path + "/checkpoint", state + "/ledger.pub"]).status == 0)
        #expect(HostCommand.run(["/bin/sh", script, path + "/good", path + "/forged", state + "/ledger.pub"]).status != 0)
    }

    @Test func exportVerifiesOfflineAndIsCreatedExclusively() throws {
        let passphrase = try prepare()
        #expect(try CLI.run(["ledger", "checkpoint", "--state-dir", state, "--passphrase-file", passphrase]).status == 0)
        let output = path + "/export"
        #expect(try CLI.run(["ledger", "export", "--state-dir", state, "--output", output]).status == 0)
        #expect(try CLI.run(["ledger", "export", "--state-dir", state, "--output", output]).status == ExitStatus.cannotCreate)
        #expect(try CLI.run(["ledger", "verify", "--export", output, "--key", state + "/ledger.pub"]).status == 0)
        // One changed character in one entry: refused.
        let entries = output + "/entries.jsonl"
        let text = try String(contentsOfFile: entries, encoding: .utf8)
        try text.replacingOccurrences(of: "created key b", with: "created key x").write(toFile: entries, atomically: true, encoding: .utf8)
        let failed = try CLI.run(["ledger", "verify", "--export", output, "--key", state + "/ledger.pub"])
        #expect(failed.status == ExitStatus.corrupted)
        #expect(failed.stdout.contains("FAILED"))
    }

    @Test func theWitnessAcceptsGrowthAndRefusesRollback() throws {
        let passphrase = try prepare()
        let first = try CLI.run(["ledger", "checkpoint", "--state-dir", state, "--passphrase-file", passphrase]).stdout
        try first.write(toFile: path + "/c1", atomically: true, encoding: .utf8)
        #expect(try CLI.run(["keys", "list", "--state-dir", state, "--passphrase-file", passphrase]).status == 0)
        let second = try CLI.run(["ledger", "checkpoint", "--state-dir", state, "--passphrase-file", passphrase]).stdout
        try second.write(toFile: path + "/c2", atomically: true, encoding: .utf8)
        let witness = path + "/witness"
        #expect(try CLI.run(["ledger", "witness", "--state-dir", state, "--state", witness, "--key", state + "/ledger.pub", path + "/c1"]).status == 0)
        let proof = try CLI.run(["ledger", "prove", "--state-dir", state, "--consistency", "6", "7"])
        try proof.stdout.write(toFile: path + "/proof", atomically: true, encoding: .utf8)
        #expect(try CLI.run(["ledger", "witness", "--state-dir", state, "--state", witness, "--proof", path + "/proof", path + "/c2"]).status == 0)
        let refused = try CLI.run(["ledger", "witness", "--state-dir", state, "--state", witness, path + "/c1"])
        #expect(refused.status == ExitStatus.corrupted)
        #expect(refused.stderr.contains("smaller"))
        var st = stat()
        #expect(stat(witness, &st) == 0 && st.st_mode & 0o777 == 0o600)
    }
}
