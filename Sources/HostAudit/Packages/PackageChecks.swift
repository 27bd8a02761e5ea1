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

/// Vulnerable virtualization packages: dpkg status matched against offline advisory feeds, and
/// the running kernel against the newest installed one.
public enum PackageChecks {
    /// The checks of this area.
    public static var all: [any Check] { [PackageAdvisoryCheck(), RunningKernelCheck()] }
}

/// `packages.inventory`, `packages.feeds` and `packages.advisory.*`: one pass over the dpkg
/// database and the feeds, so a 70 MB feed is parsed once.
public struct PackageAdvisoryCheck: Check {
    /// Where feed files are read from: the auditing machine's own files, not the audited root
    /// (`--feed` names files of the operator's, and `--root` may be a mounted image).
    public var feedFileSystem: any HostFileSystem

    /// Creates the check; feeds are read through `feedFileSystem` (the real `/` by default).
    public init(feedFileSystem: any HostFileSystem = RootedFileSystem()) {
        self.feedFileSystem = feedFileSystem
    }

    /// `packages.inventory`: the installed virtualization packages.
    public static let inventory = CheckDescriptor(
        id: "packages.inventory", title: "Virtualization packages installed", threat: .hypervisorVulnerability,
        severity: .info, reads: [DpkgStatus.path],
        failsWhen: "Never fails: lists the installed virtualization packages and their versions; not applicable without a dpkg database.",
        rationale: "Knowing which hypervisor, firmware and kernel builds are installed is the base of patch management.",
        remediation: "None.")

    /// `packages.feeds`: which advisory feeds were loaded, or why not.
    public static let feeds = CheckDescriptor(
        id: "packages.feeds", title: "Advisory feeds loaded", threat: .hypervisorVulnerability, severity: .medium,
        reads: ["--feed files", "/etc/os-release"],
        failsWhen: "Warns when no --feed is given (CVE matching is skipped) or the release cannot be matched; errors when a feed is unreadable or malformed.",
        rationale: "Without current advisory data, known-vulnerable QEMU, libvirt or kernel builds go unnoticed.",
        remediation: "Download the Debian security tracker JSON or OSV data (docs/packages-feeds.md) and pass it with --feed.",
        references: ["https://security-tracker.debian.org/tracker/data/json", "https://ossf.github.io/osv-schema/"])

    /// `packages.advisory.*`: one finding per issue and affected source package.
    public static let advisory = CheckDescriptor(
        id: "packages.advisory.*", title: "Known vulnerability", threat: .hypervisorVulnerability, severity: .high,
        reads: [DpkgStatus.path, "/etc/os-release", "--feed files"],
        failsWhen: "An installed source package of the virtualization stack (every installed package when all packages are matched) is older than the version an advisory says fixes it, or is affected with no fix yet.",
        rationale: "Known QEMU, libvirt, firmware and KVM bugs are the most direct route from a guest to the host.",
        remediation: "Upgrade the affected packages (apt-get install --only-upgrade …) to at least the fixed version, then restart the VMs or reboot.",
        references: ["https://www.debian.org/security/"])

    /// The three ids this check reports.
    public var descriptors: [CheckDescriptor] { [Self.inventory, Self.feeds, Self.advisory] }

    /// Reads the dpkg database and the feeds once, and reports all three ids.
    public func run(in context: AuditContext) -> [Finding] {
        var findings: [Finding] = []
        let status: DpkgStatus?
        do {
            status = try DpkgStatus.read(from: context.fs)
        } catch where error.code == .notFound {
            status = nil
        } catch {
            return [Self.inventory.error(error, path: DpkgStatus.path), Self.feeds.error(error, path: DpkgStatus.path)]
        }
        let release = OSRelease.read(from: context.fs)
        findings.append(inventoryFinding(status, context: context))

        let installed = status.map(InstalledSource.from) ?? []
        let names = Set(installed.map(\.name))
        let matchAll = context.matchAllPackages
        let hasDpkg = status != nil
        let filter = AdvisoryFeeds.Filter(release: release) { name in
            (matchAll || VirtualizationPackages.contains(name)) && (!hasDpkg || names.contains(name))
        }
        guard !context.feedPaths.isEmpty else {
            findings.append(Self.feeds.finding(
                .warn, "CVE matching skipped; pass --feed with the Debian security tracker JSON or OSV data.",
                evidence: [Evidence(path: "--feed", value: "none given")]))
            return findings
        }
        let feeds = AdvisoryFeeds.load(paths: context.feedPaths, fs: feedFileSystem, filter: filter)
        findings += feedFindings(feeds, release: release)
        guard let status else { return findings }

        let matches = AdvisoryMatcher.match(feeds.advisories, installed: installed)
        for match in matches { findings.append(advisoryFinding(match, status: status)) }
        let total = feeds.advisories.count
        if matches.isEmpty && feeds.files.contains(where: { $0.error == nil }) {
            findings.append(Self.advisory.finding(
                .pass, "No installed \(matchAll ? "" : "virtualization ")package is affected by the \(total) advisories that apply to it.",
                evidence: [Evidence(path: DpkgStatus.path, value: "\(installed.count) source packages installed")],
                item: "none"))
        }
        return findings
    }

