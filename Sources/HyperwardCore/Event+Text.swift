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
    /// One line for people: time, engine, kind, severity, threat class, VM and interface, summary;
    /// everything recorded from input made terminal-safe.
    public var textLine: String {
        let e = self
        // Padded into columns, never cut: a long kind shifts its line rather than losing its end.
        func column(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        var line = "\(e.time)  \(column(e.engine.rawValue.terminalSafe, 7)) \(column(e.kind.terminalSafe, 22)) "
        if let severity = e.severity { line += "[\(severity.rawValue)] " }
        if let threat = e.threat { line += "\(threat.code) " }
        if let vm = e.vm { line += "vm=\(vm.terminalSafe) " }
        if let interface = e.interface { line += "if=\(interface.terminalSafe) " }
        return line + e.summary.terminalSafe
    }
}
