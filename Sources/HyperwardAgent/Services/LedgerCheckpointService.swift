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
import HyperwardStore
import KeyManagement
import Ledger
import Logging
import ServiceLifecycle

/// The agent's ledger service: at most once per `interval` (a second), signs a checkpoint of
/// the ledger when events were appended since the last one (none when nothing changed). The
/// keystore is opened once, with the agent's key access, and kept for the service's life.
struct LedgerCheckpointService: Service {
    var operations: KeyOperations
    var access: KeyAccess
    var store: StateStore
    var interval: Duration
    var logger: Logger

    func run() async throws {
        logger.info("ledger checkpoint service started")
        await cancelWhenGracefulShutdown {
            var signer: NoteSigner?
            while !Task.isCancelled {
                do {
                    if signer == nil {
                        let keystore = try operations.open(access)
                        signer = try LedgerOperations(configuration: operations.configuration).signer(keystore)
                    }
                    if let signer, let checkpoint = try store.signCheckpoint(with: signer, onlyIfChanged: true) {
                        logger.debug("ledger checkpoint signed", metadata: ["ledger.size": "\(checkpoint.size)"])
                    }
                } catch {
                    logger.error("ledger checkpoint failed", metadata: ["error": "\(error)"])
                }
                do { try await Task.sleep(for: interval) } catch { break }
            }
        }
        logger.info("ledger checkpoint service stopped")
    }
}
