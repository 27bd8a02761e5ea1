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

import HostAudit
import HyperwardCore

/// An input broke a property a parser promises (not a crash: those end the process by themselves).
struct FuzzFailure: Error, CustomStringConvertible {
    var target: FuzzTarget
    var message: String
    var description: String { "\(target.rawValue): \(message)" }
}

/// The parsers of untrusted files, each driven from raw bytes the way the audit drives it.
///
/// Every target parses the input and then checks properties the parser's documentation promises
/// (an ordering is antisymmetric, a value renders back to itself, a matcher only reports installed
/// packages), so the fuzzer finds wrong answers as well as crashes, hangs and memory blow-ups.
/// The same code replays the seed corpora and regression inputs in the test suite.
enum FuzzTarget: String, CaseIterable, Sendable {
    case dpkgStatus = "dpkg-status"
    case advisoryFeed = "advisory-feed"
    case libvirtConfig = "libvirt-config"
    case waivers
    case configuration
    case kernelCommandLine = "kernel-cmdline"
    case debianVersion = "debian-version"
    case rpmVersion = "rpm-version"
    case osRelease = "os-release"
    case networkPolicy = "network-policy"
    case libvirtXML = "libvirt-xml"
    case capture
    case frame
    case luks
    case domstats
    case series
    case admission
    case eventlog
    case quote

    /// Runs one input through the target.
    /// - Throws: `FuzzFailure` when a promised property does not hold for this input.
    func run(_ bytes: [UInt8]) throws(FuzzFailure) {
        switch self {
        case .dpkgStatus: try FuzzTarget.dpkgStatus(bytes)
        case .advisoryFeed: try FuzzTarget.advisoryFeed(bytes)
        case .libvirtConfig: try FuzzTarget.libvirtConfig(bytes)
        case .waivers: try FuzzTarget.waivers(bytes)
        case .configuration: FuzzTarget.configuration(bytes)
        case .kernelCommandLine: try FuzzTarget.kernelCommandLine(bytes)
        case .debianVersion: try FuzzTarget.debianVersion(bytes)
        case .rpmVersion: try FuzzTarget.rpmVersion(bytes)
        case .osRelease: FuzzTarget.osRelease(bytes)
        case .networkPolicy: try FuzzTarget.networkPolicy(bytes)
        case .libvirtXML: try FuzzTarget.libvirtXML(bytes)
        case .capture: try FuzzTarget.capture(bytes)
        case .frame: try FuzzTarget.frame(bytes)
        case .luks: try FuzzTarget.luks(bytes)
        case .domstats: try FuzzTarget.domstats(bytes)
        case .series: try FuzzTarget.series(bytes)
        case .admission: try FuzzTarget.admission(bytes)
        case .eventlog: try FuzzTarget.eventlog(bytes)
        case .quote: try FuzzTarget.quote(bytes)
        }
    }

    func fail(_ message: String) -> FuzzFailure { FuzzFailure(target: self, message: message) }

    // MARK: dpkg status

    private static func dpkgStatus(_ bytes: [UInt8]) throws(FuzzFailure) {
        let status = DpkgStatus(parsing: bytes)
        let f = FuzzTarget.dpkgStatus
        if status.packages.count + status.malformedCount > status.stanzaCount {
            throw f.fail("\(status.packages.count) packages + \(status.malformedCount) malformed > \(status.stanzaCount) stanzas")
        }
        if status.problems.count > DpkgStatus.maxProblems || status.problems.count > status.malformedCount {
            throw f.fail("\(status.problems.count) problems listed for \(status.malformedCount) malformed stanzas")
        }
        var lastLine = 0
        for package in status.packages {
            if package.line <= lastLine { throw f.fail("package lines not increasing at \(package.name)") }
            lastLine = package.line
            // The text a version keeps parses back to the same version.
            guard let again = try? DebianVersion(package.version.text, allowingWarnings: true), again == package.version else {
                throw f.fail("version '\(package.version.text)' of \(package.name) does not parse back to itself")
            }
        }
        let sources = InstalledSource.from(status)
        let total = sources.reduce(0) { $0 + $1.binaries.count }
        if total > status.packages.count { throw f.fail("\(total) binaries from \(status.packages.count) packages") }
        _ = status.packagesBySource
    }

    // MARK: Advisory feeds

    /// Hosts the feeds are filtered for: the tracker only keeps the host's codename and OSV only
    /// the host's ecosystem, so one input is read as each of them.
    static let releases: [OSRelease?] = [
        OSRelease(parsing: "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"),
        OSRelease(parsing: "ID=ubuntu\nVERSION_ID=\"24.04\"\nVERSION_CODENAME=noble\n"),
        OSRelease(parsing: "ID=almalinux\nVERSION_ID=\"9.4\"\n"),
        nil,
    ]

    /// Bounds the matching work per input, so a large input is not a slow unit.
    static let maxAdvisoriesMatched = 64
    static let maxVersionsTried = 8

