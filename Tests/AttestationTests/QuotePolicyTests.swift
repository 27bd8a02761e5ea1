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


import FixtureSupport
import Foundation
import HyperwardCore
import Testing

@testable import Attestation

@Suite("TPM quotes and measured-boot policies")
struct QuotePolicyTests {
    /// A quote swtpm made (nonce 0011223344556677, sha256 PCRs 0-7 all zero): the bytes tpm2_quote wrote.
    static let quote = Hex.decode("ff54434780180022000ba41f9f684a620b191889a811a76c14a46af1f190eeeff473ef3d6d3dee1b8f1f000800112233445566770000000000000224f1d3328d8edac92901c611fbd159131b2800000001000b03ff000000205341e6b2646979a70e57653007a1f310169421ec9bdd9f1a5648f75ade005af1") ?? []

    @Test func aRealQuoteParses() throws {
        let quote = try TPMQuote(parsing: Self.quote)
        #expect(quote.extraData == [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77])
        #expect(quote.selections == [PCRSelection(bank: .sha256, pcrs: Array(0...7))])
        #expect(quote.safe)
        // tpm2_quote's calcDigest for eight zero PCRs: SHA-256 of 256 zero bytes.
        #expect(Hex.encode(quote.pcrDigest) == "5341e6b2646979a70e57653007a1f310169421ec9bdd9f1a5648f75ade005af1")
        #expect(PCRHash.digest(.sha256, [UInt8](repeating: 0, count: 256)) == quote.pcrDigest)
    }

    @Test func everyTruncationAndTrailingByteIsAClearError() {
        for length in 0..<Self.quote.count {
            #expect(throws: HyperwardError.self) { try TPMQuote(parsing: Array(Self.quote.prefix(length))) }
        }
        #expect(throws: HyperwardError.self) { try TPMQuote(parsing: Self.quote + [0]) }
        var wrongMagic = Self.quote
        wrongMagic[0] = 0
        do {
            _ = try TPMQuote(parsing: wrongMagic)
            Issue.record("a structure without TPM_GENERATED_VALUE parsed")
        } catch {
            #expect(error.message.contains("not made by a TPM"))
        }
        var certify = Self.quote
        certify[5] = 0x17  // TPM_ST_ATTEST_CERTIFY
        #expect(throws: HyperwardError.self) { try TPMQuote(parsing: certify) }
    }

    @Test func signaturesOtherThanECDSAAreRefused() {
        let rsa: [UInt8] = [0x00, 0x14, 0x00, 0x0B, 0x00, 0x02, 0xAA, 0xBB]
        #expect(throws: HyperwardError.self) { try TPMSignature(parsing: rsa) }
        let ecdsa: [UInt8] = [0x00, 0x18, 0x00, 0x0B, 0x00, 0x01, 0x05, 0x00, 0x02, 0x00, 0x06]
        let parsed = try? TPMSignature(parsing: ecdsa)
        #expect(parsed?.rawRepresentation(size: 32) == [UInt8](repeating: 0, count: 31) + [5] + [UInt8](repeating: 0, count: 31) + [6])
        let long: [UInt8] = [0x00, 0x18, 0x00, 0x0B, 0x00, 0x21] + [UInt8](repeating: 1, count: 33) + [0x00, 0x01, 0x01]
        #expect((try? TPMSignature(parsing: long))?.rawRepresentation(size: 32) == nil)
    }

