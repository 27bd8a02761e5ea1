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
import Testing
@testable import Sensor

@Suite("Credential parsers on malformed input")
struct CredentialMalformedInputTests {
    @Test("random binary garbage in both directions never traps, for every protocol and for sniffing",
          arguments: CredentialService.allCases.map(Optional.some) + [nil])
    func garbage(_ service: CredentialService?) {
        var random = SplitMix(seed: 0xC0FFEE)
        let sniffing = CredentialConfiguration(sniffsUnmappedPorts: true)
        for _ in 0..<60 {
            var transcript = Transcript()
            for _ in 0..<Int.random(in: 1...12, using: &random) {
                let length = Int.random(in: 0...3000, using: &random)
                // Mostly binary, sometimes line-ish, so both the line and the byte paths are hit.
                let bytes: [UInt8] = (0..<length).map { _ in
                    let roll = UInt8.random(in: 0...255, using: &random)
                    return roll < 24 ? [10, 13, 32, 255, 0x7B, 0x7D][Int(roll) % 6] : UInt8.random(in: 0...255, using: &random)
                }
                transcript.segments.append((Bool.random(using: &random) ? .toServer : .toClient, bytes))
            }
            _ = CredentialHarness.run(transcript, service: service, chunking: .random(seed: random.next()),
                                      configuration: sniffing)
        }
    }

    @Test("mutated transcripts (bytes flipped, cut, duplicated) never trap")
    func mutations() {
        var random = SplitMix(seed: 42)
        let seeds: [(CredentialService, String)] = [
            (.ftp, "220 hi\r\nUSER a\r\n331 x\r\nPASS b\r\n230 ok\r\n"),
            (.http, "GET / HTTP/1.1\r\nAuthorization: Basic dTpw\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
            (.imap, "* OK\r\na LOGIN {3}\r\nabc {2+}\r\nxy\r\na OK\r\n"),
            (.smtp, "220 x\r\nAUTH LOGIN\r\n334 x\r\ndTE=\r\n334 x\r\ncDE=\r\n235 ok\r\n"),
            (.pop3, "+OK\r\nAUTH PLAIN\r\n+ \r\nAHUAcA==\r\n+OK\r\n"),
            (.telnet, "\u{FF}\u{FD}\u{18}login: root\r\nPassword: x\r\n$ "),
        ]
        for (service, text) in seeds {
            for _ in 0..<300 {
                var bytes = Array(text.utf8)
                for _ in 0..<Int.random(in: 1...6, using: &random) {
                    guard !bytes.isEmpty else { break }
                    let index = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes.removeSubrange(index..<min(bytes.count, index + Int.random(in: 1...8, using: &random)))
                    default: bytes.insert(contentsOf: bytes[index..<min(bytes.count, index + 10)], at: index)
                    }
                }
                // Alternate directions at random cut points.
                var transcript = Transcript()
                var start = 0
                while start < bytes.count {
                    let end = min(bytes.count, start + Int.random(in: 1...40, using: &random))
                    transcript.segments.append((Bool.random(using: &random) ? .toServer : .toClient,
                                                Array(bytes[start..<end])))
                    start = end
                }
                _ = CredentialHarness.run(transcript, service: service, chunking: .bytes)
            }
        }
    }

    @Test("a line over the limit stops the session and counts as oversize", arguments: [
        CredentialService.ftp, .http, .pop3, .imap, .smtp,
    ])
    func oversizeLine(_ service: CredentialService) {
        let long = Transcript([(.toServer, [UInt8](repeating: 0x41, count: 9000))])
        for chunking in [Chunking.segments, .random(seed: 1)] {
            let (events, stop) = CredentialHarness.run(long, service: service, chunking: chunking)
            #expect(events.isEmpty)
            #expect(stop == .lineTooLong)
            var statistics = CredentialStatistics()
            statistics.record(stop: stop)
            #expect(statistics.oversizeStops == 1)
        }
        // Just under the limit is fine.
        let ok = Transcript([(.toServer, [UInt8](repeating: 0x41, count: 8000) + [13, 10])])
        #expect(CredentialHarness.run(ok, service: service).stop != .lineTooLong)
    }

