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
import Testing

@testable import HyperwardCore

/// The configuration refuses what would silently weaken a protection, and resolves relative paths
/// the way docs/configuration.md says.
@Suite("Configuration misuse")
struct ConfigurationMisuseTests {
    @Test("sense.allow entries that sense --allow refuses are errors naming the key, the entry and the line",
          arguments: ["10.0.0.1/33", "10.0.0.1/8", "fd00::/129", "not-an-address", "10.0.0.0/", "10.0.0.0/8/8", "300.1.1.1"])
    func badAllowEntries(entry: String) {
        #expect(HyperwardConfiguration.allowProblem(entry) != nil)
        #expect {
            try HyperwardConfiguration.parse("sense:\n  prevent: true\n  allow:\n    - 192.168.122.1\n    - \"\(entry)\"\n", file: "/etc/h.yaml")
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("/etc/h.yaml:5:") && text.contains("sense.allow") && text.contains(entry)
        }
    }

    @Test("good sense.allow entries are kept", arguments: ["10.0.0.0/8", "192.168.122.1", "fd00::/64", "::1", "0.0.0.0/0"])
    func goodAllowEntries(entry: String) throws {
        #expect(HyperwardConfiguration.allowProblem(entry) == nil)
        let c = try HyperwardConfiguration.parse("sense:\n  allow: [\"\(entry)\"]\n", file: "/etc/h.yaml")
        #expect(c.sense.allow == [entry])
    }

    @Test func relativePathsInsideTheFileAreRelativeToItsDirectory() throws {
        let c = try HyperwardConfiguration.parse("""
            audit: { waivers: waivers.yaml, feeds: [feeds/osv, /abs/debian.json] }
            network: { policy: ../policy.yaml }
            sense: { inventory: inv.yaml }
            keys: { passphrase_file: keystore.pass }
            """, file: "/etc/hyperward/hyperward.yaml")
        #expect(c.audit.waivers == "/etc/hyperward/waivers.yaml")
        #expect(c.audit.feeds == ["/etc/hyperward/feeds/osv", "/abs/debian.json"])
        #expect(c.network.policy == "/etc/hyperward/../policy.yaml")
        #expect(c.sense.inventory == "/etc/hyperward/inv.yaml")
        #expect(c.keys.passphraseFile == "/etc/hyperward/keystore.pass")
    }

    // The working directory itself is process-wide, so `load` with a relative path is tested from
    // the command line (HostileMonitorTests, "relative --config"); here the join it uses.
    @Test func relativePathsJoinTheirDirectory() {
        #expect(HyperwardConfiguration.absolute("c.yaml", in: "/home/op") == "/home/op/c.yaml")
        #expect(HyperwardConfiguration.absolute("c.yaml", in: "/") == "/c.yaml")
        #expect(HyperwardConfiguration.absolute("/etc/c.yaml", in: "/home/op") == "/etc/c.yaml")
        #expect(HyperwardConfiguration.relative("w.yaml", to: "/c.yaml") == "/w.yaml")
        #expect(HyperwardConfiguration.relative("w.yaml", to: "c.yaml") == "w.yaml", "a relative file name has no directory to resolve against")
    }

    @Test func aDirectoryIsNamedAsSuch() {
        #expect {
            try HyperwardConfiguration.load(path: "/tmp", isExplicit: true)
        } throws: { "\($0)".contains("/tmp is a directory") }
    }
}

@Suite("Configuration: attestation")
struct AttestationConfigurationTests {
    @Test func theSectionParsesWithDurationsAndRelativePaths() throws {
        let c = try HyperwardConfiguration.parse("""
            attestation:
              required: true
              max_age: 30m
              interval_seconds: 120
              policy: mb.yaml
              event_log: /tmp/log.bin
              ima_log: null
              tcti: "swtpm:host=127.0.0.1,port=2321"
            """, file: "/etc/hyperward/h.yaml")
        #expect(c.attestation.required)
        #expect(c.attestation.maxAgeSeconds == 1800)
        #expect(c.attestation.intervalSeconds == 120)
        #expect(c.attestation.policy == "/etc/hyperward/mb.yaml")
        #expect(c.attestation.imaLog == nil)
        #expect(c.attestation.tcti == "swtpm:host=127.0.0.1,port=2321")
        #expect(try HyperwardConfiguration.parse("attestation:\n  max_age: 7200\n", file: "/h.yaml").attestation.maxAgeSeconds == 7200)
        #expect(try HyperwardConfiguration.parse("attestation:\n  max_age: 2d\n", file: "/h.yaml").attestation.maxAgeSeconds == 172_800)
        // Off by default: nothing changes for a host that has not opted in.
        #expect(!HyperwardConfiguration().attestation.required)
    }

    @Test(arguments: [
        ("attestation:\n  required: yes please\n", "attestation.required"),
        ("attestation:\n  max_age: 10\n", "attestation.max_age"),
        ("attestation:\n  max_age: 8d\n", "attestation.max_age"),
        ("attestation:\n  max_age: soon\n", "attestation.max_age"),
        ("attestation:\n  interval_seconds: 1\n", "attestation.interval_seconds"),
        ("attestation:\n  requird: true\n", "unknown setting 'attestation.requird'"),
    ])
    func mistakesAreErrorsAtTheirLine(text: String, expected: String) {
        #expect {
            try HyperwardConfiguration.parse(text, file: "/etc/h.yaml")
        } throws: { error in
            "\(error)".hasPrefix("/etc/h.yaml:2:") && "\(error)".contains(expected)
        }
    }
}
