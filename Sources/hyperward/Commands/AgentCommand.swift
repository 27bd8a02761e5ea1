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

import ArgumentParser
import Dispatch
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardStore
import Logging
import Sensor
import ServiceLifecycle

/// `hyperward agent`: the host daemon. One ServiceGroup runs the audit service and, as the
/// configuration asks, the network, sensor, key rotation and monitor services; SIGHUP restarts
/// them with the configuration loaded again. Installed as a service by `scripts/install.sh`.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the host daemon: audits, network enforcement, the sensor, key rotation and VM monitoring, as configured.",
        discussion: """
            Runs the periodic audit (events on every change), enforces the network policy in step with \
            libvirt, runs the sensor on sense.interfaces, rotates keys when keys.* is set, and monitors \
            VMs when monitor: is set. One agent per state directory: a second one exits with 75. \
            SIGHUP reloads the configuration (a configuration that does not load is logged and the \
            running one kept); SIGTERM and SIGINT stop it cleanly.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("interval"), help: ArgumentHelp("Seconds between audit runs (overrides audit.interval_seconds).", valueName: "SECONDS"))
    var intervalSeconds: Int?

    @Option(help: ArgumentHelp("Directory standing for the host's / .", valueName: "DIR"))
    var root: String = "/"

    @Option(help: ArgumentHelp("Network policy to enforce and keep in sync with libvirt (overrides network.policy).", valueName: "FILE"))
    var policy: String?

    func validate() throws {
        if let intervalSeconds, intervalSeconds < 1 { throw ValidationError("--interval must be at least 1 second") }
    }

    func run() async throws {
        try await reportingErrors {
            var configuration = try global.loadConfiguration()
            let logger = global.bootstrapLogging(configuration)
            // One agent per state directory, for its whole life (the kernel drops the lock
            // however the process ends).
            let agentLock: StateLock
            do {
                agentLock = try StateLock.acquire(configuration.stateDirectory, .agent, wait: .zero, holder: "hyperward agent")
            } catch {
                throw HyperwardError(.busy, "another agent runs on this state directory: \(error)")
            }
            defer { withExtendedLifetime(agentLock) {} }
            let store: StateStore
            do { store = try StateStore(stateDirectory: configuration.stateDirectory) }
            catch { throw HyperwardError(.software, "\(error)") }
            let hangups = HangupSignal()
            logger.info("agent starting", metadata: ["store.path": "\(store.path)", "version": "\(HyperwardVersion.current)"])
            while true {
                let reload = ReloadService(hangups: hangups, current: configuration, load: { try global.loadConfiguration() }, logger: logger)
                var services = try self.services(configuration, logger: logger, store: store)
                services.append(.init(service: reload, successTerminationBehavior: .gracefullyShutdownGroup))
                let group = ServiceGroup(
                    configuration: .init(
                        services: services,
                        gracefulShutdownSignals: [.sigterm, .sigint],
                        logger: logger
                    ))
                do { try await group.run() }
                catch {
                    logger.error("agent stopped on error", metadata: ["error": "\(error)"])
                    throw HyperwardError(.software, "agent stopped on error: \(error)")
                }
                guard let next = reload.accepted else { break }
                configuration = next
                logger.notice("agent reloaded its configuration (SIGHUP)")
            }
            logger.info("agent stopped")
            return ExitStatus.completed
        }
    }

    /// The services the configuration asks for.
    func services(_ configuration: HyperwardConfiguration, logger: Logger, store: StateStore) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
            let interval = Duration.seconds(intervalSeconds ?? configuration.audit.intervalSeconds)
            let audit = AuditService(runner: AuditRunner(configuration: configuration, root: root), store: store,
                                     interval: interval, logger: logger)
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: audit)]
            if let policy = policy ?? configuration.network.policy {
                let inline = self.policy == nil && configuration.network.policyIsInline
                services.append(.init(service: NetworkService(policyPath: policy, inline: inline, namespace: configuration.network.netns,
                                                              resync: .seconds(30), logger: logger)))
            }
            if !configuration.sense.interfaces.isEmpty {
                var sensor = SensorConfiguration()
                sensor.showSecrets = configuration.sense.showSecrets
                if configuration.sense.showSecrets { logger.warning("sense.show_secrets is on: captured passwords are recorded in clear") }
                if let path = configuration.sense.inventory {
                    do { sensor.inventory = try SensorInventory.load(path: AuditRunner.absolute(path)) } catch {
                        throw HyperwardError(.configuration, "\(error)")
                    }
                } else if let policy = policy ?? configuration.network.policy {
                    // The enforced policy (its libvirt domains resolved) is the authoritative inventory.
                    let inline = self.policy == nil && configuration.network.policyIsInline
                    let loaded = try PolicyLoader.load(policy, inline: inline, warn: { logger.warning("\($0)") })
                    sensor.inventory = SensorInventory(policy: loaded)
                }
                services.append(.init(service: SenseService(
                    interfaces: configuration.sense.interfaces, configuration: sensor, prevent: configuration.sense.prevent,
                    allow: configuration.sense.allow, ttlSeconds: configuration.sense.ttlSeconds,
                    namespace: configuration.network.netns, store: store, logger: logger)))
            }
            if configuration.keys.passphraseFile != nil || configuration.keys.keyFile != nil {
                var access = KeyAccessOptions()
                access.passphraseFile = configuration.keys.passphraseFile.map(AuditRunner.absolute)
                access.keyFile = configuration.keys.keyFile.map(AuditRunner.absolute)
                services.append(.init(service: KeyRotationService(context: try KeyCommandContext(configuration: configuration), access: access,
                                                                  interval: .seconds(configuration.keys.rotationCheckSeconds), logger: logger)))
            }
            if let section = configuration.monitor {
                let (policy, uri, response) = try MonitorSetup.policy(file: nil, configuration: configuration)
                if !response.quarantineOn.isEmpty {
                    logger.warning("monitor.response.quarantine_on is set: VMs are quarantined automatically", metadata: [
                        "monitor.detectors": "\(response.quarantineOn.map(\.rawValue).sorted().joined(separator: ","))",
                        "monitor.max_per_hour": "\(response.maxPerHour)", "config": "\(section.file)"])
                }
                services.append(.init(service: MonitorService(uri: uri, policy: policy, response: response,
                                                              stateDirectory: configuration.stateDirectory, namespace: configuration.network.netns,
                                                              store: store, logger: logger)))
            }
            return services
    }
}

/// SIGHUP as an async sequence (the signal itself ignored, so it never ends the process).
final class HangupSignal: @unchecked Sendable {
    let signals: AsyncStream<Void>
    private let source: any DispatchSourceSignal

    init() {
        signal(SIGHUP, SIG_IGN)
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        signals = stream
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { continuation.yield() }
        source.resume()
    }
}

/// Waits for SIGHUP; loads the configuration again and, when it loads and keeps the same state
/// directory, ends (which shuts the group down gracefully, so the agent restarts its services
/// with it). A configuration that does not load is logged and the running one kept.
final class ReloadService: Service, @unchecked Sendable {
    let hangups: HangupSignal
    let current: HyperwardConfiguration
    let load: @Sendable () throws -> HyperwardConfiguration
    let logger: Logger
    private let lock = NSLock()
    private var _accepted: HyperwardConfiguration?

    /// The configuration to restart with, once a reload was accepted.
    var accepted: HyperwardConfiguration? { lock.withLock { _accepted } }

    init(hangups: HangupSignal, current: HyperwardConfiguration, load: @escaping @Sendable () throws -> HyperwardConfiguration, logger: Logger) {
        self.hangups = hangups
        self.current = current
        self.load = load
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in self.hangups.signals {
                self.logger.notice("SIGHUP: reloading the configuration")
                do {
                    let next = try self.load()
                    guard next.stateDirectory == self.current.stateDirectory else {
                        self.logger.error("reload refused: the state directory cannot change while the agent runs (restart it)",
                                          metadata: ["state_directory": "\(next.stateDirectory)"])
                        continue
                    }
                    self.lock.withLock { self._accepted = next }
                    return
                } catch {
                    self.logger.error("reload refused: the configuration does not load; the running one is kept", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
