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
    /// have their bank's size, and replay to values of the bank's digest size. The same bytes as the
    /// data of one event of every decoded type (device paths, GPT, firmware blobs, handoff tables,
    /// text) and as a bare device path decode within their bounds, and every report renders.
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

        _ = EventLogReport(log: log, source: "fuzz").text()

        // The same bytes as the data of one event of each decoded type, in a SHA-1 log.
        if bytes.count <= 1 << 16 {
            let types: [TPMEventType] = [.efiBootServicesApplication, .efiGPTEvent, .efiGPTEvent2, .postCode, .compactHash,
                                         .efiPlatformFirmwareBlob, .efiPlatformFirmwareBlob2, .efiHandoffTables,
                                         .efiHandoffTables2, .efiHCRTMEvent, .ipl, .efiVariableBoot, .sCRTMVersion]
            var wrapped: [UInt8] = []
            for type in types {
                wrapped += [0, 0, 0, 0] + le32(type.rawValue) + [UInt8](repeating: 0, count: 20) + le32(UInt32(bytes.count)) + bytes
            }
            let typed = TPMEventLog(parsing: wrapped, limits: limits)
            if !typed.isComplete || typed.events.count != types.count { throw f.fail("wrapped events: \(typed.problem.map(String.init(describing:)) ?? "")") }
            let report = EventLogReport(log: typed, source: "fuzz")
            _ = report.json()
            _ = report.yaml()
            for event in typed.events {
                if case .efiGPT(let gpt) = event.body, gpt.partitions.count > UEFIGPTData.maxPartitions { throw f.fail("\(gpt.partitions.count) partitions") }
                if case .handoffTables(let tables) = event.body, tables.tables.count > EFIHandoffTables.maxTables { throw f.fail("\(tables.tables.count) tables") }
            }
        }
        let path = UEFIDevicePath(decoding: bytes)
        if path.nodes.count > UEFIDevicePath.maxNodes || path.text.count > UEFIDevicePath.maxTextLength {
            throw f.fail("device path of \(path.nodes.count) nodes, \(path.text.count) characters")
        }

        // The same bytes as an IMA log, binary and ASCII: entries and PCR 10 replay never trap.
        for ima in [IMALog(parsingBinary: bytes), IMALog(parsingASCII: String(decoding: bytes, as: UTF8.self))] {
            for bank in [TPMAlgorithm.sha1, .sha256] {
                if let value = ima.replay(bank: bank), value.count != bank.knownDigestSize {
                    throw f.fail("IMA \(bank) PCR 10 of \(value.count) bytes")
                }
            }
        }
    }

    private static func le32(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