    @Test func policiesThatWouldPassAnyBootAreRefused() {
        for (text, expected) in [
            ("", "is empty"),
            ("version: 1\n", "checks nothing"),
            ("version: 1\nsecure_boot: ignored\nquote_pcrs: [0]\n", "checks nothing"),
            ("secure_boot: required\n", "'version: 1' is missing"),
            ("version: 1\nsecure_boot: maybe\n", "required or ignored"),
            ("version: 1\nkernels:\n  - abc\n", "64 hex digits"),
            ("version: 1\npcrs:\n  24: " + String(repeating: "0", count: 64) + "\n", "PCR index 0-23"),
            ("version: 1\nsecureboot: required\n", "unknown key 'secureboot'"),
        ] {
            do {
                _ = try AttestationPolicy(yaml: text, file: "p.yaml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.contains(expected), "\(error.description)")
                #expect(error.code == .configuration)
            }
        }
        // An explicitly empty allowlist is a check: it allows nothing.
        let none = try? AttestationPolicy(yaml: "version: 1\nkernels: []\n", file: "p.yaml")
        #expect(none?.kernels == [])
    }

    /// Every real log, judged against the baseline made from it: no policy deviation, and the
    /// log is self-consistent (its recomputable digests match its data).
    @Test(.needsFixtures("eventlogs"), arguments: [
        ("eventlogs/go-eventlog", "rhel8-uefi.bin"), ("eventlogs/go-eventlog", "debian-10.bin"),
        ("eventlogs/tpm2-tools", "event-gce-ubuntu-2104-log.bin"), ("eventlogs/tpm2-tools", "event-sd-boot-fedora37.bin"),
        ("eventlogs/tpm2-tools", "event-uefi-sha1-log.bin"), ("eventlogs/tpm2-tools", "event-bootorder.bin"),
    ])
    func aBaselineAcceptsTheBootItWasMadeFrom(folder: String, name: String) throws {
        let log = TPMEventLog(parsing: try readLog(name, in: folder))
        #expect(log.isComplete)
        let bank: TPMAlgorithm = log.banks.contains(.sha256) ? .sha256 : .sha1
        let boot = MeasuredBoot(log: log, bank: bank)
        #expect(boot.inconsistentEvents.isEmpty, "\(name): \(boot.inconsistentEvents)")
        let replay = PCRReplay.replay(log)
        let yaml = AttestationPolicy.baselineYAML(from: boot, replay: replay, source: name, date: "test")
        let policy = try AttestationPolicy(yaml: yaml, file: name)
        #expect(policy.judge(boot, replay: replay).isEmpty, "\(name): \(policy.judge(boot, replay: replay))")
    }

    /// RHEL 8 with Secure Boot: what the baseline holds, against tpm2-tools' reading of the log.
    @Test(.needsFixtures("eventlogs")) func theRHELBaselineHoldsItsBootChain() throws {
        let log = TPMEventLog(parsing: try readLog("rhel8-uefi.bin", in: "eventlogs/go-eventlog"))
        let boot = MeasuredBoot(log: log, bank: .sha256)
        #expect(boot.secureBoot == true)
        #expect(Set(boot.variables.map(\.label)).isSuperset(of: ["SecureBoot", "PK", "KEK", "db", "dbx"]))
        #expect(boot.bootApplications.count >= 2, "shim and GRUB at least: \(boot.bootApplications.map(\.label))")
        #expect(!boot.kernelCommandLines.isEmpty)
        #expect(!boot.kernels.isEmpty && !boot.initrds.isEmpty, "\(boot.kernels) \(boot.initrds)")
        let replay = PCRReplay.replay(log)
        // The baseline's PCR 0 is the value the fixture README gives for this log.
        let yaml = AttestationPolicy.baselineYAML(from: boot, replay: replay, source: "rhel8", date: "test")
        #expect(yaml.contains("  0: 24af52a4f429b71a3184a6d64cddad17e54ea030e2aa6576bf3a5a3d8bd3328f"))

        // Judged against a policy missing its kernel, with Secure Boot shown off: both named.
        var policy = try AttestationPolicy(yaml: yaml, file: "rhel8")
        let kernel = try #require(boot.kernels.first)
        policy.kernels = policy.kernels?.filter { $0.digest != kernel.digest }
        var off = boot
        off.secureBoot = false
        let deviations = policy.judge(off, replay: replay)
        #expect(deviations.contains { $0.check == "policy.kernel" && $0.event == kernel.event && $0.seen == kernel.digest })
        #expect(deviations.contains { $0.check == "policy.secure-boot" && $0.seen == "disabled" })
    }
}
