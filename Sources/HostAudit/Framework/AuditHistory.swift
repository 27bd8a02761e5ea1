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

/// Turns an audit report and the previous run's finding statuses into the events to record:
/// one `audit.run` summary plus one event per finding that is new, changed status, or disappeared.
public enum AuditHistory {
    /// The events for `report`, given `previous` statuses keyed by `Finding.key`.
    /// A first run (`previous` empty) records only the summary and the current problems.
    public static func events(for report: AuditReport, previous: [String: Status], time: String) -> [Event] {
        var events: [Event] = []
        let counts = report.statusCounts
        let summary: [String: Any] = [
            "root": report.root,
            "duration_seconds": report.durationSeconds,
            "score": report.overallScore ?? -1,
            "counts": Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
            "findings": report.findings.count,
        ]
        events.append(Event(
            time: time, kind: "audit.run", engine: .audit, subject: report.hostname,
            summary: "audit of \(report.root): \(counts[.fail, default: 0]) fail, \(counts[.warn, default: 0]) warn, \(counts[.error, default: 0]) error, score \(report.overallScore.map(String.init) ?? "n/a")",
            body: json(summary)))
        let isFirstRun = previous.isEmpty
        var seen = Set<String>()
        for finding in report.findings {
            let key = finding.key
            seen.insert(key)
            let data = json(["id": finding.id, "subject": finding.subject ?? "", "status": finding.status.rawValue,
                             "previous": previous[key]?.rawValue ?? "", "detail": finding.detail])
            if let old = previous[key] {
                if old != finding.status {
                    events.append(Event(finding: finding, kind: "finding.changed", time: time,
                                        summary: "\(key): \(old.rawValue) → \(finding.status.rawValue): \(finding.detail)", body: data))
                }
            } else if !isFirstRun || finding.status.isProblem {
                events.append(Event(finding: finding, kind: "finding.new", time: time,
                                    summary: "\(key): \(finding.status.rawValue): \(finding.detail)", body: data))
            }
        }
        for (key, old) in previous.sorted(by: { $0.key < $1.key }) where !seen.contains(key) {
            events.append(Event(time: time, kind: "finding.resolved", engine: .audit, subject: key,
                                summary: "\(key): no longer reported (was \(old.rawValue))",
                                body: json(["previous": old.rawValue])))
        }
        return events
    }

    static func json(_ object: [String: Any]) -> String {
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
