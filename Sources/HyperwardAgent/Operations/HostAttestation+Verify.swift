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
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardStore

extension HostAttestation {
    /// One verification's outcome: the report (nil when it could not run) and what it cost.
    public struct Outcome: Sendable {
        /// The report, when the quote could be verified at all.
        public var report: AttestationReport?
        /// Why the verification could not run (no TPM, no log, no policy, no pinned key).
        public var failure: String?
        /// The TPM's part: key load and quote, in milliseconds.
        public var quoteMilliseconds: Double
        /// Hyperward's part: parse, replay, signature, policy, in milliseconds.
        public var verifyMilliseconds: Double
        /// The recorded event.
        public var event: Event

        /// Whether the host passed.
        public var passed: Bool { report?.passed == true && failure == nil }
    }

    /// Inputs that override the configuration for one run.
    public struct Sources: Sendable {
        public var eventLog: String?
        public var imaLog: String?
        public var policy: String?
        public var tcti: String?
        public init(eventLog: String? = nil, imaLog: String? = nil, policy: String? = nil, tcti: String? = nil) {
            self.eventLog = eventLog
            self.imaLog = imaLog
            self.policy = policy
            self.tcti = tcti
        }
    }

    /// Verifies this host and records the result (`attest.verified` or `attest.failed`). A TPM,
    /// log, policy or pinned key that is missing is a failed attestation, recorded like any
    /// other: the verifier fails closed.
    /// - Parameter by: who asked (`the operator`, `the agent`), for the event's summary.
    public func verify(_ sources: Sources = Sources(), by: String) -> Outcome {
        var quoteMilliseconds = 0.0
        var verifyMilliseconds = 0.0
        var evidence: [EventEvidence] = []
        var body: [String: Any] = ["boot_id": Self.bootID()]
        func finish(_ report: AttestationReport?, failure: String?) -> Outcome {
            let passed = report?.passed == true && failure == nil
            body["passed"] = passed
            if let failure { body["failure"] = failure }
            if let report {
                body["pcrs"] = report.selection.toolsArgument
                body["events"] = report.events
                body["deviations"] = report.deviations.prefix(64).map(Self.json)
                if let quote = report.quote {
                    body["reset_count"] = quote.resetCount
                    body["restart_count"] = quote.restartCount
                    body["tpm_clock_ms"] = quote.clock
                }
            }
            body["quote_ms"] = (quoteMilliseconds * 100).rounded() / 100
            body["verify_ms"] = (verifyMilliseconds * 100).rounded() / 100
            let summary: String
            if passed {
                summary = "measured boot verified by \(by): the TPM's quote matches the boot log and the log satisfies the policy"
            } else if let failure {
                summary = "attestation failed (\(by)): \(failure)"
            } else {
                let count = report?.deviations.count ?? 0
                summary = "attestation failed (\(by)): \(count) deviation(s); first: \(report?.deviations.first?.description ?? "")"
            }
            let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
            let event = Event(time: Event.timestamp(), kind: passed ? "attest.verified" : "attest.failed", engine: .attest,
                              subject: "measured-boot", severity: passed ? .info : .critical,
                              threat: .hypervisorVulnerability, summary: String(summary.prefix(600)), evidence: evidence,
                              body: String(decoding: data, as: UTF8.self))
            do { try StateStore(stateDirectory: configuration.stateDirectory).append([event]) } catch {
                Output.warn("the attestation result could not be recorded: \(error)")
            }
            return Outcome(report: report, failure: failure, quoteMilliseconds: quoteMilliseconds,
                           verifyMilliseconds: verifyMilliseconds, event: event)
        }

        let logPath = sources.eventLog ?? configuration.attestation.eventLog
        let policyPath = sources.policy ?? configuration.attestation.policy
        let start = ContinuousClock.now
        let log: TPMEventLog, policy: AttestationPolicy, ima: IMALog?, logBytes: [UInt8]
        do {
            logBytes = try Self.readBounded(logPath, limit: Self.maxLogBytes, what: "boot event log")
            log = TPMEventLog(parsing: logBytes, source: logPath)
            let policyBytes = try Self.readBounded(policyPath, limit: 4 << 20, what: "measured-boot policy")
            policy = try AttestationPolicy(yaml: String(decoding: policyBytes, as: UTF8.self), file: policyPath)
            ima = try imaLog(path: sources.imaLog)
            evidence.append(EventEvidence(kind: "event-log", path: logPath, sha256: Hex.encode(SHA256.hash(data: logBytes)), bytes: Int64(logBytes.count)))
            evidence.append(EventEvidence(kind: "policy", path: policyPath, sha256: Hex.encode(SHA256.hash(data: policyBytes)), bytes: Int64(policyBytes.count)))
        } catch {
            return finish(nil, failure: error.message)
        }
        let key: P256.Signing.PublicKey
        do {
            guard let pinned = try pinnedKey() else {
                return finish(nil, failure: "no attestation key is pinned (\(pinnedKeyPath)); run `hyperward attest baseline` on a known-good boot")
            }
            key = pinned
        } catch {
            return finish(nil, failure: error.message)
        }
        let tpm = tpm(tcti: sources.tcti)
        guard tpm.isPresent else {
            return finish(nil, failure: "no TPM: neither /dev/tpmrm0 nor /dev/tpm0 exists and no attestation.tcti is set")
        }
        let selection = AttestationVerifier.selection(for: log, policy: policy, includesIMA: ima != nil)
        verifyMilliseconds += Self.milliseconds(ContinuousClock.now - start)
        let quoteStart = ContinuousClock.now
        let nonce: [UInt8], quote: TPMTools.Quote
        do { (nonce, quote) = try self.quote(selection, tpm: tpm) } catch {
            return finish(nil, failure: "the TPM gave no quote: \(error.message)")
        }
        quoteMilliseconds = Self.milliseconds(ContinuousClock.now - quoteStart)
        body["nonce"] = Hex.encode(nonce)
        let verifyStart = ContinuousClock.now
        let report = AttestationVerifier.verify(QuoteEvidence(attest: quote.attest, signature: quote.signature, pcrValues: quote.pcrValues),
                                                nonce: nonce, attestationKey: key, log: log, ima: ima, policy: policy, selection: selection)
        verifyMilliseconds += Self.milliseconds(ContinuousClock.now - verifyStart)
        return finish(report, failure: nil)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func json(_ deviation: AttestationDeviation) -> [String: Any] {
        var object: [String: Any] = ["check": deviation.check, "message": deviation.message]
        if let pcr = deviation.pcr { object["pcr"] = pcr }
        if let event = deviation.event { object["event"] = event }
        if let expected = deviation.expected { object["expected"] = expected }
        if let seen = deviation.seen { object["seen"] = seen }
        return object
    }
}