    private static func advisoryFeed(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.advisoryFeed
        for release in releases {
            let filter = AdvisoryFeeds.Filter(release: release) { _ in true }
            guard let parsed = try? AdvisoryFeeds.parse(bytes, file: "/feeds/fuzz.json", filter: filter) else { continue }
            let advisories = Array(parsed.advisories.prefix(maxAdvisoriesMatched))
            // Installed versions to try: the feed's own versions (so comparisons meet each other)
            // and a few fixed ones.
            var versions = ["0", "1.0-1", "1:2.3~rc1+dfsg-4", "2.6.32-754.el6"]
            for advisory in advisories {
                switch advisory.rule {
                case .debianTracker(_, let fixed, _): if let fixed { versions.append(fixed) }
                case .osv(let ranges, let listed):
                    versions += listed
                    for events in ranges {
                        for event in events {
                            switch event { case .introduced(let v), .fixed(let v), .lastAffected(let v): versions.append(v) }
                        }
                    }
                }
            }
            versions = Array(versions.prefix(maxVersionsTried))
            for advisory in advisories {
                for version in versions {
                    try checkVerdict(advisory, version: version)
                }
            }
            let packages = Set(advisories.map(\.package))
            let installed = packages.sorted().map { name in
                InstalledSource(name: name, binaries: versions.enumerated().map {
                    InstalledSource.Binary(name: "\(name)-bin\($0.offset)", version: $0.element)
                })
            }
            for match in AdvisoryMatcher.match(advisories, installed: installed) {
                guard let source = installed.first(where: { $0.name == match.source }) else {
                    throw f.fail("a match for '\(match.source)', which is not installed")
                }
                for binary in match.affectedBinaries where !source.binaries.contains(binary) {
                    throw f.fail("binary \(binary.name) reported affected but not installed")
                }
                if match.isAffected == match.affectedBinaries.isEmpty {
                    throw f.fail("\(match.key): isAffected \(match.isAffected) with \(match.affectedBinaries.count) binaries")
                }
                if !match.isAffected && match.undeterminedReason == nil {
                    throw f.fail("\(match.key): neither affected nor undetermined")
                }
            }
        }
    }

    /// A vulnerable verdict's fix is newer than the installed version.
    private static func checkVerdict(_ advisory: Advisory, version: String) throws(FuzzFailure) {
        guard case .vulnerable(let fixedIn?) = advisory.verdict(for: version) else { return }
        guard let order = advisory.ordering.compare(fixedIn, version), order > 0 else {
            throw FuzzTarget.advisoryFeed.fail("\(advisory.id): '\(version)' is vulnerable with fix '\(fixedIn)', which is not newer")
        }
    }

    // MARK: libvirt configuration

    private static func libvirtConfig(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.libvirtConfig
        let config = LibvirtConfig(parsing: bytes, file: "/etc/libvirt/qemu.conf")
        if config.diagnostics.count > LibvirtConfig.maxDiagnostics + 1 {
            throw f.fail("\(config.diagnostics.count) diagnostics kept")
        }
        let lines = bytes.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        for entry in config.entries where entry.line < 1 || entry.line > lines {
            throw f.fail("\(entry.key) on line \(entry.line) of \(lines)")
        }
        // Each lookup scans the entries: a bounded number keeps the target linear.
        for entry in config.entries.prefix(64) {
            _ = config.bool(entry.key)
            _ = config.integer(entry.key)
            _ = config.string(entry.key)
            _ = config.stringList(entry.key, acceptingString: true)
        }
        // A value renders back in libvirt's syntax: rendered statements parse to the same values.
        // Strings holding a double quote or a line end cannot be rendered that way (libvirt strings
        // have no escapes), and only values that can are checked.
        let renderable = config.entries.filter { isRenderable($0.value) }
        let rendered = renderable.map { "\($0.key) = \($0.value)\n" }.joined()
        let again = LibvirtConfig(parsing: rendered, file: "rendered")
        let expected = renderable.map { "\($0.key)=\($0.value)" }
        let actual = again.entries.map { "\($0.key)=\($0.value)" }
        if expected != actual || again.entries.map(\.value) != renderable.map(\.value) {
            throw f.fail("rendered values parse differently:\n\(rendered)")
        }
    }

