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

import Testing
@testable import Sensor

@Suite("BruteForceTracker")
struct BruteForceTrackerTests {
    static let attacker = IPAddress("192.168.122.66")!
    static let victim = IPAddress("192.168.122.10")!
    static let start: Int64 = 1_700_000_000_000_000_000

    static func event(_ outcome: LoginOutcome, at seconds: Double, user: String = "root",
                      kind: CredentialKind = .ftp) -> CredentialEvent {
        let time = Timestamp(nanoseconds: start + Int64(seconds * 1e9))
        return CredentialEvent(kind: kind, user: user, password: CredentialSecret(bytes: Array("guess".utf8)),
                               outcome: outcome, time: time, credentialTime: time, isAnonymous: false,
                               mechanism: "USER/PASS")
    }

    /// Feeds failures at the given times; returns the alerts.
    static func failures(_ times: [Double], tracker: inout BruteForceTracker, port: UInt16 = 21,
                         source: IPAddress = attacker) -> [Alert] {
        times.compactMap {
            tracker.record(event(.failure, at: $0, user: "user\(Int($0) % 3)"), source: source, destination: victim,
                           destinationPort: port)
        }
    }

    @Test("defaults are fail2ban's: maxretry 5 within findtime 600 s")
    func defaults() {
        #expect(BruteForceConfiguration.default.maxFailures == 5)
        #expect(BruteForceConfiguration.default.window == 600)
    }

    @Test("the fifth failure within the window raises one alert; re-alerts when the count doubles")
    func threshold() throws {
        var tracker = BruteForceTracker()
        let alerts = Self.failures((0..<25).map { Double($0) * 2 }, tracker: &tracker)
        #expect(alerts.map(\.occurrence) == [1, 2, 3])
        #expect(alerts.map { $0.evidence.first { $0.0 == "failures" }?.1 } == [.int(5), .int(10), .int(20)])
        let first = try #require(alerts.first)
        #expect(first.detector == .bruteForce)
        #expect(first.severity == .high)
        #expect(first.src == "192.168.122.66" && first.dst == "192.168.122.10" && first.dstPort == 21)
        #expect(first.protocolName == "ftp")
        #expect(first.sourceMayBeSpoofed == false)
        #expect(Set(alerts.map(\.incident)).count == 1)
        #expect(first.time == Timestamp(nanoseconds: Self.start + 8_000_000_000))
    }

    @Test("failures spread wider than the window raise nothing")
    func slowFailures() {
        var tracker = BruteForceTracker()
        // Five failures, but the oldest of any five is more than 600 s before the newest.
        #expect(Self.failures([0, 200, 400, 600, 800.5, 1000.5, 1200.5], tracker: &tracker).isEmpty)
        var fast = BruteForceTracker(configuration: BruteForceConfiguration(maxFailures: 5, window: 60))
        #expect(Self.failures([0, 10, 20, 30, 61], tracker: &fast).isEmpty)
        #expect(Self.failures([62], tracker: &fast).count == 1)
    }

    @Test("a success after an incident is reported once, at critical")
    func successAfterGuessing() throws {
        var tracker = BruteForceTracker()
        _ = Self.failures([0, 1, 2, 3, 4], tracker: &tracker)
        let success = tracker.record(Self.event(.success, at: 5, user: "admin"), source: Self.attacker,
                                     destination: Self.victim, destinationPort: 21)
        let alert = try #require(success)
        #expect(alert.severity == .critical)
        #expect(alert.outcome == "success")
        #expect(alert.user == "admin")
        #expect(alert.occurrence == 2)
        #expect(tracker.record(Self.event(.success, at: 6), source: Self.attacker, destination: Self.victim,
                               destinationPort: 21) == nil)
        // A success with no incident is an ordinary login.
        var quiet = BruteForceTracker()
        _ = Self.failures([0, 1], tracker: &quiet)
        #expect(quiet.record(Self.event(.success, at: 2), source: Self.attacker, destination: Self.victim,
                             destinationPort: 21) == nil)
    }

    @Test("sources and services are counted apart; unknown outcomes are not counted")
    func keys() {
        var tracker = BruteForceTracker()
        let other = IPAddress("192.168.122.67")!
        for second in 0..<4 {
            #expect(tracker.record(Self.event(.failure, at: Double(second)), source: Self.attacker,
                                   destination: Self.victim, destinationPort: 21) == nil)
            #expect(tracker.record(Self.event(.failure, at: Double(second)), source: other,
                                   destination: Self.victim, destinationPort: 21) == nil)
            #expect(tracker.record(Self.event(.failure, at: Double(second)), source: Self.attacker,
                                   destination: Self.victim, destinationPort: 110) == nil)
            #expect(tracker.record(Self.event(.unknown, at: Double(second)), source: Self.attacker,
                                   destination: Self.victim, destinationPort: 21) == nil)
        }
        #expect(tracker.trackedCount == 3)
    }

    @Test("an incident ends after a quiet window; the next one is a new incident")
    func newIncident() {
        var tracker = BruteForceTracker()
        let first = Self.failures([0, 1, 2, 3, 4], tracker: &tracker)
        let second = Self.failures([700, 701, 702, 703, 704], tracker: &tracker)
        #expect(first.count == 1 && second.count == 1)
        #expect(first.first?.incident != second.first?.incident)
        #expect(second.first?.occurrence == 1)
    }

    @Test("failed logins over many connections add up (one session per connection)")
    func acrossConnections() throws {
        var tracker = BruteForceTracker()
        var alerts: [Alert] = []
        for attempt in 0..<6 {
            let transcript = Transcript([
                Transcript.s("220 ready\r\n"), Transcript.c("USER admin\r\n"), Transcript.s("331 pw?\r\n"),
                Transcript.c("PASS guess\(attempt)\r\n"), Transcript.s("530 Login incorrect.\r\n"),
            ])
            let (events, _) = CredentialHarness.run(transcript, service: .ftp)
            for event in events {
                if let alert = tracker.record(event, source: Self.attacker, destination: Self.victim,
                                              destinationPort: 21) {
                    alerts.append(alert)
                }
            }
        }
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert.user == "admin")
        #expect(alert.summary.contains("5 failed logins"))
        #expect(!alert.summary.contains("guess"))
    }

    @Test("memory is capped: beyond the maximum the least recently active are evicted and counted")
    func cap() {
        var tracker = BruteForceTracker(configuration: BruteForceConfiguration(maxTrackedServices: 16))
        for index in 0..<1000 {
            let source = IPAddress(ipv4: 0x0A00_0000 | UInt32(index))
            _ = tracker.record(Self.event(.failure, at: Double(index) * 0.01), source: source,
                               destination: Self.victim, destinationPort: 21)
            #expect(tracker.trackedCount <= 16)
        }
        #expect(tracker.evictions > 0)
        tracker.expire(now: Timestamp(nanoseconds: Self.start + 10_000_000_000_000))
        #expect(tracker.trackedCount == 0)
        #expect(tracker.expirations > 0)
    }
}
