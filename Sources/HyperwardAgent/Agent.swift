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

import AdmissionHook
import Dispatch
import FleetClient
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardStore
import KeyManagement
import Logging
import NetworkPolicy
import Sensor
import ServiceLifecycle
import VMMonitor

/// What the command line may override in the configuration the agent runs with.
public struct AgentOptions: Sendable {
    /// Seconds between audit runs (else `audit.interval_seconds`).
    public var auditIntervalSeconds: Int?
    /// The directory standing for the host's `/` in audits.
    public var root: String
    /// The network policy to enforce (else `network.policy`).
    public var policy: String?

    public init(auditIntervalSeconds: Int? = nil, root: String = "/", policy: String? = nil) {
        self.auditIntervalSeconds = auditIntervalSeconds
        self.root = root
        self.policy = policy
    }
}

/// The host daemon: one `ServiceGroup` (`buildAgent`) with the audit service and, as the
/// configuration asks, the network, sensor, key rotation and monitor services. One agent per
/// state directory; SIGHUP restarts the services with the configuration loaded again (one that
/// does not load is logged and the running one kept); SIGTERM and SIGINT stop it cleanly.
public struct Agent: Sendable {
    public var configuration: HyperwardConfiguration
    public var options: AgentOptions
    /// Loads the configuration again (on SIGHUP).
    public var reload: @Sendable () throws -> HyperwardConfiguration
    public var logger: Logger

    public init(configuration: HyperwardConfiguration, options: AgentOptions = AgentOptions(),
                reload: @escaping @Sendable () throws -> HyperwardConfiguration, logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.reload = reload
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT.
    /// - Throws: `HyperwardError` `.busy` when another agent holds the state directory,
    ///   `.software` when the store does not open or a service fails.
    public func run() async throws {
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
        var configuration = self.configuration
        while true {
            let reload = ReloadService(hangups: hangups, current: configuration, load: self.reload, logger: logger)
            let group = try buildAgent(configuration: configuration, options: options, store: store, logger: logger, reload: reload)
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
    }
}

/// The agent's services for `configuration` in one group that stops gracefully on SIGTERM and
/// SIGINT; with `reload`, the group also ends (gracefully) when a reload was accepted.
/// - Throws: `HyperwardError` `.configuration` when a section the services need does not load.
public func buildAgent(configuration: HyperwardConfiguration, options: AgentOptions = AgentOptions(), store: StateStore,
                       logger: Logger, reload: ReloadService? = nil) throws -> ServiceGroup {
    var services = try agentServices(configuration, options: options, store: store, logger: logger)
    if let reload { services.append(.init(service: reload, successTerminationBehavior: .gracefullyShutdownGroup)) }
    return ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
}

/// The services the configuration asks for.
func agentServices(_ configuration: HyperwardConfiguration, options: AgentOptions, store: StateStore,
                   logger: Logger) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
    let interval = Duration.seconds(options.auditIntervalSeconds ?? configuration.audit.intervalSeconds)
    let audit = AuditService(runner: AuditRunner(configuration: configuration, root: options.root), store: store,
                             interval: interval, logger: logger)
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: audit)]
    let policyPath = options.policy ?? configuration.network.policy
    // The policy is inline when it comes from the configuration file's network.policy mapping.
    let inline = options.policy == nil && configuration.network.policyIsInline
    if let policyPath {
        services.append(.init(service: NetworkService(policyPath: policyPath, inline: inline, namespace: configuration.network.netns,
                                                      resync: .seconds(30), store: store, logger: logger)))
    }
    if !configuration.sense.interfaces.isEmpty {
        var sensor = SensorConfiguration()
        sensor.showSecrets = configuration.sense.showSecrets
        if configuration.sense.showSecrets { logger.warning("sense.show_secrets is on: captured passwords are recorded in clear") }
        if let path = configuration.sense.inventory {
            do { sensor.inventory = try SensorInventory.load(path: OperatorFiles.absolute(path)) } catch {
                throw HyperwardError(.configuration, "\(error)")
            }
        } else if let policyPath {
            // The enforced policy (its libvirt domains resolved) is the authoritative inventory.
            let loaded = try PolicyLoader.load(policyPath, inline: inline, warn: { logger.warning("\($0)") })
            sensor.inventory = SensorInventory(policy: loaded)
        }
        services.append(.init(service: SenseService(
            interfaces: configuration.sense.interfaces, configuration: sensor, prevent: configuration.sense.prevent,
            allow: configuration.sense.allow, ttlSeconds: configuration.sense.ttlSeconds,
            namespace: configuration.network.netns, store: store, logger: logger)))
    }
    if configuration.keys.passphraseFile != nil || configuration.keys.keyFile != nil {
        let access = KeyAccess(passphraseFile: configuration.keys.passphraseFile.map(OperatorFiles.absolute),
                               keyFile: configuration.keys.keyFile.map(OperatorFiles.absolute))
        services.append(.init(service: KeyRotationService(operations: try KeyOperations(configuration: configuration), access: access,
                                                          interval: .seconds(configuration.keys.rotationCheckSeconds), logger: logger)))
        // The ledger's checkpoints are signed with the keystore's ledger key: with the same access.
        services.append(.init(service: LedgerCheckpointService(operations: try KeyOperations(configuration: configuration), access: access,
                                                               store: store, interval: .seconds(1), logger: logger)))
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
    // Attestation: when required, or when a measured-boot policy exists to verify against.
    if configuration.attestation.required || FileManager.default.fileExists(atPath: configuration.attestation.policy) {
        services.append(.init(service: AttestationService(configuration: configuration, logger: logger)))
    }
    // The fleet: pushed to once this host is enrolled (`hyperward agent enroll`).
    if FleetLink.isEnrolled(stateDirectory: configuration.stateDirectory) {
        services.append(.init(service: FleetPushService(configuration: configuration, logger: logger)))
        services.append(.init(service: FleetActionService(configuration: configuration, options: options, store: store, logger: logger)))
    }
    // Admission: watched when the policy has templates (the hook enforces them at every start).
    if let admission = try? LoadedAdmissionPolicy.load(configuration), !admission.policy.templates.isEmpty {
        services.append(.init(service: AdmissionWatchService(configuration: configuration, store: store, logger: logger)))
    }
    return services
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
public final class ReloadService: Service, @unchecked Sendable {
    let hangups: HangupSignal
    let current: HyperwardConfiguration
    let load: @Sendable () throws -> HyperwardConfiguration
    let logger: Logger
    private let lock = NSLock()
    private var _accepted: HyperwardConfiguration?

    /// The configuration to restart with, once a reload was accepted.
    public var accepted: HyperwardConfiguration? { lock.withLock { _accepted } }

    init(hangups: HangupSignal, current: HyperwardConfiguration, load: @escaping @Sendable () throws -> HyperwardConfiguration, logger: Logger) {
        self.hangups = hangups
        self.current = current
        self.load = load
        self.logger = logger
    }

    public func run() async throws {
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
