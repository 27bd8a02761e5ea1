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

// The fleet server under load, as processes (benchmarks/fleet-load.sh):
// 1. prepares a server state directory: a keystore opened by a key file, the fleet CA, and N
//    hosts enrolled with certificates for keys this process holds (the enrollment itself is
//    measured by the process tests, not here);
// 2. starts `hyperward server run` (the binary given) on loopback;
// 3. N simulated agents, one mutual-TLS connection each, push `rate` events a second each in
//    one batch a second, for `seconds`: every request's latency is kept;
// 4. checks every acknowledged event is stored once (nothing lost), and reads the server's RSS;
// 5. fills the database to `dashboard-events` events over 30 days, restarts the server, signs in
//    and times the dashboard's pages.

import Crypto
import FleetClient
import FleetServer
import Foundation
import GRDB
import HyperwardCore
import HyperwardHost
import KeyManagement
import NIOHTTP1
import X509

struct Options {
    var binary = ".build/release/hyperward"
    var agents = 1_000
    var rate = 10
    var seconds = 60
    var dashboardEvents = 1_000_000
    var pageRuns = 40
    var keep: String?

    init() {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let flag = arguments.next() {
            let value = arguments.next() ?? ""
            switch flag {
            case "--binary": binary = value
            case "--agents": agents = Int(value) ?? agents
            case "--rate": rate = Int(value) ?? rate
            case "--seconds": seconds = Int(value) ?? seconds
            case "--dashboard-events": dashboardEvents = Int(value) ?? dashboardEvents
            case "--page-runs": pageRuns = Int(value) ?? pageRuns
            case "--keep": keep = value
            default:
                FileHandle.standardError.write(Data("usage: FleetBench [--binary B] [--agents N] [--rate R] [--seconds S] [--dashboard-events E] [--page-runs P]\n".utf8))
                exit(64)
            }
        }
    }
}

struct SimulatedAgent: Sendable {
    var name: String
    var credentials: FleetHTTP.Credentials
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func milliseconds(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }

/// A process's CPU time so far (user + system), in seconds.
func cpuSeconds(_ pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return .nan }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // After the name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

func rss(_ pid: Int32) -> (current: Int, peak: Int) {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    func kib(_ key: String) -> Int {
        text.split(separator: "\n").first { $0.hasPrefix(key) }.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? 0
    }
    return (kib("VmRSS:"), kib("VmHWM:"))
}

/// Starts the server and waits for its port.
func startServer(_ options: Options, state: String, keyFile: String, log: String) throws -> (HostChild, Int) {
    let child = try HostChild([options.binary, "server", "run", "--state-dir", state, "--key-file", keyFile, "--listen", "127.0.0.1:0",
                               "--log-level", "warning"],
                              stdout: HostChild.nullDevice, stderr: URL(fileURLWithPath: log))
    let deadline = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < deadline {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        if let range = text.range(of: "listening on https://127.0.0.1:") {
            return (child, Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0)
        }
        guard child.isRunning else { throw HyperwardError(.software, "the server exited: \(text)") }
        usleep(20_000)
    }
    throw HyperwardError(.software, "the server did not start")
}

let options = Options()
let scratch = FileManager.default.temporaryDirectory.path + "/hw-fleetbench-\(getpid())"
let state = scratch + "/server"
try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
defer {
    // --keep DIR: the server's state directory is moved there (to look at its database).
    if let keep = options.keep { try? FileManager.default.moveItem(atPath: state, toPath: keep) }
    try? FileManager.default.removeItem(atPath: scratch)
}
let keyFile = scratch + "/key"
var generator = SystemRandomNumberGenerator()
let keyBytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
try SafeFile.write(keyBytes, to: keyFile, mode: 0o600)

// 1. The keystore, the CA, N enrolled hosts.
let prepared = ContinuousClock.now
let keystore = try Keystore.initialize(directory: state, unlocker: .keyFile(keyBytes), kdf: KDFParameters(logN: 10, r: 8, p: 1))
let caPEM = try keystore.initializeCA(commonName: "Hyperward fleet CA")
let database = try FleetDatabase(directory: state)
var agents: [SimulatedAgent] = []
for index in 0..<options.agents {
    let name = "sim-\(index)"
    let key = P256.Signing.PrivateKey()
    let csr = try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName(name) }, privateKey: Certificate.PrivateKey(key),
                                            attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256)
    let issued = try keystore.issueHostCertificate(csrPEM: try csr.serializeAsPEM().pemString, host: name)
    try database.recordEnrollment(host: name, group: "rack-\(index % 20)", certificateSerial: issued.serial, hostname: name)
    agents.append(SimulatedAgent(name: name, credentials: .init(trustedCAPEM: caPEM, certificatePEM: issued.certificatePEM, privateKeyPEM: key.pemRepresentation)))
}
let adminToken = try database.createAPIToken(name: "bench", role: .admin, by: "bench")
print("prepared \(options.agents) enrolled hosts in \(prepared.duration(to: .now))")

