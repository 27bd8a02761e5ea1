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
import HyperwardCore
import HyperwardStore
import Logging
import Sensor
import ServiceLifecycle

/// `hyperward agent`: the host daemon. Today it runs the audit service; later engines add theirs
/// to the same ServiceGroup.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the host daemon: periodic audits recorded as events; stops cleanly on SIGTERM/SIGINT."
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
            let configuration = try global.loadConfiguration()
            let logger = global.bootstrapLogging(configuration)
            let store: StateStore
            do { store = try StateStore(stateDirectory: configuration.stateDirectory) }
            catch { throw CLIError(exitCode: ExitCodes.software, message: "\(error)") }
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
                        throw CLIError(exitCode: ExitCodes.configuration, message: "\(error)")
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
            let group = ServiceGroup(
                configuration: .init(
                    services: services,
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                ))
            logger.info("agent starting", metadata: ["store.path": "\(store.path)", "version": "\(HyperwardVersion.current)"])
            do { try await group.run() }
            catch { throw CLIError(exitCode: ExitCodes.software, message: "agent stopped on error: \(error)") }
            logger.info("agent stopped")
            return ExitCodes.completed
        }
    }
}
