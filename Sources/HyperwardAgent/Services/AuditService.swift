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

import HostAudit
import HyperwardCore
import HyperwardStore
import Logging
import ServiceLifecycle

/// The agent's audit service: re-runs the audit on a schedule and records what changed.
struct AuditService: Service {
    var runner: AuditRunner
    var store: StateStore
    var interval: Duration
    var logger: Logger

    func run() async throws {
        logger.info("audit service started", metadata: ["audit.interval_s": "\(interval.components.seconds)", "audit.root": "\(runner.root)"])
        // `cancelWhenGracefulShutdown` ends the sleep at once on SIGTERM/SIGINT.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                runOnce()
                do { try await Task.sleep(for: interval) } catch { break }
            }
        }
        logger.info("audit service stopped")
    }

    func runOnce() {
        do {
            let report = try runner.run()
            let events = try AuditRunner.record(report, in: store)
            let changes = events.filter { $0.kind.hasPrefix("finding.") }
            logger.info("audit run recorded", metadata: [
                "audit.score": "\(report.overallScore.map(String.init) ?? "n/a")",
                "audit.findings": "\(report.findings.count)",
                "audit.changes": "\(changes.count)",
                "audit.duration_ms": "\(Int(report.durationSeconds * 1000))",
            ])
            for change in changes {
                logger.notice("finding changed", metadata: ["event.kind": "\(change.kind)", "finding.key": "\(change.subject ?? "")"])
            }
        } catch {
            logger.error("audit run failed", metadata: ["error": "\(error.message)"])
        }
    }
}