// 2-3. The server, and the agents' pushes.
var (server, port) = try startServer(options, state: state, keyFile: keyFile, log: scratch + "/server.log")
let address = FleetServerAddress(host: "127.0.0.1", port: port)
let started = ContinuousClock.now
let loadStart = started + .seconds(2)
let serverCPUBefore = cpuSeconds(server.pid)
struct AgentOutcome: Sendable {
    var latencies: [Double] = []
    var sent = 0
    var acknowledged = 0
    var failures = 0
    var ids: [String] = []
}
let outcomes = try await withThrowingTaskGroup(of: AgentOutcome.self) { group in
    for (index, agent) in agents.enumerated() {
        group.addTask {
            var outcome = AgentOutcome()
            // Spread over the first second, as real agents' clocks are.
            let offset = Duration.milliseconds(index * 1000 / max(options.agents, 1))
            do {
                outcome = try await FleetHTTP.withConnection(to: address, credentials: agent.credentials, timeout: .seconds(options.seconds + 120)) { connection in
                    var local = AgentOutcome()
                    for tick in 0..<options.seconds {
                        try await Task.sleep(until: loadStart + offset + .seconds(tick), clock: .continuous)
                        let now = Event.timestamp()
                        let events = (0..<options.rate).map { i in
                            Event(time: now, host: agent.name, kind: i == 0 ? "alert.bench" : "bench.sample", engine: "sense",
                                  severity: i == 0 ? .high : .info, summary: "load \(tick).\(i)")
                        }
                        var body = Array(#"{"dropped_total":0,"events":["#.utf8)
                        for (n, event) in events.enumerated() {
                            if n > 0 { body.append(0x2C) }
                            body.append(contentsOf: event.jsonLine().utf8)
                        }
                        body.append(contentsOf: "]}".utf8)
                        let begin = ContinuousClock.now
                        let answer = try await connection.request(.POST, "/v1/agent/events", json: body)
                        local.latencies.append(milliseconds(begin.duration(to: .now)))
                        local.sent += events.count
                        if answer.status == 200, let stored = answer.json?["stored"] as? Int {
                            local.acknowledged += stored
                            local.ids += events.map(\.id)
                        } else {
                            local.failures += 1
                        }
                    }
                    return local
                }
            } catch {
                outcome.failures += 1
            }
            return outcome
        }
    }
    var all: [AgentOutcome] = []
    for try await outcome in group { all.append(outcome) }
    return all
}
let loadEnded = ContinuousClock.now
let serverCPU = cpuSeconds(server.pid) - serverCPUBefore
let (rssNow, rssPeak) = rss(server.pid)
var latencies = outcomes.flatMap(\.latencies)
latencies.sort()
let sent = outcomes.reduce(0) { $0 + $1.sent }
let acknowledged = outcomes.reduce(0) { $0 + $1.acknowledged }
let failures = outcomes.reduce(0) { $0 + $1.failures }
server.signal(SIGTERM)
_ = server.wait(timeout: .seconds(30))

// 4. Every acknowledged event stored, once.
let stored = try database.eventCount()
let ackedIDs = Set(outcomes.flatMap(\.ids))
print("""
    load: \(options.agents) agents x \(options.rate) events/s for \(options.seconds) s (one push a second each, mutual TLS, kept-alive connections)
      requests: \(latencies.count), failed: \(failures); events sent \(sent), acknowledged \(acknowledged), stored \(stored), lost \(max(0, ackedIDs.count - stored))
      ingest latency ms: p50 \(String(format: "%.1f", percentile(latencies, 0.5))), p90 \(String(format: "%.1f", percentile(latencies, 0.9))), p99 \(String(format: "%.1f", percentile(latencies, 0.99))), max \(String(format: "%.1f", latencies.last ?? .nan))
      throughput: \(String(format: "%.0f", Double(acknowledged) / max(milliseconds(loadStart.duration(to: loadEnded)) / 1000, 0.001))) events/s
      server CPU during the load: \(String(format: "%.1f", serverCPU)) s (\(String(format: "%.0f", serverCPU * 1e6 / Double(max(acknowledged, 1)))) µs an event; this machine has \(ProcessInfo.processInfo.activeProcessorCount) cores, shared with this load generator)
      server RSS: \(rssNow / 1024) MiB now, \(rssPeak / 1024) MiB peak
    """)

// 5. The dashboard with `dashboardEvents` events over 30 days.
let fill = ContinuousClock.now
let missing = max(0, options.dashboardEvents - stored)
if missing > 0 {
    let queue = try DatabaseQueue(path: state + "/" + FleetDatabase.fileName)
    let now = Date()
    let kinds = ["sense.flow", "monitor.sample", "audit.run", "alert.port-scan", "alert.syn-flood", "finding.changed"]
    try queue.write { db in
        let statement = try db.makeStatement(sql: "INSERT INTO events (id, host, time, kind, severity, vm, envelope, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        for i in 0..<missing {
            let host = "sim-\((i / kinds.count) % options.agents)"
            let time = Event.timestamp(now.addingTimeInterval(-Double(i % (30 * 86_400))))
            let kind = kinds[i % kinds.count]
            let severity: Severity = kind.hasPrefix("alert.") ? (i % 3 == 0 ? .critical : .high) : .info
            let body = kind == "audit.run" ? #"{"score":\#(60 + i % 40),"counts":{"fail":\#(i % 7)}}"# : nil
            let event = Event(time: time, host: host, kind: kind, engine: "bench", vm: "vm-\(i % 7)", severity: severity, summary: "filler \(i)", body: body)
            try statement.execute(arguments: [event.id, host, time, kind, severity.rawValue, event.vm, event.jsonLine(), time])
        }
    }
}
print("dashboard data: \(try database.eventCount()) events for \(options.agents) hosts (filled in \(fill.duration(to: .now)))")
(server, port) = try startServer(options, state: state, keyFile: keyFile, log: scratch + "/server2.log")
defer { server.signal(SIGTERM); _ = server.wait(timeout: .seconds(30)) }
let pages = try await FleetHTTP.withConnection(to: FleetServerAddress(host: "127.0.0.1", port: port), credentials: .init(trustedCAPEM: caPEM),
                                               timeout: .seconds(600)) { connection in
    let form = Array("token=\(adminToken)".utf8)
    let login = try await connection.request(.POST, "/ui/login", json: form, contentType: "application/x-www-form-urlencoded")
    guard let cookie = login.headers.first(where: { $0.0.lowercased() == "set-cookie" })?.1.split(separator: ";").first.map(String.init) else {
        throw HyperwardError(.software, "sign-in failed: HTTP \(login.status)")
    }
    var results: [(String, [Double], Int)] = []
    for path in ["/ui/hosts", "/ui/hosts?sort=alerts", "/ui/hosts/sim-7", "/ui/alerts", "/ui/events?severity=critical", "/v1/hosts"] {
        var times: [Double] = []
        var bytes = 0
        for _ in 0..<options.pageRuns {
            let begin = ContinuousClock.now
            let page = try await connection.request(.GET, path, headers: path.hasPrefix("/v1/") ? [("Authorization", "Bearer \(adminToken)")] : [("Cookie", cookie)])
            times.append(milliseconds(begin.duration(to: .now)))
            guard page.status == 200 else { throw HyperwardError(.software, "\(path): HTTP \(page.status)") }
            bytes = page.body.count
        }
        results.append((path, times.sorted(), bytes))
    }
    return results
}
print("dashboard pages (\(options.pageRuns) runs each, one kept-alive connection):")
for (path, times, bytes) in pages {
    print("  \(path.padding(toLength: 30, withPad: " ", startingAt: 0)) p50 \(String(format: "%6.1f", percentile(times, 0.5))) ms  p95 \(String(format: "%6.1f", percentile(times, 0.95))) ms  (\(bytes / 1024) KiB)")
}
let (rss2, peak2) = rss(server.pid)
print("server RSS after the pages: \(rss2 / 1024) MiB now, \(peak2 / 1024) MiB peak")
