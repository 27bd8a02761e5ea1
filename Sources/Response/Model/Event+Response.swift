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

extension Event {
    /// One step of an incident response on a VM as an event (engine `respond`, kind
    /// `respond.<step>`): `respond.quarantine.network`, `respond.quarantine.evidence`,
    /// `respond.release.network`… The ``Responder`` records one per step it takes.
    ///
    /// - Parameters:
    ///   - step: the step, dotted (`quarantine.disk`).
    ///   - vm: the VM acted on.
    ///   - summary: the line shown to the operator (the VM's name is prefixed).
    ///   - evidence: files kept as evidence, with their hashes.
    ///   - threat: the threat class of the incident responded to, when known.
    ///   - fields: the step's details, recorded as the body (`vm` is added).
    public static func responseStep(_ step: String, vm: String, summary: String, severity: Severity = .info,
                                    threat: ThreatClass? = nil, evidence: [EventEvidence] = [],
                                    fields: [String: String] = [:], time: String = Event.timestamp()) -> Event {
        var fields = fields
        fields["vm"] = vm
        let body = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
        return Event(time: time, kind: "respond.\(step)", engine: .respond, subject: vm, vm: vm, severity: severity,
                     threat: threat, summary: "\(vm): \(summary)", evidence: evidence, body: body)
    }
}