    private func inventoryFinding(_ status: DpkgStatus?, context: AuditContext) -> Finding {
        guard let status else {
            let rpm = context.fs.isDirectory("/var/lib/rpm")
            return Self.inventory.finding(
                .notApplicable,
                rpm ? "No dpkg database: this looks like an RPM-based host (/var/lib/rpm), whose packages are not inventoried yet."
                    : "No dpkg database at \(DpkgStatus.path).",
                evidence: [Evidence(path: DpkgStatus.path, value: "absent")])
        }
        let virt = status.packages.filter { VirtualizationPackages.contains(VirtualizationPackages.matchingSource(of: $0).name) }
        var evidence = [Evidence(
            path: DpkgStatus.path,
            value: "\(status.packages.count) installed packages in \(status.stanzaCount) stanzas, \(virt.count) from the virtualization stack")]
        if status.malformedCount > 0 {
            let first = status.problems.prefix(3).map { "line \($0.line): \($0.reason)" }.joined(separator: "; ")
            evidence.append(Evidence(path: DpkgStatus.path, value: "\(status.malformedCount) malformed stanzas skipped: \(first)"))
        }
        let key = ["qemu", "libvirt", "linux", "xen", "edk2", "seabios", "ipxe", "swtpm"]
        for source in key {
            let binaries = virt.filter { VirtualizationPackages.matchingSource(of: $0).name == source }
            guard !binaries.isEmpty else { continue }
            let versions = Set(binaries.map(\.sourceVersion.text)).sorted()
            evidence.append(Evidence(path: DpkgStatus.path, value: "\(source) \(versions.joined(separator: ", ")) (\(binaries.count) binary packages)"))
        }
        let names = virt.prefix(40).map { "\($0.name) \($0.version)" }.joined(separator: ", ")
        return Self.inventory.finding(
            .info,
            virt.isEmpty ? "No virtualization package is installed." : "\(virt.count) virtualization packages installed: \(names)\(virt.count > 40 ? ", …" : "").",
            evidence: evidence)
    }

    private func feedFindings(_ feeds: AdvisoryFeeds, release: OSRelease?) -> [Finding] {
        var findings: [Finding] = []
        for (path, error) in feeds.pathErrors {
            findings.append(Self.feeds.finding(
                .error, "Feed \(path) could not be read: \(error.description)",
                evidence: [Evidence(path: path, value: error.code.name)], subject: path,
                remediation: "Pass an existing, readable feed file or directory with --feed."))
        }
        var loaded: [FeedFileSummary] = []
        for file in feeds.files {
            if let error = file.error {
                findings.append(Self.feeds.finding(
                    .error, "Feed \(file.path) is unusable: \(error.description)",
                    evidence: [Evidence(path: file.path, value: error.code.name)], subject: file.path,
                    remediation: "Download the feed again (docs/packages-feeds.md); a truncated or hand-edited file cannot be trusted."))
            } else {
                loaded.append(file)
            }
        }
        if loaded.contains(where: { $0.format == .debianTracker }) && release?.codename == nil {
            findings.append(Self.feeds.finding(
                .warn, "The Debian security tracker feed was not matched: /etc/os-release has no VERSION_CODENAME.",
                evidence: [Evidence(path: release?.path ?? OSRelease.paths[0], value: "VERSION_CODENAME absent")],
                remediation: "Audit a Debian host (VERSION_CODENAME set in /etc/os-release), or use OSV data for this distribution."))
        }
        if !loaded.isEmpty {
            let trackers = loaded.filter { $0.format == .debianTracker }
            let osv = loaded.filter { $0.format == .osv }
            var parts: [String] = []
            if !trackers.isEmpty {
                parts.append("\(trackers.count) Debian tracker export(s) (\(trackers.map(\.records).reduce(0, +)) source packages)")
            }
            if !osv.isEmpty { parts.append("\(osv.map(\.records).reduce(0, +)) OSV records in \(osv.count) file(s)") }
            let kept = loaded.map(\.advisories).reduce(0, +)
            let evidence = loaded.prefix(10).map {
                Evidence(path: $0.path, value: "\($0.format?.rawValue ?? "?"): \($0.records) records, \($0.advisories) advisories kept")
            }
            findings.append(Self.feeds.finding(
                .pass,
                "Loaded \(parts.joined(separator: " and ")); \(kept) advisories apply to installed packages on \(release?.codename ?? release?.versionID ?? "this release").",
                evidence: evidence + (loaded.count > 10 ? [Evidence(path: "--feed", value: "… and \(loaded.count - 10) more files")] : [])))
        }
        return findings
    }

