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

/// Traffic probes. Each answers "did it get through" within a short, bounded time.
extension BridgeLab {
    /// Starts a TCP echo server on `[::]:port` in a VM and waits until it listens.
    /// - Returns: The running listener; stop it with ``Listener/stop()`` (shutdown stops it too).
    /// - Throws: When the server cannot bind (port in use) or does not come up within 5 s.
    public func listen(in vm: VM, tcp port: Int) throws -> Listener {
        try startListener(in: vm, transport: .tcp, port: port)
    }

    /// Starts a UDP echo-and-record server on `[::]:port` in a VM and waits until it is bound.
    /// - Returns: The running listener; ``udpDelivers(from:to:port:timeout:)`` reads its record.
    public func listen(in vm: VM, udp port: Int) throws -> Listener {
        try startListener(in: vm, transport: .udp, port: port)
    }

    private func startListener(in vm: VM, transport: Listener.Transport, port: Int) throws -> Listener {
        let port = try Validate.port(port)
        let base = scratchFile("listen-\(transport.rawValue)-\(port)")
        let log = base.appendingPathExtension("log"), ready = base.appendingPathExtension("ready")
        let process = try startBackground(
            in: vm.name, [try pythonPath(), "-c", Scripts.listener, transport.rawValue, String(port), log.path, ready.path],
            label: "listener")
        let up = poll(timeout: .seconds(5)) { FileManager.default.fileExists(atPath: ready.path) || !process.isRunning }
        guard up, process.isRunning else {
            process.kill()
            throw HyperwardError(.commandFailed, "\(transport.rawValue) listener on \(vm):\(port) did not start: \(process.readStderr())")
        }
        let listener = Listener(vm: vm, transport: transport, port: port, process: process, log: log)
        registerListener(listener)
        return listener
    }

    /// Whether a TCP connection from a VM to `address:port` is established and echoes a token.
    ///
    /// Start a server first with ``listen(in:tcp:)``: a refused connection answers false, like a
    /// dropped one.
    public func tcpConnects(from vm: VM, to address: String, port: Int, timeout: Duration = .seconds(2)) throws -> Bool {
        let token = "hw-tcp-\(BridgeLab.randomSuffix())"
        let result = try run(in: vm.name, [try pythonPath(), "-c", Scripts.tcpProbe, try Validate.ip(address), String(try Validate.port(port)),
                                           token, String(format: "%.3f", timeout.timeInterval)],
                             timeout: timeout * 2 + .seconds(3))
        return result.succeeded
    }

    /// Whether a UDP datagram from a VM to `address:port` reaches a lab UDP listener on that port.
    ///
    /// One-way: the datagram carries a unique token and the answer is whether any running
    /// ``listen(in:udp:)`` listener of this lab on `port` recorded it, so a firewall that drops only
    /// replies does not make this false.
    /// - Throws: When no UDP listener of this lab runs on `port`.
    public func udpDelivers(from vm: VM, to address: String, port: Int, timeout: Duration = .seconds(2)) throws -> Bool {
        let port = try Validate.port(port)
        let listeners = activeListeners(transport: .udp, port: port)
        guard !listeners.isEmpty else {
            throw HyperwardError(.invalidInput, "no UDP listener on port \(port) in lab \(name); call listen(in:udp:) first")
        }
        let token = "hw-udp-\(BridgeLab.randomSuffix())"
        let sent = try run(in: vm.name, [try pythonPath(), "-c", Scripts.udpSend, try Validate.ip(address), String(port), token],
                           timeout: .seconds(5))
        guard sent.succeeded else {
            throw HyperwardError(.commandFailed, "cannot send UDP from \(vm): \(sent)")
        }
        return poll(timeout: timeout) { listeners.contains { $0.received.contains(token) } }
    }

    /// Whether one ICMP echo from a VM to `address` is answered within `timeout` (IPv6 when the
    /// address contains a colon).
    public func ping(from vm: VM, to address: String, timeout: Duration = .seconds(2)) throws -> Bool {
        let address = try Validate.ip(address)
        let seconds = max(1, Int(timeout.timeInterval.rounded(.up)))
        let result = try run(in: vm.name, ["ping", address.contains(":") ? "-6" : "-4", "-n", "-q", "-c", "1", "-w", String(seconds), address],
                             timeout: .seconds(seconds + 3))
        return result.succeeded
    }

    /// Holds a TCP connection open from one VM to an echo server the call starts on another.
    /// - Returns: A handle whose ``LiveConnection/isAlive(timeout:)`` sends a byte and expects
    ///   its echo.
    /// - Throws: When the server cannot start or the connection cannot be made within 2 s.
    public func openConnection(from: VM, to: VM, port: Int) throws -> LiveConnection {
        let listener = try listen(in: to, tcp: port)
        let base = scratchFile("conn")
        let control = base.appendingPathExtension("sock"), ready = base.appendingPathExtension("ready")
        // The control socket is a filesystem Unix socket: reachable from every network namespace.
        let client: Subprocess
        do {
            client = try startBackground(
                in: from.name, [try pythonPath(), "-c", Scripts.liveConnection, to.ipv4, String(port), control.path, ready.path],
                label: "conn")
        } catch {
            listener.stop()
            throw error
        }
        let up = poll(timeout: .seconds(5)) { FileManager.default.fileExists(atPath: ready.path) || !client.isRunning }
        guard up, client.isRunning else {
            client.kill()
            listener.stop()
            throw HyperwardError(.commandFailed, "cannot connect \(from) -> \(to.ipv4):\(port): \(client.readStderr())")
        }
        return LiveConnection(lab: self, from: from, to: to, port: port, client: client, listener: listener, control: control)
    }
}
