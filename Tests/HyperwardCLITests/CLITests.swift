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

import HyperwardHost
import Foundation
import HyperwardCore
import Testing

/// Runs the built `hyperward` binary as an operator would.
struct CLI {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var binary: String {
        let env = ProcessInfo.processInfo.environment["HYPERWARD_BINARY"]
        return env ?? packageRoot.appendingPathComponent(".build/debug/hyperward").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws -> Result {
        try run(arguments, stdin: nil, environment: environment, in: directory)
    }

    /// Runs the binary with `stdin` as its standard input (nil: /dev/null); both outputs kept
    /// whole (up to 256 MiB each).
    static func run(_ arguments: [String], stdin: Data?, environment: [String: String] = [:], in directory: String? = nil) throws -> Result {
        let result = HostCommand.run([binary] + arguments, input: stdin, environment: environment, directory: directory, outputLimit: 256 << 20)
        return Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }
}

/// A scratch directory removed at the end.
final class Scratch: @unchecked Sendable {
    let path = FileManager.default.temporaryDirectory.path + "/hw-cli-\(UUID().uuidString)"
    init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ relative: String, _ text: String) -> String {
        let full = path + "/" + relative
        try? FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
        return full
    }

    /// A fixture host with a weakened command line, a vulnerable CPU and KSM on.
    func weakHost() -> String {
        write("host/proc/cmdline", "mitigations=auto,no_guest_host,no_guest_guest quiet\n")
        write("host/sys/devices/system/cpu/vulnerabilities/spec_store_bypass", "Vulnerable\n")
        write("host/sys/devices/system/cpu/vulnerabilities/meltdown", "Not affected\n")
        write("host/sys/kernel/mm/ksm/run", "1\n")
        write("host/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx ept\n\n")
        return path + "/host"
    }
}

@Suite("hyperward command line", .serialized)
struct CLITests {
    @Test func auditOfAFixtureRootReportsItsFindingsAsJSON() throws {
        let scratch = Scratch()
        let root = scratch.weakHost()
        let r = try CLI.run(["audit", "--root", root, "--format", "json", "--no-record"])
        #expect(r.status == 0 || r.status == 3, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let findings = object?["findings"] as? [[String: Any]] ?? []
        let ids = Set(findings.compactMap { $0["id"] as? String })
        #expect(ids.contains("cpu.vulnerability.spec_store_bypass"))
        #expect(ids.contains("cmdline.mitigations"))
        let cmd = findings.first { $0["id"] as? String == "cmdline.mitigations" }
        #expect(cmd?["status"] as? String == "fail")
    }

    @Test func failOnMatchesExitsOneAndAboveThresholdDoesNot() throws {
        let scratch = Scratch()
        let root = scratch.weakHost()
        let matched = try CLI.run(["audit", "--root", root, "--fail-on", "critical", "--no-record", "--format", "json"])
        #expect(matched.status == 1)
        let skipped = try CLI.run(["audit", "--root", root, "--fail-on", "critical", "--no-record", "--format", "json",
                                   "--skip", "cmdline", "--skip", "cpu.vulnerability"])
        #expect(skipped.status != 1, "\(skipped.stdout.prefix(400))")
    }

    @Test func usageErrorsExit64AndConfigErrorsExit78() throws {
        #expect(try CLI.run(["audit", "--fail-on", "severe"]).status == 64)
        #expect(try CLI.run(["audit", "--root", "/nonexistent-root"]).status == 64)
        #expect(try CLI.run(["audit", "--bogus-flag"]).status == 64)
        let scratch = Scratch()
        let bad = scratch.write("bad.yaml", "audit:\n  interval: 5\n")
        let r = try CLI.run(["audit", "--config", bad, "--no-record"])
        #expect(r.status == 78)
        #expect(r.stderr.contains("bad.yaml:2:3"))
        #expect(try CLI.run(["audit", "--config", scratch.path + "/missing.yaml"]).status == 78)
    }

    /// The policy can live inline in the main configuration: `net compile --config` reads it, and
    /// its errors point into that file; `--policy` still wins.
    @Test func aPolicyInlineInTheConfigurationIsUsedAndItsErrorsPointThere() throws {
        let scratch = Scratch()
        let config = scratch.write("hyperward.yaml", """
            log_level: info
            network:
              policy:
                groups:
                  web:
                    ingress:
                      - { proto: tcp, ports: [80] }
                vms:
                  web1:
                    groups: [web]
                    interfaces:
                      - { device: vnet3, mac: "52:54:00:aa:00:01", ipv4: [192.168.122.11] }
            """)
        let compiled = try CLI.run(["net", "compile", "--config", config])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        #expect(compiled.stdout.contains("\"vnet3\" . 52:54:00:aa:00:01 . 192.168.122.11"))
        let bad = scratch.write("bad.yaml", "network:\n  policy:\n    vms:\n      web1: { groups: [nope] }\n")
        let refused = try CLI.run(["net", "compile", "--config", bad])
        #expect(refused.status == 78)
        #expect(refused.stderr.contains("bad.yaml:4:"), "\(refused.stderr)")
        let file = scratch.write("p.yaml", "groups: {}\nvms: {}\n")
        let overridden = try CLI.run(["net", "compile", "--config", config, "--policy", file])
        #expect(overridden.status == 0)
        #expect(!overridden.stdout.contains("vnet3"))
    }

