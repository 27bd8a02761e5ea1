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

/// The documentation and defaults of one check id: what it reads, when it fails, why, and the fix.
///
/// `docs/audit.md` is generated from these (`hyperward audit --list-checks --format markdown`), so
/// the documentation cannot drift from the code.
public struct CheckDescriptor: Sendable, Codable, Hashable {
    /// The stable id; a family that reports one finding per item ends in `.*`
    /// (`cpu.vulnerability.*` reports `cpu.vulnerability.mds`, …).
    public var id: String
    public var title: String
    public var threat: ThreatClass
    /// The severity of a failure (a family may raise it per item).
    public var severity: Severity
    /// The host paths the check reads.
    public var reads: [String]
    /// When the check fails or warns.
    public var failsWhen: String
    /// Why it matters.
    public var rationale: String
    /// How to fix it.
    public var remediation: String
    public var references: [String]

    /// Creates a descriptor.
    public init(
        id: String, title: String, threat: ThreatClass, severity: Severity, reads: [String],
        failsWhen: String, rationale: String, remediation: String, references: [String] = []
    ) {
        self.id = id
        self.title = title
        self.threat = threat
        self.severity = severity
        self.reads = reads
        self.failsWhen = failsWhen
        self.rationale = rationale
        self.remediation = remediation
        self.references = references
    }

    /// A finding of this check. For a family (`….*`), pass `item` to name the concrete id.
    public func finding(
        _ status: Status,
        _ detail: String,
        evidence: [Evidence] = [],
        item: String? = nil,
        subject: String? = nil,
        severity: Severity? = nil,
        remediation: String? = nil
    ) -> Finding {
        var findingID = id
        if id.hasSuffix(".*") {
            findingID = String(id.dropLast(2)) + "." + (item ?? "unknown")
        }
        return Finding(
            id: findingID,
            subject: subject,
            title: item.map { "\(title): \($0)" } ?? title,
            threat: threat,
            severity: severity ?? self.severity,
            status: status,
            detail: detail,
            evidence: evidence,
            remediation: status.isProblem ? (remediation ?? self.remediation) : "",
            references: references
        )
    }

    /// The `error` finding for a check whose input could not be read or parsed.
    public func error(_ error: HyperwardError, path: String, item: String? = nil, subject: String? = nil) -> Finding {
        finding(
            .error, "could not run: \(error.description)",
            evidence: [Evidence(path: path, value: error.code.name)], item: item, subject: subject,
            remediation: "Make \(path) readable by the auditing user and well-formed, then re-run."
        )
    }

    /// Whether `findingID` belongs to this descriptor.
    public func covers(_ findingID: String) -> Bool {
        if id.hasSuffix(".*") { return findingID.hasPrefix(String(id.dropLast(1))) }
        return findingID == id
    }
}

/// A posture check: reads the host through the context and reports findings. It never throws:
/// a check that cannot read its input reports an `error` finding that says why.
public protocol Check: Sendable {
    /// Every id this check can report.
    var descriptors: [CheckDescriptor] { get }
    /// Runs the check.
    func run(in context: AuditContext) -> [Finding]
}
