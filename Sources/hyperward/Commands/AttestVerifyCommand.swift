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
import HyperwardStore

/// Where a run's inputs come from, when not the configuration's.
struct AttestSourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The boot event log (default: attestation.event_log, the kernel's copy).", valueName: "FILE")) var log: String?
    @Option(help: ArgumentHelp("An IMA log whose PCR 10 is verified too (default: attestation.ima_log).", valueName: "FILE")) var ima: String?
    @Option(help: ArgumentHelp("The TPM for tpm2-tools, e.g. swtpm:host=127.0.0.1,port=2321 (default: attestation.tcti, else /dev/tpmrm0).", valueName: "TCTI")) var tcti: String?
}

extension AttestCommand {
    struct Baseline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "baseline",
            abstract: "Make the measured-boot policy from this (known-good) boot and pin the TPM's attestation key.",
            discussion: """
                Quotes the TPM with a fresh nonce and checks that the boot log replays to the quoted \
                PCRs before anything is written: a log the TPM does not vouch for is refused (76). \
                Then writes the policy (attestation.policy, or --output; editable YAML with comments) \
                and pins the attestation key in the state directory. --without-quote makes a policy \
                from a log file alone and pins nothing. Exit codes: 0 written; 65 malformed log; 66 \
                no log or no TPM; 73 the policy exists (use --replace); 76 the TPM contradicts the log.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var sources: AttestSourceOptions
        @Option(help: ArgumentHelp("Where to write the policy (default: attestation.policy); - for standard output.", valueName: "FILE")) var output: String?
        @Option(help: "The bank: sha256 (default when the log has it), sha1, sha384 or sha512.") var bank: String?
        @Flag(help: "Replace an existing policy file.") var replace = false
        @Flag(help: "Make the policy from the log alone: no quote, no key pinned (to prepare a policy elsewhere).") var withoutQuote = false

        func run() async throws {
            try await reportingErrors {
                let configuration = try global.loadConfiguration()
                try GovernanceAccess.require(.admin, for: "attest baseline", configuration: configuration)
                var algorithm: TPMAlgorithm?
                if let bank {
                    guard let found = [TPMAlgorithm.sha1, .sha256, .sha384, .sha512].first(where: { $0.name == bank }) else {
                        throw HyperwardError(.usage, "--bank must be sha1, sha256, sha384 or sha512")
                    }
                    algorithm = found
                }
                let attestation = HostAttestation(configuration: configuration)
                let destination = output ?? configuration.attestation.policy
                if destination != "-" && !replace { try OperatorFiles.checkNewOutput(destination, input: nil) }
                let made = try attestation.baseline(.init(eventLog: sources.log, imaLog: sources.ima, tcti: sources.tcti),
                                                    bank: algorithm, withoutQuote: withoutQuote)
                try StateChange.locked(configuration.stateDirectory, "attest baseline") {
                    if destination == "-" { Output.write(made.yaml) } else { try OperatorFiles.save(made.yaml, to: destination, replacing: replace) }
                    if let pem = made.attestationKeyPEM { try attestation.pin(pem) }
                }
                let pinned = made.attestationKeyPEM == nil ? "no key pinned (--without-quote)" : "attestation key pinned in \(attestation.pinnedKeyPath)"
                let event = Event(time: Event.timestamp(), kind: "attest.baseline", engine: .attest, subject: "measured-boot", severity: .info,
                                  summary: "measured-boot baseline written to \(destination == "-" ? "standard output" : destination) (\(made.bank)); \(pinned)")
                try? StateStore(stateDirectory: configuration.stateDirectory).append([event])
                if destination != "-" { Output.write("wrote \(destination); \(pinned)\n") }
                return ExitStatus.completed
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify this host's measured boot: quote the TPM, check it against the boot log, judge the log against the policy.",
            discussion: """
                Records the result (attest.verified or attest.failed) in the ledger; with \
                attestation.required, disk keys are released only after a passing verification of \
                this boot younger than attestation.max_age. Exit codes: 0 verified; 1 failed (every \
                deviation listed: which check, PCR and event, expected and seen); 3 could not verify \
                (no TPM, log, policy or pinned key) — also recorded as a failure.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var sources: AttestSourceOptions
        @Option(help: ArgumentHelp("The measured-boot policy (default: attestation.policy).", valueName: "FILE")) var policy: String?
        @Option(help: "text or json.") var format: LedgerCommand.Format = .text

        func run() async throws {
            try await reportingErrors {
                let configuration = try global.loadConfiguration()
                try GovernanceAccess.require(.operator, for: "attest verify", configuration: configuration)
                let outcome = HostAttestation(configuration: configuration)
                    .verify(.init(eventLog: sources.log, imaLog: sources.ima, policy: policy, tcti: sources.tcti), by: "the operator")
                switch format {
                case .json: Output.write((outcome.event.body ?? "{}") + "\n")
                case .text: Output.write(AttestCommand.text(outcome))
                }
                if outcome.passed { return ExitStatus.completed }
                return outcome.report == nil ? ExitStatus.checkError : ExitStatus.thresholdMatched
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Whether disk keys would be released now: the latest verification, its age and boot.",
            discussion: "Exit codes: 0 a passing verification of this boot within attestation.max_age; 1 otherwise.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let configuration = try global.loadConfiguration()
                let state = AttestationGate.state(configuration)
                let required = configuration.attestation.required ? "required" : "not required (attestation.required is false)"
                Output.write("attestation \(state.passed ? "valid" : "NOT valid"): \(state.reason.terminalSafe); key release gate: \(required)\n")
                return state.passed ? ExitStatus.completed : ExitStatus.thresholdMatched
            }
        }
    }

    static func text(_ outcome: HostAttestation.Outcome) -> String {
        var out = ""
        if let failure = outcome.failure {
            out += "attestation FAILED: \(failure.terminalSafe)\n"
        } else if let report = outcome.report {
            if report.passed {
                out += "attestation PASSED: the quote over \(report.selection.toolsArgument) is signed by the pinned key, carries this run's nonce and matches the \(report.events) events of the boot log; the policy is satisfied\n"
            } else {
                out += "attestation FAILED: \(report.deviations.count) deviation(s)\n"
                for deviation in report.deviations { out += "  " + deviation.description.terminalSafe + "\n" }
            }
        }
        let quote = String(format: "%.1f", outcome.quoteMilliseconds), verify = String(format: "%.1f", outcome.verifyMilliseconds)
        out += "  TPM quote \(quote) ms, verification \(verify) ms; recorded as \(outcome.event.kind) (event \(outcome.event.id))\n"
        return out
    }
}
