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
import HostAudit
import HyperwardCore
import HyperwardHost
import HyperwardStore
import Logging

/// One audit run as the CLI and the agent perform it: gather inputs, run, record.
public struct AuditRunner: Sendable {
    public var root: String
    public var feeds: [String]
    public var skip: [String]
    public var waiversPath: String?
    public var allPackages: Bool
    /// The configuration, for the attestation state the report includes.
    public var configuration: HyperwardConfiguration

    public init(configuration: HyperwardConfiguration, root: String = "/") {
        self.root = OperatorFiles.absolute(root)
        self.feeds = configuration.audit.feeds.map(OperatorFiles.absolute)
        self.skip = configuration.audit.skip
        self.waiversPath = configuration.audit.waivers.map(OperatorFiles.absolute)
        self.allPackages = configuration.audit.allPackages
        self.configuration = configuration
    }

    /// Loads the waivers file (from the auditing machine, not the audited root).
    public func loadWaivers() throws(HyperwardError) -> WaiverSet {
        guard let waiversPath else { return WaiverSet() }
        try OperatorFiles.refuseDirectory(waiversPath, exitCode: ExitStatus.usage, what: "waivers file ")
        do {
            let text = try RootedFileSystem().readText(waiversPath, limit: 1 << 20)
            return try WaiverSet.parse(text, file: waiversPath)
        } catch {
            throw HyperwardError(.usage, error.description)
        }
    }

    /// Runs the audit.
    public func run(now: Date = Date()) throws(HyperwardError) -> AuditReport {
        let waivers = try loadWaivers()
        var context = AuditContext(fs: RootedFileSystem(root: root), feedPaths: feeds, matchAllPackages: allPackages)
        if root == "/" { context.attestation = attestationState(now: now) }
        return Auditor().run(context: context, skip: skip, waivers: waivers, now: now, toolVersion: HyperwardVersion.current)
    }

    /// This host's latest verification, for the `boot.attestation` check (only when auditing `/`:
    /// another root's verifications are not in this store).
    func attestationState(now: Date) -> AuditContext.AttestationState {
        let state = AttestationGate.state(configuration, now: now)
        var evidence = [Evidence(path: "attestation.required", value: String(configuration.attestation.required))]
        if let event = state.event { evidence.append(Evidence(path: "event \(event.id)", value: event.kind + " " + event.time)) }
        let status: Status = state.passed ? .pass : configuration.attestation.required ? .fail : .warn
        return AuditContext.AttestationState(status: status, detail: state.reason, evidence: evidence)
    }

    /// Records the run and the findings that changed since the previous one; returns the events.
    @discardableResult
    public static func record(_ report: AuditReport, in store: StateStore) throws(HyperwardError) -> [Event] {
        let time = Event.timestamp()
        let previous = try store.findingStates().mapValues(\.status)
        let events = AuditHistory.events(for: report, previous: previous, time: time)
        let states = report.findings.map { FindingState(key: $0.key, status: $0.status, severity: $0.severity, updatedAt: time) }
        // A key can repeat only if a check reports the same subject twice; keep the last.
        var unique: [String: FindingState] = [:]
        for s in states { unique[s.key] = s }
        try store.recordAudit(events: events, states: unique.values.sorted { $0.key < $1.key })
        return events
    }

    /// Records the run in the state store of `stateDirectory` (opened for it).
    public static func record(_ report: AuditReport, stateDirectory: String, logger: Logger) throws {
        let store = try StateStore(stateDirectory: stateDirectory)
        let events = try record(report, in: store)
        logger.debug("recorded audit events", metadata: ["store.path": "\(store.path)", "events.count": "\(events.count)"])
    }
}
