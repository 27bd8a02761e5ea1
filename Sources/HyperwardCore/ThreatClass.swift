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

/// The five threat classes of the virtualization stack that every Hyperward result is tagged with.
public enum ThreatClass: String, Sendable, Codable, CaseIterable, Comparable {
    /// T1: a guest escapes to the host or to other guests.
    case vmEscape = "T1"
    /// T2: a guest hogs resources or attacks its neighbours.
    case maliciousVM = "T2"
    /// T3: privilege flaws or code injection in the hypervisor and its management plane.
    case hypervisorVulnerability = "T3"
    /// T4: timing and cache side channels between co-resident guests.
    case sideChannel = "T4"
    /// T5: sniffing, spoofing, scans and floods on the guests' networks.
    case networkThreat = "T5"

    /// The short code, `T1`…`T5`.
    public var code: String { rawValue }

    /// A human-readable name.
    public var title: String {
        switch self {
        case .vmEscape: "VM escape"
        case .maliciousVM: "Malicious VM"
        case .hypervisorVulnerability: "Hypervisor vulnerability"
        case .sideChannel: "Side channels"
        case .networkThreat: "Network threats"
        }
    }

    public static func < (lhs: ThreatClass, rhs: ThreatClass) -> Bool { lhs.rawValue < rhs.rawValue }
}
