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

/// Automatic response: opt-in per detector, never for allowlisted VMs, rate-limited. The
/// default (nothing listed) is alert only.
public struct AutoResponse: Sendable, Hashable {
    /// Detectors whose incidents quarantine the VM automatically.
    public var quarantineOn: Set<DetectorKind> = []
    /// VMs never quarantined automatically (by name).
    public var allow: Set<String> = []
    /// At most this many automatic quarantines per hour, host-wide.
    public var maxPerHour = 2
    public init() {}

    /// Whether `alert` calls for an automatic quarantine (rate limit aside).
    public func wants(_ alert: MonitorAlert) -> Bool {
        alert.phase != .resolved && !allow.contains(alert.vm)
            && alert.signals.contains { !quarantineOn.isDisjoint(with: $0.detectors) }
    }
}

/// At most `maxPerHour` actions in any sliding hour (automatic quarantines).
public struct ResponseRateLimiter: Sendable {
    public var maxPerHour: Int
    var recent: [Date] = []

    public init(maxPerHour: Int) { self.maxPerHour = maxPerHour }

    /// Whether an action may happen at `now`; counts it when it may.
    public mutating func allow(now: Date) -> Bool {
        recent.removeAll { now.timeIntervalSince($0) >= 3600 }
        guard recent.count < maxPerHour else { return false }
        recent.append(now)
        return true
    }
}

extension MonitorPolicy {
    static let keys: Set<String> = ["interval_seconds", "uri", "vms", "limits", "baseline", "peers", "quiet_samples", "update_every", "response"]
    static let baselineKeys: Set<String> = ["enabled", "history", "smoothing", "smoothed_history", "warm_up", "threshold", "hold_off", "season_seconds"]
    static let peerKeys: Set<String> = ["enabled", "distance", "minimum_vms", "sustain"]
    static let responseKeys: Set<String> = ["quarantine_on", "allow", "max_per_hour"]

    /// The policy in `file`: either a monitor policy file, or a configuration file whose `monitor`
    /// section holds it (`section: true`).
    /// A relative `file` is relative to the working directory.
    public static func load(_ file: String, section: Bool = false) throws(HyperwardError) -> (MonitorPolicy, uri: String, response: AutoResponse) {
        let file = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        let text: String
        if RootedFileSystem().isDirectory(file) {
            throw HyperwardError(.configuration, "cannot read the monitor policy: \(file) is a directory; give a file")
        }
        do { text = try RootedFileSystem().readText(file, limit: 1 << 20) } catch {
            throw HyperwardError(.configuration, "cannot read the monitor policy: \(error.message)", location: .init(file: file))
        }
        return try parse(text, file: file, section: section)
    }

