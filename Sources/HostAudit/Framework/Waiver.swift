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

    /// The keys a waivers file may have, at the top and in each waiver.
    static let fileKeys: Set<String> = ["waivers"]
    static let waiverKeys: Set<String> = ["id", "subject", "reason", "expires"]

    /// Parses a waivers file's text (YAML, or JSON, which is YAML); `file` names it in errors.
    /// - Throws: `HyperwardError(.invalidInput)` at the file's line and column. An unknown key
    ///   (`waiver:` for `waivers:`, `expire:`) is an error naming it: a misspelt file must not
    ///   silently waive nothing, or waive without its expiry.
    public static func parse(_ text: String, file: String) throws(HyperwardError) -> WaiverSet {
        let reader = YAMLReader(file: file, code: .invalidInput)
        guard let root = try reader.compose(text) else { return WaiverSet() }
        func known(_ keys: Set<String>) -> String { keys.sorted().joined(separator: ", ") }
        var waivers: [Waiver] = []
        let top = try reader.entries(root, what: "a waivers file", known: fileKeys) { "unknown key '\($0)' (known: \(known(fileKeys)))" }
        for (_, _, value) in top {
            for (index, item) in try reader.list(value, what: "waivers").enumerated() {
                let number = index + 1
                let fields = try reader.entries(item, what: "waiver #\(number)", known: waiverKeys) {
                    "unknown key '\($0)' in waiver #\(number) (known: \(known(waiverKeys)))"
                }
                var values: [String: String] = [:]
                for field in fields { values[field.key] = try reader.string(field.value, what: "waiver #\(number): \(field.key)") }
                guard let id = values["id"], !id.isEmpty else { throw reader.fail("waiver #\(number) has no id", item) }
                let described = "waiver #\(number) (\(id))"
                guard let reason = values["reason"], !reason.trimmingWhitespace().isEmpty else {
                    throw reader.fail("\(described) needs a reason", item)
                }
                guard let expires = values["expires"] else { throw reader.fail("\(described) needs an expiry date (expires: YYYY-MM-DD)", item) }
                guard WaiverSet.isISODate(expires) else {
                    throw reader.fail("\(described): expires '\(expires)' is not a YYYY-MM-DD date", item)
                }
                waivers.append(Waiver(id: id, subject: values["subject"], reason: reason, expires: expires))
            }
        }
        return WaiverSet(waivers)
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
