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
import HyperwardCore

/// What the TPM returned for one quote: the signed TPMS_ATTEST, its TPMT_SIGNATURE, and the PCR
/// values it claims (untrusted until they hash to the signed digest).
public struct QuoteEvidence: Sendable {
    /// The TPMS_ATTEST bytes the TPM signed.
    public var attest: [UInt8]
    /// The TPMT_SIGNATURE.
    public var signature: [UInt8]
    /// The selected PCRs' values concatenated in selection order, when read.
    public var pcrValues: [UInt8]?

    /// Creates evidence.
    public init(attest: [UInt8], signature: [UInt8], pcrValues: [UInt8]?) {
        self.attest = attest
        self.signature = signature
        self.pcrValues = pcrValues
    }
}

/// The outcome of one verification: passed only when there is no deviation.
public struct AttestationReport: Sendable {
    /// Every way the evidence differs from what was expected.
    public var deviations: [AttestationDeviation]
    /// The parsed quote, when it parsed.
    public var quote: TPMQuote?
    /// The PCRs quoted.
    public var selection: PCRSelection
    /// The PCR values the log (and IMA log) replay to, for the selection, lowercase hex.
    public var replayed: [UInt32: String]
    /// How many events the log holds.
    public var events: Int

    /// Whether the host passed.
    public var passed: Bool { deviations.isEmpty }
}

/// Verifies a TPM quote against a boot log and a policy. Pure: bytes and keys in, a report out.
///
/// The chain: the signature is the pinned attestation key's over the TPMS_ATTEST (a restricted
/// key signs only what the TPM itself made); the quote carries the verifier's fresh nonce; it
/// covers the PCRs asked for; its PCR digest equals the digest of the values the log replays
/// to — so the log is what the TPM measured —; and the log satisfies the policy.
public enum AttestationVerifier {
    /// The PCRs to quote: the policy's, every PCR below 16 the log extends in the bank, and
    /// PCR 10 when an IMA log is verified too.
    public static func selection(for log: TPMEventLog, policy: AttestationPolicy, includesIMA: Bool) -> PCRSelection {
        var pcrs = Set(policy.quotePCRs)
        for event in log.events where event.type != .noAction && event.pcr < 16 && event.pcr != 10 { pcrs.insert(event.pcr) }
        if includesIMA { pcrs.insert(10) }
        return PCRSelection(bank: policy.bank, pcrs: Array(pcrs))
    }

    /// Verifies `evidence`.
    /// - Parameters:
    ///   - evidence: the quote, its signature and the claimed PCR values.
    ///   - nonce: the fresh nonce this verification sent.
    ///   - attestationKey: the pinned attestation key.
    ///   - log: the host's boot event log.
    ///   - ima: the host's IMA log, when PCR 10 is verified.
    ///   - policy: the measured-boot policy.
    ///   - selection: the PCRs that were asked for.
    public static func verify(
        _ evidence: QuoteEvidence, nonce: [UInt8], attestationKey: P256.Signing.PublicKey, log: TPMEventLog,
        ima: IMALog?, policy: AttestationPolicy, selection: PCRSelection
    ) -> AttestationReport {
        let bank = policy.bank
        var deviations: [AttestationDeviation] = []
        if let problem = log.problem {
            deviations.append(.init(check: "log.malformed", message: "the event log is malformed: \(problem.message)"))
        }
        let replay = PCRReplay.replay(log, banks: [bank])
        let boot = MeasuredBoot(log: log, bank: bank)
        let size = bank.knownDigestSize ?? 32
        var replayed: [UInt32: [UInt8]] = [:]
        for pcr in selection.pcrs {
            replayed[pcr] = replay.banks[bank]?[pcr] ?? PCRReplay.resetValue(pcr: pcr, size: size)
        }
        if let ima, selection.pcrs.contains(10) {
            if let problem = ima.problem {
                deviations.append(.init(check: "ima.malformed", pcr: 10, message: "the IMA log is malformed: \(problem.message)"))
            }
            replayed[10] = ima.replay(pcr: 10, bank: bank) ?? PCRReplay.resetValue(pcr: 10, size: size)
        }
        var report = AttestationReport(deviations: [], quote: nil, selection: selection,
                                       replayed: replayed.mapValues { Hex.encode($0) }, events: log.events.count)

        // The quote itself: parsed, signed by the pinned key, fresh, covering what was asked.
        let quote: TPMQuote
        do { quote = try TPMQuote(parsing: evidence.attest) } catch {
            report.deviations = deviations + [.init(check: "quote.malformed", message: error.message)]
            return report
        }
        report.quote = quote
        do {
            let signature = try TPMSignature(parsing: evidence.signature)
            guard signature.hash == .sha256, let raw = signature.rawRepresentation(size: 32),
                  let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: raw),
                  attestationKey.isValidSignature(ecdsa, for: evidence.attest)
            else {
                deviations.append(.init(check: "quote.signature", message: "the quote's signature does not verify with the pinned attestation key: not this TPM, or altered"))
                report.deviations = deviations
                return report
            }
        } catch {
            deviations.append(.init(check: "quote.signature", message: error.message))
            report.deviations = deviations
            return report
        }
        if quote.extraData != nonce {
            deviations.append(.init(check: "quote.nonce", expected: Hex.encode(nonce), seen: Hex.encode(quote.extraData),
                                    message: "the quote does not carry this verification's nonce: it is a replayed or foreign quote"))
        }
        let quoted = quote.selections.filter { !$0.pcrs.isEmpty }
        if quoted != [selection] {
            deviations.append(.init(check: "quote.selection", expected: selection.toolsArgument,
                                    seen: quoted.map(\.toolsArgument).joined(separator: " "),
                                    message: "the quote covers other PCRs than were asked for"))
            report.deviations = deviations
            return report
        }

        // The log against the TPM: the replayed values must hash to the signed digest.
        let expected = PCRHash.digest(.sha256, selection.pcrs.flatMap { replayed[$0] ?? [] }) ?? []
        if expected != quote.pcrDigest {
            var named = false
            if let values = evidence.pcrValues, values.count == selection.pcrs.count * size,
               PCRHash.digest(.sha256, values) == quote.pcrDigest {
                // The claimed values are the signed ones: name each PCR that differs.
                for (i, pcr) in selection.pcrs.enumerated() {
                    let held = Array(values[i * size..<(i + 1) * size])
                    guard held != replayed[pcr] else { continue }
                    named = true
                    let source = pcr == 10 && ima != nil ? "the IMA log" : "the event log"
                    deviations.append(.init(check: "pcr.mismatch", pcr: pcr, expected: Hex.encode(replayed[pcr] ?? []), seen: Hex.encode(held),
                                            message: "the TPM's PCR differs from what \(source) replays to: an event was altered, removed or added, or a value was extended without being logged (\(pcr == 10 ? "IMA" : boot.describeEvents(extending: pcr)))"))
                }
            }
            if !named {
                deviations.append(.init(check: "pcr.digest", expected: Hex.encode(expected), seen: Hex.encode(quote.pcrDigest),
                                        message: "the quoted PCR digest differs from the digest of the replayed log: the log is not what the TPM measured"))
            }
        }

        // The log against the policy.
        deviations += policy.judge(boot, replay: replay)
        report.deviations = deviations
        return report
    }
}
