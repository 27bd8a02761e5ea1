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

import FleetClient
import Foundation
import HyperwardCore
import HyperwardStore
import Logging
import Response
import ServiceLifecycle

/// Carries out what operators ask of this host through the fleet server: it long-polls the
/// server on the host's mutual-TLS identity, runs each action (an audit now; quarantine or
/// release of a VM, as `hyperward respond` does), records its receipt and its result as events
/// in this host's ledger (pushed to the server like every event), and reports the result.
struct FleetActionService: Service {
    var configuration: HyperwardConfiguration
    var options: AgentOptions
    var store: StateStore
    var logger: Logger

    func run() async throws {
        logger.info("fleet action service started")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let link = try FleetLink.load(stateDirectory: configuration.stateDirectory)
                    for action in try await link.pollActions(wait: 25) {
                        let (succeeded, message) = carryOut(action)
                        try await link.reportAction(id: action.id, succeeded: succeeded, message: message)
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("fleet actions not reachable; trying again", metadata: ["fleet.error": "\(error)"])
                    do { try await Task.sleep(for: .seconds(configuration.fleet.pushIntervalSeconds)) } catch { break }
                }
            }
        }
        logger.info("fleet action service stopped")
    }

    /// Runs one action; its receipt and outcome are events of this host.
    func carryOut(_ action: FleetActionRequest) -> (Bool, String) {
        let target = action.vm.map { " VM \($0)" } ?? ""
        record(kind: "fleet.action.received", action, severity: .low,
               summary: "\(action.requestedBy) asked through the fleet server to \(action.kind)\(target): \(action.reason)")
        logger.notice("fleet action", metadata: ["fleet.action": "\(action.kind)", "fleet.vm": "\(action.vm ?? "")", "fleet.by": "\(action.requestedBy)"])
        let outcome: (Bool, String)
        do {
            switch action.kind {
            case "audit":
                let report = try AuditRunner(configuration: configuration, root: options.root).run()
                _ = try AuditRunner.record(report, in: store)
                outcome = (true, "audit recorded: score \(report.overallScore.map(String.init) ?? "n/a"), \(report.findings.count) findings")
            case "quarantine", "release":
                guard let vm = action.vm else { throw HyperwardError(.usage, "\(action.kind) needs a VM") }
                var said: [String] = []
                let responder = try Responder.forOperator(vm: vm, stateDirectory: configuration.stateDirectory, dryRun: false,
                                                          namespace: configuration.network.netns, say: { said.append($0) })
                if action.kind == "quarantine" {
                    // The network cut, the VM paused, its disks frozen; no memory dump from afar.
                    try responder.quarantineVM(dump: false, snapshot: true)
                } else {
                    try responder.release()
                }
                outcome = (true, "\(action.kind) of \(vm) done" + (said.isEmpty ? "" : ": " + said.suffix(3).joined(separator: "; ")))
            default:
                outcome = (false, "this agent does not know the action \(action.kind.debugDescription)")
            }
        } catch {
            outcome = (false, "\(error)")
        }
        record(kind: outcome.0 ? "fleet.action.succeeded" : "fleet.action.failed", action, severity: outcome.0 ? .info : .medium,
               summary: "\(action.kind)\(target) asked by \(action.requestedBy): \(outcome.1)")
        return outcome
    }

    func record(kind: String, _ action: FleetActionRequest, severity: Severity, summary: String) {
        let event = Event(time: Event.timestamp(), kind: kind, engine: "fleet", subject: action.id, vm: action.vm, severity: severity,
                          summary: summary,
                          body: "{\"action\":\(JSONText.quoted(action.id)),\"kind\":\(JSONText.quoted(action.kind)),\"requested_by\":\(JSONText.quoted(action.requestedBy))}")
        do { try store.append([event]) } catch { logger.error("cannot record the fleet action", metadata: ["error": "\(error)"]) }
    }
}