    /// Parses a monitor policy. Unknown keys and out-of-range values are errors naming
    /// `file:line:column`, so a typo never silently weakens the monitor.
    public static func parse(_ text: String, file: String, section: Bool = false) throws(HyperwardError) -> (MonitorPolicy, uri: String, response: AutoResponse) {
        var policy = MonitorPolicy(), uri = "qemu:///system", response = AutoResponse()
        var seasonSeconds = 0.0
        var root = try YAMLReader(file: file, code: .configuration).compose(text)
        if section { root = root?.mapping?["monitor"] }
        guard let root else { return (policy, uri, response) }
        guard let mapping = root.mapping else { throw fail("the monitor policy must be a mapping", root, file) }
        for (k, v) in mapping {
            let key = k.string ?? ""
            switch key {
            case "interval_seconds": policy.interval = try number(v, "interval_seconds", 0.2...3600, file)
            case "uri": uri = try scalarText(v, "uri", file)
            case "vms":
                guard let seq = v.sequence else { throw fail("vms must be a list of VM name patterns", v, file) }
                for item in seq {
                    let pattern = try scalarText(item, "vms", file)
                    if let problem = patternProblem(pattern) {
                        throw fail("vms: \(pattern.debugDescription) is not a valid VM name pattern: \(problem)", item, file)
                    }
                    policy.vms.append(pattern)
                }
            case "quiet_samples": policy.quietSamples = Int(try number(v, "quiet_samples", 1...10_000, file))
            case "update_every": policy.updateEvery = Int(try number(v, "update_every", 1...1_000_000, file))
            case "limits":
                guard let limits = v.mapping else { throw fail("limits must be a mapping of metric to maximum", v, file) }
                for (mk, mv) in limits {
                    guard let metric = Metric(rawValue: mk.string ?? "") else {
                        throw fail("unknown metric '\(mk.string ?? "")' (known: \(Metric.allCases.map(\.rawValue).joined(separator: ", ")))", mk, file)
                    }
                    if let m = mv.mapping {
                        var limit = Limit(maximum: 0)
                        for (lk, lv) in m {
                            switch lk.string ?? "" {
                            case "max": limit.maximum = try number(lv, "limits.\(metric.rawValue).max", 0...1e15, file)
                            case "sustain": limit.sustain = Int(try number(lv, "limits.\(metric.rawValue).sustain", 1...10_000, file))
                            default: throw fail("unknown setting 'limits.\(metric.rawValue).\(lk.string ?? "")' (known: max, sustain)", lk, file)
                            }
                        }
                        guard m["max"] != nil else { throw fail("limits.\(metric.rawValue) needs max", mv, file) }
                        policy.limits[metric] = limit
                    } else {
                        policy.limits[metric] = Limit(maximum: try number(mv, "limits.\(metric.rawValue)", 0...1e15, file))
                    }
                }
            case "baseline":
                for (bk, bv) in try map(v, "baseline", baselineKeys, file) {
                    switch bk {
                    case "enabled": policy.baselineEnabled = try flag(bv, "baseline.enabled", file)
                    case "history": policy.baseline.history = Int(try number(bv, "baseline.history", 8...100_000, file))
                    case "smoothing": policy.baseline.smoothing = Int(try number(bv, "baseline.smoothing", 1...10_000, file))
                    case "smoothed_history": policy.baseline.smoothedHistory = Int(try number(bv, "baseline.smoothed_history", 8...100_000, file))
                    case "warm_up": policy.baseline.warmUp = Int(try number(bv, "baseline.warm_up", 8...100_000, file))
                    case "season_seconds": seasonSeconds = try number(bv, "baseline.season_seconds", 0...(30 * 86400), file)
                    case "threshold": policy.baseline.threshold = try number(bv, "baseline.threshold", 0.01...100, file)
                    default: policy.baseline.holdOff = Int(try number(bv, "baseline.hold_off", 0...1_000_000, file))
                    }
                }
            case "peers":
                for (pk, pv) in try map(v, "peers", peerKeys, file) {
                    switch pk {
                    case "enabled": policy.peersEnabled = try flag(pv, "peers.enabled", file)
                    case "distance": policy.peerDistance = try number(pv, "peers.distance", 1...100, file)
                    case "minimum_vms": policy.peerMinimumVMs = Int(try number(pv, "peers.minimum_vms", 3...100_000, file))
                    default: policy.peerSustain = Int(try number(pv, "peers.sustain", 1...10_000, file))
                    }
                }
            case "response":
                for (rk, rv) in try map(v, "response", responseKeys, file) {
                    switch rk {
                    case "quarantine_on":
                        guard let seq = rv.sequence else { throw fail("response.quarantine_on must be a list of detectors (limit, baseline, peers)", rv, file) }
                        for item in seq {
                            guard let d = DetectorKind(rawValue: item.string ?? ""), d.engine == .monitor else { throw fail("unknown detector '\(item.string ?? "")' (known: limit, baseline, peers)", item, file) }
                            response.quarantineOn.insert(d)
                        }
                    case "allow":
                        guard let seq = rv.sequence else { throw fail("response.allow must be a list of VM names", rv, file) }
                        for item in seq { response.allow.insert(try scalarText(item, "response.allow", file)) }
                    default: response.maxPerHour = Int(try number(rv, "response.max_per_hour", 0...1000, file))
                    }
                }
            default:
                throw fail("unknown setting '\(key)' (known: \(keys.sorted().joined(separator: ", ")))", k, file)
            }
        }
        // A season in samples at the policy's interval (whichever order the keys came in).
        policy.seasonSeconds = seasonSeconds
        policy.baseline.season = policy.seasonSamples
        return (policy, uri, response)
    }

    /// Why `pattern` is not a shell pattern `fnmatch(3)` reads as meant, or nil. glibc takes an
    /// unclosed `[` or a trailing `\` literally, so such a pattern silently matches no VM.
    static func patternProblem(_ pattern: String) -> String? {
        let characters = Array(pattern)
        var i = 0
        while i < characters.count {
            switch characters[i] {
            case "\\":
                guard i + 1 < characters.count else { return "it ends with a lone backslash" }
                i += 2
            case "[":
                // A bracket expression: `[!` or `[^` negates; a `]` right after the opening is literal.
                var j = i + 1
                if j < characters.count, characters[j] == "!" || characters[j] == "^" { j += 1 }
                if j < characters.count, characters[j] == "]" { j += 1 }
                while j < characters.count, characters[j] != "]" { j += 1 }
                guard j < characters.count else { return "the '[' at character \(i + 1) is never closed (write \\[ for a literal bracket)" }
                let body = Array(characters[(i + 1)..<j])
                for k in body.indices.dropFirst().dropLast() where body[k] == "-" && body[k - 1] > body[k + 1] && body[k - 1] != "!" && body[k - 1] != "^" {
                    return "the range \(body[k - 1])-\(body[k + 1]) is reversed"
                }
                i = j + 1
            default:
                i += 1
            }
        }
        return nil
    }

    static func fail(_ message: String, _ node: Node, _ file: String) -> HyperwardError {
        YAMLReader(file: file, code: .configuration).fail(message, node)
    }

    static func number(_ node: Node, _ key: String, _ range: ClosedRange<Double>, _ file: String) throws(HyperwardError) -> Double {
        try YAMLReader(file: file, code: .configuration).number(node, what: key, in: range)
    }

    static func scalarText(_ node: Node, _ key: String, _ file: String) throws(HyperwardError) -> String {
        guard let s = node.scalar?.string, !s.isEmpty else { throw fail("\(key) must be a string", node, file) }
        return s
    }

    static func flag(_ node: Node, _ key: String, _ file: String) throws(HyperwardError) -> Bool {
        try YAMLReader(file: file, code: .configuration).bool(node, what: key)
    }

    static func map(_ node: Node, _ key: String, _ known: Set<String>, _ file: String) throws(HyperwardError) -> [(String, Node)] {
        try YAMLReader(file: file, code: .configuration).entries(node, what: key, known: known) { name in
            "unknown setting '\(key).\(name)' (known: \(known.sorted().joined(separator: ", ")))"
        }.map { ($0.key, $0.value) }
    }
}
