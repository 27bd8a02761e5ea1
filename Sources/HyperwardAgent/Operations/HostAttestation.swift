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


import Attestation
import Crypto
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardStore

/// Measured-boot attestation of this host (docs/attestation.md): baseline, verify, and the gate
/// every disk-key release passes.
///
/// A verification reads the boot event log (and the IMA log when configured), asks the TPM for
/// a quote over the PCRs the log extends with a fresh nonce, verifies the quote with the pinned
/// attestation key, compares it with the replayed log, judges the log against the policy, and
/// records the result as an event (`attest.verified` or `attest.failed`) in the ledger. The gate
/// releases keys only after a passing verification of this boot younger than `max_age`.
public struct HostAttestation: Sendable {
    public let configuration: HyperwardConfiguration
    /// Where the pinned attestation key is kept.
    public var pinnedKeyPath: String { configuration.stateDirectory + "/attestation-key.pem" }

    public init(configuration: HyperwardConfiguration) {
        self.configuration = configuration
    }

    /// The largest event log read.
    public static let maxLogBytes = 64 << 20

    /// Reads a file of untrusted bytes, at most `limit` (a regular file: sysfs's report no size
    /// and are read to their end); errors name `what`.
    public static func readBounded(_ path: String, limit: Int, what: String) throws(HyperwardError) -> [UInt8] {
        let absolute = OperatorFiles.absolute(path)
        do { return try RootedFileSystem().readFile(absolute, limit: limit) } catch {
            throw HyperwardError(error.code, "cannot read the \(what) \(path): \(error.message.replacingOccurrences(of: absolute + ": ", with: ""))")
        }
    }

    /// The boot log, parsed; a missing log is `.notFound` (66).
    public func eventLog(path: String? = nil) throws(HyperwardError) -> TPMEventLog {
        let file = path ?? configuration.attestation.eventLog
        let bytes = try Self.readBounded(file, limit: Self.maxLogBytes, what: "boot event log")
        return TPMEventLog(parsing: bytes, source: file)
    }

    /// The IMA log, when configured.
    public func imaLog(path: String? = nil) throws(HyperwardError) -> IMALog? {
        guard let file = path ?? configuration.attestation.imaLog else { return nil }
        return IMALog(parsing: try Self.readBounded(file, limit: Self.maxLogBytes, what: "IMA log"), source: file)
    }

    /// The measured-boot policy; missing is `.notFound`, malformed or empty `.configuration`.
    public func policy(path: String? = nil) throws(HyperwardError) -> AttestationPolicy {
        let file = path ?? configuration.attestation.policy
        let bytes = try Self.readBounded(file, limit: 4 << 20, what: "measured-boot policy")
        return try AttestationPolicy(yaml: String(decoding: bytes, as: UTF8.self), file: file)
    }

    /// This boot's identity (`/proc/sys/kernel/random/boot_id`): a verification holds for one boot.
    public static func bootID() -> String {
        let text = (try? readBounded("/proc/sys/kernel/random/boot_id", limit: 128, what: "boot id")) ?? []
        return String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The pinned attestation key, or nil before a baseline pinned one.
    public func pinnedKey() throws(HyperwardError) -> P256.Signing.PublicKey? {
        guard FileManager.default.fileExists(atPath: pinnedKeyPath) else { return nil }
        let bytes = try Self.readBounded(pinnedKeyPath, limit: 8192, what: "pinned attestation key")
        do { return try P256.Signing.PublicKey(pemRepresentation: String(decoding: bytes, as: UTF8.self)) } catch {
            throw HyperwardError(.invalidInput, "the pinned attestation key \(pinnedKeyPath) is not a P-256 public key")
        }
    }

    /// Pins `pem` as this host's attestation key (atomically; public data, 0644).
    public func pin(_ pem: String) throws(HyperwardError) {
        try OperatorFiles.save(pem.hasSuffix("\n") ? pem : pem + "\n", to: pinnedKeyPath, replacing: true)
    }

    /// A fresh 32-byte nonce.
    public static func nonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// The TPM client from the configuration (or `tcti`).
    public func tpm(tcti: String? = nil) -> TPMTools { TPMTools(tcti: tcti ?? configuration.attestation.tcti) }

    /// Quotes `selection` with a fresh nonce in a private directory under the state directory.
    public func quote(_ selection: PCRSelection, tpm: TPMTools) throws(HyperwardError) -> (nonce: [UInt8], quote: TPMTools.Quote) {
        let nonce = Self.nonce()
        let directory = configuration.stateDirectory + "/.attest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do { try PrivateDirectory.ensure(configuration.stateDirectory, parents: true) } catch {
            throw HyperwardError(.storage, error.message)
        }
        let lock: StateLock
        do { lock = try StateLock.acquire(configuration.stateDirectory, .tpm, wait: .seconds(60), holder: "hyperward attest") } catch {
            throw HyperwardError(.busy, error.message)
        }
        defer { withExtendedLifetime(lock) {} }
        return (nonce, try tpm.quote(selection: selection.toolsArgument, nonce: nonce, directory: directory))
    }
}
