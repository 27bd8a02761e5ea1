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

/// A TCP connection held open between two lab VMs, for "revoking access kills an established
/// connection" tests. Created by ``BridgeLab/openConnection(from:to:port:)``.
public final class LiveConnection: @unchecked Sendable {
    /// The client VM.
    public let from: BridgeLab.VM
    /// The server VM.
    public let to: BridgeLab.VM
    /// The server port.
    public let port: Int

    private let lab: BridgeLab
    private let client: Subprocess
    private let listener: Listener
    private let control: URL

    init(lab: BridgeLab, from: BridgeLab.VM, to: BridgeLab.VM, port: Int, client: Subprocess, listener: Listener, control: URL) {
        self.lab = lab
        self.from = from
        self.to = to
        self.port = port
        self.client = client
        self.listener = listener
        self.control = control
    }

    /// Sends one byte over the connection and waits up to `timeout` for its echo.
    ///
    /// Once a probe fails the connection counts as dead for good: with the data dropped, TCP keeps
    /// retransmitting, and a late echo after a rule is removed would prove nothing.
    /// - Returns: Whether the byte came back in time.
    /// - Throws: When the lab is shut down or the probe could not run.
    public func isAlive(timeout: Duration = .seconds(1)) throws -> Bool {
        guard client.isRunning else { return false }
        let seconds = String(format: "%.3f", timeout.timeInterval)
        let result = try lab.run(in: lab.hostNamespace, [try lab.pythonPath(), "-c", Scripts.liveConnectionProbe, control.path, seconds],
                                 timeout: timeout + .seconds(5))
        guard result.succeeded else {
            throw HyperwardError(.commandFailed, "cannot probe the connection \(from) -> \(to):\(port): \(result)")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "alive"
    }

    /// Closes the connection and stops its server.
    public func close() {
        client.stop()
        listener.stop()
    }
}
