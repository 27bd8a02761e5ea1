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
import Logging
import NetworkPolicy
import ServiceLifecycle
import Sensor

/// The agent's sensor: a live capture and a sensor engine per configured interface, each on a
/// thread of its own; every alert (first and updates) is recorded as an event (`alert.<detector>`,
/// engine `sense`, the alert's JSON as body, the interface), and with prevention on, offenders are blocked.
struct SenseService: Service {
    var interfaces: [String]
    var configuration: SensorConfiguration
    var prevent: Bool
    var allow: [String]
    var ttlSeconds: Int
    var namespace: String?
    var store: StateStore
    var logger: Logger

    func run() async throws {
        let stop = StopSignal()
        let done = DispatchGroup()
        // Before any capture starts: an allowlist entry that does not parse stops the service.
        let prevention = prevent ? try PreventionRunner(allow: allow, seconds: ttlSeconds, namespace: namespace) : nil
        for name in interfaces {
            done.enter()
            let worker = SenseWorker(interface: name, configuration: configuration, store: store, logger: logger,
                                     prevention: prevention)
            Thread.detachNewThread {
                worker.run(until: stop)
                done.leave()
            }
        }
        logger.info("sense service started", metadata: ["sense.interfaces": "\(interfaces.joined(separator: ","))", "sense.prevent": "\(prevent)"])
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: .seconds(3600)) } catch { break }
            }
        }
        stop.raise()
        // Each capture wakes at its receive timeout (0.25 s) and sees the signal.
        _ = done.wait(timeout: .now() + 5)
        logger.info("sense service stopped")
    }
}

/// One interface's capture loop.
struct SenseWorker: @unchecked Sendable {
    let interface: String
    let configuration: SensorConfiguration
    let store: StateStore
    let logger: Logger
    var prevention: PreventionRunner?

    func run(until stop: StopSignal) {
        var prevention = self.prevention
        var engine = SensorEngine(configuration: configuration)
        var alerts: [Alert] = []
        while !stop.isRaised {
            let capture: LiveCapture
            do { capture = try LiveCapture(interface: interface) } catch {
                logger.warning("cannot capture; retrying in 5 s", metadata: ["sense.interface": "\(interface)", "error": "\(error)"])
                for _ in 0..<20 where !stop.isRaised { usleep(250_000) }
                continue
            }
            logger.info("capturing", metadata: ["sense.interface": "\(interface)"])
            do {
                try capture.capture(until: { stop.isRaised }) { frame in
                    engine.process(frame, into: &alerts)
                    if !alerts.isEmpty {
                        record(alerts, prevention: &prevention)
                        alerts.removeAll(keepingCapacity: true)
                    }
                }
            } catch {
                logger.warning("capture failed; restarting", metadata: ["sense.interface": "\(interface)", "error": "\(error)"])
            }
            let stats = capture.statistics()
            capture.close()
            logger.info("capture ended", metadata: [
                "sense.interface": "\(interface)", "sense.packets": "\(engine.statistics.packets)",
                "sense.kernel_drops": "\(stats.packetsDropped)", "sense.decode_errors": "\(engine.statistics.decode.malformed)",
            ])
        }
        engine.finish(into: &alerts)
        record(alerts, prevention: &prevention)
    }

    func record(_ alerts: [Alert], prevention: inout PreventionRunner?) {
        var events: [Event] = []
        for alert in alerts {
            events.append(alert.event(interface: interface, inventory: configuration.inventory))
            if let note = prevention?.act(on: alert) {
                events.append(alert.preventionEvent(note, interface: interface, inventory: configuration.inventory))
            }
        }
        guard !events.isEmpty else { return }
        do { try store.append(events) } catch {
            logger.error("alerts not recorded", metadata: ["error": "\(error)"])
        }
        for alert in alerts where alert.occurrence == 1 {
            logger.warning("\(alert.summary)", metadata: ["sense.detector": "\(alert.detector.rawValue)", "sense.incident": "\(alert.incident)"])
        }
    }
}
