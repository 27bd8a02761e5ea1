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
import Synchronization
import HyperwardCore
import HyperwardHost
import Testing

/// Measured-boot attestation against a real software TPM: a real firmware log's digests are
/// extended into swtpm's PCRs, so the TPM holds what that machine's TPM held, and `hyperward
/// attest` quotes it, verifies and gates key release. Every failure must name its cause.
@Suite("hyperward attest with swtpm", .serialized, .needsFixtures("eventlogs"))
struct AttestVerifyCLITests {
    static let logName = "rhel8-uefi.bin"

    /// A lab: a fresh swtpm holding `log`'s measurements, a state directory and a configuration.
    final class Lab: @unchecked Sendable {
        let scratch = Scratch()
        let tpm: SoftwareTPM
        let log: String
        let logBytes: [UInt8]
        var state: String { scratch.path + "/state" }
        var policy: String { scratch.path + "/measured-boot.yaml" }
        var config: String { scratch.path + "/hyperward.yaml" }

        init(required: Bool = true, extendLog: Bool = true) throws {
            tpm = try SoftwareTPM(directory: scratch.path + "/tpm")
            log = try Fixtures.file(AttestVerifyCLITests.logName, in: "eventlogs/go-eventlog").path
            logBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: log)))
            if extendLog { try Lab.extend(TPMEventLog(parsing: logBytes), into: TPMTools(tcti: tpm.tcti)) }
            try """
                state_directory: \(state)
                attestation:
                  required: \(required)
                  max_age: 1h
                  policy: \(policy)
                  event_log: \(log)
                  tcti: "\(tpm.tcti)"

                """.write(toFile: config, atomically: true, encoding: .utf8)
        }

        /// Extends every measured event's digests into the TPM, in log order (what firmware did).
        static func extend(_ log: TPMEventLog, into tpm: TPMTools) throws {
            var items: [(pcr: UInt32, digests: String)] = []
            for event in log.events where event.type != .noAction {
                items.append((event.pcr, event.digests.map { "\($0.algorithm.name)=\(Hex.encode($0.bytes))" }.joined(separator: ",")))
            }
            try tpm.extend(items)
        }

        func run(_ arguments: [String]) throws -> CLI.Result {
            try CLI.run(arguments + ["--config", config])
        }

        deinit { tpm.stop() }
    }

    @Test func baselineThenVerifyPassesAndOpensTheKeyGate() throws {
        let lab = try Lab()
        // Before any verification, with attestation required, no VM starts.
        let refused = try lab.run(["vm", "start", "no-such-vm"])
        #expect(refused.status == ExitStatus.refused, "\(refused.stderr)")
        #expect(refused.stderr.contains("attestation.required is set and the state store cannot be read"), "\(refused.stderr)")

        let baseline = try lab.run(["attest", "baseline"])
        #expect(baseline.status == 0, "\(baseline.stderr)")
        let policy = try String(contentsOfFile: lab.policy, encoding: .utf8)
        #expect(policy.contains("secure_boot: required"))          // RHEL 8 booted with Secure Boot on
        #expect(policy.contains("boot_applications:"))
        #expect(FileManager.default.fileExists(atPath: lab.state + "/attestation-key.pem"))

        let verify = try lab.run(["attest", "verify"])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(verify.stdout.contains("attestation PASSED"))
        let json = try lab.run(["attest", "verify", "--format", "json"])
        let body = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(body["passed"] as? Bool == true)
        #expect((body["nonce"] as? String)?.count == 64)

        // The gate opens: the start now fails only because the domain does not exist.
        let status = try lab.run(["attest", "status"])
        #expect(status.status == 0, "\(status.stdout)")
        let start = try lab.run(["vm", "start", "no-such-vm"])
        #expect(start.status != ExitStatus.refused, "\(start.stderr)")
        #expect(!start.stderr.contains("attestation"), "\(start.stderr)")
        // Both results are in the ledger's event store.
        let events = try lab.run(["events", "--format", "json"]).stdout
        #expect(events.contains("\"attest.verified\""))
        #expect(events.contains("\"attest.baseline\""))
        #expect(try Self.auditStatus(lab) == "pass")
    }

    /// The status of `boot.attestation` in `hyperward audit`.
    static func auditStatus(_ lab: Lab) throws -> String? {
        let audit = try lab.run(["audit", "--format", "json"])
        let report = try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any]
        let findings = report?["findings"] as? [[String: Any]] ?? []
        return findings.first { $0["id"] as? String == "boot.attestation" }?["status"] as? String
    }

    @Test func anAlteredEventIsNamed() throws {
        let lab = try Lab()
        #expect(try lab.run(["attest", "baseline"]).status == 0)
        let log = TPMEventLog(parsing: lab.logBytes)
        // A boot application's sha256 digest changed: the TPM disagrees on PCR 4, and the
        // policy does not know the new digest.
        let app = try #require(log.events.first { $0.type == .efiBootServicesApplication })
        let digest = try #require(app.digests.first { $0.algorithm == .sha256 })
        var bytes = lab.logBytes
        let at = try #require(Self.find(digest.bytes, in: bytes, from: app.offset))
        bytes[at] ^= 0x01
        let altered = lab.scratch.path + "/altered.bin"
        try Data(bytes).write(to: URL(fileURLWithPath: altered))
        let verify = try lab.run(["attest", "verify", "--log", altered])
        #expect(verify.status == 1, "\(verify.stdout) \(verify.stderr)")
        #expect(verify.stdout.contains("[pcr.mismatch] PCR 4"), "\(verify.stdout)")
        #expect(verify.stdout.contains("[policy.boot-application] PCR 4 event \(app.index)"), "\(verify.stdout)")
        // And the gate is closed again.
        #expect(try lab.run(["vm", "start", "no-such-vm"]).status == ExitStatus.refused)

        // The SecureBoot variable's data changed but not its digest: the log contradicts itself.
        let secureBoot = try #require(log.events.first {
            if case .efiVariable(let v) = $0.body { return v.name == "SecureBoot" }
            return false
        })
        var flipped = lab.logBytes
        flipped[secureBoot.offset + Self.dataOffset(secureBoot, banks: log) + secureBoot.data.count - 1] ^= 0x01
        try Data(flipped).write(to: URL(fileURLWithPath: altered))
        let verify2 = try lab.run(["attest", "verify", "--log", altered])
        #expect(verify2.status == 1)
        #expect(verify2.stdout.contains("[log.digest] PCR 7 event \(secureBoot.index)"), "\(verify2.stdout)")
    }

    @Test func anExtraExtensionIsNamed() throws {
        let lab = try Lab()
        #expect(try lab.run(["attest", "baseline"]).status == 0)
        // Something extends PCR 4 without logging it (a bootkit hiding a stage).
        try TPMTools(tcti: lab.tpm.tcti).extend([(4, "sha256=" + String(repeating: "ab", count: 32))])
        let verify = try lab.run(["attest", "verify"])
        #expect(verify.status == 1, "\(verify.stdout)")
        #expect(verify.stdout.contains("[pcr.mismatch] PCR 4"), "\(verify.stdout)")
        #expect(!verify.stdout.contains("PCR 7"), "only PCR 4 differs: \(verify.stdout)")
    }

    @Test func aReplayedQuoteIsRefused() throws {
        let lab = try Lab()
        let tpm = TPMTools(tcti: lab.tpm.tcti)
        let log = TPMEventLog(parsing: lab.logBytes)
        let policy = AttestationPolicy(bank: .sha256, secureBoot: .required)
        let selection = AttestationVerifier.selection(for: log, policy: policy, includesIMA: false)
        let old = Array(repeating: UInt8(7), count: 32)
        let quote = try tpm.quote(selection: selection.toolsArgument, nonce: old, directory: lab.scratch.path + "/q")
        let key = try P256.Signing.PublicKey(pemRepresentation: quote.publicKeyPEM)
        let evidence = QuoteEvidence(attest: quote.attest, signature: quote.signature, pcrValues: quote.pcrValues)
        let fresh = AttestationVerifier.verify(evidence, nonce: old, attestationKey: key, log: log, ima: nil, policy: policy, selection: selection)
        #expect(fresh.passed, "\(fresh.deviations)")
        // The same quote presented to a later verification, which sent another nonce.
        let replayed = AttestationVerifier.verify(evidence, nonce: Array(repeating: 9, count: 32), attestationKey: key, log: log,
                                                  ima: nil, policy: policy, selection: selection)
        #expect(replayed.deviations.map(\.check) == ["quote.nonce"])
        // A quote signed by another key (another TPM) is refused.
        let other = P256.Signing.PrivateKey().publicKey
        let foreign = AttestationVerifier.verify(evidence, nonce: old, attestationKey: other, log: log, ima: nil, policy: policy, selection: selection)
        #expect(foreign.deviations.map(\.check) == ["quote.signature"])
        // One flipped bit of the signed structure breaks the signature.
        var tampered = evidence
        tampered.attest[tampered.attest.count - 1] ^= 1
        let broken = AttestationVerifier.verify(tampered, nonce: old, attestationKey: key, log: log, ima: nil, policy: policy, selection: selection)
        #expect(broken.deviations.map(\.check) == ["quote.signature"])
    }

    @Test func noTPMOrNoLogFailsClosed() throws {
        let lab = try Lab()
        #expect(try lab.run(["attest", "baseline"]).status == 0)
        #expect(try lab.run(["attest", "verify"]).status == 0)
        // The log is gone: the verification fails (recorded), and the gate closes.
        let noLog = try lab.run(["attest", "verify", "--log", lab.scratch.path + "/missing.bin"])
        #expect(noLog.status == ExitStatus.checkError, "\(noLog.stdout)")
        #expect(noLog.stdout.contains("cannot read the boot event log"), "\(noLog.stdout)")
        let refused = try lab.run(["vm", "start", "no-such-vm"])
        #expect(refused.status == ExitStatus.refused)
        #expect(refused.stderr.contains("failed"), "\(refused.stderr)")
        // The TPM is gone.
        lab.tpm.stop()
        let noTPM = try lab.run(["attest", "verify"])
        #expect(noTPM.status == ExitStatus.checkError, "\(noTPM.stdout)")
        #expect(noTPM.stdout.contains("the TPM gave no quote"), "\(noTPM.stdout)")
        #expect(try lab.run(["vm", "start", "no-such-vm"]).status == ExitStatus.refused)
        #expect(try Self.auditStatus(lab) == "fail", "required and failed: the audit fails the check")
    }

    @Test func theIMALogIsVerifiedThroughPCR10() throws {
        let lab = try Lab()
        // The kernel's IMA measurements extended into PCR 10 (sha1 and sha256 banks), as IMA does.
        let imaPath = try Fixtures.file("keylime-ima-log-sha256", in: "eventlogs/ima").path
        let text = try String(contentsOfFile: imaPath, encoding: .utf8)
        let ima = IMALog(parsingASCII: text)
        #expect(ima.problem == nil && ima.entries.count == 2)
        var items: [(pcr: UInt32, digests: String)] = []
        for entry in ima.entries {
            let sha1 = try #require(ima.measurement(of: entry, bank: .sha1))
            let sha256 = try #require(ima.measurement(of: entry, bank: .sha256))
            items.append((10, "sha1=\(Hex.encode(sha1)),sha256=\(Hex.encode(sha256))"))
        }
        try TPMTools(tcti: lab.tpm.tcti).extend(items)
        let copy = lab.scratch.path + "/ima.txt"
        try text.write(toFile: copy, atomically: true, encoding: .utf8)
        #expect(try lab.run(["attest", "baseline", "--ima", copy]).status == 0)
        let verify = try lab.run(["attest", "verify", "--ima", copy, "--format", "json"])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(verify.stdout.contains("sha256:0,1,2,3,4,5,6,7,8,9,10,14"), "PCR 10 is quoted: \(verify.stdout)")
        // A file's recorded hash changed in the list: PCR 10 disagrees.
        let forged = text.replacingOccurrences(of: "sha256:96d7", with: "sha256:96d8")
        #expect(forged != text)
        try forged.write(toFile: copy, atomically: true, encoding: .utf8)
        let failed = try lab.run(["attest", "verify", "--ima", copy])
        #expect(failed.status == 1, "\(failed.stdout)")
        #expect(failed.stdout.contains("[pcr.mismatch] PCR 10"), "\(failed.stdout)")
    }

    @Test func concurrentVerificationsDoNotDisturbEachOther() throws {
        let lab = try Lab()
        #expect(try lab.run(["attest", "baseline"]).status == 0)
        // Four at once on one TPM without a resource manager (room for three loaded objects) all
        // pass: each flushes what it loaded, and quotes under the state directory's TPM lock.
        let statuses = Mutex<[Int32]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let status = (try? lab.run(["attest", "verify"]).status) ?? -1
            statuses.withLock { $0.append(status) }
        }
        #expect(statuses.withLock { $0 } == [0, 0, 0, 0])
        // Nothing left behind in the state directory but the store, the pinned key and the locks.
        let left = try FileManager.default.contentsOfDirectory(atPath: lab.state).filter { $0.hasPrefix(".attest-") }
        #expect(left.isEmpty, "\(left)")
    }

    @Test func theAgentAttestsAtStartAndOnSchedule() async throws {
        let lab = try Lab()
        #expect(try lab.run(["attest", "baseline"]).status == 0)
        try (try String(contentsOfFile: lab.config, encoding: .utf8) + "  interval_seconds: 10\n").write(toFile: lab.config, atomically: true, encoding: .utf8)
        let log = lab.scratch.path + "/agent.log"
        let agent = try HostChild([CLI.binary, "agent", "--config", lab.config, "--interval", "3600"],
                                  stdout: HostChild.nullDevice, stderr: URL(fileURLWithPath: log))
        defer {
            agent.signal(SIGTERM)
            _ = agent.wait(timeout: .seconds(20))
        }
        func verifications() throws -> Int {
            try lab.run(["events", "--format", "json"]).stdout.split(separator: "\n").filter { $0.contains("\"attest.verified\"") }.count
        }
        var deadline = ContinuousClock.now + .seconds(30)
        while try verifications() < 1, ContinuousClock.now < deadline, agent.isRunning { try await Task.sleep(for: .milliseconds(200)) }
        #expect(try verifications() >= 1, "the agent attests at start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        deadline = ContinuousClock.now + .seconds(30)
        while try verifications() < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(500)) }
        #expect(try verifications() >= 2, "and again after interval_seconds")
        #expect(try lab.run(["attest", "status"]).status == 0)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var i = start
        while i + needle.count <= haystack.count {
            if Array(haystack[i..<i + needle.count]) == needle { return i }
            i += 1
        }
        return nil
    }

    /// Where an agile event's data starts, relative to the event: PCR, type, count, the
    /// digests (2-byte algorithm + digest each), the size.
    static func dataOffset(_ event: TPMEvent, banks log: TPMEventLog) -> Int {
        4 + 4 + 4 + event.digests.reduce(0) { $0 + 2 + $1.bytes.count } + 4
    }
}
