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

import FleetClient
import Foundation
import HyperwardCore
import Logging
import ServiceLifecycle

/// The agent's link to the fleet server: every `fleet.push_interval_seconds` it pushes the
/// events recorded since the last acknowledged push (a heartbeat when there are none). While
/// the server is away the events wait in the state store and the next push resends from the
/// acknowledged position; the server keeps each event once. A refusal (a revoked host) is
/// logged as an error each time, and the agent goes on with its other work.
struct FleetPushService: Service {
    var configuration: HyperwardConfiguration
    var logger: Logger

    func run() async throws {
        logger.info("fleet push service started", metadata: ["fleet.push_interval_seconds": "\(configuration.fleet.pushIntervalSeconds)"])
        await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                do {
                    let link = try FleetLink.load(stateDirectory: configuration.stateDirectory)
                    while true {
                        // A long backlog goes in slices of 20 batches, so a shutdown is never kept waiting.
                        let result = try await link.push(stateDirectory: configuration.stateDirectory,
                                                         maxPending: Int64(configuration.fleet.maxPending), maxBatches: 20)
                        if result.sent > 0 {
                            logger.debug("pushed events", metadata: ["fleet.sent": "\(result.sent)", "fleet.stored": "\(result.stored)",
                                                                    "fleet.remaining": "\(result.remaining)"])
                        }
                        if result.remaining == 0 || Task.isCancelled { break }
                    }
                    if failing { logger.notice("fleet server reachable again", metadata: ["fleet.server": "\(link.server)"]) }
                    failing = false
                } catch let error as HyperwardError where error.code == .corrupted {
                    // The server refused this host's ledger checkpoint: its history does not extend
                    // what the server witnessed. Said every time; the server has raised a fleet alert.
                    logger.critical("the fleet server refused this host's ledger checkpoint", metadata: ["fleet.error": "\(error.message)"])
                    failing = true
                } catch let error as HyperwardError {
                    if !failing || error.code == .refused {
                        logger.error("fleet push failed; events wait in the store", metadata: ["fleet.error": "\(error.message)"])
                    }
                    failing = true
                } catch {
                    if !failing { logger.error("fleet push failed; events wait in the store", metadata: ["fleet.error": "\(error)"]) }
                    failing = true
                }
                do { try await Task.sleep(for: .seconds(configuration.fleet.pushIntervalSeconds)) } catch { break }
            }
        }
        logger.info("fleet push service stopped")
    }
}
