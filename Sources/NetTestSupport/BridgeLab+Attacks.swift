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

/// Layer-2 attacks: crafted frames and ARP poisoning.
extension BridgeLab {
    /// Sends a crafted frame out of one VM's interface and reports whether it arrived on another's.
    ///
    /// A capture (`tcpdump -Q in`, inbound only, so the capturing VM's own replies never count) is
    /// running on `captureOn` before the frame is sent twice with scapy from `from`.
    /// - Parameters:
    ///   - filter: A pcap filter the frame must match on arrival, e.g. `"udp dst port 9999"`.
    ///   - destinationMAC: The Ethernet destination; nil for
    ///     ``CraftedFrame/defaultDestinationMAC(capturingVM:)``.
    ///   - timeout: How long to wait for the frame after sending it.
    /// - Returns: Whether a frame matching `filter` arrived on `captureOn` within `timeout`.
    /// - Throws: For a malformed frame field, an invalid filter, or a failure to send.
    public func sendAndCapture(from: VM, frame: CraftedFrame, captureOn: VM, filter: String,
                               destinationMAC: String? = nil, timeout: Duration = .seconds(2)) throws -> Bool {
        let fields = try frame.scriptArguments()
        let destination = try Validate.mac(destinationMAC ?? frame.defaultDestinationMAC(capturingVM: captureOn))
        let capture = try startBackground(
            in: captureOn.name,
            ["tcpdump", "-i", captureOn.interface, "-Q", "in", "-n", "-e", "-l", "--immediate-mode", "-Z", "root", "-c", "1", filter],
            label: "capture")
        defer { capture.kill() }
        // tcpdump reports "listening on" once the filter is attached: from then on nothing is missed.
        let listening = poll(timeout: .seconds(5)) { capture.readStderr().contains("listening on") || !capture.isRunning }
        guard listening, capture.isRunning else {
            throw HyperwardError(.commandFailed, "capture on \(captureOn) did not start (filter \(filter.debugDescription)): \(capture.readStderr())")
        }
        let sent = try run(in: from.name, [try pythonPath(), "-c", Scripts.craftFrame, from.interface, destination] + fields,
                           timeout: .seconds(15))
        guard sent.succeeded else {
            throw HyperwardError(.commandFailed, "cannot send \(frame) from \(from): \(sent)")
        }
        return capture.wait(timeout: timeout) == 0
    }

    /// Runs `arpspoof` (dsniff) from `attacker`, telling `victim` that `impersonating`'s IPv4
    /// address is at the attacker's MAC, and reports whether the victim's ARP cache took it.
    ///
    /// The victim first pings `impersonating` so it has a cache entry (Linux ignores unsolicited
    /// replies for addresses it has no entry for, and refuses to override an entry younger than
    /// `locktime`, 1 s); the entry is then polled until it holds the attacker's MAC or `duration`
    /// passes. arpspoof is killed with SIGKILL, so it does not restore the cache on exit.
    /// - Returns: Whether the victim's entry for `impersonating.ipv4` pointed at `attacker.mac`.
    public func arpPoison(attacker: VM, victim: VM, impersonating: VM, duration: Duration = .seconds(5)) throws -> Bool {
        _ = try ping(from: victim, to: impersonating.ipv4, timeout: .seconds(1))
        let spoof = try startBackground(
            in: attacker.name, ["arpspoof", "-i", attacker.interface, "-t", victim.ipv4, impersonating.ipv4], label: "arpspoof")
        defer { spoof.kill() }
        var failure: (any Error)?
        let poisoned = poll(timeout: duration, interval: .milliseconds(200)) {
            do {
                let entry = try run(in: victim.name, ["ip", "neigh", "show", impersonating.ipv4, "dev", victim.interface], timeout: .seconds(3))
                return entry.stdout.lowercased().contains("lladdr \(attacker.mac)")
            } catch {
                failure = error
                return true
            }
        }
        if let failure { throw failure }
        if !poisoned, !spoof.isRunning {
            throw HyperwardError(.commandFailed, "arpspoof in \(attacker) exited: \(spoof.readStderr())")
        }
        return poisoned
    }
}
