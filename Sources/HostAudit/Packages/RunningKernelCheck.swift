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

/// `kernel.running-vs-installed`: whether a newer kernel image than the running one is installed,
/// i.e. a kernel update (which carries KVM fixes) is waiting for a reboot.
public struct RunningKernelCheck: Check {
    /// Creates the check.
    public init() {}

    /// `kernel.running-vs-installed`.
    public static let descriptor = CheckDescriptor(
        id: "kernel.running-vs-installed", title: "Running the newest installed kernel", threat: .hypervisorVulnerability,
        severity: .high, reads: ["/proc/sys/kernel/osrelease", DpkgStatus.path],
        failsWhen: "A linux-image package of the running kernel's flavour with a newer version than the running kernel's package is installed (the host was not rebooted after a kernel update).",
        rationale: "KVM, vhost and VFIO live in the kernel: a security update only protects guests' neighbours once the host runs it.",
        remediation: "Reboot into the patched kernel (check the boot loader's default entry), then remove old kernels.")

    /// The one id this check reports.
    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    /// The image packages a kernel release can come from: `linux-image-<release>` (Debian, Ubuntu)
    /// and `linux-image-unsigned-<release>` (Ubuntu).
    static func release(ofImagePackage name: String) -> String? {
        for prefix in ["linux-image-unsigned-", "linux-image-"] where name.hasPrefix(prefix) {
            let release = String(name.dropFirst(prefix.count))
            // Only versioned images (`linux-image-6.1.0-28-amd64`), not metapackages or debug symbols.
            guard release.first?.isNumber ?? false, !release.hasSuffix("-dbg"), !release.hasSuffix("-dbgsym") else { return nil }
            return release.hasSuffix("-unsigned") ? String(release.dropLast("-unsigned".count)) : release
        }
        return nil
    }

    /// The flavour of a release (`6.1.0-28-cloud-amd64` → `cloud-amd64`), or `nil` if it has no
    /// `upstream-abi-flavour` shape.
    static func flavour(of release: String) -> String? {
        let parts = release.split(separator: "-", maxSplits: 2)
        guard parts.count == 3, parts[1].allSatisfy(\.isNumber) else { return nil }
        return String(parts[2])
    }

    /// Compares the running release with the installed `linux-image-*` packages.
    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.descriptor
        let osrelease = "/proc/sys/kernel/osrelease"
        let running: String
        do { running = try context.fs.readValue(osrelease) } catch {
            return [d.error(error, path: osrelease)]
        }
        let status: DpkgStatus
        do { status = try DpkgStatus.read(from: context.fs) } catch where error.code == .notFound {
            return [d.finding(.notApplicable, "No dpkg database: installed kernel packages cannot be listed on this host.",
                              evidence: [Evidence(path: DpkgStatus.path, value: "absent")])]
        } catch {
            return [d.error(error, path: DpkgStatus.path)]
        }
        let images = status.packages.compactMap { p in Self.release(ofImagePackage: p.name).map { (release: $0, package: p) } }
        let runningEvidence = Evidence(path: osrelease, value: running)
        guard let current = images.first(where: { $0.release == running }) else {
            return [d.finding(
                .info, "The running kernel \(running) does not come from an installed package (a custom build, or its package was removed).",
                evidence: [runningEvidence, Evidence(path: DpkgStatus.path, value: "no linux-image-\(running) installed; \(images.count) kernel images installed")])]
        }
        let flavour = Self.flavour(of: running)
        let candidates = images.filter { flavour == nil || Self.flavour(of: $0.release) == flavour }
        guard let newest = candidates.max(by: { $0.package.version < $1.package.version }) else {
            return [d.finding(.pass, "Running \(running), the only installed kernel.", evidence: [runningEvidence])]
        }
        let currentEvidence = Evidence(path: DpkgStatus.path, value: "\(current.package.name) \(current.package.version) (running)", line: current.package.line)
        if newest.package.version > current.package.version {
            return [d.finding(
                .fail,
                "A newer kernel is installed than the one running: \(newest.package.name) \(newest.package.version) vs running \(running) (\(current.package.version)); reboot into the patched kernel.",
                evidence: [runningEvidence, currentEvidence,
                           Evidence(path: DpkgStatus.path, value: "\(newest.package.name) \(newest.package.version) (newest installed)", line: newest.package.line)])]
        }
        // Debian sometimes rebuilds a kernel without changing its ABI name (6.1.0-28 from 6.1.119-1
        // to 6.1.123-1): the release string matches, but the running build is older. The build's own
        // version is in /proc/sys/kernel/version ("#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (…)").
        if let build = try? context.fs.readValue("/proc/sys/kernel/version"),
           let built = Self.debianBuildVersion(build), built < current.package.version {
            return [d.finding(
                .fail,
                "\(current.package.name) was updated in place to \(current.package.version), but the running build is \(built); reboot into the patched kernel.",
                evidence: [runningEvidence, Evidence(path: "/proc/sys/kernel/version", value: build), currentEvidence])]
        }
        return [d.finding(
            .pass, "Running the newest installed kernel\(flavour.map { " of flavour \($0)" } ?? ""), \(running) (\(current.package.version)).",
            evidence: [runningEvidence, currentEvidence])]
    }

    /// The Debian package version a kernel build names in `/proc/sys/kernel/version`, if any.
    static func debianBuildVersion(_ text: String) -> DebianVersion? {
        let words = text.split(separator: " ")
        guard let index = words.firstIndex(of: "Debian"), index + 1 < words.count else { return nil }
        return try? DebianVersion(String(words[index + 1]))
    }
}
