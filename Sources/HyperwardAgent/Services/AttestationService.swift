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
import Logging
import ServiceLifecycle

/// The agent's attestation service: verifies this host's measured boot at start (and so after
/// every SIGHUP reload) and then every `attestation.interval_seconds`, each result recorded.
/// With `attestation.required`, a failure closes the key-release gate until a verification
/// passes again; the agent keeps running (a host must be able to recover).
struct AttestationService: Service {
    var configuration: HyperwardConfiguration
    var logger: Logger

    func run() async throws {
        logger.info("attestation service started", metadata: ["attestation.interval_seconds": "\(configuration.attestation.intervalSeconds)"])
        await cancelWhenGracefulShutdown {
            let attestation = HostAttestation(configuration: configuration)
            while !Task.isCancelled {
                let outcome = attestation.verify(by: "the agent")
                if outcome.passed {
                    logger.info("measured boot verified", metadata: ["attest.quote_ms": "\(outcome.quoteMilliseconds)",
                                                                     "attest.verify_ms": "\(outcome.verifyMilliseconds)"])
                } else {
                    logger.error("attestation failed", metadata: ["attest.reason": "\(outcome.event.summary)",
                                                                  "attest.required": "\(configuration.attestation.required)"])
                }
                do { try await Task.sleep(for: .seconds(configuration.attestation.intervalSeconds)) } catch { break }
            }
        }
        logger.info("attestation service stopped")
    }
}
