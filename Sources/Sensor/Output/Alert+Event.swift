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

extension Alert {
    /// The alert as an event: engine `sense`, kind `alert.<detector>`, the incident as the subject,
    /// the alert's JSON (``AlertRendering/json(_:)``) as the body, and its addresses and counts as
    /// evidence (a captured password never is: it stays in the body, and only there when the
    /// operator asked for secrets).
    ///
    /// - Parameters:
    ///   - interface: the interface the traffic was captured on (`nil` for a capture file).
    ///   - inventory: names the VM: the one whose port `interface` is, else the VM that owns the
    ///     alert's source address when that source cannot be forged.
    public func event(interface: String? = nil, inventory: SensorInventory? = nil) -> Event {
        var evidence: [EventEvidence] = []
        if let src { evidence.append(EventEvidence(kind: "src", value: src)) }
        if let dst { evidence.append(EventEvidence(kind: "dst", value: dst)) }
        if let dstPort { evidence.append(EventEvidence(kind: "dst_port", value: String(dstPort))) }
        for (key, value) in self.evidence where key != "password" {
            if case .string(let text) = value {
                evidence.append(EventEvidence(kind: key, value: text))
            } else {
                evidence.append(EventEvidence(kind: key, value: AlertRendering.render(value)))
            }
        }
        return Event(time: time.description, kind: "alert.\(detector.rawValue)", engine: .sense, subject: incident,
                     vm: inventory.flatMap { vm(interface: interface, inventory: $0) }, interface: interface,
                     severity: severity, threat: threat, summary: summary, evidence: evidence,
                     body: AlertRendering.json(self))
    }

    /// What prevention did about this alert as an event (engine `sense`, kind `prevention`):
    /// `note` is the prevention's JSON line (action, incident, detail), recorded as the body.
    public func preventionEvent(_ note: String, interface: String? = nil, inventory: SensorInventory? = nil) -> Event {
        Event(time: Event.timestamp(), kind: "prevention", engine: .sense, subject: incident,
              vm: inventory.flatMap { vm(interface: interface, inventory: $0) }, interface: interface, threat: threat,
              summary: "prevention for \(incident)", body: note)
    }

    /// The VM this alert concerns, if the inventory says so unambiguously.
    func vm(interface: String?, inventory: SensorInventory) -> String? {
        if let interface, let index = inventory.interfaceIndex(onPort: interface) {
            return inventory.interfaces[index].vm
        }
        // A forgeable source names nobody: blaming a VM for a spoofed packet would mislead.
        guard !sourceMayBeSpoofed, let src, let address = IPAddress(src) else { return nil }
        let owners = Set(inventory.bindings(for: address).compactMap { binding -> String? in
            guard case .vm(let index) = binding.owner, inventory.interfaces.indices.contains(index) else { return nil }
            return inventory.interfaces[index].vm
        })
        return owners.count == 1 ? owners.first : nil
    }
}
