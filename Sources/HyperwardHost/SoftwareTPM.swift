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

/// A software TPM 2.0 (swtpm) listening on loopback, with its state in a private directory
/// removed on ``stop()``: the TPM the attestation tests, benchmarks and drills quote when the
/// host has none. Nothing of it outlives the process that started it (its child is tracked).
public final class SoftwareTPM: @unchecked Sendable {
    /// The TCTI for tpm2-tools.
    public let tcti: String
    private let child: HostChild
    private let directory: String

    /// Starts `swtpm socket --tpm2` on two free loopback ports and waits until it answers.
    public init(directory: String) throws(HyperwardError) {
        self.directory = directory
        do { try PrivateDirectory.ensure(directory, parents: true) } catch {
            throw HyperwardError(.storage, error.message)
        }
        var started: (HostChild, String)?
        for _ in 0..<8 {
            let port = Int.random(in: 20_000...60_000) & ~1
            let argv = ["swtpm", "socket", "--tpm2", "--tpmstate", "dir=\(directory)",
                        "--server", "type=tcp,port=\(port),bindaddr=127.0.0.1", "--ctrl", "type=tcp,port=\(port + 1),bindaddr=127.0.0.1",
                        "--flags", "not-need-init,startup-clear"]
            let child: HostChild
            do {
                child = try HostChild(argv, stdout: HostChild.nullDevice, stderr: URL(fileURLWithPath: directory + "/swtpm.err"))
            } catch {
                throw HyperwardError(.commandFailed, "cannot start swtpm (apt install swtpm): \(error)")
            }
            let tcti = "swtpm:host=127.0.0.1,port=\(port)"
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, child.isRunning {
                if HostCommand.run(["tpm2_getcap", "-T", tcti, "properties-fixed"], timeout: .seconds(5)).status == 0 {
                    started = (child, tcti)
                    break
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            if started != nil { break }
            child.stop()
        }
        guard let started else {
            try? FileManager.default.removeItem(atPath: directory)
            throw HyperwardError(.commandFailed, "swtpm did not answer on any of 8 ports")
        }
        (child, tcti) = started
    }

    /// Stops swtpm and removes its state.
    public func stop() {
        child.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
