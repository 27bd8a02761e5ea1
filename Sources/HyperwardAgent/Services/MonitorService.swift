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
import Response
import HyperwardStore
import Logging
import ServiceLifecycle
import VMMonitor

/// The agent's VM monitor: every interval, all running VMs sampled; incidents recorded as
/// events (`monitor.opened|updated|resolved`). Automatic quarantine only for the detectors the
/// policy lists, never for allowlisted VMs, at most `max_per_hour` per hour; default: alert only.
struct MonitorService: Service {
    var uri: String
    var policy: MonitorPolicy
    var response: AutoResponse
    var stateDirectory: String
    /// The network namespace the VMs' bridges are in (the configuration's network.netns).
    var namespace: String?
    var store: StateStore
    var logger: Logger
    let responseQueue = DispatchQueue(label: "hyperward.monitor.response")

    func run() async throws {
        logger.info("monitor service started", metadata: [
            "monitor.interval_seconds": "\(policy.interval)", "monitor.uri": "\(uri)",
            "monitor.auto_quarantine": "\(response.quarantineOn.isEmpty ? "off" : response.quarantineOn.map(\.rawValue).sorted().joined(separator: ","))",
        ])
        await cancelWhenGracefulShutdown {
            var limiter = ResponseRateLimiter(maxPerHour: response.maxPerHour)
            var responded = Set<String>()
            var loop: MonitorLoop?
            while !Task.isCancelled {
                do {
                    if loop == nil { loop = try MonitorLoop(uri: uri, policy: policy) }
                    let (_, alerts) = try await loop!.round()
                    let skipped = loop!.newlySkipped()
                    if skipped.count > 0 {
                        logger.warning("domain statistics skipped", metadata: ["monitor.skipped": "\(skipped.count)", "error": "\(skipped.reason ?? "")"])
                    }
                    handle(alerts, limiter: &limiter, responded: &responded)
                } catch {
                    // libvirtd restarted or went away: reconnect next round, losing the baselines.
                    logger.warning("monitor round failed; reconnecting", metadata: ["error": "\(error)"])
                    loop = nil
                }
                do { try await Task.sleep(for: .milliseconds(Int(policy.interval * 1000))) } catch { break }
            }
        }
        logger.info("monitor service stopped")
    }

    func handle(_ alerts: [MonitorAlert], limiter: inout ResponseRateLimiter, responded: inout Set<String>) {
        guard !alerts.isEmpty else { return }
        do { try store.append(alerts.map(\.event)) } catch {
            logger.error("monitor alerts not recorded", metadata: ["error": "\(error)"])
        }
        for alert in alerts where alert.phase != .updated {
            logger.warning("\(alert.summary)", metadata: ["monitor.incident": "\(alert.id)"])
        }
        for alert in alerts where alert.phase == .opened && response.wants(alert) && !responded.contains(alert.id) {
            responded.insert(alert.id)
            guard limiter.allow(now: Date()) else {
                logger.warning("automatic quarantine skipped: rate limit reached", metadata: ["monitor.vm": "\(alert.vm)", "monitor.max_per_hour": "\(response.maxPerHour)"])
                continue
            }
            // Off the monitor's loop: a memory dump and disk hashing take a while, and every
            // other VM stays watched meanwhile. One quarantine at a time.
            let (store, logger, stateDirectory, namespace) = (store, logger, stateDirectory, namespace)
            responseQueue.async {
                var responder = Responder(vm: alert.vm, stateDirectory: stateDirectory, store: store, namespace: namespace)
                responder.say = { line in logger.notice("\(line)", metadata: ["respond.vm": "\(alert.vm)"]) }
                do {
                    let trigger = alert.event
                    try store.append([Event(time: Event.timestamp(), kind: "respond.auto", engine: .monitor, subject: alert.vm, vm: alert.vm,
                                            severity: .high, threat: trigger.threat,
                                            summary: "automatic quarantine of \(alert.vm) for incident \(alert.id)",
                                            evidence: trigger.evidence, body: alert.jsonText)])
                    try responder.quarantineVM(dump: true, snapshot: true)
                } catch {
                    logger.error("automatic quarantine failed", metadata: ["monitor.vm": "\(alert.vm)", "error": "\(error)"])
                }
            }
        }
    }
}
