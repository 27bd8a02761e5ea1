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
    /// A change of the enforced ruleset as an event (engine `net`, kind `net.applied`): how the
    /// kernel was changed (full or delta), why, which VMs' rules changed and how many of their
    /// connections were flushed. An apply that changed nothing is not an event.
    public static func networkApplied(_ outcome: EnforcementOutcome, trigger: String, policy: String,
                                      time: String = Event.timestamp()) -> Event {
        var fields: [String: Any] = [
            "mode": outcome.mode.rawValue, "trigger": trigger, "policy": policy, "vms": outcome.ruleset.vmIDs.count,
            "changed_vms": outcome.changedVMs, "flushed": outcome.flushed, "commands": outcome.commands,
        ]
        if let reason = outcome.reason { fields["full_because"] = reason }
        if !outcome.warnings.isEmpty { fields["warnings"] = outcome.warnings }
        let body = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
        let changed = outcome.changedVMs.isEmpty ? "" : ": rules changed for \(outcome.changedVMs.prefix(5).joined(separator: ", "))"
            + (outcome.changedVMs.count > 5 ? " and \(outcome.changedVMs.count - 5) more" : "")
        return Event(time: time, kind: "net.applied", engine: .net, subject: policy, severity: .info,
                     summary: "network policy applied (\(outcome.mode.rawValue), \(outcome.ruleset.vmIDs.count) VMs, \(trigger))\(changed)",
                     evidence: [EventEvidence(kind: "flushed", value: String(outcome.flushed))], body: body)
    }

    /// A policy the agent refused to apply (engine `net`, kind `net.refused`): the previous ruleset
    /// stays in the kernel. Severity high when applying it would have left every running VM
    /// unfiltered, medium otherwise.
    public static func networkRefused(_ message: String, wouldUnprotect: Bool, trigger: String, policy: String,
                                      time: String = Event.timestamp()) -> Event {
        let fields: [String: Any] = ["trigger": trigger, "policy": policy, "error": message, "would_unprotect": wouldUnprotect]
        let body = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
        return Event(time: time, kind: "net.refused", engine: .net, subject: policy, severity: wouldUnprotect ? .high : .medium,
                     threat: .networkThreat,
                     summary: "network policy not applied (\(trigger)); the previous ruleset is kept: \(message.prefix(300))", body: body)
    }
}