    private static func isRenderable(_ value: LibvirtConfig.Value) -> Bool {
        switch value {
        case .integer: true
        case .string(let s): !s.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D || $0 == 0 })
        case .list(let items): items.allSatisfy(isRenderable)
        }
    }

    // MARK: Waivers and configuration

    private static func waivers(_ bytes: [UInt8]) throws(FuzzFailure) {
        guard let set = try? WaiverSet.parse(String(decoding: bytes, as: UTF8.self), file: "/etc/hyperward/waivers.yaml") else {
            return
        }
        // Each waiver matches a finding made after it; the first matching waiver is applied.
        let findings = set.waivers.prefix(64).map { waiver in
            Finding(
                id: waiver.id.hasSuffix("*") ? String(waiver.id.dropLast()) + "x" : waiver.id, subject: waiver.subject,
                title: "t", threat: .vmEscape, severity: .high, status: .fail, detail: "d")
        }
        let applied = set.apply(to: Array(findings), today: "2026-01-01")
        for (finding, result) in zip(findings, applied) {
            guard let note = result.waiver else {
                throw FuzzTarget.waivers.fail("no waiver applied to \(finding.key)")
            }
            guard let first = set.waivers.first(where: { $0.matches(finding) }), first.reason == note.reason else {
                throw FuzzTarget.waivers.fail("\(finding.key) waived by a waiver that is not the first match")
            }
        }
    }

    private static func configuration(_ bytes: [UInt8]) {
        _ = try? HyperwardConfiguration.parse(String(decoding: bytes, as: UTF8.self), file: "/etc/hyperward/config.yaml")
    }

    // MARK: Kernel command line and os-release

    private static func kernelCommandLine(_ bytes: [UInt8]) throws(FuzzFailure) {
        let commandLine = KernelCommandLine(String(decoding: bytes, as: UTF8.self))
        for parameter in commandLine.parameters.prefix(64) {
            if !commandLine.contains(parameter.name) {
                throw FuzzTarget.kernelCommandLine.fail("parameter '\(parameter.name)' parsed but not found")
            }
            let last = commandLine.parameters.last(where: { $0.name == parameter.name })
            if commandLine.value(of: parameter.name) != last?.value {
                throw FuzzTarget.kernelCommandLine.fail("value of '\(parameter.name)' is not the last one given")
            }
        }
    }

    private static func osRelease(_ bytes: [UInt8]) {
        let release = OSRelease(parsing: String(decoding: bytes, as: UTF8.self))
        let filter = AdvisoryFeeds.Filter(release: release) { _ in true }
        _ = try? AdvisoryFeeds.parse(Array(#"{"id":"X","affected":[{"package":{"name":"p","ecosystem":"Debian:12"},"versions":["1"]}]}"#.utf8),
                                     file: "f", filter: filter)
    }

    // MARK: Versions

    /// Up to three versions, one per line (a NUL also ends one).
    static func versionFields(_ bytes: [UInt8]) -> [String] {
        bytes.split(omittingEmptySubsequences: false, whereSeparator: { $0 == 0x0A || $0 == 0 })
            .prefix(3).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func debianVersion(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.debianVersion
        var parsed: [DebianVersion] = []
        for text in versionFields(bytes) {
            let strict = try? DebianVersion(text)
            guard let lenient = try? DebianVersion(text, allowingWarnings: true) else {
                if strict != nil { throw f.fail("'\(text)' valid strictly but not leniently") }
                continue
            }
            if let strict, strict != lenient || strict.text != lenient.text {
                throw f.fail("'\(text)' parses differently strictly and leniently")
            }
            guard let again = try? DebianVersion(lenient.text, allowingWarnings: true), again == lenient, again.text == lenient.text else {
                throw f.fail("'\(lenient.text)' does not parse back to itself")
            }
            parsed.append(lenient)
        }
        try checkOrdering(parsed, f, compare: { DebianVersion.compare($0, $1).signum() })
    }

    private static func rpmVersion(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.rpmVersion
        let fields = versionFields(bytes)
        var parsed: [RPMVersion] = []
        for text in fields {
            guard let version = try? RPMVersion(text) else { continue }
            guard let again = try? RPMVersion(version.text), again == version else {
                throw f.fail("'\(version.text)' does not parse back to itself")
            }
            parsed.append(version)
        }
        try checkOrdering(parsed, f, compare: RPMVersion.compare)
        // The bare string comparison is an ordering too.
        for a in fields {
            for b in fields where rpmvercmp(a, b) != -rpmvercmp(b, a) {
                throw f.fail("rpmvercmp('\(a)', '\(b)') is not antisymmetric")
            }
        }
    }

    /// The properties of a total preorder, with `==` and hashing that follow it.
    private static func checkOrdering<V: Hashable>(
        _ values: [V], _ f: FuzzTarget, compare: (V, V) -> Int
    ) throws(FuzzFailure) {
        for a in values {
            if compare(a, a) != 0 { throw f.fail("\(a) is not equal to itself") }
            for b in values {
                let ab = compare(a, b)
                if ab != -compare(b, a) { throw f.fail("compare(\(a), \(b)) is not antisymmetric") }
                if (ab == 0) != (a == b) { throw f.fail("== disagrees with compare for \(a), \(b)") }
                if ab == 0 && a.hashValue != b.hashValue { throw f.fail("\(a) == \(b) but their hashes differ") }
                for c in values where ab <= 0 && compare(b, c) <= 0 && compare(a, c) > 0 {
                    throw f.fail("not transitive: \(a) <= \(b) <= \(c) but \(a) > \(c)")
                }
            }
        }
    }
}
