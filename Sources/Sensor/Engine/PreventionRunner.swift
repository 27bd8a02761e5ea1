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

/// `--prevent`: the policy's decisions carried out through the IPS table.
public struct PreventionRunner {
    public var policy: PreventionPolicy
    public let blocklist: Blocklist
    public let seconds: Int

    /// - Throws: `HyperwardError` (78) for an allowlist entry that is not an address or CIDR: dropping
    ///   it would leave that address open to blocking.
    public init(allow: [String], seconds: Int, namespace: String?) throws(HyperwardError) {
        var allowlist: [IPNetwork] = []
        for entry in allow {
            do { allowlist.append(try IPNetwork(parsing: entry)) } catch {
                throw HyperwardError(.configuration, "allow entry '\(entry)' is not an address or CIDR: \(error.text)")
            }
        }
        policy = PreventionPolicy(allowlist: allowlist)
        blocklist = Blocklist(applier: NftApplier(namespace: namespace))
        self.seconds = seconds
    }

    /// Acts on `alert` if the policy says so; returns a line saying what was done (JSON or text).
    private var prepared = false

    public mutating func act(on alert: Alert) -> String? {
        guard let action = policy.action(for: alert) else { return nil }
        var result: (String, String)
        do {
            if !prepared {
                try blocklist.prepare()
                prepared = true
            }
            switch action {
            case .block(let address):
                result = ("block", try blocklist.block(address.description, seconds: seconds))
            case .protect(let address):
                result = ("rate-limit", try blocklist.protect(address.description, seconds: seconds))
            }
        } catch {
            result = ("failed", "\(error)")
        }
        return AlertRendering.render(.object([("type", .string("prevention")), ("action", .string(result.0)),
                                              ("incident", .string(alert.incident)), ("detail", .string(result.1))]))
    }
}
