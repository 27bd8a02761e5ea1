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

/// The formats of advisory feed files.
public enum FeedFormat: String, Sendable, Hashable {
    /// The Debian security tracker's JSON export (`/tracker/data/json`).
    case debianTracker = "debian-security-tracker"
    /// One OSV record, or a JSON array of them.
    case osv
}

/// What was read from one feed file.
public struct FeedFileSummary: Sendable, Equatable {
    /// The file's path.
    public var path: String
    /// The detected format (`nil` when the file could not be read or parsed).
    public var format: FeedFormat?
    /// Records in the file: source packages for the tracker, OSV records for OSV.
    public var records: Int
    /// Advisories kept for matching (those for installed, selected packages on this release).
    public var advisories: Int
    /// Why the file could not be used, if it could not.
    public var error: HyperwardError?
}

/// Offline advisory feeds, loaded and filtered to what can match this host.
///
/// Feed files are untrusted input: each read is bounded, parse errors name the file and never
/// stop the other files from loading.
public struct AdvisoryFeeds: Sendable {
    /// The largest tracker export read (the real one is ~70 MB).
    public static let trackerReadLimit = 512 << 20
    /// The largest file read from a directory of OSV records (real records are kilobytes).
    public static let osvReadLimit = 64 << 20
    /// The most files read from feed directories.
    public static let maxFiles = 500_000
    /// How deep feed directories are searched.
    public static let maxDirectoryDepth = 4

    /// The advisories kept, across all files.
    public var advisories: [Advisory]
    /// One summary per file read or attempted.
    public var files: [FeedFileSummary]
    /// Feed paths that could not be listed or read (a missing `--feed`, too many files).
    public var pathErrors: [(path: String, error: HyperwardError)]

    /// Which advisories to keep.
    public struct Filter: Sendable {
        /// Whether to keep advisories for this source package.
        public var wants: @Sendable (String) -> Bool
        /// The host's release facts (codename for the tracker, ID/VERSION_ID for OSV ecosystems).
        public var release: OSRelease?

        /// Creates a filter.
        public init(release: OSRelease?, wants: @escaping @Sendable (String) -> Bool) {
            self.release = release
            self.wants = wants
        }
    }

    /// Loads every feed at `paths` (files, or directories searched for `*.json`).
    public static func load(paths: [String], fs: any HostFileSystem, filter: Filter) -> AdvisoryFeeds {
        var feeds = AdvisoryFeeds(advisories: [], files: [], pathErrors: [])
        var budget = maxFiles
        for path in paths {
            let kind: FileStatus.Kind
            do { kind = try fs.status(path, followingSymlinks: true).kind } catch {
                feeds.pathErrors.append((path, error))
                continue
            }
            if kind == .directory {
                var found: [String] = []
                if let error = collect(directory: path, fs: fs, depth: 0, into: &found, budget: &budget) {
                    feeds.pathErrors.append((path, error))
                }
                for file in found { feeds.loadFile(file, fs: fs, filter: filter, limit: osvReadLimit) }
            } else {
                feeds.loadFile(path, fs: fs, filter: filter, limit: trackerReadLimit)
            }
        }
        return feeds
    }

    private static func collect(
        directory: String, fs: any HostFileSystem, depth: Int, into found: inout [String], budget: inout Int
    ) -> HyperwardError? {
        let names: [String]
        do { names = try fs.listDirectory(directory) } catch { return error }
        for name in names {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            if name.hasSuffix(".json") {
                if budget == 0 {
                    return HyperwardError(.tooLarge, "\(directory): more than \(maxFiles) feed files; the rest were not read")
                }
                budget -= 1
                found.append(path)
            } else if depth < maxDirectoryDepth, fs.isDirectory(path), !name.hasPrefix(".") {
                if let error = collect(directory: path, fs: fs, depth: depth + 1, into: &found, budget: &budget) {
                    return error
                }
            }
        }
        return nil
    }

    private mutating func loadFile(_ path: String, fs: any HostFileSystem, filter: Filter, limit: Int) {
        var summary = FeedFileSummary(path: path, format: nil, records: 0, advisories: 0, error: nil)
        do {
            let bytes = try fs.readFile(path, limit: limit)
            let parsed = try AdvisoryFeeds.parse(bytes, file: path, filter: filter)
            summary.format = parsed.format
            summary.records = parsed.records
            summary.advisories = parsed.advisories.count
            advisories += parsed.advisories
        } catch {
            var located = error
            if located.location == nil { located.location = .init(file: path) }
            summary.error = located
        }
        files.append(summary)
    }

