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
import HostAudit
import HyperwardCore
import Testing

/// Fixture hosts and feeds shared by the package check tests.
enum PackageFixtures {
    static let osRelease = """
        PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
        ID=debian
        VERSION_ID="12"
        VERSION_CODENAME=bookworm
        """

    static func stanza(_ name: String, _ version: String, source: String? = nil, status: String = "install ok installed") -> String {
        "Package: \(name)\nStatus: \(status)\nArchitecture: amd64\n" + (source.map { "Source: \($0)\n" } ?? "") + "Version: \(version)\n\n"
    }

    static let status = [
        stanza("qemu-system-x86", "1:7.2+dfsg-7+deb12u5", source: "qemu"),
        stanza("qemu-utils", "1:7.2+dfsg-7+deb12u5+b1", source: "qemu (1:7.2+dfsg-7+deb12u5)"),
        stanza("libvirt-daemon", "9.0.0-4", source: "libvirt"),
        stanza("xen-hypervisor-4.17-amd64", "4.17.3+10-deb12u1", source: "xen"),
        stanza("ovmf", "2022.11-6", source: "edk2"),
        stanza("curl", "7.88.1-10+deb12u4"),
        stanza("linux-image-6.1.0-28-amd64", "6.1.119-1", source: "linux-signed-amd64 (6.1.119+1)"),
    ].joined()

    static let tracker = """
        {
          "qemu": {
            "CVE-2024-0001": {"description": "NBD server use-after-free\\nmore text", "scope": "remote",
              "releases": {"bookworm": {"status": "resolved", "fixed_version": "1:7.2+dfsg-7+deb12u7",
                "urgency": "not yet assigned", "repositories": {"bookworm": "1:7.2+dfsg-7+deb12u7"}},
                "trixie": {"status": "resolved", "fixed_version": "1:9.0.0-1", "urgency": "not yet assigned"}}},
            "CVE-2024-0002": {"description": "old bug", "scope": "local",
              "releases": {"bookworm": {"status": "resolved", "fixed_version": "1:7.2+dfsg-7+deb12u3", "urgency": "medium"}}},
            "CVE-2024-0003": {"description": "never in bookworm",
              "releases": {"bookworm": {"status": "resolved", "fixed_version": "0", "urgency": "unimportant"}}},
            "CVE-2024-0004": {"description": "open local bug", "scope": "local",
              "releases": {"bookworm": {"status": "open", "urgency": "low"}}},
            "CVE-2024-0005": {"description": "trixie only",
              "releases": {"trixie": {"status": "open", "urgency": "high"}}},
            "CVE-2024-0006": {"description": "minor", "scope": "local",
              "releases": {"bookworm": {"status": "open", "urgency": "unimportant"}}}
          },
          "libvirt": {
            "CVE-2024-0010": {"description": "maybe", "releases": {"bookworm": {"status": "undetermined", "urgency": "not yet assigned"}}}
          },
          "curl": {
            "CVE-2024-0020": {"description": "curl bug", "scope": "remote",
              "releases": {"bookworm": {"status": "resolved", "fixed_version": "7.88.1-10+deb12u5", "urgency": "medium"}}}
          },
          "linux": {
            "CVE-2024-0030": {"description": "KVM bug", "scope": "local",
              "releases": {"bookworm": {"status": "resolved", "fixed_version": "6.1.123-1", "urgency": "high*"}}}
          },
          "not-installed": {
            "CVE-2024-0040": {"releases": {"bookworm": {"status": "open"}}}
          }
        }
        """

    static func osv(_ id: String, ecosystem: String = "Debian:12", package: String, ranges: String = "[]",
                    versions: String = "[]", extra: String = "") -> String {
        """
        {"schema_version": "1.6.0", "id": "\(id)", "modified": "2024-08-01T00:00:00Z", \(extra)
         "affected": [{"package": {"ecosystem": "\(ecosystem)", "name": "\(package)"}, "ranges": \(ranges), "versions": \(versions)}]}
        """
    }

