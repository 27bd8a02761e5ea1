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
import KeyManagement
import Testing

/// The commands that write state, run as an attacker or a careless operator would: bad input,
/// kills at random points, concurrent runs of themselves. Nothing may crash, lose a key, replace
/// what exists, or leave a partial file or a secret behind.
@Suite("hostile use of the state-writing commands", .serialized)
struct HostileStateTests {
    static let passphrase = "hostile tests' passphrase"

    /// A state directory with a keystore, and a place for outputs.
    final class Lab: @unchecked Sendable {
        let scratch = Scratch()
        var state: String { scratch.path + "/state" }
        var out: String { scratch.path + "/out" }
        let passphraseFile: String

        init(initialize: Bool = true) throws {
            passphraseFile = scratch.write("passphrase", HostileStateTests.passphrase + "\n")
            chmod(passphraseFile, 0o600)
            try FileManager.default.createDirectory(atPath: scratch.path + "/out", withIntermediateDirectories: true)
            if initialize {
                let result = try run(["keys", "init", "--scrypt-log-n", "10"])
                #expect(result.status == 0, "\(result.stderr)")
            }
        }

        /// `arguments[0]` and `[1]` are the command and subcommand; the state and passphrase
        /// options follow them.
        func arguments(_ arguments: [String]) -> [String] {
            Array(arguments.prefix(2)) + ["--state-dir", state, "--passphrase-file", passphraseFile] + arguments.dropFirst(2)
        }

        func run(_ arguments: [String], stdin: Data = Data()) throws -> CLI.Result {
            try KeysCLITests.run(self.arguments(arguments), stdin: stdin, command: nil)
        }

        /// Starts the command without waiting for it.
        func start(_ arguments: [String]) throws -> HostChild {
            try HostChild([CLI.binary] + self.arguments(arguments), stdout: HostChild.nullDevice, stderr: HostChild.nullDevice)
        }

        /// Every name in a directory, hidden ones included.
        func names(_ directory: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        }

        /// A file's size in bytes (-1 when it cannot be read).
        func size(_ path: String) -> Int64 {
            var st = stat()
            return stat(path, &st) == 0 ? Int64(st.st_size) : -1
        }
    }

    static var required: Bool { ProcessInfo.processInfo.environment["HYPERWARD_REQUIRE_LIBVIRT"] == "1" }

    /// Whether qemu-img is installed; its absence fails the test where the run requires it.
    static func qemuImgReady() -> Bool {
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-img") { return true }
        if required { Issue.record("qemu-img is missing") }
        return false
    }

