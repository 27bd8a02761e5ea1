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

/// A parsed TCG PC Client event log: a TPM 1.2 SHA-1 log (TCG_PCR_EVENT records) or a
/// crypto-agile log (TCG_PCR_EVENT2 records after the "Spec ID Event03" header).
///
/// Parsing never traps and never stops on an event it does not understand: such events are kept
/// raw. It stops only where the framing itself is broken (a size past the end, an algorithm
/// missing from the Spec ID table, a limit reached); the events before that point are kept and
/// ``problem`` says what and where.
public struct TPMEventLog: Sendable {
    /// The record layout of the log.
    public enum Format: Hashable, Sendable {
        /// TCG_PCR_EVENT records with one SHA-1 digest each (TPM 1.2, PC Client FPF §10.2.1).
        case sha1
        /// TCG_PCR_EVENT2 records with the digests the Spec ID event lists (§10.2.2).
        case cryptoAgile
    }

    /// Bounds on what one log may make the parser hold.
    public struct Limits: Sendable {
        /// At most this many events.
        public var maxEvents: Int = 100_000
        /// At most this many bytes of data in one event.
        public var maxEventSize: Int = 16 << 20
        /// Creates the default limits.
        public init() {}
    }

    /// SHA-1 or crypto-agile.
    public var format: Format
    /// The Spec ID event of a crypto-agile log.
    public var specID: SpecIDEvent?
    /// The events, the Spec ID header included (it is event 0).
    public var events: [TPMEvent]
    /// Why parsing stopped before the end, or nil when the whole log was read.
    public var problem: HyperwardError?

    /// Whether the whole input was parsed.
    public var isComplete: Bool { problem == nil }

    /// The banks the log carries digests for, in table order.
    public var banks: [TPMAlgorithm] {
        specID?.algorithms.map(\.algorithm) ?? [.sha1]
    }

    /// Parses `bytes`; never throws: see ``problem`` for a log that is cut short or malformed.
    /// - Parameters:
    ///   - bytes: the log as the kernel exposes it (`/sys/kernel/security/tpm0/binary_bios_measurements`).
    ///   - source: how to name the log in messages.
    ///   - limits: bounds on event count and size.
    public init(parsing bytes: [UInt8], source: String = "event log", limits: Limits = Limits()) {
        format = .sha1
        specID = nil
        events = []
        problem = nil
        let location = HyperwardError.SourceLocation(file: source)
        func fail(_ code: HyperwardError.Code, _ message: String) {
            problem = HyperwardError(code, message, location: location)
        }
        guard !bytes.isEmpty else {
            fail(.invalidInput, "the event log is empty; expected at least one TCG_PCR_EVENT record")
            return
        }
        var reader = ByteReader(bytes)

        // The first record always has the SHA-1 layout (PC Client FPF §10.4.5.1).
        let firstOffset = reader.offset
        guard let first = Self.readLegacyEvent(&reader, index: 0, limits: limits, fail: fail) else { return }
        events.append(first)
        if first.type == .noAction, case .specID(let spec) = first.body {
            format = .cryptoAgile
            specID = spec
        } else if first.type == .noAction, first.data.starts(with: SpecIDEvent.signature) {
            fail(.invalidInput, "event 0 at offset \(firstOffset): the Spec ID event is malformed, so digest sizes are unknown")
            return
        }

        while !reader.isAtEnd {
            guard events.count < limits.maxEvents else {
                fail(.tooLarge, "more than \(limits.maxEvents) events; stopped at offset \(reader.offset)")
                return
            }
            let event: TPMEvent?
            if let specID {
                event = Self.readAgileEvent(&reader, index: events.count, spec: specID, limits: limits, fail: fail)
            } else {
                event = Self.readLegacyEvent(&reader, index: events.count, limits: limits, fail: fail)
            }
            guard let event else { return }
            events.append(event)
        }
    }

    private static func readLegacyEvent(
        _ reader: inout ByteReader, index: Int, limits: Limits, fail: (HyperwardError.Code, String) -> Void
    ) -> TPMEvent? {
        let offset = reader.offset
        guard let pcr = reader.readUInt32(), let type = reader.readUInt32(), let digest = reader.readBytes(20),
              let size = reader.readUInt32()
        else {
            fail(.invalidInput, "event \(index) at offset \(offset): the log ends inside the event header (\(reader.remaining) bytes left)")
            return nil
        }
        guard let data = readData(&reader, size: size, index: index, offset: offset, limits: limits, fail: fail) else { return nil }
        let eventType = TPMEventType(rawValue: type)
        return TPMEvent(index: index, offset: offset, pcr: pcr, type: eventType,
                        digests: [TPMDigest(algorithm: .sha1, bytes: digest)], data: data,
                        body: TPMEventBody.decode(type: eventType, data: data))
    }

    private static func readAgileEvent(
        _ reader: inout ByteReader, index: Int, spec: SpecIDEvent, limits: Limits, fail: (HyperwardError.Code, String) -> Void
    ) -> TPMEvent? {
        let offset = reader.offset
        guard let pcr = reader.readUInt32(), let type = reader.readUInt32(), let count = reader.readUInt32() else {
            fail(.invalidInput, "event \(index) at offset \(offset): the log ends inside the event header (\(reader.remaining) bytes left)")
            return nil
        }
        guard count <= UInt32(SpecIDEvent.maxAlgorithms) else {
            fail(.invalidInput, "event \(index) at offset \(offset): \(count) digests, more than the \(SpecIDEvent.maxAlgorithms) allowed")
            return nil
        }
        var digests: [TPMDigest] = []
        for _ in 0..<count {
            guard let id = reader.readUInt16() else {
                fail(.invalidInput, "event \(index) at offset \(offset): the log ends inside the digest list")
                return nil
            }
            let algorithm = TPMAlgorithm(id: id)
            guard let size = spec.algorithms.first(where: { $0.algorithm == algorithm })?.digestSize else {
                fail(.invalidInput, "event \(index) at offset \(offset): digest algorithm 0x\(String(id, radix: 16)) is not in the Spec ID table, so its size is unknown")
                return nil
            }
            guard let bytes = reader.readBytes(size) else {
                fail(.invalidInput, "event \(index) at offset \(offset): the log ends inside the \(algorithm) digest")
                return nil
            }
            digests.append(TPMDigest(algorithm: algorithm, bytes: bytes))
        }
        guard let size = reader.readUInt32() else {
            fail(.invalidInput, "event \(index) at offset \(offset): the log ends before the event size")
            return nil
        }
        guard let data = readData(&reader, size: size, index: index, offset: offset, limits: limits, fail: fail) else { return nil }
        let eventType = TPMEventType(rawValue: type)
        return TPMEvent(index: index, offset: offset, pcr: pcr, type: eventType, digests: digests, data: data,
                        body: TPMEventBody.decode(type: eventType, data: data))
    }

    /// The event data, its size checked against the limit and the bytes left before reading.
    private static func readData(
        _ reader: inout ByteReader, size: UInt32, index: Int, offset: Int, limits: Limits,
        fail: (HyperwardError.Code, String) -> Void
    ) -> [UInt8]? {
        guard UInt64(size) <= UInt64(limits.maxEventSize) else {
            fail(.tooLarge, "event \(index) at offset \(offset): \(size) bytes of data, more than the \(limits.maxEventSize) allowed")
            return nil
        }
        guard let data = reader.readBytes(Int(size)) else {
            fail(.invalidInput, "event \(index) at offset \(offset): \(size) bytes of data but only \(reader.remaining) left in the log")
            return nil
        }
        return data
    }
}
