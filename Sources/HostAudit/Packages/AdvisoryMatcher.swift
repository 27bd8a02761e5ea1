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

/// A source package as installed: its binaries and the versions advisories are compared with.
public struct InstalledSource: Sendable, Hashable {
    /// One installed binary package built from the source.
    public struct Binary: Sendable, Hashable {
        /// The binary package name.
        public var name: String
        /// The binary package's version.
        public var version: String
        /// The version compared with advisories (the source version, see `VirtualizationPackages`).
        public var matchVersion: String

        /// Creates a binary record.
        public init(name: String, version: String, matchVersion: String? = nil) {
            self.name = name
            self.version = version
            self.matchVersion = matchVersion ?? version
        }
    }

    /// The source package name advisories use.
    public var name: String
    /// The binaries installed from it.
    public var binaries: [Binary]

    /// Creates a source record.
    public init(name: String, binaries: [Binary]) {
        self.name = name
        self.binaries = binaries
    }

    /// The installed sources of a dpkg database, by matching source name.
    public static func from(_ status: DpkgStatus) -> [InstalledSource] {
        var groups: [String: [Binary]] = [:]
        for package in status.packages {
            let source = VirtualizationPackages.matchingSource(of: package)
            let binary = Binary(name: package.name, version: package.version.text, matchVersion: source.version.text)
            if !(groups[source.name]?.contains(binary) ?? false) { groups[source.name, default: []].append(binary) }
        }
        return groups.keys.sorted().map { InstalledSource(name: $0, binaries: groups[$0] ?? []) }
    }
}

/// One advisory that affects (or may affect) one installed source package.
public struct AdvisoryMatch: Sendable, Hashable {
    /// The id findings use: the CVE when the advisory is about exactly one CVE, else its own id.
    public var key: String
    /// The source package.
    public var source: String
    /// The advisories behind the match (the same issue can come from several feeds).
    public var advisories: [Advisory]
    /// The installed binaries whose versions are affected.
    public var affectedBinaries: [InstalledSource.Binary]
    /// The lowest fixed version any feed names, `nil` when none has a fix.
    public var fixedIn: String?
    /// `true` when affected; `false` when the feed leaves it undetermined.
    public var isAffected: Bool
    /// Why it is undetermined, if it is.
    public var undeterminedReason: String?
}

/// Matches advisories against installed source packages.
public enum AdvisoryMatcher {
    /// The id a finding is keyed on, so one issue from two feeds gives one finding.
    static func key(of advisory: Advisory) -> String {
        if advisory.id.hasPrefix("CVE-") { return advisory.id }
        let cves = advisory.aliases.filter { $0.hasPrefix("CVE-") }
        return cves.count == 1 ? cves[0] : advisory.id
    }

    /// Every (issue, source package) pair where an installed version is affected or undetermined,
    /// sorted by source then key.
    public static func match(_ advisories: [Advisory], installed: [InstalledSource]) -> [AdvisoryMatch] {
        let bySource = Dictionary(installed.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var matches: [String: AdvisoryMatch] = [:]
        for advisory in advisories {
            guard let source = bySource[advisory.package] else { continue }
            var affected: [InstalledSource.Binary] = []
            var fixes: [String] = []
            var undetermined: String?
            var verdicts: [String: AdvisoryVerdict] = [:]
            for binary in source.binaries {
                let verdict = verdicts[binary.matchVersion] ?? advisory.verdict(for: binary.matchVersion)
                verdicts[binary.matchVersion] = verdict
                switch verdict {
                case .notAffected: continue
                case .vulnerable(let fixed):
                    affected.append(binary)
                    if let fixed { fixes.append(fixed) }
                case .undetermined(let why):
                    undetermined = why
                }
            }
            guard !affected.isEmpty || undetermined != nil else { continue }
            let id = "\(source.name)\u{0}\(key(of: advisory))"
            var match = matches[id] ?? AdvisoryMatch(
                key: key(of: advisory), source: source.name, advisories: [], affectedBinaries: [], fixedIn: nil,
                isAffected: false, undeterminedReason: nil)
            match.advisories.append(advisory)
            for binary in affected where !match.affectedBinaries.contains(binary) { match.affectedBinaries.append(binary) }
            if !affected.isEmpty { match.isAffected = true }
            if match.undeterminedReason == nil { match.undeterminedReason = undetermined }
            // The fix to name is the highest any affected binary needs.
            for fixed in fixes {
                if let current = match.fixedIn, advisory.ordering.compare(fixed, current) ?? 0 <= 0 { continue }
                match.fixedIn = fixed
            }
            matches[id] = match
        }
        return matches.values.sorted { ($0.source, $0.key) < ($1.source, $1.key) }
    }
}
