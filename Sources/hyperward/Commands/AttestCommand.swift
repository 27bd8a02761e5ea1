// TEMPORARY (replaced at merge by the attest-log branch's file).
import ArgumentParser

struct AttestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest", abstract: "Measured boot: event logs, baselines, TPM quotes, attestation.",
        subcommands: [Baseline.self, Verify.self, Status.self])
}