    /// A host with the dpkg database above and a directory of feeds; returns the feed paths.
    static func host(tracker: Bool = true, osvFiles: [String: String] = defaultOSV) -> (FixtureHost, [String]) {
        let host = FixtureHost()
            .write("/etc/os-release", osRelease)
            .write(DpkgStatus.path, status)
        var feeds: [String] = []
        if tracker {
            host.write("/feeds/tracker.json", PackageFixtures.tracker)
            feeds.append(host.physical("/feeds/tracker.json"))
        }
        if !osvFiles.isEmpty {
            for (name, text) in osvFiles { host.write("/feeds/osv/\(name)", text) }
            feeds.append(host.physical("/feeds/osv"))
        }
        return (host, feeds)
    }

    static let defaultOSV: [String: String] = [
        "DEBIAN-CVE-2024-0001.json": osv(
            "DEBIAN-CVE-2024-0001", package: "qemu",
            ranges: #"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:7.2+dfsg-7+deb12u7"}]}]"#,
            extra: #""aliases": ["CVE-2024-0001"], "summary": "NBD server use-after-free","#),
        "xen.json": osv(
            "OSV-XEN-1", package: "xen",
            ranges: #"[{"type": "ECOSYSTEM", "events": [{"introduced": "4.17.1"}, {"last_affected": "4.17.3+10-deb12u1"}]}]"#,
            extra: #""severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],"#),
        "edk2-range.json": osv(
            "OSV-EDK2-1", package: "edk2",
            ranges: #"[{"type": "ECOSYSTEM", "events": [{"introduced": "2022.11-7"}, {"fixed": "2022.11-9"}]}]"#),
        "sub/edk2-versions.json": osv("OSV-EDK2-2", package: "edk2", versions: #"["2022.11-5", "2022.11-6"]"#,
                                      extra: #""database_specific": {"severity": "MODERATE"},"#),
        "bullseye.json": osv("OSV-OLD-1", ecosystem: "Debian:11", package: "qemu",
                             ranges: #"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]"#),
        "pypi.json": osv("PYSEC-1", ecosystem: "PyPI", package: "qemu",
                         ranges: #"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]"#),
        "rocky.json": osv("RLSA-1", ecosystem: "Rocky Linux:9", package: "qemu-kvm",
                          ranges: #"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]"#),
        "withdrawn.json": osv("OSV-GONE-1", package: "qemu",
                              ranges: #"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]"#,
                              extra: #""withdrawn": "2024-09-01T00:00:00Z","#),
        "README.txt": "not a feed",
    ]
}

@Suite("PackageAdvisoryCheck")
struct PackageAdvisoryCheckTests {
    let check = PackageAdvisoryCheck()

    @Test func reportsOneFindingPerIssueAndSourcePackage() throws {
        let (host, feeds) = PackageFixtures.host()
        let findings = check.run(in: AuditContext(fs: host.fs, feedPaths: feeds))
        let advisories = findings.filter { $0.id.hasPrefix("packages.advisory.") }
        let keys = Set(advisories.map { "\($0.id)[\($0.subject ?? "")]" })
        #expect(keys == [
            "packages.advisory.CVE-2024-0001[qemu]", "packages.advisory.CVE-2024-0004[qemu]",
            "packages.advisory.CVE-2024-0006[qemu]", "packages.advisory.CVE-2024-0010[libvirt]",
            "packages.advisory.OSV-XEN-1[xen]", "packages.advisory.OSV-EDK2-2[edk2]",
            "packages.advisory.CVE-2024-0030[linux]",
        ], "got \(keys.sorted())")

        // Vulnerable, fixed upstream: fail, two feeds merged, default severity high (remote).
        let nbd = try #require(advisories.first("packages.advisory.CVE-2024-0001", subject: "qemu"))
        #expect(nbd.status == .fail)
        #expect(nbd.severity == .high)
        #expect(nbd.evidence.count == 3)
        #expect(nbd.evidence[0].value == "qemu-system-x86, qemu-utils installed at version 1:7.2+dfsg-7+deb12u5"
            || nbd.evidence[0].value.contains("qemu-system-x86"))
        #expect(nbd.evidence.contains { $0.path.hasSuffix("tracker.json") && $0.value.contains("fixed in 1:7.2+dfsg-7+deb12u7") })
        #expect(nbd.evidence.contains { $0.path.hasSuffix("DEBIAN-CVE-2024-0001.json") })
        #expect(nbd.remediation.contains("apt-get install --only-upgrade qemu-system-x86 qemu-utils"))
        #expect(nbd.detail.contains("NBD server use-after-free"))

        // Open, no fix: fail at the tracker's urgency; "unimportant" is only info.
        let open = try #require(advisories.first("packages.advisory.CVE-2024-0004"))
        #expect(open.status == .fail)
        #expect(open.severity == .low)
        #expect(open.evidence.contains { $0.value.contains("no fix yet") })
        #expect(advisories.first("packages.advisory.CVE-2024-0006")?.status == .info)
        // Undetermined: warn.
        #expect(advisories.first("packages.advisory.CVE-2024-0010")?.status == .warn)
        // OSV last_affected range with CVSS 10.0: critical, no fix.
        let xen = try #require(advisories.first("packages.advisory.OSV-XEN-1"))
        #expect(xen.status == .fail)
        #expect(xen.severity == .critical)
        // OSV exact versions list with a qualitative severity.
        #expect(advisories.first("packages.advisory.OSV-EDK2-2")?.severity == .medium)
        // linux-signed images match the linux source at their binary version; "high*" is high.
        let kvm = try #require(advisories.first("packages.advisory.CVE-2024-0030"))
        #expect(kvm.severity == .high)
        #expect(kvm.remediation.contains("reboot"))
        // Unrelated packages are not matched by default.
        #expect(!findings.contains { $0.subject == "curl" })

        let feedsFinding = try #require(findings.first("packages.feeds"))
        #expect(feedsFinding.status == .pass)
        #expect(feedsFinding.detail.contains("1 Debian tracker export"))
        #expect(feedsFinding.detail.contains("8 OSV records in 8 file(s)"), "\(feedsFinding.detail)")
        #expect(findings.first("packages.inventory")?.status == .info)
    }

    @Test func matchesEveryPackageWhenAskedTo() throws {
        let (host, feeds) = PackageFixtures.host(osvFiles: [:])
        let findings = check.run(in: AuditContext(fs: host.fs, feedPaths: feeds, matchAllPackages: true))
        let curl = try #require(findings.first("packages.advisory.CVE-2024-0020", subject: "curl"))
        #expect(curl.status == .fail)
        #expect(curl.severity == .medium)
    }

    @Test func passesWhenNothingIsAffected() throws {
        let host = FixtureHost()
            .write("/etc/os-release", PackageFixtures.osRelease)
            .write(DpkgStatus.path, PackageFixtures.stanza("qemu-system-x86", "1:7.2+dfsg-7+deb12u9", source: "qemu"))
            .write("/feeds/tracker.json", PackageFixtures.tracker)
        let findings = check.run(in: AuditContext(fs: host.fs, feedPaths: [host.physical("/feeds/tracker.json")]))
        // Only the no-fix issues remain for an up-to-date qemu.
        #expect(findings.first("packages.advisory.CVE-2024-0001") == nil)
        #expect(findings.first("packages.advisory.CVE-2024-0004")?.status == .fail)
        let clean = FixtureHost()
            .write("/etc/os-release", PackageFixtures.osRelease)
            .write(DpkgStatus.path, PackageFixtures.stanza("ovmf", "2022.11-6", source: "edk2"))
            .write("/feeds/tracker.json", PackageFixtures.tracker)
        let none = check.run(in: AuditContext(fs: clean.fs, feedPaths: [clean.physical("/feeds/tracker.json")]))
        #expect(none.first("packages.advisory.none")?.status == .pass)
    }

    @Test func warnsWithoutFeeds() {
        let (host, _) = PackageFixtures.host()
        let findings = check.run(in: AuditContext(fs: host.fs))
        let feeds = findings.first("packages.feeds")
        #expect(feeds?.status == .warn)
        #expect(feeds?.detail.contains("CVE matching skipped; pass --feed") ?? false)
        #expect(!findings.contains { $0.id.hasPrefix("packages.advisory") })
    }

    @Test(arguments: [
        ("truncated", #"{"qemu": {"CVE-1": {"releases": "#),
        ("wrong shape", #"{"qemu": [1, 2]}"#),
        ("not json", "<html>rate limited</html>"),
        ("empty", ""),
        ("trailing data", #"{"qemu": {}} {"#),
        ("deep nesting", String(repeating: "[", count: 100_000)),
        ("bad string", "{\"qemu\u{01}\": {}}"),
        ("osv without id", #"{"affected": []}"#),
    ])
    func reportsAMalformedFeedByName(_ name: String, _ text: String) throws {
        let (host, feeds) = PackageFixtures.host(osvFiles: [:])
        host.write("/feeds/bad.json", text)
        let findings = check.run(in: AuditContext(fs: host.fs, feedPaths: feeds + [host.physical("/feeds/bad.json")]))
        let error = try #require(findings.first { $0.id == "packages.feeds" && $0.status == .error }, "\(name)")
        #expect(error.subject == host.physical("/feeds/bad.json"))
        #expect(error.detail.contains("bad.json"))
        // The good feed still loads and matches.
        #expect(findings.first("packages.advisory.CVE-2024-0001")?.status == .fail)
    }

    @Test func reportsBinaryGarbageAndMissingOrUnreadableFeeds() throws {
        var rng = SeededGenerator(seed: 99)
        let (host, feeds) = PackageFixtures.host(tracker: false, osvFiles: [:])
        host.write("/feeds/garbage.json", bytes: (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        host.fifo("/feeds/fifo.json")
        let paths = feeds + [host.physical("/feeds/garbage.json"), host.physical("/feeds/missing.json"),
                             host.physical("/feeds/fifo.json"), host.physical("/feeds/denied.json")]
        host.write("/feeds/denied.json", "{}")
        let failing = FailingFileSystem(
            base: RootedFileSystem(),
            failing: [host.physical("/feeds/denied.json"): HyperwardError(.unreadable, "permission denied")])
        let findings = PackageAdvisoryCheck(feedFileSystem: failing).run(in: AuditContext(fs: host.fs, feedPaths: paths))
        let errors = findings.filter { $0.id == "packages.feeds" && $0.status == .error }
        #expect(Set(errors.compactMap(\.subject)) == Set(paths), "\(errors.map(\.detail))")
    }

    @Test func isNotApplicableOnAHostWithoutDpkg() throws {
        let host = FixtureHost().write("/etc/os-release", "ID=almalinux\nVERSION_ID=\"9.4\"\n").mkdir("/var/lib/rpm")
        let findings = check.run(in: AuditContext(fs: host.fs))
        let inventory = try #require(findings.first("packages.inventory"))
        #expect(inventory.status == .notApplicable)
        #expect(inventory.detail.contains("RPM"))
    }

    @Test func reportsAnUnreadableStatusFile() {
        let (host, feeds) = PackageFixtures.host()
        let fs = FailingFileSystem(base: host.fs, failing: [DpkgStatus.path: HyperwardError(.unreadable, "permission denied")])
        let findings = check.run(in: AuditContext(fs: fs, feedPaths: feeds))
        #expect(findings.first("packages.inventory")?.status == .error)
    }

    @Test func warnsWhenTheReleaseHasNoCodename() {
        let (host, feeds) = PackageFixtures.host(osvFiles: [:])
        host.write("/etc/os-release", "ID=debian\n")
        let findings = check.run(in: AuditContext(fs: host.fs, feedPaths: feeds))
        #expect(findings.contains { $0.id == "packages.feeds" && $0.status == .warn && $0.detail.contains("VERSION_CODENAME") })
    }
}

@Suite("AdvisoryFeeds")
struct AdvisoryFeedsTests {
    static let alma = OSRelease(parsing: "ID=almalinux\nVERSION_ID=\"9.4\"\n")

    @Test func matchesRPMEcosystemsWithRPMOrdering() throws {
        let record = PackageFixtures.osv(
            "ALSA-2024:1", ecosystem: "AlmaLinux:9", package: "qemu-kvm",
            ranges: #"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "17:8.2.0-11.el9_4.6"}]}]"#)
        let parsed = try AdvisoryFeeds.parse(Array(record.utf8), file: "alsa.json",
                                             filter: .init(release: Self.alma) { _ in true })
        #expect(parsed.format == .osv)
        let advisory = try #require(parsed.advisories.first)
        #expect(advisory.ordering == .rpm)
        func verdict(_ v: String) -> AdvisoryVerdict { advisory.verdict(for: v) }
        #expect(verdict("17:8.2.0-11.el9_4.5") == .vulnerable(fixedIn: "17:8.2.0-11.el9_4.6"))
        #expect(verdict("17:8.2.0-11.el9_4.10") == .notAffected, "rpm orders .10 after .6")
        #expect(verdict("9.0.0-1.el9") == .vulnerable(fixedIn: "17:8.2.0-11.el9_4.6"), "no epoch is epoch 0")
        let matches = AdvisoryMatcher.match(parsed.advisories, installed: [
            InstalledSource(name: "qemu-kvm", binaries: [.init(name: "qemu-kvm-core", version: "17:8.2.0-11.el9_4.5")]),
        ])
        #expect(matches.map(\.key) == ["ALSA-2024:1"])
        #expect(matches.first?.fixedIn == "17:8.2.0-11.el9_4.6")
        // The same record does not apply to a Debian host or another AlmaLinux release.
        let debian = try AdvisoryFeeds.parse(Array(record.utf8), file: "alsa.json",
                                             filter: .init(release: OSRelease(parsing: PackageFixtures.osRelease)) { _ in true })
        #expect(debian.advisories.isEmpty)
        let alma8 = try AdvisoryFeeds.parse(Array(record.utf8), file: "alsa.json",
                                            filter: .init(release: OSRelease(parsing: "ID=almalinux\nVERSION_ID=8.10\n")) { _ in true })
        #expect(alma8.advisories.isEmpty)
    }

    @Test func evaluatesOSVRangesAsTheSpecifiesSays() {
        let events: [RangeEvent] = [.introduced("1.0"), .fixed("1.5"), .introduced("2.0"), .lastAffected("2.3")]
        let cases: [(String, Bool)] = [("0.9", false), ("1.0", true), ("1.4.9", true), ("1.5", false), ("1.9", false),
                                       ("2.0", true), ("2.3", true), ("2.3.1", false)]
        for (version, expected) in cases {
            let advisory = Advisory(id: "X", package: "p", ecosystem: "Debian", ordering: .dpkg,
                                    rule: .osv(ranges: [events], versions: []), feedFile: "f")
            let affected: Bool
            if case .vulnerable = advisory.verdict(for: version) { affected = true } else { affected = false }
            #expect(affected == expected, "\(version)")
        }
    }

    @Test func parsesAnArrayOfOSVRecordsAndKeepsOnlyWantedPackages() throws {
        let a = PackageFixtures.osv("A", package: "qemu", ranges: #"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]"#)
        let b = PackageFixtures.osv("B", package: "curl", ranges: #"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]"#)
        let parsed = try AdvisoryFeeds.parse(Array("[\(a), \(b)]".utf8), file: "all.json",
                                             filter: .init(release: OSRelease(parsing: PackageFixtures.osRelease)) { $0 == "qemu" })
        #expect(parsed.records == 2)
        #expect(parsed.advisories.map(\.id) == ["A"])
    }

    @Test func computesCVSSv3BaseScores() {
        #expect(CVSS.baseScore(v3: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8)
        #expect(CVSS.baseScore(v3: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H") == 8.8)
        #expect(CVSS.baseScore(v3: "CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N") == 3.1)
        #expect(CVSS.baseScore(v3: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N") == 0)
        #expect(CVSS.baseScore(v3: "CVSS:3.1/AV:X") == nil)
        #expect(CVSS.baseScore(v3: "AV:N/AC:L/Au:N/C:P/I:P/A:P") == nil)
    }

    /// A tracker-sized export: the packages not installed are skipped without being built.
    @Test func readsALargeTrackerExport() throws {
        var text = "{"
        for i in 0..<20_000 {
            text += "\"pkg\(i)\": {"
            for j in 0..<8 {
                text += "\"CVE-2024-\(i)\(j)\": {\"description\": \"Some description of the issue \\u00e9\", \"scope\": \"remote\", \"releases\": {\"bookworm\": {\"status\": \"resolved\", \"fixed_version\": \"1.\(j)-1\", \"urgency\": \"low\", \"repositories\": {\"bookworm\": \"1.\(j)-1\"}}, \"trixie\": {\"status\": \"open\", \"urgency\": \"low\"}}}"
                text += j < 7 ? "," : ""
            }
            text += i < 19_999 ? "}," : "}"
        }
        text += "}"
        let bytes = Array(text.utf8)
        let start = Date()
        let parsed = try AdvisoryFeeds.parse(bytes, file: "big.json",
                                             filter: .init(release: OSRelease(parsing: PackageFixtures.osRelease)) { $0 == "pkg77" })
        print("tracker export of \(bytes.count >> 20) MiB parsed in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
        #expect(parsed.format == .debianTracker)
        #expect(parsed.records == 20_000)
        #expect(parsed.advisories.count == 8)
    }
}

@Suite("RunningKernelCheck")
struct RunningKernelCheckTests {
    let check = RunningKernelCheck()

    func host(running: String, images: [(String, String)]) -> FixtureHost {
        let status = images.map { PackageFixtures.stanza("linux-image-\($0.0)", $0.1, source: "linux-signed-amd64") }.joined()
            + PackageFixtures.stanza("linux-image-amd64", "6.1.128-1", source: "linux-signed-amd64")
        return FixtureHost().write("/proc/sys/kernel/osrelease", running + "\n").write(DpkgStatus.path, status)
    }

    @Test func failsWhenANewerKernelIsInstalled() throws {
        let h = host(running: "6.1.0-28-amd64", images: [("6.1.0-28-amd64", "6.1.119-1"), ("6.1.0-31-amd64", "6.1.128-1")])
        let finding = try #require(check.run(in: h.context()).first)
        #expect(finding.status == .fail)
        #expect(finding.detail.contains("linux-image-6.1.0-31-amd64"))
        #expect(finding.detail.contains("reboot into the patched kernel"))
    }

    @Test func passesWhenRunningTheNewest() throws {
        let h = host(running: "6.1.0-31-amd64", images: [("6.1.0-28-amd64", "6.1.119-1"), ("6.1.0-31-amd64", "6.1.128-1"),
                                                         ("6.1.0-32-cloud-amd64", "6.1.129-1")])
        #expect(check.run(in: h.context()).first?.status == .pass, "a newer image of another flavour does not count")
    }

    @Test func failsWhenThePackageWasUpdatedInPlaceUnderTheSameRelease() throws {
        let h = host(running: "6.1.0-28-amd64", images: [("6.1.0-28-amd64", "6.1.123-1")])
        h.write("/proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)\n")
        let finding = try #require(check.run(in: h.context()).first)
        #expect(finding.status == .fail)
        #expect(finding.detail.contains("6.1.119-1"))
        h.write("/proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.123-1 (2025-01-02)\n")
        #expect(check.run(in: h.context()).first?.status == .pass)
    }

    @Test func reportsAKernelFromNoPackageAsInfo() {
        let h = host(running: "6.12.0-custom", images: [("6.1.0-28-amd64", "6.1.119-1")])
        #expect(check.run(in: h.context()).first?.status == .info)
    }

    @Test func isNotApplicableWithoutDpkgAndErrorsWithoutOsrelease() {
        let h = FixtureHost().write("/proc/sys/kernel/osrelease", "6.1.0-28-amd64\n")
        #expect(check.run(in: h.context()).first?.status == .notApplicable)
        #expect(check.run(in: FixtureHost().context()).first?.status == .error)
    }
}

@Suite("JSON feed parsing under mutation")
struct FeedMutationTests {
    /// Random byte mutations of a valid feed either parse or throw; they never crash or hang.
    @Test func mutatedFeedsNeverCrash() {
        var rng = SeededGenerator(seed: 2024)
        let base = Array(PackageFixtures.tracker.utf8)
        let osv = Array(PackageFixtures.defaultOSV["xen.json", default: ""].utf8)
        let filter = AdvisoryFeeds.Filter(release: OSRelease(parsing: PackageFixtures.osRelease)) { _ in true }
        var parsed = 0
        var rejected = 0
        for round in 0..<3_000 {
            var bytes = round % 2 == 0 ? base : osv
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[i] = rng.pick(Array("{}[]\",:\\u0 \n".utf8) + [0xFF, 0x00])
                case 1: bytes.remove(at: i)
                default: bytes = Array(bytes[..<i])
                }
                if bytes.isEmpty { break }
            }
            do {
                _ = try AdvisoryFeeds.parse(bytes, file: "m.json", filter: filter)
                parsed += 1
            } catch {
                #expect(error.code == .invalidInput)
                rejected += 1
            }
        }
        #expect(parsed + rejected == 3_000)
        #expect(rejected > 1_000)
    }
}
