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

/// The live monitor's rounds: libvirt read on a queue of its own (a blocking C call must not hold
/// a task thread), the engine advanced with what it returns.
public final class MonitorLoop: @unchecked Sendable {
    public let collector: LibvirtCollector
    private var engine: MonitorEngine
    private let queue = DispatchQueue(label: "hyperward.monitor.collector")

    public init(uri: String, policy: MonitorPolicy) throws {
        do { collector = try LibvirtCollector(uri: uri) } catch {
            throw HyperwardError(.refused, "\(error)")
        }
        engine = MonitorEngine(policy: policy)
    }

    private var skippedSeen = 0

    /// Records skipped since the last call, with the last reason (a domain whose statistics do not read).
    public func newlySkipped() -> (count: Int, reason: String?) {
        let total = collector.skipped
        defer { skippedSeen = total }
        return (total - skippedSeen, collector.lastSkipReason)
    }

    /// One round: every running VM sampled, rates and alerts out. Rounds are sequential.
    public func round() async throws -> (rates: [VMRates], alerts: [MonitorAlert]) {
        let samples: [DomainSample] = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do { continuation.resume(returning: try self.collector.collect()) } catch {
                    continuation.resume(throwing: HyperwardError(.refused, "\(error)"))
                }
            }
        }
        return engine.ingest(samples, now: Date())
    }
}

/// Where the monitor's policy comes from.
public enum MonitorSetup {
    /// The policy from `file`, else the configuration's `monitor` section, else the defaults.
    public static func policy(file: String?, configuration: HyperwardConfiguration) throws -> (MonitorPolicy, uri: String, response: AutoResponse) {
        do {
            if let file { return try MonitorPolicy.load(file) }
            if let section = configuration.monitor { return try MonitorPolicy.load(section.file, section: true) }
        } catch {
            throw HyperwardError(.configuration, error.description)
        }
        return (MonitorPolicy(), "qemu:///system", AutoResponse())
    }
}
