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

/// The PCR values an event log implies: each bank replayed from the reset values by extending
/// every measured digest in order (`PCR := H(PCR || digest)`).
public struct PCRReplay: Sendable {
    /// The replayed values per bank, for the PCRs at least one event extended.
    public var banks: [TPMAlgorithm: [UInt32: [UInt8]]]
    /// What the replay left out and why (a bank without a hash function, an event without a
    /// digest for a bank, a PCR index out of range).
    public var notes: [String]

    /// The number of PCRs a PC Client TPM has.
    public static let pcrCount: UInt32 = 24

    /// At most this many notes are kept.
    public static let maxNotes = 64

    /// Replays `log` into its banks.
    ///
    /// PCRs reset to zero except 17–22, which reset to all ones (the dynamic-launch PCRs, PC Client
    /// PTP §4.3); EV_NO_ACTION events are never extended (FPF §10.4.5); a StartupLocality event sets
    /// PCR 0's reset value to the locality (FPF §10.4.5.3, so an H-CRTM or locality-3 start is visible).
    /// - Returns: the replayed values; banks whose hash is unavailable (SM3-256) are noted, not replayed.
    public static func replay(_ log: TPMEventLog) -> PCRReplay {
        replay(log, banks: log.banks)
    }

    /// Replays only `banks` (those of them the log carries): a verifier needs one.
    public static func replay(_ log: TPMEventLog, banks wanted: [TPMAlgorithm]) -> PCRReplay {
        var result = PCRReplay(banks: [:], notes: [])
        var locality: UInt8 = 0
        for event in log.events where event.type == .noAction {
            if case .startupLocality(let value) = event.body { locality = value }
        }
        for bank in log.banks where wanted.contains(bank) {
            guard let size = bank.knownDigestSize, PCRHash.canReplay(bank) else {
                result.note("bank \(bank) is not replayed: no \(bank) hash function available; its digests are parsed and kept")
                continue
            }
            var values: [UInt32: [UInt8]] = [:]
            for event in log.events where event.type != .noAction {
                guard event.pcr < pcrCount else {
                    result.note("event \(event.index): PCR \(event.pcr) is out of range 0...\(pcrCount - 1); not replayed")
                    continue
                }
                guard let digest = event.digests.first(where: { $0.algorithm == bank }) else {
                    result.note("event \(event.index): no \(bank) digest; bank \(bank) PCR \(event.pcr) not extended by it")
                    continue
                }
                let current = values[event.pcr] ?? resetValue(pcr: event.pcr, size: size, locality: locality)
                values[event.pcr] = PCRHash.digest(bank, current + digest.bytes)
            }
            result.banks[bank] = values
        }
        return result
    }

    /// The value a PCR holds after reset in a bank whose digests are `size` bytes.
    public static func resetValue(pcr: UInt32, size: Int, locality: UInt8 = 0) -> [UInt8] {
        if (17...22).contains(pcr) { return [UInt8](repeating: 0xFF, count: size) }
        var value = [UInt8](repeating: 0, count: size)
        if pcr == 0 { value[size - 1] = locality }
        return value
    }

    private mutating func note(_ text: String) {
        if notes.count < Self.maxNotes { notes.append(text) }
    }
}
