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

/// Every detector of Hyperward's engines: the sensor's packet detectors and the monitor's metric
/// detectors.
///
/// The raw value is what outputs print (a sensor alert's `detector`, a monitor signal's
/// `detectors`, the `alert.<detector>` event kinds) and is stable.
public enum DetectorKind: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    // The sensor's (`hyperward sense`, docs/sensor.md).
    case portScan = "port-scan"
    case addressSweep = "address-sweep"
    case synFlood = "syn-flood"
    case flood
    case arpSpoof = "arp-spoof"
    case ipSpoof = "ip-spoof"
    case rogueRA = "rogue-ra"
    case rogueDHCP = "rogue-dhcp"
    case cleartextCredentials = "cleartext-credentials"
    case bruteForce = "brute-force"
    case malformed

    // The monitor's (`hyperward monitor`, docs/monitor.md).
    /// A metric above its hard limit for the sustained number of samples.
    case limit
    /// A metric breaking out of the VM's own baseline.
    case baseline
    /// A VM far above its peers on the same host.
    case peers

    /// The engine whose detector it is.
    public var engine: Event.Engine {
        switch self {
        case .limit, .baseline, .peers: .monitor
        default: .sense
        }
    }

    /// The sensor's detectors, in declaration order.
    public static let sensorDetectors = allCases.filter { $0.engine == .sense }

    /// The monitor's detectors, in declaration order.
    public static let monitorDetectors = allCases.filter { $0.engine == .monitor }

    public static func < (lhs: DetectorKind, rhs: DetectorKind) -> Bool { lhs.rawValue < rhs.rawValue }
}
