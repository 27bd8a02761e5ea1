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

/// Who may answer for the network: the shared judgement of the rogue RA and rogue DHCP detectors.
///
/// A sender attributed to a VM (its port, or its MAC when the port is unknown) is always rogue: no
/// guest may act as the network's router or DHCP server (the policy drops both). Otherwise, when
/// the inventory lists infrastructure with the role, a sender it does not list is rogue (high). When
/// it lists none, the first sender seen is accepted (trust on first use, the best there is without
/// an inventory) and any later, different sender is rogue at medium severity; at most
/// `maximumLearned` senders are remembered.
struct RogueSenderJudge: Sendable {
    enum Verdict: Sendable {
        case legitimate
        case rogue(vmInterface: Int?, portVerified: Bool, learned: Bool)
    }

    var learned: Set<UInt64> = []
    var maximumLearned: Int

    mutating func judge(ingress: String?, ethSource: UInt64, inventory: SensorInventory, hasListed: Bool, isListed: () -> Bool) -> Verdict {
        let sender = inventory.sender(ingress: ingress, ethSource: ethSource)
        if let index = sender.interface { return .rogue(vmInterface: index, portVerified: sender.portVerified, learned: false) }
        if hasListed { return isListed() ? .legitimate : .rogue(vmInterface: nil, portVerified: false, learned: false) }
        if learned.contains(ethSource) { return .legitimate }
        if learned.isEmpty {
            learned.insert(ethSource)
            return .legitimate
        }
        return .rogue(vmInterface: nil, portVerified: false, learned: true)
    }
}