    // MARK: Bad input, table-driven

    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var status: Int32
        var fragment: String
        var testDescription: String { arguments.prefix(3).joined(separator: " ") + " → \(status)" }
    }

    static let cases: [Case] = [
        Case(arguments: ["cert", "init-ca", "--name", "evil\nname"], status: 64, fragment: "one line"),
        Case(arguments: ["cert", "init-ca", "--days", "0"], status: 64, fragment: "--days must be"),
        Case(arguments: ["cert", "crl", "--hours", "0"], status: 64, fragment: "already stale"),
        Case(arguments: ["cert", "crl", "--replace"], status: 64, fragment: "--replace goes with --out"),
        Case(arguments: ["cert", "revoke", "--vm", "nosuch"], status: 67, fragment: "no certificate was issued"),
        Case(arguments: ["disk", "create", "--vm", "v", "--uuid", "0b8e7b62-5a8c-4a0e-9d3b-8c2f8f7e0a11", "--size", "0", "--path", "/tmp/x.img"],
             status: 64, fragment: "positive number"),
        Case(arguments: ["disk", "create", "--vm", "v", "--uuid", "0b8e7b62-5a8c-4a0e-9d3b-8c2f8f7e0a11", "--size", "1M",
                         "--path", "/nonexistent-dir-hw/x.img"], status: 73, fragment: "does not exist"),
        Case(arguments: ["keys", "encrypt", "k", "--stream", "--out", "/nonexistent-dir-hw/f"], status: 73, fragment: "the directory /nonexistent-dir-hw does not exist"),
    ]

    @Test(arguments: cases)
    func badInputIsAClearError(_ c: Case) throws {
        let lab = try Lab()
        _ = try lab.run(["keys", "create", "k"])
        let before = lab.names(lab.state)
        let result = try lab.run(c.arguments, stdin: Data("x".utf8))
        #expect(result.status == c.status, "\(c.arguments): \(result.stderr)")
        #expect(result.stderr.contains(c.fragment), "\(c.arguments): \(result.stderr)")
        #expect(lab.names(lab.state) == before, "a refused command changed the state directory")
    }

    @Test func aPassphraseOverTheLimitNamesTheLimit() throws {
        let lab = try Lab(initialize: false)
        let long = lab.scratch.write("long", String(repeating: "p", count: 4097) + "\n")
        chmod(long, 0o600)
        let result = try KeysCLITests.run(["keys", "init", "--state-dir", lab.state, "--passphrase-file", long], stdin: Data(), command: nil)
        #expect(result.status == 64)
        #expect(result.stderr.contains("4096 bytes"), "\(result.stderr)")
        #expect(!result.stderr.contains("4097"), "\(result.stderr)")
        let exact = lab.scratch.write("exact", String(repeating: "p", count: 4096) + "\n")
        chmod(exact, 0o600)
        let accepted = try KeysCLITests.run(["keys", "init", "--scrypt-log-n", "10", "--state-dir", lab.state, "--passphrase-file", exact],
                                            stdin: Data(), command: nil)
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    // MARK: Keystore integrity

    @Test func aKeystoreOfAnUnknownFormatIsCorruptionNotAWrongPassphrase() throws {
        let lab = try Lab()
        #expect(try CLI.shell("sqlite3 -version >/dev/null 2>&1 || python3 -c 1").status == 0)
        #expect(try CLI.shell("python3 -c \"import sqlite3; c=sqlite3.connect('\(lab.state)/keys.sqlite'); c.execute('UPDATE keystore SET format=99'); c.commit()\"").status == 0)
        let result = try lab.run(["keys", "list"])
        #expect(result.status == 76, "\(result.stderr)")
        #expect(result.stderr.contains("format 99"), "\(result.stderr)")
    }

    /// A keystore whose schema records a migration this Hyperward does not know was written by
    /// a newer one: refused as corruption (76), named, and not touched.
    @Test func aKeystoreFromANewerHyperwardIsRefusedUntouched() throws {
        let lab = try Lab()
        let keystore = lab.state + "/keys.sqlite"
        #expect(try CLI.shell("python3 -c \"import sqlite3; c=sqlite3.connect('\(keystore)'); c.execute(\\\"INSERT INTO grdb_migrations VALUES ('v99-later')\\\"); c.commit()\"").status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: keystore))
        let result = try lab.run(["keys", "list"])
        #expect(result.status == 76, "\(result.stderr)")
        #expect(result.stderr.contains("newer Hyperward") && result.stderr.contains("v99-later"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: keystore)) == before)
    }

    @Test func aDamagedRootRecordIsCorruptionNotAWrongPassphrase() throws {
        for column in ["kdf_salt", "root_wrapped"] {
            let lab = try Lab()
            // Flip one byte of the field (the passphrase is right).
            let script = "import sqlite3; c=sqlite3.connect('\(lab.state)/keys.sqlite'); v=bytearray(c.execute('SELECT \(column) FROM keystore').fetchone()[0]); "
                + "v[5]^=1; c.execute('UPDATE keystore SET \(column)=?', (bytes(v),)); c.commit()"
            #expect(try CLI.shell("python3 -c \"\(script)\"").status == 0)
            let result = try lab.run(["keys", "list"])
            #expect(result.status == 76, "\(column): \(result.stderr)")
            #expect(result.stderr.contains("corrupted"), "\(column): \(result.stderr)")
        }
    }

    // MARK: Races

    /// Ten `keys init` at once on one state directory: exactly one creates the keystore, the
    /// others say it exists (73), and the keystore is the winner's (it opens, holds a key made
    /// right after by the winner's passphrase).
    @Test func concurrentInitsCreateExactlyOneKeystore() throws {
        var outcomes: [Int32: Int] = [:]
        for _ in 0..<3 {
            let lab = try Lab(initialize: false)
            let processes = try (0..<10).map { _ in try lab.start(["keys", "init", "--scrypt-log-n", "10"]) }
            let statuses = processes.map { $0.wait() }
            for s in statuses { outcomes[s, default: 0] += 1 }
            #expect(statuses.filter { $0 == 0 }.count == 1, "\(statuses)")
            #expect(statuses.allSatisfy { $0 == 0 || $0 == 73 }, "\(statuses)")
            #expect(lab.names(lab.state).allSatisfy { !$0.contains(".new-") }, "\(lab.names(lab.state))")
            #expect(try lab.run(["keys", "create", "after"]).status == 0)
        }
        print("concurrent keys init: 3 rounds × 10 processes, outcomes \(outcomes.sorted { $0.key < $1.key })")
    }

    /// The library alone (no lock in front): racing initializations in one process still make
    /// exactly one keystore, because the final name is given with link(2).
    @Test func keystoreInitializationIsExclusiveWithoutTheLock() async throws {
        let scratch = Scratch()
        let directory = scratch.path + "/state"
        let successes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (try? Keystore.initialize(directory: directory, unlocker: .passphrase(Array("p".utf8)),
                                              kdf: KDFParameters(logN: 10, r: 8, p: 1))) != nil
                }
            }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        #expect(successes == 1)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        #expect(names.filter { $0.contains(".new-") }.isEmpty, "\(names)")
    }

    /// Two `disk create` for one path, each with its own keystore: one wins; the loser exits 73
    /// and keeps no record; the winner's disk opens with the winner's key.
    @Test func concurrentDiskCreatesForOnePathKeepTheWinnersDisk() throws {
        guard Self.qemuImgReady() else { return }
        let a = try Lab(), b = try Lab()
        let uuid = UUID().uuidString.lowercased()
        var outcomes: [String] = []
        for round in 0..<3 {
            let path = a.out + "/race-\(round).img"
            let arguments = ["disk", "create", "--vm", "race\(round)", "--uuid", uuid, "--size", "8M", "--path", path]
            let pa = try a.start(arguments), pb = try b.start(arguments)
            let statuses = [pa.wait(), pb.wait()]
            outcomes.append("\(statuses)")
            #expect(statuses.sorted() == [0, 73], "round \(round): \(statuses)")
            let winner = statuses[0] == 0 ? a : b, loser = statuses[0] == 0 ? b : a
            let verified = try winner.run(["disk", "verify", "--vm", "race\(round)"])
            #expect(verified.status == 0, "\(verified.stderr)")
            let lost = try loser.run(["disk", "verify", "--vm", "race\(round)"])
            #expect(lost.stderr.contains("no encrypted disk"), "the loser kept a record: \(lost.stderr)")
            #expect(a.names(a.out).filter { $0.hasPrefix(".") }.isEmpty, "\(a.names(a.out))")
        }
        print("concurrent disk create: 3 rounds × 2 processes, outcomes \(outcomes)")
    }

    // MARK: Kills

    /// `disk create` killed at points spread over its run (SIGKILL and SIGTERM in turn): no
    /// image, no hidden temporary, no secret file is ever left; the next create succeeds.
    @Test func diskCreateKilledAnywhereLeavesNothing() async throws {
        guard Self.qemuImgReady() else { return }
        let lab = try Lab()
        let uuid = UUID().uuidString.lowercased()
        let path = lab.out + "/killed.img"
        let arguments = ["disk", "create", "--vm", "killed", "--uuid", uuid, "--size", "8M", "--path", path]
        var outcomes: [String] = []
        let delays = [50, 300, 700, 1200, 1800, 2600, 3500, 4500]
        for (i, delay) in delays.enumerated() {
            let signal = i % 2 == 0 ? SIGKILL : SIGTERM
            let process = try lab.start(arguments)
            try await Task.sleep(for: .milliseconds(delay))
            process.signal(signal)
            process.wait()
            let finished = process.termination == .exited(0)
            outcomes.append("\(delay)ms \(signal == SIGKILL ? "KILL" : "TERM") → \(finished ? "done" : "stopped")")
            let leftovers = lab.names(lab.out).filter { $0 != "killed.img" }
            #expect(leftovers.isEmpty, "after \(delay) ms: \(leftovers)")
            #expect(!lab.names(lab.state).contains("tmp") || lab.names(lab.state + "/tmp").isEmpty)
            if finished {
                #expect(try lab.run(["disk", "verify", "--vm", "killed"]).status == 0)
                // Start over: a finished disk is never overwritten, so remove it and its record's key.
                try FileManager.default.removeItem(atPath: path)
            } else {
                #expect(!FileManager.default.fileExists(atPath: path), "a stopped create left its image")
            }
        }
        // What the kills left (at most a record with no image) does not stop a new create.
        let result = try lab.run(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try lab.run(["disk", "verify", "--vm", "killed"]).status == 0)
        print("disk create kills: \(outcomes.joined(separator: "; "))")
    }

    /// `keys encrypt --stream --out F` and `decrypt` killed half-way: F never appears, nothing
    /// else appears beside it (no F.partial-PID, no plaintext).
    @Test func streamsKilledHalfWayLeaveNoPartialFile() async throws {
        let lab = try Lab()
        #expect(try lab.run(["keys", "create", "bulk"]).status == 0)
        let input = lab.scratch.path + "/big"
        #expect(try CLI.shell("head -c 400000000 /dev/zero > \(input)").status == 0)
        defer { unlink(input) }
        let encrypted = lab.out + "/whole.enc"
        #expect(try lab.run(["keys", "encrypt", "bulk", "--stream", "--in", input, "--out", encrypted]).status == 0)
        var outcomes: [String] = []
        for (i, delay) in [30, 150, 400, 800].enumerated() {
            for verb in ["encrypt", "decrypt"] {
                let output = lab.out + "/\(verb)-\(i)"
                let process = try lab.start(["keys", verb, "bulk", "--stream", "--in", verb == "encrypt" ? input : encrypted, "--out", output])
                try await Task.sleep(for: .milliseconds(delay))
                process.signal(i % 2 == 0 ? SIGKILL : SIGTERM)
                process.wait()
                let finished = process.termination == .exited(0)
                outcomes.append("\(verb) \(delay)ms → \(finished ? "done" : "stopped")")
                let names = lab.names(lab.out).filter { $0 != "whole.enc" && $0 != "\(verb)-\(i)" }
                #expect(names.filter { $0.hasPrefix("decrypt") || $0.hasPrefix("encrypt") || $0.hasPrefix(".") }.isEmpty, "\(names)")
                if !finished, FileManager.default.fileExists(atPath: output) {
                    // A signal that lands after the output was named (the file is only ever named
                    // when complete) and before the process exits: the file must then be whole.
                    let expected = verb == "encrypt" ? lab.size(encrypted) : lab.size(input)
                    #expect(lab.size(output) == expected, "\(verb) left a partial \(output): \(lab.size(output)) of \(expected) bytes")
                }
                unlink(output)
            }
        }
        print("stream kills: \(outcomes.joined(separator: "; "))")
    }

    /// Key changes killed at random points (SIGKILL): the keystore always opens, its keys are
    /// whole (every version listed decrypts what it encrypted), and no temporary file remains.
    @Test func keyChangesKilledAnywhereLeaveAConsistentKeystore() async throws {
        let lab = try Lab()
        #expect(try lab.run(["keys", "create", "stable"]).status == 0)
        let sealed = try lab.run(["keys", "encrypt", "stable"], stdin: Data("kept secret".utf8))
        #expect(sealed.status == 0)
        var generator = SystemRandomNumberGenerator()
        var outcomes: [String: Int] = [:]
        for i in 0..<24 {
            let arguments: [String] = switch i % 3 {
            case 0: ["keys", "create", "k\(i)"]
            case 1: ["keys", "rotate", "stable"]
            default: ["cert", "init-ca"]
            }
            let process = try lab.start(arguments)
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...250, using: &generator)))
            process.signal(SIGKILL)
            process.wait()
            let finished = process.termination?.isExit == true
            outcomes["\(arguments[1]) \(finished ? "finished" : "killed")", default: 0] += 1
            let list = try lab.run(["keys", "list"])
            #expect(list.status == 0, "after killing \(arguments): \(list.stderr)")
            let opened = try lab.run(["keys", "decrypt", "stable"], stdin: Data(sealed.stdout.utf8))
            #expect(opened.stdout == "kept secret", "after killing \(arguments): \(opened.stderr)")
            #expect(lab.names(lab.state).allSatisfy { !$0.contains(".new-") && !$0.contains(".partial") }, "\(lab.names(lab.state))")
        }
        print("key changes killed: \(outcomes.sorted { $0.key < $1.key })")
    }

    /// Concurrent changes of one key: every rotation gets its own version (none lost), and two
    /// creates of one name give one key and one clear refusal.
    @Test func concurrentKeyChangesLoseNothing() throws {
        let lab = try Lab()
        #expect(try lab.run(["keys", "create", "shared"]).status == 0)
        let rotations = try (0..<12).map { _ in try lab.start(["keys", "rotate", "shared"]) }
        let rotated = rotations.map { $0.wait() }
        #expect(rotated.allSatisfy { $0 == 0 }, "\(rotated)")
        let shown = try lab.run(["keys", "show", "shared"])
        #expect(shown.stdout.contains("\"latest_version\":13"), "\(shown.stdout)")
        let creates = try (0..<6).map { _ in try lab.start(["keys", "create", "once"]) }
        let statuses = creates.map { $0.wait() }.sorted()
        #expect(statuses.filter { $0 == 0 }.count == 1, "\(statuses)")
        #expect(statuses.allSatisfy { $0 == 0 || $0 == 64 || $0 == 73 }, "\(statuses)")
        print("concurrent key changes: 12 rotations → latest v13; 6 creates of one name → \(statuses)")
    }

    /// `cert issue` killed at random points: the out-dir holds either nothing or whole PEM files
    /// (a private key never half-written, never a temporary name).
    @Test func certificateIssueKilledAnywhereLeavesWholeFilesOrNone() async throws {
        let lab = try Lab()
        #expect(try lab.run(["cert", "init-ca"]).status == 0)
        var generator = SystemRandomNumberGenerator()
        var outcomes: [String: Int] = [:]
        for i in 0..<10 {
            let directory = lab.out + "/certs-\(i)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let process = try lab.start(["cert", "issue", "--vm", "vm\(i)", "--out-dir", directory])
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...200, using: &generator)))
            process.signal(i % 2 == 0 ? SIGKILL : SIGTERM)
            process.wait()
            let names = lab.names(directory)
            outcomes[process.termination?.isExit == true ? "finished" : "stopped", default: 0] += 1
            #expect(names.allSatisfy { !$0.hasPrefix(".") }, "\(names)")
            for name in names {
                let text = (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? ""
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(trimmed.hasPrefix("-----BEGIN") && trimmed.contains("-----END") && trimmed.hasSuffix("-----"), "\(name) is not whole")
            }
        }
        print("cert issue kills: \(outcomes.sorted { $0.key < $1.key })")
    }

    /// `net apply` killed at random points in a namespace: the kernel holds either the previous
    /// ruleset or the new one, whole (nft applies one transaction).
    @Test func netApplyKilledAnywhereLeavesTheOldOrTheNewRuleset() async throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") else {
            if Self.required { Issue.record("net apply kill test needs root and nft") }
            return
        }
        let scratch = Scratch()
        let namespace = "hwkill\(getpid() % 100000)"
        #expect(try CLI.shell("ip netns add \(namespace)").status == 0)
        defer { _ = try? CLI.shell("ip netns del \(namespace)") }
        func policy(_ vms: Int, port: Int) -> String {
            var text = "groups:\n  web:\n    ingress:\n      - { proto: tcp, ports: [\(port)] }\nvms:\n"
            for v in 0..<vms {
                text += "  vm\(v):\n    groups: [web]\n    interfaces:\n      - { device: vn\(v), mac: \"52:54:00:10:\(String(format: "%02x:%02x", v / 256, v % 256))\", ipv4: [10.\(v / 256).\(v % 256).1] }\n"
            }
            return text
        }
        let old = scratch.write("old.yaml", policy(300, port: 80))
        let new = scratch.write("new.yaml", policy(300, port: 443))
        func ruleset() throws -> String { try CLI.shell("ip netns exec \(namespace) nft list ruleset").stdout }
        #expect(try CLI.run(["net", "apply", "--policy", new, "--netns", namespace]).status == 0)
        let newRules = try ruleset()
        #expect(try CLI.run(["net", "apply", "--policy", old, "--netns", namespace]).status == 0)
        let oldRules = try ruleset()
        #expect(oldRules != newRules && !oldRules.isEmpty)
        var generator = SystemRandomNumberGenerator()
        var outcomes: [String: Int] = [:]
        for i in 0..<10 {
            let process = try HostChild([CLI.binary, "net", "apply", "--policy", i % 2 == 0 ? new : old, "--netns", namespace],
                                        stdout: HostChild.nullDevice, stderr: HostChild.nullDevice)
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...600, using: &generator)))
            // The command alone: its nft child may still commit, as after a real kill.
            process.signal(SIGKILL)
            process.wait()
            // A killed apply's nft child may still be committing: wait for it.
            _ = try CLI.shell("for _ in $(seq 1 50); do pgrep -f 'nft -f -' >/dev/null || break; sleep 0.1; done")
            let now = try ruleset()
            let state = now == oldRules ? "old" : now == newRules ? "new" : "other"
            outcomes[state, default: 0] += 1
            #expect(state != "other", "a killed apply left a ruleset that is neither the old nor the new one")
        }
        print("net apply kills (300 VMs): rulesets after kill \(outcomes.sorted { $0.key < $1.key })")
    }

    // MARK: Outputs

    @Test func aCRLNeverReplacesAFileUnlessAsked() throws {
        let lab = try Lab()
        #expect(try lab.run(["cert", "init-ca"]).status == 0)
        let existing = lab.scratch.write("out/crl.pem", "operator's file\n")
        chmod(existing, 0o600)
        let refused = try lab.run(["cert", "crl", "--out", existing])
        #expect(refused.status == 73, "\(refused.stderr)")
        #expect((try? String(contentsOfFile: existing, encoding: .utf8)) == "operator's file\n")
        var st = stat()
        stat(existing, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        let replaced = try lab.run(["cert", "crl", "--out", existing, "--replace"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect((try? String(contentsOfFile: existing, encoding: .utf8))?.hasPrefix("-----BEGIN X509 CRL-----") == true)
        stat(existing, &st)
        #expect(st.st_mode & 0o777 == 0o600, "the replaced CRL's mode changed")
        let fresh = lab.out + "/new.pem"
        #expect(try lab.run(["cert", "crl", "--out", fresh]).status == 0)
        stat(fresh, &st)
        #expect(st.st_mode & 0o777 == 0o644)
    }

    /// A disk image replaced by a FIFO: `disk verify` answers at once instead of hanging.
    @Test func diskVerifyOfAFIFODoesNotHang() throws {
        guard Self.qemuImgReady() else { return }
        let lab = try Lab()
        let path = lab.out + "/fifo.img"
        #expect(try lab.run(["disk", "create", "--vm", "f", "--uuid", UUID().uuidString.lowercased(), "--size", "8M", "--path", path]).status == 0)
        unlink(path)
        mkfifo(path, 0o600)
        let started = ContinuousClock.now
        let result = try lab.run(["disk", "verify", "--vm", "f"])
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(result.status == 66, "\(result.stderr)")
        #expect(result.stderr.contains("is a FIFO"), "\(result.stderr)")
    }

    /// A LUKS image whose keyslot area was damaged: the authentic stored key opens nothing, which
    /// is corruption (76), not a wrong passphrase (77).
    @Test func aDamagedKeyslotIsCorruption() throws {
        guard Self.qemuImgReady() else { return }
        let lab = try Lab()
        let path = lab.out + "/damaged.img"
        #expect(try lab.run(["disk", "create", "--vm", "d", "--uuid", UUID().uuidString.lowercased(), "--size", "8M", "--path", path]).status == 0)
        // Keyslot 0's material starts at sector 8 (LUKS1): overwrite some of it.
        #expect(try CLI.shell("dd if=/dev/urandom of=\(path) bs=512 seek=9 count=4 conv=notrunc status=none").status == 0)
        let result = try lab.run(["disk", "verify", "--vm", "d"])
        #expect(result.status == 76, "\(result.stderr)")
        #expect(result.stderr.contains("corrupted"), "\(result.stderr)")
    }

    /// A reader that went away: the command reports it (74) instead of dying of SIGPIPE (141).
    @Test func aClosedStandardOutputIsAnErrorNotACrash() throws {
        let lab = try Lab()
        #expect(try lab.run(["keys", "create", "bulk"]).status == 0)
        let input = lab.scratch.path + "/input"
        #expect(try CLI.shell("head -c 4000000 /dev/zero > \(input)").status == 0)
        let statusFile = lab.scratch.path + "/status"
        // `true` exits without reading: 4 MB cannot fit in the pipe, so a write fails with EPIPE.
        let result = try CLI.shell("{ \(CLI.binary) keys encrypt bulk --stream --in \(input) --state-dir \(lab.state) "
                                   + "--passphrase-file \(lab.passphraseFile); echo $? > \(statusFile); } | true")
        let status = (try? String(contentsOfFile: statusFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(status != "141", "died of SIGPIPE")
        #expect(status == "74" || status == "70", "\(status ?? "none") \(result.stderr)")
        #expect(result.stderr.contains("Broken pipe") || result.stderr.contains("standard output failed"), "\(result.stderr)")
    }

    // MARK: The agent

    /// One agent per state directory; SIGHUP reloads (a broken configuration is refused and the
    /// agent keeps running); SIGTERM stops it with "agent stopped".
    @Test func oneAgentPerStateDirectoryReloadOnHangup() async throws {
        let scratch = Scratch()
        let state = scratch.path + "/state"
        let config = scratch.write("agent.yaml", "state_directory: \(state)\naudit:\n  interval_seconds: 3600\n")
        let log = scratch.path + "/agent.log"
        let first = try HostChild([CLI.binary, "agent", "--config", config, "--root", scratch.path],
                                  stdout: URL(fileURLWithPath: log), stderr: URL(fileURLWithPath: log))
        defer { if first.isRunning { first.signal(SIGKILL) } }
        func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        for _ in 0..<100 where !logText().contains("agent starting") { try await Task.sleep(for: .milliseconds(100)) }
        #expect(logText().contains("agent starting"))

        let second = try CLI.run(["agent", "--config", config, "--root", scratch.path])
        #expect(second.status == 75, "\(second.stderr)")
        #expect(second.stderr.contains("another agent"), "\(second.stderr)")

        // A broken configuration: refused, the agent keeps running.
        try "state_directory: [unclosed\n".write(toFile: config, atomically: true, encoding: .utf8)
        first.signal(SIGHUP)
        for _ in 0..<50 where !logText().contains("reload refused") { try await Task.sleep(for: .milliseconds(100)) }
        #expect(logText().contains("reload refused"), "\(logText())")
        #expect(first.isRunning)

        try "state_directory: \(state)\naudit:\n  interval_seconds: 1800\n".write(toFile: config, atomically: true, encoding: .utf8)
        first.signal(SIGHUP)
        for _ in 0..<100 where !logText().contains("reloaded its configuration") { try await Task.sleep(for: .milliseconds(100)) }
        #expect(logText().contains("reloaded its configuration"), "\(logText())")
        #expect(first.isRunning)

        first.signal(SIGTERM)
        for _ in 0..<100 where first.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!first.isRunning)
        #expect(first.status == 0)
        #expect(logText().contains("agent stopped"), "\(logText())")
    }

    /// A writing command waits for another's change and says who holds the lock when it gives up.
    @Test func aBusyStateDirectoryIsReportedWithItsHolder() throws {
        let lab = try Lab()
        let lock = try StateLock.acquire(lab.state, .changes, wait: .zero, holder: "test holder")
        let result = try KeysCLITests.run(lab.arguments(["keys", "create", "blocked"]), stdin: Data(), command: nil,
                                          environment: ["HYPERWARD_LOCK_WAIT": "1"])
        withExtendedLifetime(lock) {}
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("test holder"), "\(result.stderr)")
    }
}
