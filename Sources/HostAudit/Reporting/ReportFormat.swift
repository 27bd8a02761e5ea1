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

/// The output formats of `hyperward audit`.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, sarif, junit, prometheus
}

extension AuditReport {
    /// The report rendered in `format`; `color` adds ANSI colors to text (only on a TTY).
    public func rendered(as format: ReportFormat, color: Bool = false) -> String {
        switch format {
        case .json, .text, .sarif, .junit, .prometheus: "" // Renderers land with the Reporting module.
        }
    }
}
