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

import HyperwardCore
import NetworkPolicy

/// What prevention does about an alert.
public enum PreventionAction: Sendable, Hashable {
    /// Block this source for a time (IPS blocklist).
    case block(IPAddress)
    /// Rate-limit new connections to this destination for a time: for floods whose sources may
    /// be forged, where blocking sources would block innocents.
    case protect(IPAddress)
}

/// `--prevent`: which alerts lead to which action, once per incident.
///
/// Only sources that cannot be forged are blocked — a VM port behind anti-spoofing, or a peer
/// that completed a TCP handshake — and never an allowlisted address (the blocklist refuses those
/// itself; `allowlist` is checked here too). Floods whose sources may be forged get per-destination
/// rate limiting instead. Credential alerts alone block nothing (a login in cleartext is a risk,
/// not an attack); brute force does.
public struct PreventionPolicy: Sendable {
    /// Detectors whose unforgeable sources are blocked.
    public static let blocking: Set<DetectorKind> = [.portScan, .addressSweep, .synFlood, .flood, .bruteForce]
    /// Detectors whose victims are rate limited when the sources may be forged.
    public static let protecting: Set<DetectorKind> = [.synFlood, .flood]

    /// Addresses never acted against.
    public var allowlist: [IPNetwork]
    private var handled: Set<String> = []

    /// Creates a policy with an allowlist.
    public init(allowlist: [IPNetwork] = []) { self.allowlist = allowlist }

    /// The action for `alert`, or nil (not actionable, already handled, or allowlisted).
    public mutating func action(for alert: Alert) -> PreventionAction? {
        guard !handled.contains(alert.incident) else { return nil }
        var action: PreventionAction?
        if !alert.sourceMayBeSpoofed, PreventionPolicy.blocking.contains(alert.detector),
           let src = alert.src.flatMap({ IPAddress($0) }), !isAllowlisted(src) {
            action = .block(src)
        } else if alert.sourceMayBeSpoofed, PreventionPolicy.protecting.contains(alert.detector),
                  let dst = alert.dst.flatMap({ IPAddress($0) }) {
            action = .protect(dst)
        }
        if action != nil { handled.insert(alert.incident) }
        return action
    }

    func isAllowlisted(_ address: IPAddress) -> Bool {
        guard let network = try? IPNetwork(address: address.description) else { return false }
        return allowlist.contains { $0.prefixLength <= network.prefixLength && $0.contains(network) }
    }
}
