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
import Sensor

/// One run of the sensor: alerts printed as they come (in JSON with their event envelope),
/// prevention applied, events recorded when asked, summary at the end.
public struct SenseRun {
    public var engine: SensorEngine
    let json: Bool
    var prevention: PreventionRunner?
    let failOn: Severity?
    /// The live capture's interface, named in the events.
    public var interface: String?
    /// Names the VM in the events.
    public var inventory = SensorInventory()
    /// Where events are recorded (`--record`).
    public var store: StateStore?
    private var recordFailed = false
    private var events: [Event] = []
    private var alerts: [Alert] = []
    private var matched = false
    private var output = ""

    public init(engine: SensorEngine, json: Bool, prevention: PreventionRunner?, failOn: Severity?) {
        self.engine = engine
        self.json = json
        self.prevention = prevention
        self.failOn = failOn
        alerts.reserveCapacity(64)
    }

    public mutating func process(_ frame: CapturedFrame) {
        engine.process(frame, into: &alerts)
        if !alerts.isEmpty { emit() }
    }

    public mutating func process(batch frames: [CapturedFrame]) {
        engine.process(batch: frames, into: &alerts)
        if !alerts.isEmpty { emit() }
    }

    /// Reads the capture file `path` (pcap or pcapng) through the sensor in batches; returns the
    /// exit status (`finish`). A file the decoder cannot read is exit 65 (every frame would be
    /// "malformed" and the run look clean), an unreadable one 66; a file that goes bad half-way
    /// reports what was read and then the error.
    public mutating func read(file path: String) throws -> Int32 {
        let start = ContinuousClock.now
        let file: CaptureFile
        var options = CaptureFile.Options()
        options.linkTypes = LinkType.decodable
        do throws(CaptureError) { file = try CaptureFile(path: OperatorFiles.absolute(path), options: options) } catch {
            throw HyperwardError(exitStatus: error.code == .unsupported ? ExitStatus.invalidData : ExitStatus.noInput,
                                 "\(path): \(error.code == .system ? error.message : error.description)")
        }
        do throws(CaptureError) {
            var frames: [CapturedFrame] = []
            frames.reserveCapacity(32)
            while true {
                try file.nextBatch(into: &frames)
                if frames.isEmpty { break }
                process(batch: frames)
            }
        } catch {
            // What was read is reported; the error says where the file went bad.
            _ = finish(elapsed: ContinuousClock.now - start, drops: nil, error: "\(error)")
            throw HyperwardError(exitStatus: error.code == .unsupported ? ExitStatus.invalidData : ExitStatus.software, "\(path): \(error)")
        }
        return finish(elapsed: ContinuousClock.now - start, drops: nil, error: nil)
    }

    /// Captures live on `interface` until `stop` is raised or `duration` seconds passed; returns
    /// the exit status (`finish`, with the kernel's drop count).
    public mutating func capture(interface: String, duration: Double?, until stop: StopSignal) throws -> Int32 {
        let start = ContinuousClock.now
        let live: LiveCapture
        do { live = try LiveCapture(interface: interface) } catch {
            throw HyperwardError(.software, "cannot capture on \(interface): \(error)")
        }
        let deadline = duration.map { ContinuousClock.now + .milliseconds(Int64($0 * 1000)) }
        do {
            try live.capture(until: { stop.isRaised || deadline.map { ContinuousClock.now >= $0 } == true }) { process($0) }
        } catch {
            throw HyperwardError(.software, "capture on \(interface) failed: \(error)")
        }
        let drops = live.statistics().packetsDropped
        live.close()
        return finish(elapsed: ContinuousClock.now - start, drops: drops, error: nil)
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

    public mutating func finish(elapsed: Duration, drops: Int?, error: String?) -> Int32 {
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
