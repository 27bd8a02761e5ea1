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


import Foundation
import HyperwardCore

/// The host's TPM through tpm2-tools: the attestation key and quotes. No secret leaves the TPM:
/// the key's private part never does, and the files written (a key context, the quote, its
/// signature, the PCR values) are public data, in a private directory removed afterwards.
///
/// The attestation key is a primary key made from the owner hierarchy's seed with a fixed
/// template (ECDSA P-256, SHA-256, restricted, signing only, fixed to this TPM): the same TPM
/// gives the same key every time, so nothing needs storing in the TPM, and a different or
/// cleared TPM gives a different key, which the pinned public key refuses.
public struct TPMTools: Sendable {
    /// The TCTI tpm2-tools connect with (`device:/dev/tpmrm0`, `swtpm:host=127.0.0.1,port=2321`);
    /// nil for their default (`/dev/tpmrm0`, then `/dev/tpm0`).
    public var tcti: String?
    /// The limit on each command.
    public var timeout: Duration = .seconds(30)

    /// Creates a client.
    public init(tcti: String?) { self.tcti = tcti }

    /// The attestation key's attributes: restricted signing, fixed to this TPM.
    public static let keyAttributes = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign|noda"

    /// Whether a TPM seems present (a device node, or an explicit TCTI).
    public var isPresent: Bool {
        if let tcti, !tcti.hasPrefix("device:") { return true }
        let device = tcti.map { String($0.dropFirst("device:".count)) }
        return [device, "/dev/tpmrm0", "/dev/tpm0"].compactMap { $0 }.contains { FileManager.default.fileExists(atPath: $0) }
    }

    /// The TCTI used: the configured one, else the kernel's resource manager, else the raw
    /// device. Always explicit, so tpm2-tools never tries a D-Bus resource-manager daemon.
    public var effectiveTCTI: String {
        if let tcti { return tcti }
        if !FileManager.default.fileExists(atPath: "/dev/tpmrm0"), FileManager.default.fileExists(atPath: "/dev/tpm0") { return "device:/dev/tpm0" }
        return "device:/dev/tpmrm0"
    }

    /// One quote: its TPMS_ATTEST, signature and the quoted PCRs' values.
    public struct Quote: Sendable {
        public var attest: [UInt8]
        public var signature: [UInt8]
        public var pcrValues: [UInt8]
        /// The attestation key's public key, PEM.
        public var publicKeyPEM: String
    }

    /// Loads the attestation key and quotes `selection` (tpm2-tools' `sha256:0,1,7` form) with
    /// `nonce`, in `directory` (private, made and removed here).
    public func quote(selection: String, nonce: [UInt8], directory: String) throws(HyperwardError) -> Quote {
        do { try PrivateDirectory.ensure(directory) } catch {
            throw HyperwardError(.storage, "cannot prepare \(directory): \(error.message)")
        }
        let token = Cleanup.track(action: { try? FileManager.default.removeItem(atPath: directory) })
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            Cleanup.untrack(token)
        }
        let context = directory + "/ak.ctx"
        // Without a resource manager (/dev/tpm0, swtpm) every tool that loads the key's context
        // leaves a copy loaded, and the TPM has room for three: unload them after each step.
        // (Through /dev/tpmrm0 the kernel does this itself, and `-t` sees only our own objects.)
        func flush() { _ = try? run(["tpm2_flushcontext", "-t"], what: "unloading the attestation key") }
        defer { flush() }
        flush()
        try run(["tpm2_createprimary", "-C", "o", "-G", "ecc256:ecdsa-sha256:null", "-g", "sha256",
                 "-a", Self.keyAttributes, "-c", context, "-Q"], what: "creating the attestation key")
        flush()
        try run(["tpm2_readpublic", "-c", context, "-f", "pem", "-o", directory + "/ak.pem", "-Q"], what: "reading the attestation key")
        flush()
        try run(["tpm2_quote", "-c", context, "-l", selection, "-q", Hex.encode(nonce), "-g", "sha256",
                 "-m", directory + "/quote.msg", "-s", directory + "/quote.sig", "-o", directory + "/quote.pcrs",
                 "-F", "values", "-Q"], what: "quoting PCRs \(selection)")
        func read(_ name: String) throws(HyperwardError) -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name), data.count <= 1 << 16 else {
                throw HyperwardError(.commandFailed, "tpm2-tools left no readable \(name)")
            }
            return Array(data)
        }
        return Quote(attest: try read("quote.msg"), signature: try read("quote.sig"), pcrValues: try read("quote.pcrs"),
                     publicKeyPEM: String(decoding: try read("ak.pem"), as: UTF8.self))
    }

    /// Extends PCRs, in order: each item a PCR and its digests as tpm2-tools takes them
    /// (`sha1=…,sha256=…`). Used to replay a log into a software TPM (tests, drills).
    public func extend(_ items: [(pcr: UInt32, digests: String)]) throws(HyperwardError) {
        var start = 0
        while start < items.count {
            let chunk = items[start..<min(start + 64, items.count)]
            try run(["tpm2_pcrextend"] + chunk.map { "\($0.pcr):\($0.digests)" }, what: "extending PCRs")
            start += chunk.count
        }
    }

    private func run(_ argv: [String], what: String) throws(HyperwardError) {
        var arguments = argv
        arguments.insert(contentsOf: ["-T", effectiveTCTI], at: 1)
        let result = HostCommand.run(arguments, timeout: timeout)
        guard result.status == 0 else {
            if result.status == 127 {
                throw HyperwardError(.commandFailed, "\(what): \(argv[0]) is not installed (apt install tpm2-tools)")
            }
            let detail = result.timedOut ? "no answer within \(timeout)" : result.message.prefix(400).description
            throw HyperwardError(.commandFailed, "\(what) failed (\(argv[0]) exit \(result.status)): \(detail)")
        }
    }
}