    @Test func aSkipThatMatchesNoCheckIsWarnedAbout() throws {
        let scratch = Scratch()
        let root = scratch.weakHost()
        let r = try CLI.run(["audit", "--root", root, "--no-record", "--format", "json",
                             "--skip", "ksm.runn", "--skip", "cpu.vulnerability.mds", "--skip", "qemu"])
        #expect(r.stderr.contains("--skip ksm.runn matches no check id"))
        #expect(!r.stderr.contains("cpu.vulnerability.mds matches"))
        #expect(!r.stderr.contains("--skip qemu matches"))
    }

    @Test func waiversFileIsAppliedAndABadOneIsAUsageError() throws {
        let scratch = Scratch()
        let root = scratch.weakHost()
        let waivers = scratch.write("waivers.yaml", """
            waivers:
              - { id: cmdline.mitigations, reason: "lab host, accepted until the firmware update", expires: "2999-01-01" }
              - { id: "cpu.vulnerability.*", reason: "tracked in TICKET-1", expires: "2999-01-01" }
            """)
        let r = try CLI.run(["audit", "--root", root, "--waivers", waivers, "--fail-on", "critical", "--no-record", "--format", "json"])
        #expect(r.status != 1, "waived failures must not trip --fail-on")
        let bad = scratch.write("bad-waivers.yaml", "waivers:\n  - id: x\n")
        let b = try CLI.run(["audit", "--root", root, "--waivers", bad, "--no-record"])
        #expect(b.status == 64)
        #expect(b.stderr.contains("bad-waivers.yaml"))
    }

    @Test func relativeOperatorPathsResolveAgainstTheWorkingDirectory() throws {
        let scratch = Scratch()
        _ = scratch.weakHost()
        scratch.write("w.yaml", "waivers:\n  - { id: ksm.run, reason: lab, expires: \"2999-01-01\" }\n")
        let result = HostCommand.run([CLI.binary, "audit", "--root", "host", "--waivers", "w.yaml", "--no-record", "--format", "json"],
                                     directory: scratch.path, outputLimit: 256 << 20)
        #expect(result.status != 64)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let ksm = (object?["findings"] as? [[String: Any]])?.first { $0["id"] as? String == "ksm.run" }
        #expect(ksm?["waiver"] != nil)
    }

    @Test func recordedRunsAndChangesAreEvents() throws {
        let scratch = Scratch()
        let root = scratch.weakHost()
        let state = scratch.path + "/state"
        #expect(try CLI.run(["audit", "--root", root, "--record", "--state-dir", state, "--format", "json"]).status != 64)
        // Fix KSM on the fixture host, audit again: the change is an event.
        scratch.write("host/sys/kernel/mm/ksm/run", "0\n")
        _ = try CLI.run(["audit", "--root", root, "--record", "--state-dir", state, "--format", "json"])
        let events = try CLI.run(["events", "--state-dir", state, "--format", "json"])
        #expect(events.status == 0, "\(events.stderr)")
        let lines = events.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.filter { $0["kind"] as? String == "audit.run" }.count == 2)
        #expect(lines.contains { $0["kind"] as? String == "finding.changed" && $0["subject"] as? String == "ksm.run" })
        var st = stat()
        #expect(stat(state, &st) == 0 && st.st_mode & 0o077 == 0, "state directory must be private")
    }

    @Test func listChecksMarkdownMatchesTheCommittedDocs() throws {
        let r = try CLI.run(["audit", "--list-checks", "--format", "markdown"])
        #expect(r.status == 0)
        let doc = try String(contentsOf: CLI.packageRoot.appendingPathComponent("docs/audit.md"), encoding: .utf8)
        #expect(r.stdout == doc)
    }

    @Test func agentAuditsOnScheduleAndStopsGracefullyOnSIGTERM() async throws {
        let scratch = Scratch()
        let root = scratch.weakHost()
        let state = scratch.path + "/state"
        let process = try HostChild([CLI.binary, "agent", "--root", root, "--state-dir", state, "--interval", "1"],
                                    stdout: HostChild.nullDevice, stderr: URL(fileURLWithPath: scratch.path + "/agent.log"))
        // Wait for at least two recorded runs (bounded: 20 s).
        var runs = 0
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(200))
            let e = try CLI.run(["events", "--state-dir", state, "--kind", "audit.run", "--format", "json"])
            runs = e.stdout.split(separator: "\n").count
            if runs >= 2 { break }
        }
        #expect(runs >= 2)
        let sentAt = ContinuousClock.now
        process.signal(SIGTERM)
        process.wait()
        let log = HostChild.read(process.stderrURL, limit: 256 << 20)
        #expect(process.termination?.isExit == true)
        #expect(process.status == 0, "\(log)")
        #expect(ContinuousClock.now - sentAt < .seconds(5))
        #expect(log.contains("agent stopped"))
    }
}
