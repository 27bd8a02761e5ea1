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
import VMMonitor

/// The live monitor's rounds: libvirt read on a queue of its own (a blocking C call must not hold
/// a task thread), the engine advanced with what it returns.
final class MonitorLoop: @unchecked Sendable {
    let collector: LibvirtCollector
    private var engine: MonitorEngine
    private let queue = DispatchQueue(label: "hyperward.monitor.collector")

    init(uri: String, policy: MonitorPolicy) throws {
        do { collector = try LibvirtCollector(uri: uri) } catch {
            throw HyperwardError(.refused, "\(error)")
        }
        engine = MonitorEngine(policy: policy)
    }

    private var skippedSeen = 0

    /// Records skipped since the last call, with the last reason (a domain whose statistics do not read).
    func newlySkipped() -> (count: Int, reason: String?) {
        let total = collector.skipped
        defer { skippedSeen = total }
        return (total - skippedSeen, collector.lastSkipReason)
    }

    /// One round: every running VM sampled, rates and alerts out. Rounds are sequential.
    func round() async throws -> (rates: [VMRates], alerts: [MonitorAlert]) {
        let samples: [DomainSample] = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do { continuation.resume(returning: try self.collector.collect()) } catch {
                    continuation.resume(throwing: HyperwardError(.refused, "\(error)"))
                }
            }
        }
        return engine.ingest(samples, now: Date())
    }
}

enum MonitorSetup {
    /// The policy from `file`, else the configuration's `monitor` section, else the defaults.
    static func policy(file: String?, configuration: HyperwardConfiguration) throws -> (MonitorPolicy, uri: String, response: AutoResponse) {
        do {
            if let file { return try MonitorPolicy.load(file) }
            if let section = configuration.monitor { return try MonitorPolicy.load(section.file, section: true) }
        } catch {
            throw HyperwardError(.configuration, error.description)
        }
        return (MonitorPolicy(), "qemu:///system", AutoResponse())
    }
}

enum MonitorRendering {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func json(_ alert: MonitorAlert) -> String { alert.jsonText }

    static func alert(_ alert: MonitorAlert, format: MonitorCommand.Format) -> String {
        switch format {
        case .json: "{\"type\":\"alert\",\"alert\":\(json(alert))}\n"
        case .text: "\(alert.time) \(alert.severity.rawValue.uppercased()) \(alert.summary)\n"
        }
    }

    static func rates(_ rates: [VMRates], format: MonitorCommand.Format) -> String {
        var out = ""
        for r in rates.sorted(by: { $0.name < $1.name }) {
            switch format {
            case .json:
                var metrics: [String: Double] = [:]
                for (m, v) in r.values { metrics[m.rawValue] = v }
                let object: [String: AnyEncodable] = [
                    "type": AnyEncodable("rates"), "vm": AnyEncodable(r.name), "uuid": AnyEncodable(r.uuid),
                    "interval": AnyEncodable(r.interval), "vcpu_time_unit": AnyEncodable(r.vcpuTimeUnit.rawValue),
                    "interfaces": AnyEncodable(r.interfaces), "metrics": AnyEncodable(metrics),
                ]
                out += ((try? String(decoding: encoder.encode(object), as: UTF8.self)) ?? "{}") + "\n"
            case .text:
                let cells = r.values.sorted { $0.key < $1.key }.map { "\($0.key.rawValue)=\(String(format: "%.3g", $0.value))" }
                out += "rates \(r.name): \(cells.isEmpty ? "(libvirt reported no counters)" : cells.joined(separator: " "))\n"
            }
        }
        return out
    }
}

struct AnyEncodable: Encodable {
    let encodeValue: (any Encoder) throws -> Void
    init<T: Encodable>(_ value: T) { encodeValue = value.encode }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
