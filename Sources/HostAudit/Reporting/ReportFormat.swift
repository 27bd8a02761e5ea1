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


/// The output formats of `hyperward audit`, documented in `docs/audit-formats.md`.
public enum ReportFormat: String, Sendable, CaseIterable {
    /// Human-readable text, grouped by threat class (`TextRenderer`).
    case text
    /// The versioned `hyperward.audit/1.0` JSON document (`JSONRenderer`).
    case json
    /// A SARIF 2.1.0 log for code-scanning dashboards (`SARIFRenderer`).
    case sarif
    /// JUnit XML for CI test reports (`JUnitRenderer`).
    case junit
    /// Prometheus text exposition format 0.0.4 (`PrometheusRenderer`).
    case prometheus
}

extension AuditReport {
    /// The report rendered in `format`; `color` adds ANSI colors to text (the caller passes `true`
    /// only when writing to a TTY) and is ignored by the machine-readable formats.
    public func rendered(as format: ReportFormat, color: Bool = false) -> String {
        switch format {
        case .text: TextRenderer(color: color).render(self)
        case .json: JSONRenderer().render(self)
        case .sarif: SARIFRenderer().render(self)
        case .junit: JUnitRenderer().render(self)
        case .prometheus: PrometheusRenderer().render(self)
        }
    }
}
