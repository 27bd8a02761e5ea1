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
import HyperwardHost
import HyperwardStore
import Testing

/// A fleet on one machine, as real processes: a `hyperward server run` on loopback with its own
/// state directory and keystore, and agents with their own state directories.
final class FleetLab: @unchecked Sendable {
    let scratch = Scratch()
    var serverState: String { scratch.path + "/server" }
    var passphrase: String { scratch.path + "/pass" }
    var server: HostChild?
    var port = 0
    var fingerprint = ""
    var serverLog: String { scratch.path + "/server.log" }

    init() throws {
        try "fleet lab passphrase".write(toFile: passphrase, atomically: true, encoding: .utf8)
        chmod(passphrase, 0o600)
        let made = try CLI.run(["keys", "init", "--state-dir", serverState, "--passphrase-file", passphrase, "--scrypt-log-n", "10"])
        guard made.status == 0 else { throw HyperwardError(.software, "keys init: \(made.stderr)") }
    }

    deinit { server?.stop() }

    /// Starts the server (on `port`, or any free port the first time) and waits until it listens.
    func startServer() async throws {
        _ = unlink(serverLog)
        let child = try HostChild([CLI.binary, "server", "run", "--state-dir", serverState, "--passphrase-file", passphrase,
                                   "--listen", "127.0.0.1:\(port)"],
                                  stdout: HostChild.nullDevice, stderr: URL(fileURLWithPath: serverLog))
        server = child
        // Generous: at the start of a full test run every suite starts at once on two cores.
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOfFile: serverLog, encoding: .utf8)) ?? ""
            if let range = log.range(of: "listening on https://127.0.0.1:") {
                let digits = log[range.upperBound...].prefix { $0.isNumber }
                port = Int(digits) ?? 0
                if let fp = log.range(of: "fingerprint sha256:") {
                    fingerprint = String(log[fp.upperBound...].prefix { $0.isHexDigit })
                }
                return
            }
            guard child.isRunning else { throw HyperwardError(.software, "the server exited: \(log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = (try? String(contentsOfFile: serverLog, encoding: .utf8)) ?? ""
        throw HyperwardError(.software, "the server did not start listening within 300 s: \(log)")
    }

    /// Starts `hyperward agent` on `state` (pushing every second, auditing a weak fixture host
    /// at start), its log in `agent.log`.
    func startAgent(state: String, maxPending: Int? = nil) throws -> HostChild {
        let config = scratch.write("agent.yaml", """
            state_directory: \(state)
            fleet:
              push_interval_seconds: 1
            \(maxPending.map { "  max_pending: \($0)" } ?? "")
            """)
        return try HostChild([CLI.binary, "agent", "--config", config, "--root", scratch.weakHost(), "--interval", "3600"],
                             stdout: HostChild.nullDevice, stderr: URL(fileURLWithPath: scratch.path + "/agent.log"))
    }

    /// Kills the server as a crash would (SIGKILL).
    func killServer() {
        server?.signal(SIGKILL)
        _ = server?.wait(timeout: .seconds(10))
        server = nil
    }

    var url: String { "https://127.0.0.1:\(port)" }

    func token(group: String = "rack-1") throws -> String {
        let made = try CLI.run(["server", "token", "create", "--group", group, "--state-dir", serverState])
        guard made.status == 0 else { throw HyperwardError(.software, "token create: \(made.stderr)") }
        return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Enrolls a new agent state directory under `name`.
    @discardableResult
    func enroll(_ name: String) throws -> String {
        let state = scratch.path + "/agent-" + name
        let enrolled = try CLI.run(["agent", "enroll", "--server", url, "--token", try token(), "--ca-fingerprint", fingerprint,
                                    "--name", name, "--state-dir", state])
        guard enrolled.status == 0 else { throw HyperwardError(.software, "enroll \(name): \(enrolled.stderr)") }
        return state
    }

    func apiToken(_ name: String, role: String) throws -> String {
        let made = try CLI.run(["server", "user", "add", name, "--role", role, "--state-dir", serverState])
        guard made.status == 0 else { throw HyperwardError(.software, "user add: \(made.stderr)") }
        return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An API call with curl (the server's CA trusted): the status and the body.
    func api(_ method: String, _ path: String, token: String? = nil, body: String? = nil, extra: String = "") throws -> (status: Int, body: String) {
        let ca = serverState + "/fleet-ca.pem"
        var command = "curl -s -o - -w '\\n%{http_code}' --cacert \(ca) -X \(method) \(extra)"
        if let token { command += " -H 'Authorization: Bearer \(token)'" }
        if let body { command += " -H 'Content-Type: application/json' --data-binary '\(body)'" }
        command += " '\(url)\(path)'"
        let result = try CLI.shell(command)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? -1, lines.dropLast().joined(separator: "\n"))
    }

    /// Event ids stored on the server for `host`, read from its database.
    func serverEventIDs(host: String) throws -> [String] {
        let result = try CLI.shell("sqlite3 \(serverState)/fleet.sqlite \"SELECT id FROM events WHERE host = '\(host)'\"")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    /// Every event id in an agent's own store.
    static func localEventIDs(_ state: String) throws -> [String] {
        let store = try StateStore.openExisting(stateDirectory: state)
        return try store.events(afterRow: 0, limit: 10_000_000).map(\.event.id)
    }
}

/// Every fleet process test, one at a time: each starts a server and agents, and several at once
/// on two cores slow each other past their deadlines.
@Suite("the fleet server, as processes", .serialized)
struct FleetProcessTests {}

extension FleetProcessTests {
    @Suite("hyperward server and agents")
    struct ServerAndAgents {
        /// Two agents enroll, record real findings (and, with the corpus, real sensor alerts), push
        /// them; the server holds each event once, under the host its certificate names.
        @Test(.needsFixtures("pcaps")) func agentsEnrollAndPushRealFindingsOnce() async throws {
            let lab = try FleetLab()
            try await lab.startServer()
            let a = try lab.enroll("kvm-a")
            let b = try lab.enroll("kvm-b")
            var st = stat()
            #expect(stat(a + "/fleet/host.key", &st) == 0 && st.st_mode & 0o077 == 0, "the host key is private")

            let root = lab.scratch.weakHost()
            #expect(try CLI.run(["audit", "--root", root, "--record", "--state-dir", a]).status != 64)
            #expect(try CLI.run(["audit", "--root", root, "--record", "--state-dir", b]).status != 64)
            let capture = try Fixtures.file("portscan_nmap_syn_top1000.pcapng", in: "pcaps").path
            let sensed = try CLI.run(["sense", "--pcap", capture, "--record", "--state-dir", b, "--format", "json"])
            #expect(sensed.status == 0 || sensed.status == 1, "\(sensed.stderr)")

            for (name, state) in [("kvm-a", a), ("kvm-b", b)] {
                let pushed = try CLI.run(["agent", "push", "--state-dir", state, "--format", "json"])
                #expect(pushed.status == 0, "\(pushed.stderr)")
                let local = try FleetLab.localEventIDs(state)
                let stored = try lab.serverEventIDs(host: name)
                #expect(!local.isEmpty && Set(stored) == Set(local) && stored.count == local.count, "\(name): \(stored.count) stored of \(local.count)")
                // Pushing again sends nothing new and stores nothing twice.
                let again = try CLI.run(["agent", "push", "--state-dir", state, "--format", "json"])
                #expect(again.status == 0 && again.stdout.contains("\"stored\":0"), "\(again.stdout)")
                #expect(try lab.serverEventIDs(host: name).count == local.count)
            }
            #expect(try lab.serverEventIDs(host: "kvm-b").count > (try lab.serverEventIDs(host: "kvm-a")).count, "kvm-b also pushed sensor alerts")

            // A person reads them through the API.
            let viewer = try lab.apiToken("vera", role: "viewer")
            let hosts = try lab.api("GET", "/v1/hosts", token: viewer)
            #expect(hosts.status == 200 && hosts.body.contains("\"kvm-a\"") && hosts.body.contains("\"kvm-b\""), "\(hosts)")
            let alerts = try lab.api("GET", "/v1/events?host=kvm-b&kind=alert.port-scan&limit=5", token: viewer)
            #expect(alerts.status == 200, "\(alerts)")
            let object = try JSONSerialization.jsonObject(with: Data(alerts.body.utf8)) as? [String: Any]
            let events = object?["events"] as? [[String: Any]] ?? []
            #expect(!events.isEmpty && events.allSatisfy { $0["host"] as? String == "kvm-b" }, "\(alerts.body.prefix(300))")
        }

        /// Mutual TLS: no client certificate, another CA's certificate, a revoked host's certificate,
        /// and a certificate of the same CA that is not a host's are all refused; a token works once;
        /// a wrong CA fingerprint sends nothing and writes nothing.
        @Test func mutualTLSAndEnrollmentRefuseWhatTheyMust() async throws {
            let lab = try FleetLab()
            try await lab.startServer()
            let ca = lab.serverState + "/fleet-ca.pem"

            let token = try lab.token()
            let wrong = lab.scratch.path + "/wrong"
            let mismatched = try CLI.run(["agent", "enroll", "--server", lab.url, "--token", token, "--ca-fingerprint", String(repeating: "ab", count: 32),
                                          "--name", "kvm-x", "--state-dir", wrong])
            #expect(mismatched.status == 69 && mismatched.stderr.contains("not the pinned"), "\(mismatched.stderr)")
            #expect(!FileManager.default.fileExists(atPath: wrong + "/fleet/host.key") && !FileManager.default.fileExists(atPath: wrong + "/fleet/enrollment.json"))

            let a = lab.scratch.path + "/agent-a"
            #expect(try CLI.run(["agent", "enroll", "--server", lab.url, "--token", token, "--ca-fingerprint", "SHA256:" + lab.fingerprint.uppercased(),
                                 "--name", "kvm-a", "--state-dir", a]).status == 0, "the token was not used by the refused enrollment")
            let reused = try CLI.run(["agent", "enroll", "--server", lab.url, "--token", token, "--ca-fingerprint", lab.fingerprint,
                                      "--name", "kvm-c", "--state-dir", lab.scratch.path + "/agent-c"])
            #expect(reused.status == 69 && reused.stderr.contains("not valid"), "a token works once: \(reused.stderr)")
            let again = try CLI.run(["agent", "enroll", "--server", lab.url, "--token", try lab.token(), "--ca-fingerprint", lab.fingerprint,
                                     "--name", "kvm-a", "--state-dir", lab.scratch.path + "/agent-a2"])
            #expect(again.status == 69 && again.stderr.contains("already enrolled"), "a name is enrolled once: \(again.stderr)")

            let push = #"-H 'Content-Type: application/json' --data-binary '{"events":[]}'"#
            // No client certificate: the TLS connection is made, the agent route refuses it.
            let none = try CLI.shell("curl -s -w '\\n%{http_code}' --cacert \(ca) \(push) \(lab.url)/v1/agent/events")
            #expect(none.stdout.hasSuffix("401") && none.stdout.contains("client certificate"), "\(none.stdout)")
            // The host's own certificate works.
            let own = try CLI.shell("curl -s -w '\\n%{http_code}' --cacert \(ca) --cert \(a)/fleet/host.crt --key \(a)/fleet/host.key \(push) \(lab.url)/v1/agent/events")
            #expect(own.stdout.hasSuffix("200"), "\(own.stdout)")
            // Another CA's certificate, even with the host's name: the handshake fails.
            let other = lab.scratch.path + "/other"
            #expect(try CLI.shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout \(other).key -out \(other).crt -subj '/CN=kvm-a/OU=host' -days 1").status == 0)
            let foreign = try CLI.shell("curl -s -w '\\n%{http_code}' --cacert \(ca) --cert \(other).crt --key \(other).key \(push) \(lab.url)/v1/agent/events")
            #expect(foreign.status != 0 && !foreign.stdout.contains("200"), "another CA's certificate is refused in the handshake: \(foreign)")
            // A certificate from the same CA that is not a host's (a VM's client certificate).
            try FileManager.default.createDirectory(atPath: lab.scratch.path + "/vm", withIntermediateDirectories: true)
            let issued = try CLI.run(["cert", "issue", "--vm", "web-1", "--kind", "client", "--out-dir", lab.scratch.path + "/vm",
                                      "--state-dir", lab.serverState, "--passphrase-file", lab.passphrase])
            if issued.status == 0 {
                let vm = try CLI.shell("curl -s -w '\\n%{http_code}' --cacert \(ca) --cert \(lab.scratch.path)/vm/web-1-client.crt.pem --key \(lab.scratch.path)/vm/web-1-client.key.pem \(push) \(lab.url)/v1/agent/events")
                #expect(vm.stdout.hasSuffix("403") && vm.stdout.contains("not a host"), "\(vm.stdout)")
            } else {
                Issue.record("cert issue failed: \(issued.stderr)")
            }
            // Revoked: the certificate still chains to the CA, the server refuses it.
            #expect(try CLI.run(["server", "host", "revoke", "kvm-a", "--state-dir", lab.serverState, "--passphrase-file", lab.passphrase]).status == 0)
            let revoked = try CLI.run(["agent", "push", "--state-dir", a])
            #expect(revoked.status == 69 && revoked.stderr.contains("revoked"), "\(revoked.stderr)")
        }

        /// The server killed (SIGKILL) in the middle of a push, and the agent killed in the middle
        /// of another: after restarts and a push to the end, the server holds every event exactly once.
        @Test func killsMidPushLoseNothingAndDuplicateNothing() async throws {
            let lab = try FleetLab()
            try await lab.startServer()
            let a = try lab.enroll("kvm-a")
            // 30,000 events in the agent's store (through the store's own append, ledger and all).
            let store = try StateStore(stateDirectory: a)
            for chunk in 0..<30 {
                try store.append((0..<1_000).map { i in
                    Event(time: Event.timestamp(Date()), host: "kvm-a", kind: "test.fleet", engine: "audit", severity: .low,
                          summary: "event \(chunk * 1_000 + i)")
                })
            }
            let total = try FleetLab.localEventIDs(a).count
            #expect(total == 30_000)

            // The server dies while a push runs.
            let pushLog = lab.scratch.path + "/push.log"
            let pushing = try HostChild([CLI.binary, "agent", "push", "--state-dir", a], stdout: URL(fileURLWithPath: pushLog), stderr: URL(fileURLWithPath: pushLog))
            var waited = 0
            while (try lab.serverEventIDs(host: "kvm-a")).count < 3_000, waited < 400 {
                try await Task.sleep(for: .milliseconds(25))
                waited += 1
            }
            lab.killServer()
            let cut = pushing.wait(timeout: .seconds(60))
            let partial = try lab.serverEventIDs(host: "kvm-a").count
            #expect(partial > 0 && partial < total, "the push was cut off midway (\(partial) of \(total))")
            #expect(cut == 69, "the push reports the lost server: \((try? String(contentsOfFile: pushLog, encoding: .utf8)) ?? "")")

            // The agent dies while the next push runs.
            try await lab.startServer()
            let second = try HostChild([CLI.binary, "agent", "push", "--state-dir", a], stdout: HostChild.nullDevice, stderr: HostChild.nullDevice)
            waited = 0
            while (try lab.serverEventIDs(host: "kvm-a")).count < partial + 3_000, waited < 400 {
                try await Task.sleep(for: .milliseconds(25))
                waited += 1
            }
            second.signal(SIGKILL)
            _ = second.wait(timeout: .seconds(10))

            // Pushes to the end.
            let final = try CLI.run(["agent", "push", "--state-dir", a, "--format", "json"])
            #expect(final.status == 0, "\(final.stderr)")
            let stored = try lab.serverEventIDs(host: "kvm-a")
            let local = try FleetLab.localEventIDs(a)
            #expect(stored.count == total && Set(stored) == Set(local), "every event once: \(stored.count) of \(total)")
        }

        /// Every API operation for each role (and for no token): allowed or denied as docs/server.md says.
        @Test func everyOperationChecksTheCallersRole() async throws {
            let lab = try FleetLab()
            try await lab.startServer()
            try lab.enroll("kvm-a")
            let tokens = ["viewer": try lab.apiToken("v", role: "viewer"), "operator": try lab.apiToken("o", role: "operator"),
                          "admin": try lab.apiToken("a", role: "admin")]
            let rank = ["none": 0, "viewer": 1, "operator": 2, "admin": 3]
            // (method, path, body, the least role, the status when allowed)
            let operations: [(String, String, String?, String, Int)] = [
                ("GET", "/v1/hosts", nil, "viewer", 200),
                ("GET", "/v1/events?limit=5", nil, "viewer", 200),
                ("GET", "/metrics", nil, "viewer", 200),
                ("POST", "/v1/enrollment-tokens", #"{"group":"g2","expires_in_seconds":600}"#, "admin", 201),
                ("POST", "/v1/hosts/nobody/revoke", nil, "admin", 404),
            ]
            for (method, path, body, least, allowedStatus) in operations {
                for role in ["none", "viewer", "operator", "admin"] {
                    let answer = try lab.api(method, path, token: tokens[role], body: body)
                    let expected = rank[role]! >= rank[least]! ? allowedStatus : (role == "none" ? 401 : 403)
                    #expect(answer.status == expected, "\(method) \(path) as \(role): \(answer.status) \(answer.body.prefix(200))")
                    if answer.status >= 400 {
                        #expect(answer.body.contains("\"status\":\(answer.status)") && answer.body.contains("\"detail\""), "a problem document")
                    }
                }
            }
            // A revoked API token is refused; a body too large is 413; the public routes answer anyone.
            #expect(try CLI.run(["server", "user", "revoke", "v", "--state-dir", lab.serverState]).status == 0)
            #expect(try lab.api("GET", "/v1/hosts", token: tokens["viewer"]).status == 401)
            let big = lab.scratch.write("big.json", "{\"group\":\"" + String(repeating: "x", count: 5 << 20) + "\"}")
            let large = try lab.api("POST", "/v1/enrollment-tokens", token: tokens["admin"], extra: "-H 'Content-Type: application/json' --data-binary @\(big)")
            #expect(large.status == 413, "\(large.status) \(large.body.prefix(200))")
            #expect(try lab.api("GET", "/healthz").status == 200)
            let document = try lab.api("GET", "/openapi.yaml")
            let file = try String(contentsOf: CLI.packageRoot.appendingPathComponent("docs/api.yaml"), encoding: .utf8)
            #expect(document.status == 200 && document.body == file, "docs/api.yaml is what the server serves")
            #expect(try CLI.run(["server", "openapi"]).stdout == file)
        }
    }

    @Suite("hyperward agent pushing to the fleet server")
    struct AgentPush {
        /// The running agent pushes on its own; while the server is down events wait in its store;
        /// past `fleet.max_pending` the oldest are dropped, and the server is told how many.
        @Test func theAgentPushesOnItsOwnAndReportsWhatItDropped() async throws {
            let lab = try FleetLab()
            try await lab.startServer()
            let a = try lab.enroll("kvm-a")
            let log = lab.scratch.path + "/agent.log"
            let agent = try lab.startAgent(state: a, maxPending: 1000)
            defer { agent.stop(grace: .seconds(5)) }
            // Its start-up audit reaches the server without any push command.
            var waited = 0
            while (try lab.serverEventIDs(host: "kvm-a")).isEmpty, waited < 600 {
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            let first = try lab.serverEventIDs(host: "kvm-a").count
            #expect(first > 0, "the agent pushed its audit: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")

            // The server goes away; 5,000 events are recorded meanwhile, five times the bound.
            lab.killServer()
            let store = try StateStore(stateDirectory: a)
            for chunk in 0..<5 {
                try store.append((0..<1_000).map { i in
                    Event(time: Event.timestamp(Date()), host: "kvm-a", kind: "test.fleet", engine: "audit", severity: .low,
                          summary: "while away \(chunk * 1_000 + i)")
                })
            }
            try await Task.sleep(for: .seconds(2))
            try await lab.startServer()
            let local = try FleetLab.localEventIDs(a)
            waited = 0
            var dropped = 0
            while waited < 600 {
                let admin = try lab.apiToken("admin-\(waited)", role: "admin")
                let hosts = try lab.api("GET", "/v1/hosts", token: admin)
                let object = try JSONSerialization.jsonObject(with: Data(hosts.body.utf8)) as? [String: Any]
                let host = (object?["hosts"] as? [[String: Any]])?.first
                dropped = host?["dropped_total"] as? Int ?? 0
                if dropped > 0, try lab.serverEventIDs(host: "kvm-a").count + dropped == local.count { break }
                try await Task.sleep(for: .milliseconds(200))
                waited += 1
            }
            let stored = try lab.serverEventIDs(host: "kvm-a")
            #expect(dropped == 4_000, "the oldest past the bound of 1,000 are dropped and reported: \(dropped)")
            #expect(stored.count + dropped == local.count, "nothing else is lost: \(stored.count) + \(dropped) of \(local.count)")
            #expect(Set(local.suffix(1_000)).isSubset(of: Set(stored)), "the newest 1,000 arrived")
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: .seconds(20)) == 0, "the agent stops cleanly")
        }
    }

    @Suite("the fleet server as a witness of hosts' ledgers")
    struct LedgerWitness {
        /// A host's signed checkpoints are accepted while its ledger only grows; after its history is
        /// rewritten (the store replaced, fewer events, signed with the same key) the next checkpoint
        /// is refused, the push exits 76, and a critical fleet alert is in the host's events.
        @Test func aRewrittenHostHistoryIsRefusedAndRaisesAFleetAlert() async throws {
            let lab = try FleetLab()
            try await lab.startServer()
            let a = try lab.enroll("kvm-a")
            #expect(try CLI.run(["keys", "init", "--state-dir", a, "--passphrase-file", lab.passphrase, "--scrypt-log-n", "10"]).status == 0)
            let root = lab.scratch.weakHost()
            func audit() throws { #expect(try CLI.run(["audit", "--root", root, "--record", "--state-dir", a]).status != 64) }
            func checkpoint() throws {
                let signed = try CLI.run(["ledger", "checkpoint", "--state-dir", a, "--passphrase-file", lab.passphrase])
                #expect(signed.status == 0, "\(signed.stderr)")
            }
            try audit()
            try checkpoint()
            let first = try CLI.run(["agent", "push", "--state-dir", a, "--format", "json"])
            #expect(first.status == 0 && first.stdout.contains("accepted the first checkpoint"), "\(first.stdout) \(first.stderr)")
            // The ledger grows: the next checkpoint comes with a consistency proof and is accepted.
            try audit()
            try checkpoint()
            let grown = try CLI.run(["agent", "push", "--state-dir", a, "--format", "json"])
            #expect(grown.status == 0 && grown.stdout.contains("consistent with size"), "\(grown.stdout) \(grown.stderr)")

            // History rewritten: a new store, one audit's events, signed with the same ledger key.
            for suffix in ["", "-wal", "-shm"] { unlink(a + "/hyperward.sqlite" + suffix) }
            try audit()
            try checkpoint()
            let rewritten = try CLI.run(["agent", "push", "--state-dir", a])
            #expect(rewritten.status == 76 && rewritten.stderr.contains("refused this host's ledger checkpoint"), "\(rewritten.status) \(rewritten.stderr)")
            let viewer = try lab.apiToken("vera", role: "viewer")
            let alerts = try lab.api("GET", "/v1/events?host=kvm-a&kind=fleet.ledger.inconsistent", token: viewer)
            #expect(alerts.status == 200 && alerts.body.contains("\"severity\":\"critical\"") && alerts.body.contains("history may have been rewritten"),
                    "\(alerts.body.prefix(400))")
        }
    }

    @Suite("the fleet dashboard in headless Chromium")
    struct Dashboard {
        /// Signs in through the real form, reads every page's DOM, acknowledges an alert through the
        /// real form (as a false positive, with a reason and an expiry), and saves screenshots at
        /// 1280×800 and on a phone (in HYPERWARD_SCREENSHOTS when set).
        @Test(.needsFixtures("pcaps")) func pagesRenderAndAnAlertIsAcknowledgedThroughTheForm() async throws {
            let lab = try FleetLab()
            try await lab.startServer()
            let a = try lab.enroll("kvm-a")
            #expect(try CLI.run(["audit", "--root", lab.scratch.weakHost(), "--record", "--state-dir", a]).status != 64)
            for capture in ["portscan_nmap_syn_top1000.pcapng", "synflood_single_source_200.pcap"] {
                let path = try Fixtures.file(capture, in: "pcaps").path
                #expect(try CLI.run(["sense", "--pcap", path, "--record", "--state-dir", a]).status != 64)
            }
            #expect(try CLI.run(["agent", "push", "--state-dir", a]).status == 0)
            let token = try lab.apiToken("olga", role: "operator")
            let shots = ProcessInfo.processInfo.environment["HYPERWARD_SCREENSHOTS"] ?? lab.scratch.path + "/shots"
            let driver = CLI.packageRoot.appendingPathComponent("Tests/Browser/dashboard.py").path
            let run = HostCommand.run(["python3", driver, lab.url, token, "kvm-a", shots], timeout: .seconds(120))
            #expect(run.status == 0, "\(run.stderr)")
            let seen = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout) \(run.stderr)")
            #expect((seen["errors"] as? [String])?.isEmpty == true, "\(seen["errors"] ?? "")")
            #expect(seen["unauthenticated_url"] as? String == "/ui/login", "a page without a session sends you to sign in")
            #expect(seen["after_login_url"] as? String == "/ui/hosts")
            let pages = seen["pages"] as? [String: [String: Any]] ?? [:]
            #expect(pages["hosts"]?["rows"] as? [String] == ["kvm-a"])
            #expect(pages["hosts"]?["scripts"] as? Int == 0, "no script on any page")
            #expect(((pages["hosts"]?["charts"] as? Int) ?? 0) >= 1)
            #expect(pages["hosts_filtered"]?["rows"] as? [String] == ["kvm-a"])
            #expect(pages["host"]?["heading"] as? String == "kvm-a")
            let threats = (pages["host"]?["threats"] as? [String]) ?? []
            #expect(threats.contains("threat-T4"), "the weak host's CPU findings are under T4: \(threats)")
            #expect(((pages["host"]?["findings"] as? Int) ?? 0) > 0 && ((pages["host"]?["events"] as? Int) ?? 0) > 0)
            #expect(((pages["alerts"]?["rows"] as? [String]) ?? []).count >= 1 && ((pages["alerts"]?["forms"] as? Int) ?? 0) >= 1)
            let acknowledged = seen["acknowledged"] as? [String: Any]
            let requested = (seen["action_requested"] as? [String: Any])?["rows"] as? [[String]] ?? []
            #expect(requested.contains { $0.first == "pending" && $0.last?.contains("audit from the dashboard") == true }, "\(requested)")
            let acknowledgedText = (acknowledged?["text"] as? String) ?? ""
            #expect(acknowledgedText.contains("False positive by olga: scan from our own scanner"), "\(acknowledged ?? [:])")
            for (name, page) in pages where page["overflows_phone"] != nil {
                #expect(page["overflows_phone"] as? Bool == false && page["overflows_desktop"] as? Bool == false, "\(name) fits the screen")
            }
            for name in ["login", "hosts", "host", "alerts", "alerts-acknowledged", "events"] {
                #expect(FileManager.default.fileExists(atPath: "\(shots)/\(name)-desktop.png") && FileManager.default.fileExists(atPath: "\(shots)/\(name)-phone.png"))
            }
            // The acknowledgement is an event of the host.
            let viewer = try lab.apiToken("vera", role: "viewer")
            let recorded = try lab.api("GET", "/v1/events?host=kvm-a&kind=fleet.alert.acknowledged", token: viewer)
            #expect(recorded.body.contains("olga acknowledged") && recorded.body.contains("false positive"), "\(recorded.body.prefix(300))")
        }

        /// Forms need the session's CSRF token and a same-origin post; the cookie is Secure, HttpOnly,
        /// SameSite=Strict with the __Host- prefix; pages carry a CSP with no inline script or style;
        /// a viewer gets no acknowledge form and cannot post one.
        @Test func formsAreProtectedAndPagesLockedDown() async throws {
            let lab = try FleetLab()
            try await lab.startServer()
            let a = try lab.enroll("kvm-a")
            let store = try StateStore(stateDirectory: a)
            let alert = Event(time: Event.timestamp(Date()), host: "kvm-a", kind: "alert.test", engine: "sense", severity: .high, summary: "a test alert")
            try store.append([alert])
            #expect(try CLI.run(["agent", "push", "--state-dir", a]).status == 0)
            let ca = lab.serverState + "/fleet-ca.pem"
            func session(_ role: String, _ name: String) throws -> (cookie: String, csrf: String) {
                let token = try lab.apiToken(name, role: role)
                let login = try CLI.shell("curl -s -i --cacert \(ca) -H 'Origin: \(lab.url)' --data-urlencode 'token=\(token)' \(lab.url)/ui/login")
                let header = login.stdout.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") }.map(String.init) ?? ""
                #expect(header.contains("__Host-hw_session=") && header.contains("Secure") && header.contains("HttpOnly") && header.contains("SameSite=Strict"), "\(header)")
                let cookie = header.dropFirst("set-cookie: ".count).split(separator: ";").first.map(String.init) ?? ""
                let page = try CLI.shell("curl -s --cacert \(ca) -H 'Cookie: \(cookie)' \(lab.url)/ui/alerts")
                let csrf = page.stdout.range(of: "name=\"csrf\" value=\"").map { page.stdout[$0.upperBound...].prefix { $0 != "\"" } }.map(String.init) ?? ""
                return (cookie, csrf)
            }
            let operatorSession = try session("operator", "olga")
            #expect(!operatorSession.csrf.isEmpty)
            func post(_ cookie: String, _ body: String, origin: String? = nil) throws -> String {
                try CLI.shell("curl -s -o /dev/null -w '%{http_code}' --cacert \(ca) -H 'Cookie: \(cookie)' \(origin.map { "-H 'Origin: \($0)'" } ?? "") --data '\(body)' \(lab.url)/ui/events/\(alert.id)/ack").stdout
            }
            #expect(try post(operatorSession.cookie, "csrf=wrong&reason=r") == "403", "a wrong CSRF token is refused")
            #expect(try post(operatorSession.cookie, "reason=r") == "403", "a missing CSRF token is refused")
            #expect(try post(operatorSession.cookie, "csrf=\(operatorSession.csrf)&reason=r", origin: "https://evil.example") == "403", "another origin is refused")
            #expect(try post("__Host-hw_session=forged-session-id-0000000000", "csrf=x&reason=r") == "303", "no session: sent to sign in")
            #expect(try post(operatorSession.cookie, "csrf=\(operatorSession.csrf)&reason=seen&expires=3600", origin: lab.url) == "303", "the right token works")

            let viewerSession = try session("viewer", "vera")
            let viewerPage = try CLI.shell("curl -s --cacert \(ca) -H 'Cookie: \(viewerSession.cookie)' \(lab.url)/ui/alerts")
            #expect(!viewerPage.stdout.contains("form class=\"ack\""), "a viewer gets no acknowledge form")
            #expect(try post(viewerSession.cookie, "csrf=\(viewerSession.csrf)&reason=r") == "403", "and cannot post one")

            let headers = try CLI.shell("curl -s -D - -o /dev/null --cacert \(ca) -H 'Cookie: \(operatorSession.cookie)' \(lab.url)/ui/hosts").stdout.lowercased()
            #expect(headers.contains("content-security-policy: default-src 'none'; style-src 'self'") && !headers.contains("unsafe-inline"), "\(headers)")
            #expect(headers.contains("x-content-type-options: nosniff") && headers.contains("frame-ancestors 'none'"))
            // Signing out ends the session.
            #expect(try CLI.shell("curl -s -o /dev/null -w '%{http_code}' --cacert \(ca) -H 'Cookie: \(operatorSession.cookie)' --data 'csrf=\(operatorSession.csrf)' \(lab.url)/ui/logout").stdout == "303")
            let after = try CLI.shell("curl -s -o /dev/null -w '%{redirect_url}' --cacert \(ca) -H 'Cookie: \(operatorSession.cookie)' \(lab.url)/ui/hosts").stdout
            #expect(after.hasSuffix("/ui/login"), "\(after)")
        }
    }

    @Suite("operators' actions carried out by agents")
    struct Actions {
        /// An operator asks a host for an audit and for the quarantine of a VM it does not have,
        /// through the API; the running agent picks both up on its long poll, runs them, and
        /// reports. Requests and results are events on the server and in the host's own ledger.
        @Test func actionsRequestedThroughTheAPIAreRunByTheAgentAndRecordedInBothLedgers() async throws {
            let lab = try FleetLab()
            try await lab.startServer()
            let a = try lab.enroll("kvm-a")
            let agent = try lab.startAgent(state: a)
            defer { agent.stop(grace: .seconds(5)) }
            let operatorToken = try lab.apiToken("olga", role: "operator")
            let audit = try lab.api("POST", "/v1/actions", token: operatorToken, body: #"{"host":"kvm-a","kind":"audit","reason":"check after patching"}"#)
            #expect(audit.status == 201, "\(audit)")
            let quarantine = try lab.api("POST", "/v1/actions", token: operatorToken,
                                         body: #"{"host":"kvm-a","kind":"quarantine","vm":"no-such-vm-7","reason":"suspected miner"}"#)
            #expect(quarantine.status == 201, "\(quarantine)")
            let viewer = try lab.apiToken("vera", role: "viewer")
            var actions: [[String: Any]] = []
            for _ in 0..<600 {
                let listed = try lab.api("GET", "/v1/actions?host=kvm-a", token: viewer)
                actions = ((try? JSONSerialization.jsonObject(with: Data(listed.body.utf8)) as? [String: Any])?["actions"] as? [[String: Any]]) ?? []
                if actions.count == 2, actions.allSatisfy({ ["succeeded", "failed"].contains($0["state"] as? String ?? "") }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let byKind = Dictionary(actions.map { ($0["kind"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
            #expect(byKind["audit"]?["state"] as? String == "succeeded", "\(byKind["audit"] ?? [:])")
            let auditResult = (byKind["audit"]?["result"] as? String) ?? ""
            #expect(auditResult.hasPrefix("audit recorded: score"), "\(byKind["audit"] ?? [:])")
            #expect(byKind["quarantine"]?["state"] as? String == "failed", "a VM the host does not have: \(byKind["quarantine"] ?? [:])")
            // A viewer may not ask.
            #expect(try lab.api("POST", "/v1/actions", token: viewer, body: #"{"host":"kvm-a","kind":"audit","reason":"r"}"#).status == 403)

            // The host's own ledger holds each receipt and result; the server, each request and result.
            let local = try StateStore.openExisting(stateDirectory: a).events(kindPrefix: "fleet.", limit: 100).map(\.kind)
            #expect(local.filter { $0 == "fleet.action.received" }.count == 2 && local.contains("fleet.action.succeeded") && local.contains("fleet.action.failed"), "\(local)")
            var kinds: [String] = []
            for _ in 0..<100 {
                let events = try lab.api("GET", "/v1/events?host=kvm-a&limit=1000", token: viewer)
                kinds = ((try? JSONSerialization.jsonObject(with: Data(events.body.utf8)) as? [String: Any])?["events"] as? [[String: Any]] ?? [])
                    .compactMap { ($0["event"] as? [String: Any])?["kind"] as? String }
                if kinds.filter({ $0 == "fleet.action.received" }).count == 2 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(kinds.filter { $0 == "fleet.action.requested" }.count == 2, "\(kinds)")
            #expect(kinds.contains("fleet.action.succeeded") && kinds.contains("fleet.action.failed"))
            #expect(kinds.filter { $0 == "fleet.action.received" }.count == 2, "the host's own records were pushed: \(kinds)")
        }
    }
}
