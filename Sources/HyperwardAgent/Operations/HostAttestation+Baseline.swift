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
    /// A baseline made from this boot.
    public struct Baseline: Sendable {
        /// The policy, commented YAML.
        public var yaml: String
        /// The attestation key pinned, PEM; nil with `withoutQuote`.
        public var attestationKeyPEM: String?
        /// The bank the policy is in.
        public var bank: TPMAlgorithm
    }

    /// Makes a policy from the boot log and, unless `withoutQuote`, first proves the log is what
    /// the TPM measured: a quote with a fresh nonce whose PCR digest equals the replayed log.
    /// The attestation key that signed it is then pinned (trust on first use, at a moment the
    /// operator declares known-good). A log that is malformed or that the TPM contradicts is
    /// refused: a baseline must never bless a log the TPM does not vouch for.
    public func baseline(_ sources: Sources, bank requested: TPMAlgorithm?, withoutQuote: Bool) throws(HyperwardError) -> Baseline {
        let logPath = sources.eventLog ?? configuration.attestation.eventLog
        let log = try eventLog(path: logPath)
        if let problem = log.problem {
            throw HyperwardError(.invalidInput, "the boot log cannot be baselined: \(problem.message)")
        }
        let bank = requested ?? (log.banks.contains(.sha256) ? .sha256 : log.banks.first ?? .sha1)
        guard log.banks.contains(bank) else {
            throw HyperwardError(.usage, "the log has no \(bank) digests (it has \(log.banks.map(\.name).joined(separator: ", ")))")
        }
        let replay = PCRReplay.replay(log)
        let boot = MeasuredBoot(log: log, bank: bank)
        if let bad = boot.inconsistentEvents.first {
            throw HyperwardError(.invalidInput, "event \(bad.event) (\(bad.type), PCR \(bad.pcr)): its data does not hash to its logged digest; the log was altered")
        }
        let yaml = AttestationPolicy.baselineYAML(from: boot, replay: replay, source: logPath, date: Event.timestamp())
        guard !withoutQuote else { return Baseline(yaml: yaml, attestationKeyPEM: nil, bank: bank) }
        let tpm = tpm(tcti: sources.tcti)
        guard tpm.isPresent else {
            throw HyperwardError(.notFound, "no TPM (/dev/tpmrm0, /dev/tpm0, or attestation.tcti): a baseline is proven with a quote; --without-quote makes one from the log alone, pinning no key")
        }
        let policy = AttestationPolicy(bank: bank, secureBoot: .ignored)
        let ima = try imaLog(path: sources.imaLog)
        let selection = AttestationVerifier.selection(for: log, policy: policy, includesIMA: ima != nil)
        let (nonce, quote) = try self.quote(selection, tpm: tpm)
        let key: P256.Signing.PublicKey
        do { key = try P256.Signing.PublicKey(pemRepresentation: quote.publicKeyPEM) } catch {
            throw HyperwardError(.commandFailed, "the TPM's attestation key is not a P-256 key")
        }
        let report = AttestationVerifier.verify(QuoteEvidence(attest: quote.attest, signature: quote.signature, pcrValues: quote.pcrValues),
                                                nonce: nonce, attestationKey: key, log: log, ima: ima, policy: policy, selection: selection)
        guard report.passed else {
            let lines = report.deviations.prefix(8).map { "  " + $0.description }.joined(separator: "\n")
            throw HyperwardError(.corrupted, "the TPM does not vouch for this log, so it cannot be a baseline:\n\(lines)")
        }
        return Baseline(yaml: yaml, attestationKeyPEM: quote.publicKeyPEM, bank: bank)
    }
}
