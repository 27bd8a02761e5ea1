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
import HyperwardHost
import HyperwardStore
import VMMonitor

/// `hyperward monitor watch`: rounds of the live monitor until stopped or a duration passed,
/// each round's rates and alerts (with their event envelopes) handed to the caller, and the events
/// recorded when a store is given.
public struct MonitorWatch: Sendable {
    public var uri: String
    public var policy: MonitorPolicy
    public var store: StateStore?

    public init(uri: String, policy: MonitorPolicy, store: StateStore? = nil) {
        self.uri = uri
        self.policy = policy
        self.store = store
    }

    /// Runs rounds every `policy.interval` seconds until `stop` is raised or `duration` seconds
    /// passed; returns how many incidents opened.
    /// - Throws: `HyperwardError` `.refused` when libvirt cannot be reached or a round fails.
    public func run(duration: Double?, until stop: StopSignal,
                    each report: ([VMRates], [(alert: MonitorAlert, event: Event)], (count: Int, reason: String?)) -> Void) async throws -> Int {
        let loop = try MonitorLoop(uri: uri, policy: policy)
        let deadline = duration.map { Date().addingTimeInterval($0) }
        var opened = 0
        while !stop.isRaised {
            let started = Date()
            let (rates, alerts) = try await loop.round()
            opened += alerts.filter { $0.phase == .opened }.count
            // One envelope per alert, printed and recorded alike (the same id in both).
            let events = alerts.map(\.event)
            report(rates, Array(zip(alerts, events)), loop.newlySkipped())
            if let store, !events.isEmpty { try store.append(events) }
            if let deadline, Date() >= deadline { break }
            // Sleeps in short steps so a stop or the deadline ends the wait promptly.
            let wait = policy.interval - Date().timeIntervalSince(started)
            var slept = 0.0
            while slept < wait, !stop.isRaised {
                let step = min(0.2, wait - slept)
                try await Task.sleep(for: .seconds(step))
                slept += step
                if let deadline, Date() >= deadline { break }
            }
            if let deadline, Date() >= deadline { break }
        }
        return opened
    }
}