    /// Detects the format of one feed file's bytes and reads the advisories `filter` keeps.
    /// - Throws: `HyperwardError(.invalidInput)` for invalid JSON or a shape that is neither format.
    public static func parse(
        _ bytes: [UInt8], file: String, filter: Filter
    ) throws(HyperwardError) -> (format: FeedFormat, records: Int, advisories: [Advisory]) {
        var reader = JSONReader(bytes)
        switch reader.peek() {
        case UInt8(ascii: "["):
            // An array of OSV records (what OSV's query API and some mirrors produce).
            var advisories: [Advisory] = []
            var records = 0
            try reader.readElements { (r) throws(HyperwardError) in
                let record = try r.readValue(depth: 1)
                records += 1
                advisories += try osvAdvisories(record, file: file, filter: filter)
            }
            try reader.expectEnd()
            return (.osv, records, advisories)
        case UInt8(ascii: "{"):
            // OSV records start with (and always have) their `id`/`schema_version`/`modified`;
            // the tracker's top-level keys are source package names.
            var probe = reader
            var firstKey: String?
            try? probe.readMembers { (key, r) throws(HyperwardError) in
                if firstKey == nil { firstKey = key }
                // Stop after the first key: an error here only ends the probe.
                throw HyperwardError(.invalidInput, "probe")
            }
            if let key = firstKey, osvTopLevelKeys.contains(key) {
                let record = try reader.readValue()
                try reader.expectEnd()
                return (.osv, 1, try osvAdvisories(record, file: file, filter: filter))
            }
            let (records, advisories) = try trackerAdvisories(&reader, file: file, filter: filter)
            try reader.expectEnd()
            return (.debianTracker, records, advisories)
        case .none:
            throw HyperwardError(.invalidInput, "the file is empty, not a feed")
        default:
            throw HyperwardError(.invalidInput, "not JSON: neither a Debian security tracker export nor an OSV record")
        }
    }

    static let osvTopLevelKeys: Set<String> = [
        "id", "schema_version", "modified", "published", "withdrawn", "aliases", "related", "upstream",
        "summary", "details", "severity", "affected", "references", "credits", "database_specific",
    ]

    // MARK: Debian security tracker

    /// Reads the tracker export: `{ source: { CVE: { description, scope, releases: { codename:
    /// { status, fixed_version, urgency, repositories } } } } }`, keeping the host's codename only.
    private static func trackerAdvisories(
        _ reader: inout JSONReader, file: String, filter: Filter
    ) throws(HyperwardError) -> (Int, [Advisory]) {
        var advisories: [Advisory] = []
        var packages = 0
        let codename = filter.release?.codename
        try reader.readMembers { (package, r) throws(HyperwardError) in
            packages += 1
            guard r.peek() == UInt8(ascii: "{") else {
                throw r.error("package '\(package)' is not an object: not a Debian security tracker export")
            }
            guard let codename, filter.wants(package) else {
                try r.skipValue(depth: 1)
                return
            }
            let issues = try r.readValue(depth: 1)
            for (id, issue) in issues.object ?? [:] {
                guard let entry = issue["releases"]?[codename]?.object else { continue }
                guard let status = entry["status"]?.string else {
                    throw HyperwardError(.invalidInput, "\(package) \(id) \(codename): no status")
                }
                let urgency = entry["urgency"]?.string
                let fixed = entry["fixed_version"]?.string
                let (severity, source) = trackerSeverity(urgency)
                advisories.append(Advisory(
                    id: id, summary: firstLine(issue["description"]?.string ?? ""), package: package,
                    ecosystem: "Debian \(codename)", ordering: .dpkg,
                    rule: .debianTracker(status: status, fixedVersion: fixed, urgency: urgency),
                    severity: severity, severitySource: source,
                    isRemote: issue["scope"]?.string.map { $0 == "remote" }, feedFile: file))
            }
        }
        return (packages, advisories)
    }

    /// The tracker's urgency as a severity (`docs/packages-feeds.md`): `unimportant` and `low` are
    /// low, `medium` medium, `high` high; a trailing `*` (urgency copied from another release)
    /// counts the same. `not yet assigned`, `end-of-life` and absent urgencies give no severity.
    static func trackerSeverity(_ urgency: String?) -> (Severity?, String?) {
        guard let urgency else { return (nil, nil) }
        let base = String(urgency.prefix(while: { $0 != "*" })).trimmingWhitespace()
        let severity: Severity? =
            switch base {
            case "unimportant", "low": .low
            case "medium": .medium
            case "high": .high
            default: nil
            }
        return (severity, severity == nil ? nil : "Debian urgency \(urgency)")
    }

