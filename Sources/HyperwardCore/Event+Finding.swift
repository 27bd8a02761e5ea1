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

extension Event {
    /// An audit finding as an event (engine `audit`): its key as the subject, its severity and
    /// threat class, and every value it read as `read` evidence.
    ///
    /// - Parameters:
    ///   - kind: `finding.new` or `finding.changed`.
    ///   - summary: the one line to show.
    ///   - body: the details as a JSON object text.
    public init(finding: Finding, kind: String, time: String, summary: String, body: String? = nil) {
        self.init(time: time, kind: kind, engine: .audit, subject: finding.key, severity: finding.severity,
                  threat: finding.threat, summary: summary,
                  evidence: finding.evidence.map { EventEvidence(kind: "read", value: $0.value, path: $0.path, line: $0.line) },
                  body: body)
    }
}
