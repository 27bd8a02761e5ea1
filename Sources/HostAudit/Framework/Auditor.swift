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

/// Runs the check catalog against a host and assembles the report.
public struct Auditor: Sendable {
    /// The checks to run, in catalog order.
    public var checks: [any Check]

    /// An auditor running `checks` (the full catalog by default).
    public init(checks: [any Check] = CheckCatalog.all) {
        self.checks = checks
    }

    /// Every descriptor of the catalog, for `--list-checks` and the docs.
    public var descriptors: [CheckDescriptor] { checks.flatMap(\.descriptors) }

    /// Runs the audit.
    /// - Parameters:
    ///   - skip: ids to skip; an id also skips every finding under it (`qemu.conf` skips `qemu.conf.user`).
    ///   - waivers: accepted risks.
    ///   - now: the time the run starts (waivers compare against its UTC date).
    public func run(
        context: AuditContext, skip: [String] = [], waivers: WaiverSet = WaiverSet(),
        now: Date = Date(), toolVersion: String
    ) -> AuditReport {
        let start = ContinuousClock.now
        func isSkipped(_ id: String) -> Bool {
            skip.contains { s in
                let prefix = s.hasSuffix("*") ? String(s.dropLast()) : s
                return id == prefix || id.hasPrefix(prefix.hasSuffix(".") ? prefix : prefix + ".")
            }
        }
        var findings: [Finding] = []
        for check in checks {
            // Don't even run a check whose every id is skipped.
            let ids = check.descriptors.map { $0.id.hasSuffix(".*") ? String($0.id.dropLast(2)) : $0.id }
            if !ids.isEmpty && ids.allSatisfy(isSkipped) { continue }
            findings += check.run(in: context).filter { !isSkipped($0.id) }
        }
        let today = Auditor.isoDate(now)
        findings = waivers.apply(to: findings, today: today)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let hostname = (try? context.fs.readValue("/proc/sys/kernel/hostname"))
            ?? (try? context.fs.readValue("/etc/hostname"))
        return AuditReport(
            toolVersion: toolVersion, root: context.fs.root, hostname: hostname,
            kernelRelease: context.facts.kernelRelease, startedAt: Auditor.isoTimestamp(now),
            durationSeconds: seconds, findings: findings, skipped: skip
        )
    }

    /// `YYYY-MM-DD` in UTC.
    public static func isoDate(_ date: Date) -> String {
        String(isoTimestamp(date).prefix(10))
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` in UTC.
    public static func isoTimestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
