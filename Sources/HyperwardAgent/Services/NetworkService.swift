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
import HyperwardLibvirt
import HyperwardStore
import Logging
import NetworkPolicy
import ServiceLifecycle
import Synchronization

/// The agent's network service: applies the policy at start, then re-applies it whenever libvirt
/// reports a domain lifecycle event (started, stopped, defined…), so a VM's rules follow it within
/// moments. A periodic resync repairs drift.
struct NetworkService: Service {
    var policyPath: String
    var namespace: String?
    var resync: Duration
    /// Where every change of the ruleset, and every refusal, is recorded as an event.
    var store: StateStore?
    var logger: Logger
    /// Every how many resyncs the tables are replaced whole, repairing any drift a delta cannot see.
    var fullRepairEvery = 20
    let enforcer: PolicyEnforcer
    /// The last refusal recorded: a policy that stays broken is one event, not one per resync.
    let lastRefusal = RefusalMemory()

    /// Whether the policy is inline in the configuration file `policyPath`.
    var inline = false

    init(policyPath: String, inline: Bool = false, namespace: String?, resync: Duration, store: StateStore? = nil, logger: Logger) {
        self.policyPath = policyPath
        self.inline = inline
        self.namespace = namespace
        self.resync = resync
        self.store = store
        self.logger = logger
        self.enforcer = PolicyEnforcer(applier: NftApplier(namespace: namespace), flusher: ConntrackFlusher(namespace: namespace))
    }

    func run() async throws {
        // Lifecycle events from libvirt's C API; without them (no libvirtd, or it restarted) the
        // periodic resync still runs.
        let events: LibvirtLifecycleEvents?
        do { events = try LibvirtLifecycleEvents() } catch {
            logger.warning("libvirt events unavailable; relying on periodic resync", metadata: ["error": "\(error.message)"])
            events = nil
        }
        logger.info("network service started", metadata: ["net.policy": "\(policyPath)"])
        applyOnce(reason: "start")
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                if let events {
                    group.addTask {
                        for await event in events.stream {
                            applyOnce(reason: event.description)
                        }
                        // Without events (libvirtd stopped or restarted) the periodic resync still runs.
                        if !Task.isCancelled { logger.warning("libvirt event stream ended; relying on periodic resync") }
                    }
                }
                group.addTask {
                    var rounds = 0
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: resync) } catch { break }
                        rounds += 1
                        applyOnce(reason: "periodic resync", full: rounds % fullRepairEvery == 0)
                    }
                }
                await group.waitForAll()
            }
        }
        events?.stop()
        logger.info("network service stopped")
    }

    func applyOnce(reason: String, full: Bool = false) {
        let start = ContinuousClock.now
        do {
            let logger = self.logger
            let policy = try PolicyLoader.load(policyPath, inline: inline, warn: { logger.warning("\($0)") })
            let outcome = try enforcer.enforce(policy, full: full)
            let elapsed = ContinuousClock.now - start
            let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            var metadata: Logger.Metadata = [
                "net.reason": "\(reason)", "net.mode": "\(outcome.mode.rawValue)", "net.vms": "\(outcome.ruleset.vmIDs.count)",
                "net.ports": "\(outcome.ruleset.devices.keys.sorted().joined(separator: ","))", "net.apply_ms": "\(ms)",
                "net.changed_vms": "\(outcome.changedVMs.joined(separator: ","))", "net.flushed": "\(outcome.flushed)",
            ]
            if let why = outcome.reason { metadata["net.full_because"] = "\(why)" }
            for warning in outcome.warnings { logger.warning("\(warning.terminalSafe)") }
            if outcome.mode == .unchanged {
                logger.debug("network policy unchanged", metadata: metadata)
            } else {
                logger.info("network policy applied", metadata: metadata)
                record(.networkApplied(outcome, trigger: reason, policy: policyPath))
            }
            lastRefusal.message.withLock { $0 = nil }
        } catch where error.code == .wouldUnprotect {
            // An emptied or broken policy file must not silently drop every VM's protection: the
            // kernel keeps the previous ruleset until the policy names a running VM again (or an
            // operator runs `hyperward net apply --allow-empty`).
            logger.error("network policy not applied: it would leave every running VM unfiltered; the previous ruleset is kept",
                         metadata: ["error": "\(error.message.terminalSafe)", "net.reason": "\(reason)", "net.policy": "\(policyPath)"])
            recordRefusal(error.message, wouldUnprotect: true, trigger: reason)
        } catch {
            logger.error("network policy not applied", metadata: ["error": "\(String(describing: error).terminalSafe)", "net.reason": "\(reason)"])
            recordRefusal(String(describing: error), wouldUnprotect: false, trigger: reason)
        }
    }

    /// Records a refusal unless it is the one recorded last.
    func recordRefusal(_ message: String, wouldUnprotect: Bool, trigger: String) {
        let isNew = lastRefusal.message.withLock { last in
            defer { last = message }
            return last != message
        }
        if isNew { record(.networkRefused(message, wouldUnprotect: wouldUnprotect, trigger: trigger, policy: policyPath)) }
    }

    /// Appends `event` to the store; a store that cannot be written is logged, never fatal.
    func record(_ event: Event) {
        guard let store else { return }
        do { try store.append([event]) } catch {
            logger.error("network event not recorded", metadata: ["error": "\(error)", "event.kind": "\(event.kind)"])
        }
    }
}

/// The network service's last recorded refusal, shared by its event and resync tasks.
final class RefusalMemory: Sendable {
    let message = Mutex<String?>(nil)
}