    @Test("a pending credential is reported as unknown when the session stops on a limit")
    func flushOnStop() {
        let transcript = Transcript([
            Transcript.s("220 hi\r\n"), Transcript.c("USER u\r\nPASS p\r\n"),
            (.toClient, [UInt8](repeating: 0x39, count: 10000)),
        ])
        let (events, stop) = CredentialHarness.run(transcript, service: .ftp)
        #expect(stop == .lineTooLong)
        #expect(events.map(Seen.init) == [Seen(.ftp, "u", "p", .unknown)])
    }

    @Test("HTTP framing errors stop the session without trapping", arguments: [
        ("GET / HTTP/1.1\r\n" + String(repeating: "X-A: b\r\n", count: 200), CredentialSession.StopReason.tooManyHeaders),
        ("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", .unframed),
        ("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .unframed),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", .unframed),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .unframed),
        ("\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}\r\n", .unrecognized),
        (String(repeating: "GET / HTTP/1.1\r\n\r\n", count: 70), .tooManyPending),
    ])
    func httpFraming(_ request: String, _ expected: CredentialSession.StopReason) {
        let (_, stop) = CredentialHarness.run(Transcript([Transcript.c(request)]), service: .http)
        #expect(stop == expected)
    }

    @Test("a response body delimited by close ends parsing after the verdict")
    func bodyUntilClose() {
        let transcript = Transcript([
            Transcript.c("GET / HTTP/1.1\r\nAuthorization: Basic \(CredentialHarness.base64("a:b"))\r\n\r\n"),
            Transcript.s("HTTP/1.0 200 OK\r\n\r\n<html>anything\r\n"),
        ])
        let (events, stop) = CredentialHarness.run(transcript, service: .http)
        #expect(events.map(Seen.init) == [Seen(.httpBasic, "a", "b", .success)])
        #expect(stop == .unframed)
    }

    @Test("bad base64 and Basic without a colon are not credentials")
    func badBasic() {
        for value in ["Basic !!!!", "Basic \(CredentialHarness.base64("nocolon"))", "Basic", "Bearer abc.def",
                      "Basic \(CredentialHarness.base64("a:b"))x"] {
            let transcript = Transcript([
                Transcript.c("GET / HTTP/1.1\r\nAuthorization: \(value)\r\n\r\n"),
                Transcript.s("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            ])
            #expect(CredentialHarness.run(transcript, service: .http).events.isEmpty, "\(value)")
        }
    }

    @Test("huge IMAP literals are passed over, not buffered")
    func hugeLiteral() {
        let transcript = Transcript([
            Transcript.s("* OK\r\n"), Transcript.c("a LOGIN {999999999999}\r\n"),
            (.toServer, [UInt8](repeating: 0x61, count: 50_000)),
        ])
        let (events, stop) = CredentialHarness.run(transcript, service: .imap)
        #expect(events.isEmpty)
        #expect(stop == nil)
    }

    @Test("a Telnet subnegotiation that never ends and endless typing stay bounded")
    func telnetBounded() {
        let transcript = Transcript([
            (.toServer, [255, 250, 39] + [UInt8](repeating: 0x41, count: 100_000)),
            Transcript.s("login: "), (.toServer, [UInt8](repeating: 0x62, count: 100_000)),
        ])
        var session = CredentialSession(service: .telnet)
        for segment in transcript.segments {
            _ = session.feed(segment.bytes, direction: segment.direction, time: Timestamp(nanoseconds: 1))
        }
        #expect(session.isActive)
        #expect(session.finish(time: Timestamp(nanoseconds: 2)).isEmpty)
    }

    @Test("more IMAP logins than can wait are reported unknown, oldest first")
    func imapPendingLimit() {
        var text = "* OK\r\n"
        for index in 0..<10 { text += "t\(index) LOGIN u\(index) p\(index)\r\n" }
        let (events, _) = CredentialHarness.run(Transcript([Transcript.c(text)]), service: .imap)
        #expect(events.count == 10)
        #expect(events.allSatisfy { $0.outcome == .unknown })
        #expect(events.first?.user == "u0")
    }
}
