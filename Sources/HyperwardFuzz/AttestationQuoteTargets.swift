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

extension FuzzTarget {
    /// Any bytes parse as a TPM quote and as its signature without trapping (a parsed quote's
    /// PCR indices fit its bitmaps); and the bytes as an event log give a baseline policy that
    /// parses back and judges that same log without a policy deviation.
    static func quote(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.quote
        if let quote = try? TPMQuote(parsing: bytes) {
            for selection in quote.selections where selection.pcrs.contains(where: { $0 >= 64 }) {
                throw f.fail("PCR index past an 8-byte bitmap in \(selection.toolsArgument)")
            }
            if quote.extraData.count > 64 || quote.pcrDigest.count > 64 { throw f.fail("a sized field past its limit") }
        }
        if let signature = try? TPMSignature(parsing: bytes), let raw = signature.rawRepresentation(size: 32), raw.count != 64 {
            throw f.fail("raw signature of \(raw.count) bytes")
        }

        var limits = TPMEventLog.Limits()
        limits.maxEvents = 2048
        let log = TPMEventLog(parsing: bytes, limits: limits)
        guard let bank = log.banks.first(where: { $0.knownDigestSize != nil && $0 != .sm3_256 }) else { return }
        let boot = MeasuredBoot(log: log, bank: bank)
        let replay = PCRReplay.replay(log)
        let yaml = AttestationPolicy.baselineYAML(from: boot, replay: replay, source: "fuzz", date: "now")
        let policy: AttestationPolicy
        do { policy = try AttestationPolicy(yaml: yaml, file: "baseline") } catch {
            throw f.fail("the baseline does not parse back: \(error.message)")
        }
        let deviations = policy.judge(boot, replay: replay).filter { $0.check.hasPrefix("policy.") }
        if let first = deviations.first { throw f.fail("a log judged against its own baseline: \(first)") }
    }
}
