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
import HyperwardStore
import KeyManagement
import Logging
import ServiceLifecycle
import Testing

@testable import HyperwardAgent

/// A private scratch directory, removed at the end.
final class Scratch {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "hw-agent-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o600) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
        return file
    }
}

@Suite("The agent's services, built from the configuration")
struct AgentServicesTests {
    static let policy = """
        vms:
          web-1:
            interfaces:
              - { device: vnet0, mac: "52:54:00:00:00:01", ipv4: [192.0.2.10] }
        """

    func configuration(_ text: String, in scratch: Scratch) throws -> HyperwardConfiguration {
        try HyperwardConfiguration.load(path: scratch.write("hyperward.yaml", text), isExplicit: true)
    }

    func kinds(_ services: [ServiceGroupConfiguration.ServiceConfiguration]) -> [String] {
        services.map { String(describing: type(of: $0.service)) }
    }

    @Test func aMinimalConfigurationRunsTheAuditAlone() throws {
        let scratch = Scratch()
        let configuration = try configuration("state_directory: \(scratch.path)/state\n", in: scratch)
        let store = try StateStore(stateDirectory: configuration.stateDirectory)
        let services = try agentServices(configuration, options: AgentOptions(), store: store, logger: Logger(label: "test"))
        #expect(kinds(services) == ["AuditService"])
    }

    @Test func everyConfiguredSectionAddsItsService() throws {
        let scratch = Scratch()
        let policy = scratch.write("policy.yaml", Self.policy)
        let keyFile = scratch.write("root.key", String(repeating: "k", count: 32))
        let configuration = try configuration("""
            state_directory: \(scratch.path)/state
            network: { policy: \(policy) }
            sense: { interfaces: [hw-test0], inventory: \(policy) }
            keys: { key_file: \(keyFile) }
            monitor:
              interval_seconds: 5
              limits: { cpu: { max: 2 } }
            """, in: scratch)
        let store = try StateStore(stateDirectory: configuration.stateDirectory)
        let services = try agentServices(configuration, options: AgentOptions(auditIntervalSeconds: 60), store: store, logger: Logger(label: "test"))
        #expect(kinds(services) == ["AuditService", "NetworkService", "SenseService", "KeyRotationService", "LedgerCheckpointService", "MonitorService"])
        let audit = try #require(services.first?.service as? AuditService)
        #expect(audit.interval == .seconds(60), "the command line's --interval overrides audit.interval_seconds")
        let network = try #require(services.dropFirst().first?.service as? NetworkService)
        #expect(network.policyPath == policy && network.store != nil, "the network service records its events")
    }

    @Test func aSensorInventoryThatDoesNotLoadStopsTheAgentWithAConfigurationError() throws {
        let scratch = Scratch()
        let broken = scratch.write("inventory.yaml", "vms: [not, a, mapping]\n")
        let configuration = try configuration("state_directory: \(scratch.path)/state\nsense: { interfaces: [hw-test0], inventory: \(broken) }\n", in: scratch)
        let store = try StateStore(stateDirectory: configuration.stateDirectory)
        #expect {
            _ = try agentServices(configuration, options: AgentOptions(), store: store, logger: Logger(label: "test"))
        } throws: { ($0 as? HyperwardError)?.code.exitStatus == ExitStatus.configuration }
    }

    @Test func aPolicyThatStaysBrokenIsOneRefusalEventNotOnePerResync() throws {
        let scratch = Scratch()
        let store = try StateStore(stateDirectory: scratch.path + "/state")
        let missing = scratch.path + "/missing.yaml"
        let service = NetworkService(policyPath: missing, namespace: nil, resync: .seconds(30), store: store, logger: Logger(label: "test"))
        for _ in 0..<3 { service.applyOnce(reason: "periodic resync") }
        var refused = try store.events(kindPrefix: "net.refused")
        #expect(refused.count == 1, "three failed resyncs with one error: one event")
        #expect(refused.first?.engine == .net && refused.first?.severity == .medium && refused.first?.subject == missing)
        // Another error is another event.
        scratch.write("missing.yaml", "vms: [1, 2]\n")
        service.applyOnce(reason: "periodic resync")
        refused = try store.events(kindPrefix: "net.refused")
        #expect(refused.count == 2)
    }
}

@Suite("Key operations the command line and the agent share")
struct KeyOperationsTests {
    @Test func rotateDueRotatesOnlyKeysPastTheirPeriodAndRecordsEachRotation() throws {
        let scratch = Scratch()
        var configuration = HyperwardConfiguration()
        configuration.stateDirectory = scratch.path + "/state"
        let keyFile = scratch.write("root.key", String(repeating: "r", count: 48))
        let operations = try KeyOperations(configuration: configuration)
        let access = KeyAccess(keyFile: keyFile)
        let store = try Keystore.initialize(directory: operations.directory, unlocker: try access.unlocker())
        _ = try store.create("fast", rotateAfterSeconds: 60)
        _ = try store.create("manual")
        let later = Date().addingTimeInterval(120)
        #expect(try operations.rotateDue(operations.open(access), by: "", recordCheck: false).isEmpty, "nothing is due yet")
        let rotated = try operations.rotateDue(operations.open(access), by: ", by the agent", recordCheck: false, now: later)
        #expect(rotated.map(\.name) == ["fast"] && rotated.first?.latestVersion == 2)
        #expect(try store.info("manual").latestVersion == 1)
        let events = try StateStore(stateDirectory: operations.directory).events(kindPrefix: "key.rotate")
        #expect(events.map(\.kind) == ["key.rotate"], "the agent records rotations, not each check")
        #expect(events.first?.summary.contains("by the agent") == true)
        // Checked again now: the new version is fresh, nothing is due.
        #expect(try operations.rotateDue(operations.open(access), by: "").isEmpty)
        #expect(try StateStore(stateDirectory: operations.directory).events(kindPrefix: "key.rotate-due").count == 1,
                "a check by hand is recorded")
    }
}
