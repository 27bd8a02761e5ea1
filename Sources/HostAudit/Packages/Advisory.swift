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

/// How an ecosystem orders versions.
public enum VersionOrdering: String, Sendable, Hashable {
    /// deb-version(7), as dpkg orders it.
    case dpkg
    /// `rpmverCmp`, as rpm orders it.
    case rpm

    /// -1, 0 or 1 comparing `a` with `b`, or `nil` if either is not a valid version.
    public func compare(_ a: String, _ b: String) -> Int? {
        switch self {
        case .dpkg:
            guard let x = try? DebianVersion(a, allowingWarnings: true),
                  let y = try? DebianVersion(b, allowingWarnings: true) else { return nil }
            return DebianVersion.compare(x, y).signum()
        case .rpm:
            guard let x = try? RPMVersion(a), let y = try? RPMVersion(b) else { return nil }
            return RPMVersion.compare(x, y)
        }
    }
}

/// One event of an OSV `ECOSYSTEM` range.
public enum RangeEvent: Sendable, Hashable {
    case introduced(String)
    case fixed(String)
    case lastAffected(String)
}

/// What an advisory says about one source package in one release.
public enum AffectedRule: Sendable, Hashable {
    /// A Debian security tracker release entry.
    case debianTracker(status: String, fixedVersion: String?, urgency: String?)
    /// OSV ranges (each a list of events) and explicit affected versions.
    case osv(ranges: [[RangeEvent]], versions: [String])
}

/// The outcome of matching one advisory against one installed version.
public enum AdvisoryVerdict: Sendable, Hashable {
    /// The installed version is not affected (fixed, or never affected).
    case notAffected
    /// The installed version is affected; `fixedIn` is the version to upgrade to, if there is one.
    case vulnerable(fixedIn: String?)
    /// The feed does not say (Debian `undetermined`) or a version in it is invalid.
    case undetermined(String)
}

/// One advisory about one source package, from one feed file.
public struct Advisory: Sendable, Hashable {
    /// The advisory id: `CVE-2024-7409`, `DSA-5783-1`, `DEBIAN-CVE-2024-7409`…
    public var id: String
    /// Other ids of the same issue (OSV `aliases`).
    public var aliases: [String]
    /// One line about the issue.
    public var summary: String
    /// The source package it concerns.
    public var package: String
    /// The ecosystem as the feed names it (`Debian:12`, `AlmaLinux:9`, or the tracker's codename).
    public var ecosystem: String
    /// How the ecosystem orders versions.
    public var ordering: VersionOrdering
    /// Which versions are affected.
    public var rule: AffectedRule
    /// The severity the feed gives, if it gives one (see `docs/packages-feeds.md` for the mapping).
    public var severity: Severity?
    /// Where `severity` came from, e.g. `Debian urgency high`, `CVSS:3.1 base 9.8`.
    public var severitySource: String?
    /// Whether the tracker says the issue is remotely exploitable (`scope: remote`).
    public var isRemote: Bool?
    /// The feed file the advisory was read from.
    public var feedFile: String

    /// Creates an advisory.
    public init(
        id: String, aliases: [String] = [], summary: String = "", package: String, ecosystem: String,
        ordering: VersionOrdering, rule: AffectedRule, severity: Severity? = nil, severitySource: String? = nil,
        isRemote: Bool? = nil, feedFile: String
    ) {
        self.id = id
        self.aliases = aliases
        self.summary = summary
        self.package = package
        self.ecosystem = ecosystem
        self.ordering = ordering
        self.rule = rule
        self.severity = severity
        self.severitySource = severitySource
        self.isRemote = isRemote
        self.feedFile = feedFile
    }

    /// Whether `version` of the package is affected.
    public func verdict(for version: String) -> AdvisoryVerdict {
        switch rule {
        case .debianTracker(let status, let fixed, _):
            if let fixed {
                // "0" is the tracker's way to say this release never had the vulnerable code.
                if fixed == "0" { return .notAffected }
                guard let order = ordering.compare(version, fixed) else {
                    return .undetermined("invalid version '\(fixed)' in the feed")
                }
                if order >= 0 { return .notAffected }
                return .vulnerable(fixedIn: fixed)
            }
            switch status {
            case "open": return .vulnerable(fixedIn: nil)
            case "resolved": return .undetermined("resolved without a fixed version")
            default: return .undetermined("the tracker's status is '\(status)'")
            }
        case .osv(let ranges, let versions):
            for listed in versions where ordering.compare(version, listed) == 0 {
                return .vulnerable(fixedIn: Advisory.fixedVersion(after: version, in: ranges, ordering: ordering))
            }
            for events in ranges {
                switch Advisory.evaluate(version, events: events, ordering: ordering) {
                case .some(true):
                    return .vulnerable(fixedIn: Advisory.fixedVersion(after: version, in: [events], ordering: ordering))
                case .some(false): continue
                case .none: return .undetermined("invalid version in an affected range")
                }
            }
            return .notAffected
        }
    }

    /// The OSV evaluation of one range (osv-schema "Evaluation"): walk the events in version
    /// order; `introduced` at or below the version opens the range, `fixed` at or below it and
    /// `last_affected` below it close it. `nil` when a version in the range is invalid.
    static func evaluate(_ version: String, events: [RangeEvent], ordering: VersionOrdering) -> Bool? {
        func value(_ e: RangeEvent) -> String {
            switch e { case .introduced(let v), .fixed(let v), .lastAffected(let v): v }
        }
        // "0" in `introduced` means "since the first version", below every real version.
        func less(_ a: RangeEvent, _ b: RangeEvent) -> Bool? {
            if case .introduced("0") = a { if case .introduced("0") = b { return false }; return true }
            if case .introduced("0") = b { return false }
            return ordering.compare(value(a), value(b)).map { $0 < 0 }
        }
        var invalid = false
        let sorted = events.enumerated().sorted { x, y in
            guard let l = less(x.element, y.element), let r = less(y.element, x.element) else {
                invalid = true
                return x.offset < y.offset
            }
            return l || (!r && x.offset < y.offset)
        }.map(\.element)
        if invalid { return nil }
        var affected = false
        for event in sorted {
            switch event {
            case .introduced(let v):
                if v == "0" { affected = true; continue }
                guard let c = ordering.compare(version, v) else { return nil }
                if c >= 0 { affected = true }
            case .fixed(let v):
                guard let c = ordering.compare(version, v) else { return nil }
                if c >= 0 { affected = false }
            case .lastAffected(let v):
                guard let c = ordering.compare(version, v) else { return nil }
                if c > 0 { affected = false }
            }
        }
        return affected
    }

    /// The lowest `fixed` above `version` in `ranges`, if any.
    static func fixedVersion(after version: String, in ranges: [[RangeEvent]], ordering: VersionOrdering) -> String? {
        var best: String?
        for events in ranges {
            for case .fixed(let v) in events where ordering.compare(v, version) == 1 {
                if let current = best, ordering.compare(v, current) != -1 { continue }
                best = v
            }
        }
        return best
    }
}
