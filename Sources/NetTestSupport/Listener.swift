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

/// A background echo server in a lab VM, started by ``BridgeLab/listen(in:tcp:)`` or
/// ``BridgeLab/listen(in:udp:)``. It listens dual-stack on `[::]:port`, echoes what it receives,
/// and records every received chunk or datagram, so a probe can tell one-way delivery apart from
/// a round trip.
public final class Listener: @unchecked Sendable {
    /// The listener's transport.
    public enum Transport: String, Sendable {
        /// A TCP echo server.
        case tcp
        /// A UDP echo-and-record server.
        case udp
    }

    /// The VM the listener runs in.
    public let vm: BridgeLab.VM
    /// TCP or UDP.
    public let transport: Transport
    /// The port it listens on.
    public let port: Int

    private let process: Subprocess
    private let log: URL

    init(vm: BridgeLab.VM, transport: Transport, port: Int, process: Subprocess, log: URL) {
        self.vm = vm
        self.transport = transport
        self.port = port
        self.process = process
        self.log = log
    }

    /// Whether the server process is still running.
    public var isRunning: Bool { process.isRunning }

    /// Everything received so far, one entry per TCP chunk or UDP datagram (newlines in the data
    /// become spaces).
    public var received: [String] {
        Subprocess.read(log).split(separator: "\n").map(String.init)
    }

    /// Stops the server and any connection handlers it forked.
    public func stop() {
        process.stop()
    }
}
