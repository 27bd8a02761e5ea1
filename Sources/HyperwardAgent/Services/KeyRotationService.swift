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
import HyperwardHost
import HyperwardCore
import KeyManagement
import Logging
import ServiceLifecycle

/// The agent's key service: every `interval`, rotates the keys whose rotation period has passed
/// (`keys create|config --rotate-after`), each rotation recorded as a `key.rotate` event, and
/// issues again the certificates that expire within a day.
struct KeyRotationService: Service {
    var operations: KeyOperations
    var access: KeyAccess
    var interval: Duration
    var logger: Logger

    /// One pass: the keys rotated.
    @discardableResult
    func rotateDue() -> [String] {
        do {
            let store = try operations.open(access)
            // One change at a time on the state directory (a `keys rotate` by hand waits, or this
            // round does).
            let lock = try StateChange.acquire(operations.directory, "agent key rotation")
            defer { withExtendedLifetime(lock) {} }
            let rotated = try operations.rotateDue(store, by: ", by the agent", recordCheck: false).map(\.name)
            if !rotated.isEmpty { logger.info("keys rotated", metadata: ["keys": "\(rotated.joined(separator: ","))"]) }
            // Certificates are issued again a day before they expire (when there is a CA).
            if (try? store.caCertificatePEM()) != nil {
                try operations.perform("cert.renew", key: nil) {
                    let lines = try CertificateFiles.renew(store, within: 86_400)
                    for line in lines { logger.info("\(line)") }
                    return (nil, "renewed \(lines.count) certificate(s) (by the agent)")
                }
            }
            return rotated
        } catch {
            logger.error("key rotation check failed", metadata: ["error": "\(error)"])
            return []
        }
    }

    func run() async throws {
        logger.info("key rotation service started", metadata: ["keys.rotation_check_seconds": "\(interval.components.seconds)"])
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                rotateDue()
                do { try await Task.sleep(for: interval) } catch { break }
            }
        }
        logger.info("key rotation service stopped")
    }
}
