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

import Foundation
import HyperwardCore
import Yams

/// An operator's decision to accept one finding until a date, with a reason.
public struct Waiver: Sendable, Codable, Hashable {
    /// The finding id; a trailing `*` matches a prefix (`cpu.vulnerability.*`).
    public var id: String
    /// The finding's subject, when the waiver is for one subject only.
    public var subject: String?
    /// Why the risk is accepted (required).
    public var reason: String
    /// The last day the waiver applies, `YYYY-MM-DD` (required).
    public var expires: String

    /// Whether the waiver is for `finding`.
    public func matches(_ finding: Finding) -> Bool {
        if let subject, subject != finding.subject { return false }
        if id.hasSuffix("*") { return finding.id.hasPrefix(String(id.dropLast())) }
        return id == finding.id
    }

    /// Whether the waiver still applies on `today` (`YYYY-MM-DD`): it does through its expiry day.
    public func isActive(on today: String) -> Bool { today <= expires }
}

/// A waivers file: YAML or JSON of the shape `{ waivers: [ {id, subject?, reason, expires} ] }`.
public struct WaiverSet: Sendable {
    public var waivers: [Waiver]

    /// Creates a set.
    public init(_ waivers: [Waiver] = []) { self.waivers = waivers }

    private struct File: Decodable { var waivers: [Waiver]? }

    /// The keys a waivers file may have, at the top and in each waiver.
    static let fileKeys: Set<String> = ["waivers"]
    static let waiverKeys: Set<String> = ["id", "subject", "reason", "expires"]

    /// Parses a waivers file's text; `file` names it in errors.
    /// - Throws: `HyperwardError(.invalidInput)` with the file and, where known, the line. An
    ///   unknown key (`waiver:` for `waivers:`, `expire:`) is an error naming it and its line: a
    ///   misspelt file must not silently waive nothing, or waive without its expiry.
    public static func parse(_ text: String, file: String) throws(HyperwardError) -> WaiverSet {
        try checkKeys(text, file: file)
        let decoded: File
        do {
            decoded = try YAMLDecoder().decode(File.self, from: text)
        } catch {
            throw HyperwardError(.invalidInput, "not a valid waivers file: \(WaiverSet.describe(error))",
                                 location: .init(file: file))
        }
        let waivers = decoded.waivers ?? []
        for (index, waiver) in waivers.enumerated() {
            let item = "waiver #\(index + 1) (\(waiver.id))"
            if waiver.id.isEmpty {
                throw HyperwardError(.invalidInput, "waiver #\(index + 1) has an empty id", location: .init(file: file))
            }
            if waiver.reason.trimmingWhitespace().isEmpty {
                throw HyperwardError(.invalidInput, "\(item) needs a reason", location: .init(file: file))
            }
            if !WaiverSet.isISODate(waiver.expires) {
                throw HyperwardError(.invalidInput, "\(item): expires '\(waiver.expires)' is not a YYYY-MM-DD date",
                                     location: .init(file: file))
            }
        }
        return WaiverSet(waivers)
    }

    static func checkKeys(_ text: String, file: String) throws(HyperwardError) {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw HyperwardError(.invalidInput, "not a valid waivers file: \(WaiverSet.describe(error))", location: .init(file: file))
        }
        guard let mapping = root?.mapping else { return }  // Empty, or not a mapping: the decoder says so.
        func unknown(_ key: Node, _ known: Set<String>, _ place: String) -> HyperwardError {
            HyperwardError(.invalidInput, "unknown key '\(key.string ?? "")'\(place) (known: \(known.sorted().joined(separator: ", ")))",
                           location: .init(file: file, line: key.mark?.line, column: key.mark?.column))
        }
        for (key, value) in mapping {
            guard fileKeys.contains(key.string ?? "") else { throw unknown(key, fileKeys, "") }
            guard let items = value.sequence else { continue }
            for (index, item) in items.enumerated() {
                guard let fields = item.mapping else { continue }
                for (itemKey, _) in fields where !waiverKeys.contains(itemKey.string ?? "") {
                    throw unknown(itemKey, waiverKeys, " in waiver #\(index + 1)")
                }
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        if let yaml = error as? YamlError { return "\(yaml)".split(separator: "\n").first.map(String.init) ?? "YAML error" }
        if let decoding = error as? DecodingError {
            switch decoding {
            case .keyNotFound(let key, let ctx):
                return "missing '\(key.stringValue)' at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))"
            case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx):
                return "\(ctx.debugDescription) at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))"
            @unknown default: return "\(decoding)"
            }
        }
        return "\(error)"
    }

    static func isISODate(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let m = Int(parts[1]), let d = Int(parts[2]), Int(parts[0]) != nil
        else { return false }
        guard let y = Int(parts[0]), (1...12).contains(m) else { return false }
        let isLeap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return (1...days).contains(d)
    }

    /// Marks each finding a waiver matches: the first active matching waiver, else the first expired one.
    public func apply(to findings: [Finding], today: String) -> [Finding] {
        findings.map { finding in
            // An active waiver wins over an expired one listed earlier for the same finding.
            let matching = waivers.filter { $0.matches(finding) }
            guard finding.status.isProblem,
                  let waiver = matching.first(where: { $0.isActive(on: today) }) ?? matching.first
            else {
                return finding
            }
            var waived = finding
            waived.waiver = WaiverNote(reason: waiver.reason, expires: waiver.expires,
                                       isExpired: !waiver.isActive(on: today))
            return waived
        }
    }
}