    static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n").first ?? "").trimmingWhitespace()
    }

    // MARK: OSV

    /// OSV ecosystems whose versions are Debian versions.
    static let dpkgEcosystems: [String: [String]] = ["Debian": ["debian"], "Ubuntu": ["ubuntu"]]
    /// OSV ecosystems whose versions are RPM EVRs, with the os-release `ID`s they describe.
    static let rpmEcosystems: [String: [String]] = [
        "Red Hat": ["rhel"], "AlmaLinux": ["almalinux"], "Rocky Linux": ["rocky"], "CentOS": ["centos"],
        "Fedora": ["fedora"], "Oracle Linux": ["ol"], "SUSE": ["sles", "sled", "sle-micro"],
        "openSUSE": ["opensuse-leap", "opensuse-tumbleweed", "opensuse"], "Mageia": ["mageia"],
        "openEuler": ["openeuler"], "Azure Linux": ["azurelinux", "mariner"], "Photon OS": ["photon"],
    ]

    /// The ordering of `ecosystem`, and whether it describes the host's release; `nil` for
    /// ecosystems that are not distributions (PyPI, npm…), which are skipped.
    ///
    /// `Debian:12` applies to a host with `ID=debian`, `VERSION_ID=12`; an ecosystem without a
    /// release (`Debian`) applies to every release; `AlmaLinux:9` applies to `VERSION_ID=9.4`.
    static func ecosystem(_ ecosystem: String, host: OSRelease?) -> (ordering: VersionOrdering, applies: Bool)? {
        let parts = ecosystem.split(separator: ":").map { String($0).trimmingWhitespace() }
        guard let base = parts.first else { return nil }
        let ordering: VersionOrdering
        let ids: [String]
        if let d = dpkgEcosystems[base] {
            ordering = .dpkg
            ids = d
        } else if let r = rpmEcosystems[base] {
            ordering = .rpm
            ids = r
        } else {
            return nil
        }
        guard let host, let hostID = host.id, ids.contains(hostID) else { return (ordering, false) }
        let releases = parts.dropFirst().filter { $0.first?.isNumber ?? false }
        guard let release = releases.first else { return (ordering, true) }
        guard let version = host.versionID else { return (ordering, false) }
        let major = String(version.prefix(while: { $0 != "." }))
        return (ordering, release == version || release == major)
    }

    private static func osvAdvisories(_ record: JSONValue, file: String, filter: Filter) throws(HyperwardError) -> [Advisory] {
        guard record.object != nil else { throw HyperwardError(.invalidInput, "an OSV record is not an object") }
        guard let id = record["id"]?.string, !id.isEmpty else {
            throw HyperwardError(.invalidInput, "an OSV record has no 'id'")
        }
        // A withdrawn record is no longer an advisory (osv-schema "withdrawn").
        if record["withdrawn"]?.string != nil { return [] }
        let aliases = (record["aliases"]?.array ?? []).compactMap(\.string)
        let summary = record["summary"]?.string ?? firstLine(record["details"]?.string ?? "")
        let recordSeverity = osvSeverity(record)
        var advisories: [Advisory] = []
        for affected in record["affected"]?.array ?? [] {
            guard let name = affected["package"]?["name"]?.string,
                  let ecosystemName = affected["package"]?["ecosystem"]?.string
            else { throw HyperwardError(.invalidInput, "\(id): an 'affected' entry has no package name or ecosystem") }
            guard filter.wants(name),
                  let (ordering, applies) = ecosystem(ecosystemName, host: filter.release), applies
            else { continue }
            var ranges: [[RangeEvent]] = []
            for range in affected["ranges"]?.array ?? [] where range["type"]?.string == "ECOSYSTEM" {
                var events: [RangeEvent] = []
                for event in range["events"]?.array ?? [] {
                    if let v = event["introduced"]?.string { events.append(.introduced(v)) }
                    else if let v = event["fixed"]?.string { events.append(.fixed(v)) }
                    else if let v = event["last_affected"]?.string { events.append(.lastAffected(v)) }
                }
                if !events.isEmpty { ranges.append(events) }
            }
            let versions = (affected["versions"]?.array ?? []).compactMap(\.string)
            if ranges.isEmpty && versions.isEmpty { continue }
            let severity = osvSeverity(affected) ?? recordSeverity
            advisories.append(Advisory(
                id: id, aliases: aliases, summary: summary, package: name, ecosystem: ecosystemName,
                ordering: ordering, rule: .osv(ranges: ranges, versions: versions),
                severity: severity?.0, severitySource: severity?.1, feedFile: file))
        }
        return advisories
    }

    /// An OSV severity: the highest CVSS v3 base score in `severity[]`, else a qualitative
    /// `database_specific.severity` (`LOW`, `MODERATE`/`MEDIUM`, `HIGH`, `CRITICAL`), else an
    /// `ecosystem_specific.urgency` as the tracker spells it.
    static func osvSeverity(_ object: JSONValue) -> (Severity, String)? {
        var best: (Double, String)?
        for entry in object["severity"]?.array ?? [] {
            guard let score = entry["score"]?.string else { continue }
            let value = CVSS.baseScore(v3: score) ?? (entry["type"]?.string == "Ubuntu" ? nil : Double(score))
            if let value, value >= 0, value <= 10, value > (best?.0 ?? -1) {
                best = (value, "\(entry["type"]?.string ?? "score") base \(value)")
            }
        }
        if let best { return (CVSS.severity(score: best.0), best.1) }
        if let text = object["database_specific"]?["severity"]?.string {
            let severity: Severity? =
                switch text.uppercased() {
                case "CRITICAL": .critical
                case "HIGH": .high
                case "MODERATE", "MEDIUM": .medium
                case "LOW", "NEGLIGIBLE": .low
                default: nil
                }
            if let severity { return (severity, "severity \(text)") }
        }
        if let urgency = object["ecosystem_specific"]?["urgency"]?.string,
           case (let severity?, let source?) = trackerSeverity(urgency)
        {
            return (severity, source)
        }
        return nil
    }
}
