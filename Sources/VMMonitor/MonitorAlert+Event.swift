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

extension MonitorAlert {
    /// The alert as an event: engine `monitor`, kind `monitor.opened|updated|resolved`, the VM as
    /// subject and `vm`, the threat class of its first signal (the one its summary names; the body
    /// lists them all), one `metric:<name>` evidence per signal, and the alert's JSON
    /// (``jsonText``) as the body.
    public var event: Event {
        let evidence = signals.map { s -> EventEvidence in
            var text = "observed \(Self.format(s.observed, s.metric))"
            if let e = s.expected { text += ", expected \(Self.format(e, s.metric))" }
            if let l = s.limit { text += ", limit \(Self.format(l, s.metric))" }
            text += ", peak \(Self.format(s.peak, s.metric)) [\(s.detectors.map(\.rawValue).joined(separator: "+"))] since \(s.since)"
            return EventEvidence(kind: "metric:\(s.metric.rawValue)", value: text)
        }
        return Event(time: time, kind: "monitor.\(phase.rawValue)", engine: .monitor, subject: vm, vm: vm,
                     severity: severity, threat: signals.first?.metric.threatClass ?? threatClasses.first,
                     summary: summary, evidence: evidence, body: jsonText)
    }

    /// The alert as compact JSON with sorted keys: what `monitor --format json` prints under
    /// `alert`, and the body of its event.
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
