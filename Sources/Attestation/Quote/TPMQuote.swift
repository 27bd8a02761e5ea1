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


import HyperwardCore

/// A PCR selection: a bank and the PCR indices chosen in it (TPMS_PCR_SELECTION).
public struct PCRSelection: Hashable, Sendable {
    /// The bank.
    public var bank: TPMAlgorithm
    /// The PCR indices, ascending.
    public var pcrs: [UInt32]

    /// Creates a selection; the indices are sorted and made unique.
    public init(bank: TPMAlgorithm, pcrs: [UInt32]) {
        self.bank = bank
        self.pcrs = Array(Set(pcrs)).sorted()
    }

    /// The form tpm2-tools takes: `sha256:0,1,2,7`.
    public var toolsArgument: String {
        bank.name + ":" + pcrs.map(String.init).joined(separator: ",")
    }
}

/// A TPM 2.0 quote as the TPM signed it: a TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE (TPM 2.0
/// Part 2 §10.12.12), parsed from untrusted bytes with every size checked.
public struct TPMQuote: Hashable, Sendable {
    /// `TPM_GENERATED_VALUE`: the TPM puts it first in everything it attests, and a restricted
    /// signing key refuses to sign data that starts with it, so a signed structure with it came
    /// from the TPM.
    public static let generatedValue: UInt32 = 0xFF54_4347
    /// `TPM_ST_ATTEST_QUOTE`.
    public static let quoteTag: UInt16 = 0x8018

    /// The name of the signing key (qualifiedSigner).
    public var qualifiedSigner: [UInt8]
    /// The caller's nonce (extraData).
    public var extraData: [UInt8]
    /// The TPM's clock in milliseconds.
    public var clock: UInt64
    /// TPM resets (power cycles) since the TPM was cleared: a change means the host rebooted.
    public var resetCount: UInt32
    /// TPM restarts (resume from hibernation) since the last reset.
    public var restartCount: UInt32
    /// Whether the clock is known not to have gone backwards.
    public var safe: Bool
    /// The TPM firmware version.
    public var firmwareVersion: UInt64
    /// The PCRs the quote covers, in the order their values are hashed.
    public var selections: [PCRSelection]
    /// The hash of the selected PCR values, concatenated in selection order.
    public var pcrDigest: [UInt8]

    /// Parses a TPMS_ATTEST; throws `.invalidInput` naming what is wrong.
    public init(parsing bytes: [UInt8]) throws(HyperwardError) {
        func bad(_ what: String) -> HyperwardError {
            HyperwardError(.invalidInput, "the quote is malformed: \(what)")
        }
        guard bytes.count <= 4096 else { throw bad("\(bytes.count) bytes, more than a TPMS_ATTEST can hold") }
        var reader = ByteReader(bytes)
        guard let magic = reader.readUInt32BigEndian() else { throw bad("too short for its header") }
        guard magic == Self.generatedValue else {
            throw bad("it does not start with TPM_GENERATED_VALUE (0x\(String(magic, radix: 16))): not made by a TPM")
        }
        guard let tag = reader.readUInt16BigEndian() else { throw bad("too short for its type") }
        guard tag == Self.quoteTag else { throw bad("type 0x\(String(tag, radix: 16)) is not a quote (0x8018)") }
        guard let signer = reader.readSized(limit: 68) else { throw bad("the signer's name is cut short or too long") }
        guard let extra = reader.readSized(limit: 64) else { throw bad("the nonce (extraData) is cut short or too long") }
        guard let clock = reader.readUInt64BigEndian(), let resets = reader.readUInt32BigEndian(),
              let restarts = reader.readUInt32BigEndian(), let safe = reader.readUInt8(),
              let firmware = reader.readUInt64BigEndian()
        else { throw bad("the clock or firmware fields are cut short") }
        guard let count = reader.readUInt32BigEndian(), count <= 16 else { throw bad("the PCR selection count is missing or above 16") }
        var selections: [PCRSelection] = []
        for _ in 0..<count {
            guard let hash = reader.readUInt16BigEndian(), let size = reader.readUInt8(), size <= 8,
                  let bitmap = reader.readBytes(Int(size))
            else { throw bad("a PCR selection is cut short or its bitmap is longer than 8 bytes") }
            var pcrs: [UInt32] = []
            for (byteIndex, byte) in bitmap.enumerated() {
                for bit in 0..<8 where byte & (1 << bit) != 0 { pcrs.append(UInt32(byteIndex * 8 + bit)) }
            }
            selections.append(PCRSelection(bank: TPMAlgorithm(id: hash), pcrs: pcrs))
        }
        guard let digest = reader.readSized(limit: 64) else { throw bad("the PCR digest is cut short or too long") }
        guard reader.isAtEnd else { throw bad("\(reader.remaining) bytes follow the PCR digest") }
        qualifiedSigner = signer
        extraData = extra
        self.clock = clock
        resetCount = resets
        restartCount = restarts
        self.safe = safe != 0
        firmwareVersion = firmware
        self.selections = selections
        pcrDigest = digest
    }
}
