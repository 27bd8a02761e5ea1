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


import Attestation
import Crypto
import FixtureSupport
import Foundation
import HyperwardCore
import HyperwardHost

/// `--verify`: the time of a verification without the TPM's part (target < 10 ms), beside the
/// time of the software TPM's quote, on a real log (RHEL 8 with Secure Boot) and on the ~1 MiB
/// one, each replayed into a fresh swtpm first; then `hyperward attest verify` as a whole
/// process, with the time it spent waiting for the TPM, beside tpm2-tools' own three commands
/// (key, public key, quote) run the way it runs them. (Whole-process figures from here include
/// Foundation's child-exit polling in this process, up to 50 ms a spawn;
/// benchmarks/attest-verify.sh times them from a shell instead.)
enum VerifyBench {
    /// Extends every measured event's digests into `tpm`, in log order.
    static func extend(_ log: TPMEventLog, into tpm: TPMTools) throws {
        var items: [(pcr: UInt32, digests: String)] = []
        for event in log.events where event.type != .noAction {
            items.append((event.pcr, event.digests.map { "\($0.algorithm.name)=\(Hex.encode($0.bytes))" }.joined(separator: ",")))
        }
        try tpm.extend(items)
    }

    static func run(runs: Int, bigLog: [UInt8], hyperward: String) throws {
        var logs: [(String, [UInt8])] = [("1 MiB log", bigLog)]
        if let real = try? Data(contentsOf: Fixtures.root.appendingPathComponent("eventlogs/go-eventlog/rhel8-uefi.bin")) {
            logs.insert(("rhel8-uefi.bin", [UInt8](real)), at: 0)
        }
        for (name, bytes) in logs {
            let work = FileManager.default.temporaryDirectory.path + "/hw-attest-bench-\(UUID().uuidString)"
            let tpm = try SoftwareTPM(directory: work + "/tpm")
            defer {
                tpm.stop()
                try? FileManager.default.removeItem(atPath: work)
            }
            let tools = TPMTools(tcti: tpm.tcti)
            let log = TPMEventLog(parsing: bytes)
            try extend(log, into: tools)
            let bank: TPMAlgorithm = log.banks.contains(.sha256) ? .sha256 : .sha1
            let boot = MeasuredBoot(log: log, bank: bank)
            let yaml = AttestationPolicy.baselineYAML(from: boot, replay: PCRReplay.replay(log), source: name, date: "bench")
            let policy = try AttestationPolicy(yaml: yaml, file: name)
            let selection = AttestationVerifier.selection(for: log, policy: policy, includesIMA: false)

            // One quote to verify again and again (its time is measured below, as hyperward spends it).
            let nonce: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }
            let quote = try? tools.quote(selection: selection.toolsArgument, nonce: nonce, directory: work + "/q")
            guard let quote, let key = try? P256.Signing.PublicKey(pemRepresentation: quote.publicKeyPEM) else {
                throw HyperwardError(.commandFailed, "swtpm gave no quote")
            }
            let evidence = QuoteEvidence(attest: quote.attest, signature: quote.signature, pcrValues: quote.pcrValues)
            // Hyperward's part: parse the log from its bytes, replay, verify the signature, nonce,
            // digest and policy — everything `attest verify` does besides asking the TPM.
            var passed = true
            let verifyTime = AttestationBench.measure(runs) {
                let report = AttestationVerifier.verify(evidence, nonce: nonce, attestationKey: key, log: TPMEventLog(parsing: bytes),
                                                        ima: nil, policy: policy, selection: selection)
                passed = passed && report.passed
                return report.deviations.count
            }
            let parsed = TPMEventLog(parsing: bytes)
            let factsTime = AttestationBench.measure(runs) { MeasuredBoot(log: parsed, bank: bank).eventsByPCR.count }
            let replayTime = AttestationBench.measure(runs) { PCRReplay.replay(parsed, banks: [bank]).banks.count }
            let facts = MeasuredBoot(log: parsed, bank: bank), replayed = PCRReplay.replay(parsed, banks: [bank])
            let judgeTime = AttestationBench.measure(runs) { policy.judge(facts, replay: replayed).count }
            print("verify \(name) (\(log.events.count) events, \(bytes.count) bytes, PCRs \(selection.toolsArgument)): passed \(passed)")
            print("  verification without the TPM  \(AttestationBench.ms(verifyTime))   target < 10 ms: \(verifyTime < 0.010 ? "met" : "NOT met")")
            print("    of which: facts \(AttestationBench.ms(factsTime)), replay of the \(bank) bank \(AttestationBench.ms(replayTime)), policy \(AttestationBench.ms(judgeTime)); the rest parse and signature")

            // Whole processes: `hyperward attest verify` against the same three tpm2-tools commands.
            let state = work + "/state"
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: work + "/log.bin"))
            try yaml.write(toFile: work + "/policy.yaml", atomically: true, encoding: .utf8)
            try quote.publicKeyPEM.write(toFile: state + "/attestation-key.pem", atomically: true, encoding: .utf8)
            try "state_directory: \(state)\nattestation:\n  policy: \(work)/policy.yaml\n  event_log: \(work)/log.bin\n  tcti: \"\(tpm.tcti)\"\n"
                .write(toFile: work + "/h.yaml", atomically: true, encoding: .utf8)
            var whole: [Double] = [], script3: [Double] = [], inside: [Double] = [], tpmPart: [Double] = []
            // The TPM steps hyperward takes, as one shell script (one spawn from here; the shell
            // then starts each tool as cheaply as an operator's shell would).
            let context = work + "/bench.ctx"
            let t = "-T '\(tpm.tcti)'"
            let script = """
                tpm2_flushcontext \(t) -t && \
                tpm2_createprimary \(t) -C o -G ecc256:ecdsa-sha256:null -g sha256 -a '\(TPMTools.keyAttributes)' -c \(context) -Q && \
                tpm2_flushcontext \(t) -t && tpm2_readpublic \(t) -c \(context) -f pem -o \(work)/ak.pem -Q && rm \(work)/ak.pem && \
                tpm2_flushcontext \(t) -t && \
                tpm2_quote \(t) -c \(context) -l \(selection.toolsArgument) -q \(Hex.encode(nonce)) -g sha256 -m \(work)/m -s \(work)/s -o \(work)/p -F values -Q && \
                tpm2_flushcontext \(t) -t
                """
            for _ in 0..<max(5, runs / 3) {
                var start = DispatchTime.now().uptimeNanoseconds
                let result = HostCommand.run([hyperward, "attest", "verify", "--config", work + "/h.yaml", "--format", "json"])
                whole.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                guard result.status == 0 else { throw HyperwardError(.commandFailed, "attest verify failed: \(result.stdout) \(result.stderr)") }
                if let body = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] {
                    if let v = body["verify_ms"] as? Double { inside.append(v / 1000) }
                    if let q = body["quote_ms"] as? Double { tpmPart.append(q / 1000) }
                }
                start = DispatchTime.now().uptimeNanoseconds
                let shell = HostCommand.run(["/bin/sh", "-c", script])
                script3.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                guard shell.status == 0 else { throw HyperwardError(.commandFailed, "the tpm2-tools script failed: \(shell.message)") }
            }
            func median(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.sorted()[values.count / 2] }
            print("  hyperward attest verify (whole process) \(AttestationBench.ms(median(whole))): swtpm quote \(AttestationBench.ms(median(tpmPart))), verification \(AttestationBench.ms(median(inside)))")
            print("  tpm2-tools alone, the same TPM steps    \(AttestationBench.ms(median(script3)));  ratio \(String(format: "%.2f", median(whole) / median(script3)))")
        }
    }
}
