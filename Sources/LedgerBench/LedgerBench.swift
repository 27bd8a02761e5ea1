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


import Crypto
import Foundation
import HyperwardCore
import HyperwardStore
import Ledger

/// Benchmarks the ledger (release build): the append rate with a checkpoint signed each second
/// (single events, and batches of 100, per transaction), verification of a store of `--entries`
/// events, and proof sizes and times.
///
/// Usage: `LedgerBench [--entries 1000000] [--append-seconds 5] [--keep DIR] [--verify-only DIR]`.
/// `--keep DIR` builds the verification store in DIR (a state directory, with its `ledger.pub`)
/// and leaves it there, for timing `hyperward ledger verify --state-dir DIR` as a whole process;
/// `--verify-only DIR` skips the appends and the fill and verifies (and proves in) that store.
@main
struct LedgerBench {
    static func event(_ i: Int) -> Event {
        Event(time: Event.timestamp(), kind: "alert.port-scan", engine: .sense, subject: "port-scan/10.0.0.\(i % 250)/10.0.0.1",
              vm: "vm\(i % 40)", interface: "vnet\(i % 8)", severity: .medium, threat: .networkThreat,
              summary: "port scan from 10.0.0.\(i % 250): \(i % 1000) probes",
              evidence: [EventEvidence(kind: "src", value: "10.0.0.\(i % 250)"), EventEvidence(kind: "probes", value: "\(i % 1000)")],
              body: "{\"detector\":\"port-scan\",\"probes\":\(i % 1000),\"ports\":[22,80,443],\"first\":\"2026-01-01T00:00:00.000Z\"}")
    }

    static func main() throws {
        var entries = 1_000_000, appendSeconds = 5.0
        var keep: String?, verifyOnly: String?
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let a = args.next() {
            switch a {
            case "--entries": entries = Int(args.next() ?? "") ?? entries
            case "--append-seconds": appendSeconds = Double(args.next() ?? "") ?? appendSeconds
            case "--keep": keep = args.next()
            case "--verify-only": verifyOnly = args.next()
            default: FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8)); exit(64)
            }
        }
        if let verifyOnly {
            let store = try StateStore.openExisting(stateDirectory: verifyOnly)
            let key = try? String(contentsOfFile: verifyOnly + "/ledger.pub", encoding: .utf8)
            let verifier = try key.map { try NoteVerifier(verifierKey: $0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            try measure(store, verifier: verifier)
            return
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hw-ledgerbench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let signer = try NoteSigner(name: "hyperward.local/bench/ledger", key: Curve25519.Signing.PrivateKey())

        for batch in [1, 100] {
            let store = try StateStore(stateDirectory: root + "/append-\(batch)")
            var appended = 0, checkpoints = 0
            let start = Date()
            var lastCheckpoint = start
            while Date().timeIntervalSince(start) < appendSeconds {
                try store.append((0..<batch).map { event(appended + $0) })
                appended += batch
                if Date().timeIntervalSince(lastCheckpoint) >= 1 {
                    try store.signCheckpoint(with: signer, onlyIfChanged: true)
                    checkpoints += 1
                    lastCheckpoint = Date()
                }
            }
            let elapsed = Date().timeIntervalSince(start)
            print(String(format: "append, %d event(s) per transaction, a checkpoint each second: %.0f events/s (%d events, %d checkpoints, %.1f s)",
                         batch, Double(appended) / elapsed, appended, checkpoints, elapsed))
        }

        // A store of `entries` events in batches of 10,000 with a checkpoint after each.
        let directory = keep ?? root + "/verify"
        let store = try StateStore(stateDirectory: directory)
        if keep != nil {
            try (signer.verifier.verifierKey + "\n").write(toFile: directory + "/ledger.pub", atomically: true, encoding: .utf8)
        }
        let fill = Date()
        var done = 0
        while done < entries {
            let n = min(10_000, entries - done)
            try store.append((0..<n).map { event(done + $0) })
            done += n
            try store.signCheckpoint(with: signer)
        }
        print(String(format: "filled %d events with %d checkpoints in %.1f s", entries, (entries + 9_999) / 10_000, Date().timeIntervalSince(fill)))
        try measure(store, verifier: signer.verifier)
        if keep != nil { print("store kept: \(directory) (time `hyperward ledger verify --state-dir \(directory)`)") }
    }

    /// Verifies `store` three times (the median), then makes an inclusion proof of its first
    /// event and a consistency proof, timing them.
    static func measure(_ store: StateStore, verifier: NoteVerifier?) throws {
        var times: [Double] = []
        var entries: UInt64 = 0
        for _ in 0..<3 {
            let t = Date()
            let result = try store.verifyLedger(verifier: verifier)
            times.append(Date().timeIntervalSince(t))
            guard result.isValid else { print("verification FAILED: \(result.failure!)"); exit(1) }
            entries = result.entries
        }
        times.sort()
        print(String(format: "verify %llu entries (leaf re-derived from each row, root at each checkpoint): median %.2f s (%.0f entries/s)",
                     entries, times[1], Double(entries) / times[1]))
        let head = try store.ledgerHead()
        let all = try store.events(limit: 1)
        let proofStart = Date()
        let inclusion = try store.inclusionProof(eventID: all[0].id)
        let proofTime = Date().timeIntervalSince(proofStart)
        let consistencyStart = Date()
        let consistency = try store.consistencyProof(oldSize: max(1, head.size / 3), newSize: head.size)
        let consistencyTime = Date().timeIntervalSince(consistencyStart)
        print(String(format: "proofs at size %llu: inclusion %d hashes (%d bytes, %.1f ms to make), consistency %d hashes (%.1f ms); bound ⌈log2 n⌉ = %d",
                     head.size, inclusion.proof.count, inclusion.proof.count * 32, proofTime * 1000, consistency.proof.count,
                     consistencyTime * 1000, MerkleTree.maximumProofLength(treeSize: head.size)))
    }
}
