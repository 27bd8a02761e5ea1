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
    /// Any bytes parse (as a TPM event log, and as an IMA log) without trapping into events whose offsets increase and whose digests
    /// have their bank's size, and replay to values of the bank's digest size.
    static func eventlog(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.eventlog
        var limits = TPMEventLog.Limits()
        limits.maxEvents = 4096
        let log = TPMEventLog(parsing: bytes, limits: limits)
        if log.events.count > limits.maxEvents { throw f.fail("\(log.events.count) events kept") }
        if log.events.isEmpty && log.problem == nil { throw f.fail("no events and no problem") }
        var lastOffset = -1
        for event in log.events {
            if event.offset <= lastOffset || event.offset >= bytes.count { throw f.fail("event \(event.index) at offset \(event.offset)") }
            lastOffset = event.offset
            for digest in event.digests {
                let size = log.specID?.algorithms.first { $0.algorithm == digest.algorithm }?.digestSize ?? 20
                if digest.bytes.count != size { throw f.fail("event \(event.index): \(digest.algorithm) digest of \(digest.bytes.count) bytes") }
            }
        }
        let replay = PCRReplay.replay(log)
        for (bank, values) in replay.banks {
            for (pcr, value) in values where pcr >= PCRReplay.pcrCount || value.count != bank.knownDigestSize {
                throw f.fail("bank \(bank) PCR \(pcr) of \(value.count) bytes")
            }
        }
        if replay.notes.count > PCRReplay.maxNotes { throw f.fail("\(replay.notes.count) notes") }

        // The same bytes as an IMA log, binary and ASCII: entries and PCR 10 replay never trap.
        for ima in [IMALog(parsingBinary: bytes), IMALog(parsingASCII: String(decoding: bytes, as: UTF8.self))] {
            for bank in [TPMAlgorithm.sha1, .sha256] {
                if let value = ima.replay(bank: bank), value.count != bank.knownDigestSize {
                    throw f.fail("IMA \(bank) PCR 10 of \(value.count) bytes")
                }
            }
        }
    }
}
