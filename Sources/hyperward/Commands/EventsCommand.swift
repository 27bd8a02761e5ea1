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
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardStore

/// `hyperward events`: what the state store recorded.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Show recorded events (audit, sensor, monitor, response and key events), oldest first.",
        discussion: """
            Reads the state store without creating anything. JSON: one event envelope per line \
            (docs/events.md, validated by docs/events.schema.json). Exit 66 when the state \
            directory or its store does not exist.
            """
    )

    enum Format: String, ExpressibleByArgument { case text, json }

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only events of this kind or kind prefix (audit.run, finding, alert, monitor, respond, key).", valueName: "KIND"))
    var kind: String?

    // `.unconditional`: `--limit -5` gets validate()'s message, not ArgumentParser's "Missing value".
    @Option(parsing: .unconditional, help: "How many of the most recent events to show.")
    var limit: Int = 50

    @Option(help: "text or json (one event envelope per line).")
    var format: Format = .text

    func validate() throws {
        if limit < 1 || limit > 100_000 { throw ValidationError("--limit must be a positive number of events, from 1 to 100000 (got \(limit))") }
    }

    func run() async throws {
        try await reportingErrors {
            let configuration = try global.loadConfiguration()
            let events: [Event]
            do throws(HyperwardError) {
                // Reading never creates the state directory or the database (exit 66 instead).
                let store = try StateStore.openExisting(stateDirectory: configuration.stateDirectory)
                events = try store.events(kindPrefix: kind, limit: limit)
            } catch {
                throw HyperwardError(exitStatus: error.code == .notFound ? 66 : ExitStatus.software, error.message)
            }
            var out = ""
            switch format {
            case .json:
                // `message` and `data` (schema 0's names for `summary` and `body`) stay for one
                // version: docs/events.md.
                for e in events { out += e.jsonLine(compatibilityKeys: true) + "\n" }
            case .text:
                for e in events { out += e.textLine + "\n" }
            }
            Output.write(out)
            return ExitStatus.completed
        }
    }
}
