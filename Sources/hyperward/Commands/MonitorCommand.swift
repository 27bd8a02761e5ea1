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
import HyperwardAgent
import VMMonitor

/// `hyperward monitor`: every VM's behaviour sampled from libvirt, each VM's normal learnt, and
/// debounced, explained alerts; `monitor replay` runs the same detector over a NAB series.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Watch every VM's behaviour (CPU, steal, memory, network, disk) and alert on anomalies.",
        subcommands: [Watch.self, Replay.self],
        defaultSubcommand: Watch.self
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "watch",
            abstract: "Sample every running VM from libvirt and report incidents as they open, update and resolve.",
            discussion: """
                Detectors: hard limits from the policy, each VM's own baseline per metric (median and MAD of \
                its recent samples), and peers (a VM far above the other VMs of the host). One VM's \
                anomalies are one incident. The policy is --policy FILE, else the configuration's \
                `monitor` section, else defaults (no limits). Exit 1 with --fail-on-alert when an incident \
                opened, 78 for a bad policy, 69 when libvirt cannot be reached.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("Monitor policy (YAML: interval_seconds, limits, baseline, peers, response).", valueName: "FILE")) var policy: String?
        @Option(help: "libvirt connection (read-only).") var uri: String?
        // `.unconditional`: `--interval -5` reaches validate() and gets its message, instead of
        // ArgumentParser reading `-5` as a flag and saying "Missing value".
        @Option(parsing: .unconditional, help: ArgumentHelp("Seconds between samples (overrides the policy).", valueName: "SECONDS")) var interval: Double?
        @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many seconds (default: until SIGINT/SIGTERM).", valueName: "SECONDS")) var duration: Double?
        @Option(help: "Output: text or json (one object per line).") var format: Format = .text
        @Flag(help: "Also print every VM's rates each round.") var rates = false
        @Flag(help: "Record alerts as events in the state store.") var record = false
        @Flag(help: "Exit 1 if any incident opened.") var failOnAlert = false

        func validate() throws {
            if let interval, !(interval >= 0.2 && interval <= 3600) {
                throw ValidationError("--interval must be a positive number of seconds from 0.2 to 3600 (got \(String(format: "%g", interval)))")
            }
            if let duration, !(duration.isFinite && duration > 0) {
                throw ValidationError("--duration must be a positive number of seconds (got \(String(format: "%g", duration)))")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let configuration = try global.loadConfiguration()
                var (monitorPolicy, policyURI, _) = try MonitorSetup.policy(file: policy, configuration: configuration)
                if let interval {
                    monitorPolicy.interval = interval
                    monitorPolicy.baseline.season = monitorPolicy.seasonSamples
                }
                let store = record ? try StateStore(stateDirectory: configuration.stateDirectory) : nil
                StopSignal.stopOnTerminationSignals()
                let watch = MonitorWatch(uri: uri ?? policyURI, policy: monitorPolicy, store: store)
                let opened = try await watch.run(duration: duration, until: StopSignal()) { vmRates, alerts, skipped in
                    if skipped.count > 0 { Output.warn("\(skipped.count) domain record(s) skipped: \(skipped.reason ?? "")") }
                    if rates { Output.write(MonitorRendering.rates(vmRates, json: format == .json)) }
                    for (alert, event) in alerts { Output.write(MonitorRendering.alert(alert, event: event, json: format == .json)) }
                }
                return failOnAlert && opened > 0 ? ExitStatus.thresholdMatched : ExitStatus.completed
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Run the streaming detector over a `timestamp,value` CSV; write `timestamp,value,anomaly_score,alert`.",
            discussion: """
                The alert column is exactly what the live detector would raise (same code, same defaults). \
                Rows must be in time order (a row repeating the previous timestamp is replayed and warned \
                about); at most 2,000,000 rows of at most 1024 bytes. --out never overwrites: an existing \
                file, or the input itself, is refused. Exit 65 for a malformed series, 66 when the input \
                cannot be read, 73 when the output cannot be created.
                """)
        @Argument(help: "The series (NAB format).") var file: String
        @Option(help: ArgumentHelp("Write here instead of standard output (a new file).", valueName: "FILE")) var out: String?

        func run() async throws {
            try await reportingErrors {
                if let out { try OperatorFiles.checkNewOutput(out, input: file) }
                let series = try Series.load(file)
                if series.duplicateTimestamps > 0 {
                    Output.warn("\(file): \(series.duplicateTimestamps) row(s) repeat the previous row's timestamp (first at line \(series.firstDuplicateLine ?? 0)); replayed in file order")
                }
                let result = series.replay()  // The detector's defaults, the live baseline's algorithm.
                if let out {
                    try OperatorFiles.save(result.csv, to: out, replacing: false)
                } else {
                    Output.write(result.csv)
                }
                return ExitStatus.completed
            }
        }

    }
}
