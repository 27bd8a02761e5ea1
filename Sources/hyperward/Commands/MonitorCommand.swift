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
import VMMonitor

/// `hyperward monitor`: VM behaviour monitoring. So far: the streaming detector replayed on a
/// NAB-format series, so it can be measured on a public benchmark.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "VM behaviour monitoring (so far: replay the streaming detector over a series).",
        subcommands: [Replay.self]
    )

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Run the streaming detector over a `timestamp,value` CSV; write `timestamp,value,anomaly_score,alert`.",
            discussion: "The alert column is exactly what the live detector would raise (same code, same defaults). Exit 65 for a malformed series.")
        @Argument(help: "The series (NAB format).") var file: String
        @Option(help: ArgumentHelp("Write here instead of standard output.", valueName: "FILE")) var out: String?

        func run() async throws {
            try await reportingErrors {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw CLIError(exitCode: 66, message: "cannot read \(file)")
                }
                let series: Series
                do { series = try Series(csv: text) } catch { throw CLIError(exitCode: 65, message: "\(file): \(error)") }
                let result = series.replay()
                if let out {
                    do { try result.csv.write(toFile: out, atomically: true, encoding: .utf8) } catch {
                        throw CLIError(exitCode: ExitCodes.software, message: "cannot write \(out): \(error)")
                    }
                } else {
                    Output.write(result.csv)
                }
                return ExitCodes.completed
            }
        }
    }
}
