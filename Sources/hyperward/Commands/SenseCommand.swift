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
import Foundation
import HyperwardCore
import HyperwardStore
import NetworkPolicy
import Sensor

/// `hyperward sense`: intrusion detection (and prevention) for VM traffic.
struct SenseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sense",
        abstract: "Detect scans, floods, spoofing, rogue RA/DHCP and cleartext credentials in VM traffic.",
        discussion: """
            Reads a capture file (pcap or pcapng) or captures live on an interface (a libvirt bridge \
            such as virbr0, or a VM's tap). Alerts go to standard output, one per incident and \
            updated with counts; a summary follows (text: on standard error; JSON: a last object \
            with "type": "stats"). In JSON each alert also carries its event envelope under "event" \
            (docs/events.md); --record writes those events to the state store. Exit codes: 0 completed; 1 an alert at or above --fail-on; \
            64 usage; 65 a link type the decoder does not read (or an unsupported version); \
            66 unreadable capture or not a capture; 70 capture or internal error; 78 bad inventory.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Capture file to read (pcap or pcapng).", valueName: "FILE"))
    var pcap: String?

    @Option(help: ArgumentHelp("Interface to capture on live (root).", valueName: "IF"))
    var interface: String?

    @Option(help: ArgumentHelp("Authoritative bindings: a network policy file, optionally with an infrastructure: section (routers, DHCP servers).", valueName: "FILE"))
    var inventory: String?

    @Option(help: "json (one object per line) or text.")
    var format: String = "text"

    @Flag(help: "Block unforgeable offenders (IPS blocklist, --ttl) and rate-limit victims of forged floods.")
    var prevent = false

    @Option(help: "How long --prevent blocks or protects, e.g. 600s, 10m, 1h (default 10m).")
    var ttl: String = "10m"

    @Option(name: .customLong("allow"), help: ArgumentHelp("An address or CIDR --prevent never acts against (repeatable).", valueName: "CIDR"))
    var allow: [String] = []

    @Flag(name: .customLong("show-secrets"), help: "Show captured passwords instead of redacting them.")
    var showSecrets = false

    // `.unconditional`: `--duration -5` gets validate()'s message, not ArgumentParser's "Missing value".
    @Option(parsing: .unconditional, help: ArgumentHelp("Stop a live capture after this many seconds.", valueName: "SECONDS"))
    var duration: Double?

    @Option(name: .customLong("fail-on"), help: "Exit 1 when an alert reaches this severity (info|low|medium|high|critical).")
    var failOn: String?

    @Option(help: ArgumentHelp("Act (--prevent) inside this network namespace.", valueName: "NAME"))
    var netns: String?

    @Flag(help: "Record alerts and prevention actions as events in the state store (--state-dir).")
    var record = false

    func validate() throws {
        guard (pcap == nil) != (interface == nil) else { throw ValidationError("give exactly one of --pcap FILE or --interface IF") }
        guard ["json", "text"].contains(format) else { throw ValidationError("--format must be json or text") }
        guard Blocklist.seconds(ttl) != nil else { throw ValidationError("--ttl '\(ttl)' must be like 600s, 10m, 1h or 1d (at most 30d)") }
        if let failOn, Severity(rawValue: failOn) == nil { throw ValidationError("--fail-on must be one of info, low, medium, high, critical") }
        for a in allow where (try? IPNetwork(parsing: a)) == nil { throw ValidationError("--allow '\(a)' is not an address or CIDR") }
        if let duration, !(duration > 0 && duration <= 31_536_000) { throw ValidationError("--duration must be a positive number of seconds") }
    }

    func run() async throws {
        try await reportingErrors {
            var configuration = SensorConfiguration()
            configuration.showSecrets = showSecrets
            if showSecrets { Output.warn("--show-secrets: captured passwords are printed in clear") }
            if let inventory {
                try OperatorFiles.refuseDirectory(inventory, exitCode: ExitStatus.configuration, what: "--inventory ")
                do { configuration.inventory = try SensorInventory.load(path: AuditRunner.absolute(inventory)) } catch {
                    throw HyperwardError(.configuration, "\(error)")
                }
            }
            // The configuration file is read only to find the state directory: without --record,
            // `sense` works as before whatever that file says.
            let store = record ? try StateStore(stateDirectory: try global.loadConfiguration().stateDirectory) : nil
            var run = SenseRun(engine: SensorEngine(configuration: configuration), json: format == "json",
                               prevention: prevent ? try PreventionRunner(allow: allow, seconds: Blocklist.seconds(ttl) ?? 600, namespace: netns) : nil,
                               failOn: failOn.flatMap(Severity.init(rawValue:)))
            run.interface = interface
            run.inventory = configuration.inventory
            run.store = store
            let start = ContinuousClock.now
            var drops: Int?
            if let pcap {
                try OperatorFiles.refuseDirectory(pcap, exitCode: ExitStatus.noInput)
                let file: CaptureFile
                var options = CaptureFile.Options()
                // A link type the decoder cannot read would make every frame "malformed" and the run
                // look clean: refuse the file instead.
                options.linkTypes = LinkType.decodable
                do throws(CaptureError) { file = try CaptureFile(path: AuditRunner.absolute(pcap), options: options) } catch {
                    throw HyperwardError(exitStatus: error.code == .unsupported ? 65 : 66, "\(pcap): \(error.code == .system ? error.message : error.description)")
                }
                do throws(CaptureError) {
                    var frames: [CapturedFrame] = []
                    frames.reserveCapacity(32)
                    while true {
                        try file.nextBatch(into: &frames)
                        if frames.isEmpty { break }
                        run.process(batch: frames)
                    }
                } catch {
                    // What was read is reported; the error says where the file went bad.
                    _ = run.finish(elapsed: ContinuousClock.now - start, drops: nil, error: "\(error)")
                    throw HyperwardError(exitStatus: error.code == .unsupported ? 65 : ExitStatus.software, "\(pcap): \(error)")
                }
            } else if let interface {
                let live: LiveCapture
                do { live = try LiveCapture(interface: interface) } catch {
                    throw HyperwardError(.software, "cannot capture on \(interface): \(error)")
                }
                let stop = StopFlag()
                stop.installSignalHandlers()
                let deadline = duration.map { ContinuousClock.now + .milliseconds(Int64($0 * 1000)) }
                do {
                    try live.capture(until: { stop.isSet || deadline.map { ContinuousClock.now >= $0 } == true }) { run.process($0) }
                } catch {
                    throw HyperwardError(.software, "capture on \(interface) failed: \(error)")
                }
                drops = live.statistics().packetsDropped
                live.close()
            }
            return run.finish(elapsed: ContinuousClock.now - start, drops: drops, error: nil)
        }
    }
}

/// One run of the sensor: alerts printed as they come (in JSON with their event envelope),
/// prevention applied, events recorded when asked, summary at the end.
struct SenseRun {
    var engine: SensorEngine
    let json: Bool
    var prevention: PreventionRunner?
    let failOn: Severity?
    /// The live capture's interface, named in the events.
    var interface: String?
    /// Names the VM in the events.
    var inventory = SensorInventory()
    /// Where events are recorded (`--record`).
    var store: StateStore?
    private var recordFailed = false
    private var events: [Event] = []
    private var alerts: [Alert] = []
    private var matched = false
    private var output = ""

    init(engine: SensorEngine, json: Bool, prevention: PreventionRunner?, failOn: Severity?) {
        self.engine = engine
        self.json = json
        self.prevention = prevention
        self.failOn = failOn
        alerts.reserveCapacity(64)
    }

    mutating func process(_ frame: CapturedFrame) {
        engine.process(frame, into: &alerts)
        if !alerts.isEmpty { emit() }
    }

    mutating func process(batch frames: [CapturedFrame]) {
        engine.process(batch: frames, into: &alerts)
        if !alerts.isEmpty { emit() }
    }

    mutating func emit() {
        for alert in alerts {
            let event = json || store != nil ? alert.event(interface: interface, inventory: inventory) : nil
            if let event, store != nil { events.append(event) }
            if json, let event {
                output += AlertRendering.json(alert, event: event) + "\n"
            } else {
                output += AlertRendering.text(alert) + "\n"
            }
            if let failOn, alert.severity >= failOn { matched = true }
            if let note = prevention?.act(on: alert) {
                if json { output += note + "\n" } else { FileHandle.standardError.write(Data("hyperward: prevent: \(note)\n".utf8)) }
                if store != nil { events.append(alert.preventionEvent(note, interface: interface, inventory: inventory)) }
            }
        }
        alerts.removeAll(keepingCapacity: true)
        Output.write(output)
        output.removeAll(keepingCapacity: true)
        recordEvents()
    }

    /// Appends the pending events; a store that cannot be written is a warning (once), never a
    /// lost report.
    private mutating func recordEvents() {
        guard let store, !events.isEmpty else { return }
        defer { events.removeAll(keepingCapacity: true) }
        do { try store.append(events) } catch {
            if !recordFailed { Output.warn("\(error); alerts are not recorded") }
            recordFailed = true
        }
    }

    mutating func finish(elapsed: Duration, drops: Int?, error: String?) -> Int32 {
        engine.finish(into: &alerts)
        emit()
        let s = engine.statistics
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var malformed: [(String, EvidenceValue)] = []
        for (reason, count) in s.decode.malformedByReason { malformed.append((reason.description, .int(Int64(count)))) }
        var byDetector: [(String, EvidenceValue)] = []
        for kind in DetectorKind.sensorDetectors { if let n = s.alerts[kind] { byDetector.append((kind.rawValue, .int(Int64(n)))) } }
        var members: [(String, EvidenceValue)] = [
            ("type", .string("stats")), ("packets", .int(Int64(s.packets))), ("bytes", .int(Int64(s.bytes))),
            ("decode_errors", .int(Int64(s.decode.malformed))), ("malformed", .object(malformed)),
            ("flows", .object([("created", .int(Int64(s.flows.created))), ("evicted", .int(Int64(s.flows.evicted))),
                               ("expired", .int(Int64(s.flows.expired))), ("peak", .int(Int64(s.flows.peak)))])),
            ("credential_sessions", .int(Int64(s.credentialSessions))),
            ("alerts", .object(byDetector)), ("seconds", .double((seconds * 1000).rounded() / 1000)),
        ]
        if let drops { members.append(("drops", .int(Int64(drops)))) }
        if let error { members.append(("error", .string(error))) }
        if json {
            Output.write(AlertRendering.render(.object(members)) + "\n")
        } else {
            let total = byDetector.reduce(0) { if case .int(let n) = $1.1 { return $0 + Int(n) }; return $0 }
            var line = "hyperward: sense: \(s.packets) packets, \(s.bytes) bytes, \(s.decode.malformed) decode errors"
            if let drops { line += ", \(drops) dropped by the kernel" }
            line += ", \(total) alerts"
            if !byDetector.isEmpty { line += " (" + byDetector.map { "\($0.0) \(AlertRendering.render($0.1))" }.joined(separator: ", ") + ")" }
            FileHandle.standardError.write(Data((line + String(format: " in %.2f s\n", seconds)).utf8))
        }
        return matched ? ExitStatus.thresholdMatched : ExitStatus.completed
    }
}

/// Set by SIGINT/SIGTERM: a live capture stops at its next receive timeout.
final class StopFlag: @unchecked Sendable {
    nonisolated(unsafe) static var raised: sig_atomic_t = 0
    var isSet: Bool { StopFlag.raised != 0 }

    func installSignalHandlers() {
        signal(SIGINT) { _ in StopFlag.raised = 1 }
        signal(SIGTERM) { _ in StopFlag.raised = 1 }
    }
}
