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
import Attestation
import Foundation
import HyperwardAgent
import HyperwardCore
import HyperwardHost

/// `hyperward attest`: measured boot and attestation (docs/attestation.md).
struct AttestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest",
        abstract: "Measured boot and attestation: decode event logs, make a baseline, verify the TPM's quote, gate key release.",
        discussion: """
            The host's boot event log is /sys/kernel/security/tpm0/binary_bios_measurements, its \
            IMA log /sys/kernel/security/ima/binary_runtime_measurements (both need root). Each \
            subcommand lists its exit codes (docs/attestation.md).
            """,
        subcommands: [Log.self, Baseline.self, Verify.self, Status.self]
    )
}

extension AttestCommand {
    enum Format: String, ExpressibleByArgument { case text, json, yaml }

    /// At most this many bytes of an event log or IMA log are read (a real boot log is tens of KiB).
    static let maxLogBytes = HostAttestation.maxLogBytes

    /// The bytes of the file at `path`, bounded by ``maxLogBytes``, read as verification reads
    /// them (``HostAttestation/readBounded(_:limit:what:)``): a missing file or a directory is 66,
    /// a larger one 65.
    static func readLog(_ path: String) throws -> [UInt8] {
        try HostAttestation.readBounded(path, limit: maxLogBytes, what: "log")
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "log",
            abstract: "Decode a TPM event log and replay it to PCR values.",
            discussion: """
                Prints every event (index, PCR, type, digests per bank, the decoded data: EFI \
                variables, image loads with their device paths, GPT, firmware blobs, handoff \
                tables, text) and the PCR values the log replays to per bank. --format yaml follows \
                tpm2_eventlog's layout; its pcrs: section is written exactly as tpm2_eventlog writes \
                it. Exit 0 when the whole log was read, 65 when it is malformed (the events before \
                the problem and their replay are still printed), 66 when a file is missing.
                """)
        @Option(help: "text, json or yaml.") var format: Format = .text
        @Option(help: ArgumentHelp("An IMA runtime measurement log (binary or ASCII) to replay to PCR 10 as well.", valueName: "FILE"))
        var ima: String?
        @Argument(help: ArgumentHelp("The binary event log (e.g. /sys/kernel/security/tpm0/binary_bios_measurements).", valueName: "FILE"))
        var file: String

        func run() async throws {
            try await reportingErrors {
                let bytes = try AttestCommand.readLog(file)
                let log = TPMEventLog(parsing: bytes, source: file)
                var imaLog: IMALog?
                if let ima {
                    let imaBytes = try AttestCommand.readLog(ima)
                    imaLog = IMALog(parsing: imaBytes, source: ima)
                }
                let report = EventLogReport(log: log, source: file, ima: imaLog)
                switch format {
                case .text: Output.write(report.text())
                case .json: Output.write(report.json())
                case .yaml: Output.write(report.yaml())
                }
                var status = ExitStatus.completed
                if let problem = log.problem {
                    Output.error(problem.description)
                    status = ExitStatus.invalidData
                }
                if let problem = imaLog?.problem {
                    Output.error(problem.description)
                    status = ExitStatus.invalidData
                }
                return status
            }
        }
    }
}