    /// The severity of a match: the highest the feeds give, else high for a remotely reachable
    /// (or unknown-scope) virtualization package and medium for anything else.
    static func severity(of match: AdvisoryMatch) -> (Severity, String) {
        if let given = match.advisories.compactMap({ a in a.severity.map { ($0, a.severitySource ?? "feed") } }).max(by: { $0.0 < $1.0 }) {
            return given
        }
        let remote = match.advisories.compactMap(\.isRemote)
        if VirtualizationPackages.contains(match.source) {
            if remote.contains(true) || remote.isEmpty { return (.high, "default for a virtualization package") }
            return (.medium, "default for a locally exploitable issue")
        }
        return (.medium, "default")
    }

    private func advisoryFinding(_ match: AdvisoryMatch, status: DpkgStatus) -> Finding {
        let (severity, severitySource) = Self.severity(of: match)
        let binaries = match.affectedBinaries.isEmpty ? [] : match.affectedBinaries
        let byVersion = Dictionary(grouping: binaries, by: \.version)
        let installedText = byVersion.keys.sorted().map { v in
            "\((byVersion[v] ?? []).map(\.name).sorted().joined(separator: ", ")) installed at version \(v)"
        }.joined(separator: "; ")
        var evidence = [Evidence(path: DpkgStatus.path, value: installedText.isEmpty ? "\(match.source) installed" : installedText)]
        for advisory in match.advisories {
            let fix: String
            switch advisory.rule {
            case .debianTracker(let s, let fixed, let urgency):
                fix = (fixed.map { "fixed in \($0)" } ?? "no fix yet") + " (\(advisory.ecosystem): \(s)\(urgency.map { ", urgency \($0)" } ?? ""))"
            case .osv:
                fix = (match.fixedIn.map { "fixed in \($0)" } ?? "no fix yet") + " (\(advisory.ecosystem))"
            }
            evidence.append(Evidence(path: advisory.feedFile, value: "\(advisory.id) for \(advisory.package): \(fix)"))
        }
        let summary = match.advisories.map(\.summary).first { !$0.isEmpty }
        let names = Set(binaries.map(\.name)).sorted()
        let unimportant = match.advisories.allSatisfy {
            if case .debianTracker(_, _, let u) = $0.rule { return u?.hasPrefix("unimportant") ?? false }
            return false
        }
        let status: Status
        let detail: String
        var remediation: String
        if !match.isAffected {
            status = .warn
            detail = "\(match.key) may affect \(match.source): \(match.undeterminedReason ?? "undetermined")."
            remediation = "Check the advisory \(match.key) for \(match.source) and whether this release is affected."
        } else if let fixed = match.fixedIn {
            status = .fail
            detail = "\(match.source) is affected by \(match.key), fixed in \(fixed)\(summary.map { ": \($0)" } ?? ".")"
            remediation = "apt-get update && apt-get install --only-upgrade \(names.joined(separator: " ")) (to \(fixed) or later)"
            if match.source == "linux" {
                remediation += ", reboot into the new kernel, and remove older linux-image packages (apt-get autoremove --purge)"
            } else {
                remediation += ", then restart the VMs and services using it"
            }
            remediation += "."
        } else {
            // The tracker's "unimportant" marks issues Debian does not consider a security problem.
            status = unimportant ? .info : .fail
            detail = "\(match.source) is affected by \(match.key) and no fixed version exists yet\(summary.map { ": \($0)" } ?? ".")"
            remediation = "No fix yet: follow \(match.key), apply the mitigations it lists, and limit guest access to the affected feature."
        }
        return Self.advisory.finding(
            status, detail + " Severity: \(severitySource).", evidence: evidence, item: match.key, subject: match.source,
            severity: severity, remediation: remediation)
    }
}
