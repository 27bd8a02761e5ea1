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

/// The monitor's output lines: `hyperward monitor --format json|text` prints these (stable JSON:
/// `{"type":"alert","alert":…}` and `{"type":"rates",…}`).
public enum MonitorRendering {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    public static func json(_ alert: MonitorAlert) -> String { alert.jsonText }

    /// One alert as a line: JSON (`json`) or text. In JSON the alert's event envelope (its
    /// `body` null: the alert is the body) follows under `event` when given.
    public static func alert(_ alert: MonitorAlert, event: Event? = nil, json: Bool) -> String {
        guard json else { return "\(alert.time) \(alert.severity.rawValue.uppercased()) \(alert.summary)\n" }
        guard var envelope = event else { return "{\"type\":\"alert\",\"alert\":\(self.json(alert))}\n" }
        envelope.body = nil
        return "{\"type\":\"alert\",\"alert\":\(self.json(alert)),\"event\":\(envelope.jsonLine())}\n"
    }

    /// Every VM's rates, one line each: JSON (`json`) or text.
    public static func rates(_ rates: [VMRates], json: Bool) -> String {
        var out = ""
        for r in rates.sorted(by: { $0.name < $1.name }) {
            switch json {
            case true:
                var metrics: [String: Double] = [:]
                for (m, v) in r.values { metrics[m.rawValue] = v }
                let object: [String: AnyEncodable] = [
                    "type": AnyEncodable("rates"), "vm": AnyEncodable(r.name), "uuid": AnyEncodable(r.uuid),
                    "interval": AnyEncodable(r.interval), "vcpu_time_unit": AnyEncodable(r.vcpuTimeUnit.rawValue),
                    "interfaces": AnyEncodable(r.interfaces), "metrics": AnyEncodable(metrics),
                ]
                out += ((try? String(decoding: encoder.encode(object), as: UTF8.self)) ?? "{}") + "\n"
            case false:
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
