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

/// `hyperward monitor` and `respond` from the command line: replay, policies, unreachable
/// libvirt, libvirt's test driver; the real-guest behaviour is in MonitorRespondGuestTests.
@Suite("hyperward monitor and respond (command line)")
struct MonitorCLITests {
    /// A NAB-style series (`timestamp,value`, five-minute steps): a noisy baseline of 10 with a
    /// spike to 95 at row 600, made here since only the output's shape is checked.
    static func series(rows: Int = 1000) -> String {
        var generator = SystemRandomNumberGenerator()
        let start = 1_392_388_200  // 2014-02-14 14:30:00 UTC, where NAB's AWS series begin
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var csv = "timestamp,value\n"
        for row in 0..<rows {
            let time = format.string(from: Date(timeIntervalSince1970: TimeInterval(start + row * 300)))
            let value = row == 600 ? 95 : 10 + Double.random(in: -1.5...1.5, using: &generator)
            csv += "\(time),\(String(format: "%.3f", value))\n"
        }
        return csv
    }

    @Test func replayWritesOneRowPerValueWithScoresAndAlerts() throws {
        let scratch = Scratch()
        let input = scratch.write("series.csv", Self.series())
        let out = scratch.path + "/out.csv"
        let r = try CLI.run(["monitor", "replay", input, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        let source = try String(contentsOfFile: input, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "timestamp,value,anomaly_score,alert")
        #expect(rows.count == source.count, "one row per value")
        for (row, original) in zip(rows.dropFirst(), source.dropFirst()) {
            let f = row.split(separator: ","), o = original.split(separator: ",")
            #expect(f.count == 4 && f[0] == o[0])
            let score = Double(f[2]) ?? -1
            #expect(score >= 0 && score <= 1 && (f[3] == "0" || (f[3] == "1" && score > 0.5)))
        }
        #expect(rows.contains { $0.hasSuffix(",1") }, "the spike raises an alert")
    }

    @Test(arguments: [("", 65), ("timestamp,value\n2014-02-14 14:30:00,abc\n", 65)])
    func replayRefusesAMalformedSeries(text: String, status: Int32) throws {
        let scratch = Scratch()
        let r = try CLI.run(["monitor", "replay", scratch.write("bad.csv", text)])
        #expect(r.status == status && r.stdout.isEmpty && !r.stderr.isEmpty)
        #expect(try CLI.run(["monitor", "replay", scratch.path + "/missing.csv"]).status == 66)
    }

    @Test func aBadPolicyIsAConfigurationErrorNamingItsLine() throws {
        let scratch = Scratch()
        let policy = scratch.write("m.yaml", "interval_seconds: 10\nlimits:\n  cpu_share: 0.9\n")
        let r = try CLI.run(["monitor", "--policy", policy, "--duration", "1"])
        #expect(r.status == 78)
        #expect(r.stderr.contains("m.yaml:3:") && r.stderr.contains("unknown metric 'cpu_share'"), "\(r.stderr)")
        // The agent refuses the same section in its configuration before starting anything.
        let config = scratch.write("hyperward.yaml", "state_directory: \(scratch.path)/state\nmonitor:\n  limits: { cpu_share: 1 }\n")
        let agent = try CLI.run(["agent", "--config", config, "--root", scratch.weakHost()])
        #expect(agent.status == 78 && agent.stderr.contains("unknown metric"), "\(agent.stderr)")
    }

    @Test func anUnreachableLibvirtIsExit69() throws {
        let r = try CLI.run(["monitor", "--uri", "qemu+unix:///system?socket=/nonexistent/libvirt-sock", "--duration", "1"])
        #expect(r.status == 69)
        #expect(r.stderr.contains("cannot connect to libvirt"), "\(r.stderr)")
    }

    /// libvirt's built-in test driver: a connection and a domain, no QEMU.
    @Test func libvirtsTestDriverIsSampled() throws {
        let r = try CLI.run(["monitor", "--uri", "test:///default", "--interval", "0.3", "--duration", "1", "--rates", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count >= 2 && lines.allSatisfy { $0["type"] as? String == "rates" && $0["vm"] as? String == "test" }, "\(r.stdout)")
    }

    @Test func respondRefusesUnknownDomainsAndBadNames() throws {
        let scratch = Scratch()
        #expect(try CLI.run(["respond", "quarantine", "../etc", "--state-dir", scratch.path]).status == 64)
        #expect(try CLI.run(["respond", "snapshot", "vm", "--name", "../x", "--state-dir", scratch.path]).status == 64)
        guard AgentNetworkSyncTests.libvirtUsable else { return }
        let r = try CLI.run(["respond", "quarantine", "hw-no-such-domain-\(UInt32.random(in: 0...UInt32.max))", "--state-dir", scratch.path])
        #expect(r.status == 66 && r.stderr.contains("no domain"), "\(r.stderr)")
    }
}
