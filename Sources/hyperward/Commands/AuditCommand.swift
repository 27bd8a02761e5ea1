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
import HostAudit
import HyperwardAgent
import HyperwardCore
import HyperwardHost
import HyperwardStore

/// `hyperward audit`: the hypervisor-host posture audit.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit this host's exposure to VM escape, hypervisor vulnerabilities and side channels.",
        discussion: """
            Every read goes through --root (default /), so a directory laid out like a host is audited \
            exactly like the host. Exit codes: 0 completed; 1 --fail-on matched; 3 a check could not \
            run; 64 usage (a bad waivers file too); 73 --output cannot be written; 78 configuration.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, sarif, junit, prometheus, markdown
    }

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Directory standing for the host's / (a fixture or a mounted image).", valueName: "DIR"))
    var root: String = "/"

    @Option(help: "Output format: text, json, sarif, junit, prometheus (markdown with --list-checks).")
    var format: Format = .text

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 1 when a failure of at least this severity is found: info, low, medium, high, critical.", valueName: "SEVERITY"))
    var failOn: String?

    @Option(name: .customLong("skip"), help: ArgumentHelp("Skip a check id, or every id under a prefix (repeatable).", valueName: "ID"))
    var skip: [String] = []

    @Option(help: ArgumentHelp("Waivers file (YAML: waivers: [{id, subject?, reason, expires}]).", valueName: "FILE"))
    var waivers: String?

    @Option(name: .customLong("feed"), help: ArgumentHelp("Advisory feed: Debian security tracker JSON or OSV JSON, a file or a directory (repeatable).", valueName: "FILE"))
    var feeds: [String] = []

    @Flag(name: .customLong("all-packages"), help: "Match every installed package against the feeds, not only the virtualization stack.")
    var allPackages = false

    @Option(help: ArgumentHelp("Write the report to FILE instead of standard output.", valueName: "FILE"))
    var output: String?

    @Flag(name: .customLong("list-checks"), help: "Print the check catalog (text, json or markdown) and exit.")
    var listChecks = false

    @Flag(inversion: .prefixedNo, help: "Record the run and finding changes as events in the state store (default: on when --root is /).")
    var record: Bool?

    @Flag(name: .customLong("no-color"), help: "Never color text output.")
    var noColor = false

    func validate() throws {
        if let failOn, Severity(rawValue: failOn) == nil {
            throw ValidationError("--fail-on '\(failOn)' is not a severity: \(Severity.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if format == .markdown && !listChecks {
            throw ValidationError("--format markdown is only for --list-checks")
        }
        if listChecks && ![.text, .json, .markdown].contains(format) {
            throw ValidationError("--list-checks prints text, json or markdown")
        }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw ValidationError("--root '\(root)' is not a directory")
        }
    }

    func run() async throws {
        try await reportingErrors {
            if listChecks { return listCatalog() }
            var configuration = try global.loadConfiguration()
            let logger = global.bootstrapLogging(configuration)
            configuration.audit.feeds += feeds
            configuration.audit.skip += skip
            if let waivers { configuration.audit.waivers = waivers }
            if allPackages { configuration.audit.allPackages = true }
            for id in configuration.audit.skip where !CheckDescriptor.isKnown(skip: id, in: Auditor().descriptors) {
                Output.warn("--skip \(id) matches no check id (see --list-checks)")
            }
            let runner = AuditRunner(configuration: configuration, root: root)
            let report = try runner.run()

            let text: String
            switch format {
            case .text: text = report.rendered(as: .text, color: output == nil && !noColor && Output.wantsColor)
            case .json: text = report.rendered(as: .json)
            case .sarif: text = report.rendered(as: .sarif)
            case .junit: text = report.rendered(as: .junit)
            case .prometheus: text = report.rendered(as: .prometheus)
            case .markdown: text = ""
            }
            if let output {
                // The path and strerror's reason (Foundation's errors read "NSCocoaErrorDomain error 512").
                try OperatorFiles.save(text, to: output, replacing: true)
            } else {
                Output.write(text)
            }

            if record ?? (root == "/") {
                // The report is out; failing to record it must not hide it, but say so.
                do { try AuditRunner.record(report, stateDirectory: configuration.stateDirectory, logger: logger) } catch {
                    Output.warn("\(error); the run was not recorded (use --state-dir or --no-record)")
                }
            }

            if let failOn, let threshold = Severity(rawValue: failOn), !report.failures(atLeast: threshold).isEmpty {
                return ExitStatus.thresholdMatched
            }
            return report.hasErrors ? ExitStatus.checkError : ExitStatus.completed
        }
    }

    func listCatalog() -> Int32 {
        let descriptors = Auditor().descriptors
        switch format {
        case .markdown: Output.write(CheckDocumentation.markdown(descriptors))
        case .json: Output.write(CheckDocumentation.json(descriptors))
        default: Output.write(CheckDocumentation.text(descriptors))
        }
        return ExitStatus.completed
    }
}
