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

/// A decoded event log ready to print: every event with its digests and decoded data, the PCRs
/// the log replays to, the replay's notes and why parsing stopped, if it did; optionally an IMA
/// log's PCR 10. Rendered as text for an operator, or JSON and YAML for tools
/// (`hyperward attest log`).
public struct EventLogReport: Sendable {
    /// The parsed log.
    public var log: TPMEventLog
    /// Its replay.
    public var replay: PCRReplay
    /// How the log is named (its path).
    public var source: String
    /// The IMA log, when one was given.
    public var ima: IMALog?

    /// At most this many bytes of raw data (or of a variable's data) are shown per field in text;
    /// JSON and YAML show all.
    public static let textRawBytes = 48

    /// Replays `log` and makes its report.
    public init(log: TPMEventLog, source: String, ima: IMALog? = nil) {
        self.log = log
        self.replay = PCRReplay.replay(log)
        self.source = source
        self.ima = ima
    }

    /// The replayed PCRs, banks in the log's table order, PCRs ascending, empty banks left out.
    var pcrRows: [(bank: TPMAlgorithm, values: [(pcr: UInt32, value: [UInt8])])] {
        log.banks.compactMap { bank in
            guard let values = replay.banks[bank], !values.isEmpty else { return nil }
            return (bank, values.keys.sorted().compactMap { pcr in values[pcr].map { (pcr, $0) } })
        }
    }

    /// PCR 10 of the IMA log per bank (sha1, sha256), when an IMA log was given.
    var imaRows: [(bank: TPMAlgorithm, value: [UInt8])] {
        guard let ima else { return [] }
        return [TPMAlgorithm.sha1, .sha256].compactMap { bank in ima.replay(bank: bank).map { (bank, $0) } }
    }

    var formatName: String { log.format == .cryptoAgile ? "crypto-agile" : "sha1" }

    /// The report for a terminal: one block per event, raw data cut to ``textRawBytes``; every
    /// string from the log made terminal-safe.
    public func text() -> String {
        var out = "event log \(source.terminalSafe): \(formatName), banks \(log.banks.map(\.name).joined(separator: " ")), \(log.events.count) events\n"
        for event in log.events {
            out += "\n#\(event.index) PCR \(event.pcr) \(event.type.name) (\(event.data.count) bytes at offset \(event.offset))\n"
            let width = event.digests.map(\.algorithm.name.count).max() ?? 0
            for digest in event.digests {
                let name = digest.algorithm.name
                out += "  \(name)\(String(repeating: " ", count: width - name.count)) \(hexString(digest.bytes))\n"
            }
            Self.appendText(event.reportValue, indent: "  ", to: &out, raw: event.body == .raw)
        }
        out += "\nPCRs replayed from the log:\n"
        for row in pcrRows {
            out += "  \(row.bank.name):\n"
            for (pcr, value) in row.values {
                out += "    \(pcr < 10 ? " " : "")\(pcr)  \(hexString(value))\n"
            }
        }
        if pcrRows.isEmpty { out += "  (no event extended a PCR)\n" }
        if let ima {
            out += "\nIMA log: \(ima.entries.count) entries; PCR 10:\n"
            for row in imaRows { out += "  \(row.bank.name)  \(hexString(row.value))\n" }
            if let problem = ima.problem { out += "  problem: \(problem.description.terminalSafe)\n" }
        }
        if !replay.notes.isEmpty {
            out += "\nnotes:\n"
            for note in replay.notes { out += "  \(note.terminalSafe)\n" }
        }
        if let problem = log.problem {
            out += "\nproblem: \(problem.description.terminalSafe)\n"
        }
        return out
    }

    private static func appendText(_ value: ReportValue, indent: String, to out: inout String, raw: Bool) {
        switch value {
        case .bytes(let bytes) where raw:
            let shown = hexString(bytes.prefix(textRawBytes))
            out += indent + "data: " + (bytes.isEmpty ? "(none)" : shown)
            out += bytes.count > textRawBytes ? "… (\(bytes.count) bytes)\n" : "\n"
        case .object(let fields):
            for (key, field) in fields {
                switch field {
                case .object, .list:
                    out += indent + key + ":\n"
                    appendText(field, indent: indent + "  ", to: &out, raw: false)
                default:
                    out += indent + key + ": " + scalarText(field) + "\n"
                }
            }
        case .list(let items):
            for item in items {
                if case .object(let fields) = item, !fields.isEmpty {
                    // The first field on the dash line, the rest under it.
                    var block = ""
                    appendText(.object(fields), indent: indent + "  ", to: &block, raw: false)
                    out += indent + "- " + block.dropFirst(indent.count + 2)
                } else {
                    out += indent + "- " + scalarText(item) + "\n"
                }
            }
        default:
            out += indent + scalarText(value) + "\n"
        }
    }

    private static func scalarText(_ value: ReportValue) -> String {
        switch value {
        case .string(let s): s.isEmpty ? "\"\"" : s.terminalSafe
        case .integer(let n): String(n)
        case .address(let n): hex0x(n)
        case .bytes(let b) where b.count > textRawBytes: hexString(b.prefix(textRawBytes)) + "… (\(b.count) bytes)"
        case .bytes(let b): b.isEmpty ? "(none)" : hexString(b)
        case .boolean(let b): b ? "yes" : "no"
        case .list, .object: ""
        }
    }
}
