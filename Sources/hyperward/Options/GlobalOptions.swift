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

import ArgumentParser
import HyperwardAgent
import HyperwardCore
import HyperwardHost
import Logging

/// Flags every subcommand shares: where configuration and state live, and how much to log.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file.", valueName: "FILE"))
    var config: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("State directory (default /var/lib/hyperward, or the config's state_directory).", valueName: "DIR"))
    var stateDirectory: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    /// The levels `--log-level` accepts, in swift-log's order (most verbose first).
    static let logLevels = Logger.Level.allCases.map(\.rawValue)

    func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level '\(logLevel)' is not a log level; use one of \(GlobalOptions.logLevels.joined(separator: ", "))")
        }
        if let config, config.isEmpty { throw ValidationError("--config needs a file name") }
        if let stateDirectory, stateDirectory.isEmpty { throw ValidationError("--state-dir needs a directory") }
    }

    /// The configuration: `--config` (relative to the working directory), else the default file if present, else defaults; flags override it.
    func loadConfiguration() throws -> HyperwardConfiguration {
        var configuration: HyperwardConfiguration
        do {
            configuration = try HyperwardConfiguration.load(path: config ?? HyperwardConfiguration.defaultPath, isExplicit: config != nil)
        } catch {
            throw HyperwardError(.configuration, error.description)
        }
        if let stateDirectory { configuration.stateDirectory = stateDirectory }
        if let logLevel { configuration.logLevel = logLevel }
        return configuration
    }

    /// Sets up swift-log once, writing to standard error.
    func bootstrapLogging(_ configuration: HyperwardConfiguration) -> Logger {
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSetup.once(level: level)
        var logger = Logger(label: "hyperward")
        logger.logLevel = level
        return logger
    }
}
