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

/// `hyperward agent`: the host daemon. One ServiceGroup runs the audit service and, as the
/// configuration asks, the network, sensor, key rotation and monitor services; SIGHUP restarts
/// them with the configuration loaded again. Installed as a service by `scripts/install.sh`.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the host daemon: audits, network enforcement, the sensor, key rotation and VM monitoring, as configured.",
        discussion: """
            Runs the periodic audit (events on every change), enforces the network policy in step with \
            libvirt, runs the sensor on sense.interfaces, rotates keys when keys.* is set, and monitors \
            VMs when monitor: is set. One agent per state directory: a second one exits with 75. \
            SIGHUP reloads the configuration (a configuration that does not load is logged and the \
            running one kept); SIGTERM and SIGINT stop it cleanly. `agent enroll` joins a fleet \
            server; `agent push` sends it the events recorded since the last push.
            """,
        subcommands: [Enroll.self, Push.self]
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("interval"), help: ArgumentHelp("Seconds between audit runs (overrides audit.interval_seconds).", valueName: "SECONDS"))
    var intervalSeconds: Int?

    @Option(help: ArgumentHelp("Directory standing for the host's / .", valueName: "DIR"))
    var root: String = "/"

    @Option(help: ArgumentHelp("Network policy to enforce and keep in sync with libvirt (overrides network.policy).", valueName: "FILE"))
    var policy: String?

    func validate() throws {
        if let intervalSeconds, intervalSeconds < 1 { throw ValidationError("--interval must be at least 1 second") }
    }

    func run() async throws {
        try await reportingErrors {
            let configuration = try global.loadConfiguration()
            let logger = global.bootstrapLogging(configuration)
            let options = AgentOptions(auditIntervalSeconds: intervalSeconds, root: root, policy: policy)
            let global = self.global
            try await Agent(configuration: configuration, options: options, reload: { try global.loadConfiguration() }, logger: logger).run()
            return ExitStatus.completed
        }
    }
}
