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

private typealias T = Transcript

/// A transcript with the credentials it must yield, checked under every chunking.
struct CredentialCase: Sendable, CustomTestStringConvertible {
    var name: String
    var service: CredentialService
    var transcript: Transcript
    var expected: [Seen]
    var stop: CredentialSession.StopReason? = nil

    var testDescription: String { name }
}

private let b64 = CredentialHarness.base64

/// Telnet negotiation as Linux telnetd (netkit) opens a session, and a client's answers.
private let telnetdOpening: [UInt8] = [
    255, 253, 24, 255, 253, 32, 255, 253, 35, 255, 253, 39,  // DO TTYPE, TSPEED, XDISPLOC, NEW-ENVIRON
]
private let clientAnswers: [UInt8] = [
    255, 251, 24, 255, 251, 32, 255, 252, 35, 255, 251, 39,  // WILL TTYPE, WILL TSPEED, WONT XDISPLOC, WILL NEW-ENVIRON
]
private let telnetdSubnegotiation: [UInt8] = [
    255, 250, 32, 1, 255, 240,  // SB TSPEED SEND SE
    255, 250, 39, 1, 255, 240,  // SB NEW-ENVIRON SEND SE
    255, 250, 24, 1, 255, 240,  // SB TTYPE SEND SE
]
private let clientSubnegotiation: [UInt8] = [
    255, 250, 32, 0] + Array("38400,38400".utf8) + [255, 240,
    255, 250, 39, 0, 255, 240,
    255, 250, 24, 0] + Array("XTERM-256COLOR".utf8) + [255, 240]
private let telnetdEcho: [UInt8] = [255, 251, 3, 255, 253, 1, 255, 251, 5, 255, 253, 33, 255, 251, 1]
private let clientEcho: [UInt8] = [255, 253, 3, 255, 252, 1, 255, 253, 1]

/// A POST request with a correct Content-Length.
private func post(_ path: String, _ body: String, type: String = "application/x-www-form-urlencoded") -> String {
    "POST \(path) HTTP/1.1\r\nHost: app\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
}

/// A character-at-a-time login: every keystroke its own segment, echoed by the server.
private func typed(_ text: String, echo: Bool) -> [(direction: StreamDirection, bytes: [UInt8])] {
    var out: [(direction: StreamDirection, bytes: [UInt8])] = []
    for byte in text.utf8 {
        out.append(T.c([byte]))
        if echo { out.append(T.s([byte])) }
    }
    out.append(T.c([13, 0]))
    out.append(T.s("\r\n"))
    return out
}

private let cases: [CredentialCase] = [
    // FTP
    CredentialCase(name: "FTP success", service: .ftp, transcript: T([
        T.s("220 (vsFTPd 3.0.3)\r\n"), T.c("USER bob\r\n"), T.s("331 Please specify the password.\r\n"),
        T.c("PASS pass word\r\n"), T.s("230 Login successful.\r\n"), T.c("QUIT\r\n"), T.s("221 Goodbye.\r\n"),
    ]), expected: [Seen(.ftp, "bob", "pass word", .success)]),
    CredentialCase(name: "FTP failure then success, lower-case commands, multi-line replies", service: .ftp,
                   transcript: T([
        T.s("220-Welcome\r\n220-to the\r\n220 server\r\n"), T.c("user alice\r\n"), T.s("331 Password required\r\n"),
        T.c("pass wrong\r\n"), T.s("530-Login\r\n230 not the end\r\n530 incorrect.\r\n"),
        T.c("USER alice\r\n"), T.s("331 Password required\r\n"), T.c("PASS right\r\n"),
        T.s("230-Hello\r\n230 Logged in\r\n"),
    ]), expected: [Seen(.ftp, "alice", "wrong", .failure), Seen(.ftp, "alice", "right", .success)]),
    CredentialCase(name: "FTP anonymous", service: .ftp, transcript: T([
        T.s("220 ready\r\n"), T.c("USER anonymous\r\n"), T.s("331 ok\r\n"), T.c("PASS me@example.org\r\n"),
        T.s("230 ok\r\n"),
    ]), expected: [Seen(.ftp, "anonymous", "me@example.org", .success, anonymous: true)]),
    CredentialCase(name: "FTP user ftp is anonymous", service: .ftp, transcript: T([
        T.s("220 ready\r\n"), T.c("USER ftp\r\n"), T.s("331 ok\r\n"), T.c("PASS x\r\n"), T.s("530 no\r\n"),
    ]), expected: [Seen(.ftp, "ftp", "x", .failure, anonymous: true)]),
    CredentialCase(name: "FTP pipelined USER and PASS", service: .ftp, transcript: T([
        T.s("220 ready\r\n"), T.c("USER carol\r\nPASS pw\r\n"), T.s("331 Password\r\n"), T.s("230 ok\r\n"),
    ]), expected: [Seen(.ftp, "carol", "pw", .success)]),
    CredentialCase(name: "FTP 332 needs an account; the verdict follows ACCT", service: .ftp, transcript: T([
        T.s("220 ready\r\n"), T.c("USER dave\r\n"), T.s("331 ok\r\n"), T.c("PASS pw\r\n"), T.s("332 Need account\r\n"),
        T.c("ACCT acme\r\n"), T.s("230 ok\r\n"),
    ]), expected: [Seen(.ftp, "dave", "pw", .success)]),
    CredentialCase(name: "FTP without a verdict is unknown", service: .ftp, transcript: T([
        T.s("220 ready\r\n"), T.c("USER erin\r\n"), T.s("331 ok\r\n"), T.c("PASS pw\r\n"),
    ]), expected: [Seen(.ftp, "erin", "pw", .unknown)]),
    CredentialCase(name: "FTP AUTH TLS stops parsing", service: .ftp, transcript: T([
        T.s("220 ready\r\n"), T.c("AUTH TLS\r\n"), T.s("234 Proceed\r\n"), T.c("\u{16}\u{3}\u{1}garbage USER x\r\n"),
    ]), expected: [], stop: .encrypted),

    // Telnet
    CredentialCase(name: "Telnet success with real negotiation and echo", service: .telnet, transcript: T([
        T.s(telnetdOpening), T.c(clientAnswers), T.s(telnetdSubnegotiation), T.c(clientSubnegotiation),
        T.s(telnetdEcho), T.c(clientEcho), T.s("Debian GNU/Linux 12\r\n"), T.s("vm1 login: "),
    ] + typed("root", echo: true) + [T.s("Password: ")] + typed("t0ps3cret", echo: false) + [
        T.s("\r\nLinux vm1 6.1.0-18-amd64 #1 SMP x86_64\r\n"), T.s("Last login: Mon Jun 26 10:00:00 2023\r\n"),
        T.s("root@vm1:~# "), T.c("id\r\n"),
    ]), expected: [Seen(.telnet, "root", "t0ps3cret", .success)], stop: .completed),
    CredentialCase(name: "Telnet failure (Login incorrect), backspaces, IAC IAC in the password", service: .telnet,
                   transcript: T([
        T.s(telnetdOpening), T.c(clientAnswers), T.s(telnetdEcho), T.s("vm1 login: "),
    ] + typed("adminx\u{7F}", echo: true) + [T.s("Password: ")]
      + [T.c([0x70, 0x77, 255, 255, 0x08, 0x21, 13, 0])]  // "pw", 0xFF, backspace, "!"
      + [T.s("\r\n"), T.s("\r\nLogin incorrect\r\nvm1 login: ")] + typed("admin", echo: true)
      + [T.s("Password: ")] + typed("hunter2", echo: false) + [T.s("\r\nLogin incorrect\r\n")]),
                   expected: [Seen(.telnet, "admin", "pw!", .failure), Seen(.telnet, "admin", "hunter2", .failure)]),
    CredentialCase(name: "Telnet line mode, CR LF, shell prompt", service: .telnet, transcript: T([
        T.s("Ubuntu\r\nlogin: "), T.c("guest\r\n"), T.s("guest\r\nPassword:"), T.c("guest\r\n"),
        T.s("\r\n$ "),
    ]), expected: [Seen(.telnet, "guest", "guest", .success, anonymous: true)], stop: .completed),
    CredentialCase(name: "Telnet user from NEW-ENVIRON (telnet -l)", service: .telnet, transcript: T([
        T.s(telnetdOpening), T.c(clientAnswers),
        T.c([255, 250, 39, 0, 0] + Array("USER".utf8) + [1] + Array("frank".utf8) + [255, 240]),
        T.s("Password: "), T.c("pw\r\n"), T.s("\r\nLogin incorrect\r\n"),
    ]), expected: [Seen(.telnet, "frank", "pw", .failure)]),

    // HTTP Basic
    CredentialCase(name: "HTTP Basic with two spaces and a colon in the password, 200", service: .http,
                   transcript: T([
        T.c("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic  \(b64("test:12:34"))\r\n\r\n"),
        T.s("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
    ]), expected: [Seen(.httpBasic, "test", "12:34", .success)]),
    CredentialCase(name: "HTTP Basic keep-alive: 401 then 200, chunked body, lower-case header", service: .http,
                   transcript: T([
        T.c("GET /a HTTP/1.1\r\nauthorization: basic \(b64("u:bad"))\r\n\r\n"),
        T.s("HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nX: y\r\n\r\n"),
        T.c("GET /a HTTP/1.1\r\nAuthorization:\tBasic\t\(b64("u:good"))  \r\n\r\n"),
        T.s("HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n"),
    ]), expected: [Seen(.httpBasic, "u", "bad", .failure), Seen(.httpBasic, "u", "good", .success)]),
    CredentialCase(name: "HTTP pipelining pairs responses in order, HEAD has no body", service: .http,
                   transcript: T([
        T.c("HEAD / HTTP/1.1\r\nAuthorization: Basic \(b64("a:1"))\r\n\r\n"
            + "GET / HTTP/1.1\r\nAuthorization: Basic \(b64("b:2"))\r\n\r\n"
            + "GET / HTTP/1.1\r\n\r\n"),
        T.s("HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n"),
        T.s("HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nno!"),
        T.s("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ]), expected: [Seen(.httpBasic, "a", "1", .success), Seen(.httpBasic, "b", "2", .failure)]),
    CredentialCase(name: "HTTP proxy authorization 407", service: .http, transcript: T([
        T.c("GET http://example.org/ HTTP/1.1\r\nProxy-Authorization: Basic \(b64("p:q"))\r\n\r\n"),
        T.s("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"),
    ]), expected: [Seen(.httpBasic, "p", "q", .failure)]),
    CredentialCase(name: "HTTP form post: percent-decoding, 401 failure, then 302 unknown", service: .http,
                   transcript: T([
        T.c(post("/login", "username=al%69ce&password=p%40ss+w%3Dord&go=1",
                 type: "application/x-www-form-urlencoded; charset=UTF-8")),
        T.s("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"),
        T.c(post("/wp-login.php", "log=admin&pwd=letmein1")),
        T.s("HTTP/1.1 302 Found\r\nLocation: /wp-admin/\r\nContent-Length: 0\r\n\r\n"),
    ]), expected: [Seen(.httpForm, "alice", "p@ss w=ord", .failure), Seen(.httpForm, "admin", "letmein1", .unknown)]),
    CredentialCase(name: "HTTP form without a password field and JSON posts are not credentials", service: .http,
                   transcript: T([
        T.c(post("/search", "q=hello")),
        T.s("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        T.c(post("/api", "{\"password\":\"nope\"}", type: "application/json")),
        T.s("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ]), expected: []),

    // POP3
    CredentialCase(name: "POP3 USER/PASS failure then success", service: .pop3, transcript: T([
        T.s("+OK POP3 ready\r\n"), T.c("USER gina\r\n"), T.s("+OK\r\n"), T.c("PASS wrong\r\n"),
        T.s("-ERR [AUTH] Authentication failed.\r\n"), T.c("USER gina\r\n"), T.s("+OK\r\n"), T.c("pass right pw\r\n"),
        T.s("+OK Logged in.\r\n"), T.c("RETR 1\r\n"), T.s("+OK\r\n" + String(repeating: "x", count: 20000) + "\r\n.\r\n"),
    ]), expected: [Seen(.pop3, "gina", "wrong", .failure), Seen(.pop3, "gina", "right pw", .success)],
                   stop: .completed),
    CredentialCase(name: "POP3 AUTH PLAIN after + and inline; APOP ignored", service: .pop3, transcript: T([
        T.s("+OK ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
        T.c("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"), T.s("-ERR no\r\n"),
        T.c("AUTH PLAIN\r\n"), T.s("+ \r\n"), T.c("\(b64("\0hank\0pw1"))\r\n"), T.s("-ERR bad\r\n"),
        T.c("AUTH PLAIN \(b64("admin\0hank\0pw2"))\r\n"), T.s("+OK\r\n"),
    ]), expected: [Seen(.pop3, "hank", "pw1", .failure), Seen(.pop3, "hank", "pw2", .success)], stop: .completed),

    // IMAP
    CredentialCase(name: "IMAP LOGIN atoms, quoted with escapes, and literals", service: .imap, transcript: T([
        T.s("* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n"),
        T.c("a1 LOGIN ivan wrong1\r\n"), T.s("a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
        T.c("a2 login \"ivan\" \"pa ss\\\"wo\\\\rd\"\r\n"), T.s("a2 NO failed\r\n"),
        T.c("a3 LOGIN {4}\r\n"), T.s("+ Ready\r\n"), T.c("ivan {6}\r\n"), T.s("+ Ready\r\n"), T.c("s3cr t\r\n"),
        T.s("* CAPABILITY IMAP4rev1\r\na3 OK Logged in\r\n"),
    ]), expected: [Seen(.imap, "ivan", "wrong1", .failure), Seen(.imap, "ivan", "pa ss\"wo\\rd", .failure),
                   Seen(.imap, "ivan", "s3cr t", .success)], stop: .completed),
    CredentialCase(name: "IMAP non-synchronizing literal and server literal skipped", service: .imap, transcript: T([
        T.s("* OK ready\r\n* ID (\"name\" {5}\r\nab\r\nc)\r\n"),
        T.c("x LOGIN {3+}\r\njon {2+}\r\npw\r\n"), T.s("x NO bad\r\n"),
    ]), expected: [Seen(.imap, "jon", "pw", .failure)]),
    CredentialCase(name: "IMAP AUTHENTICATE PLAIN with SASL-IR and after continuation", service: .imap, transcript: T([
        T.s("* OK ready\r\n"), T.c("t1 AUTHENTICATE PLAIN \(b64("\0kim\0one"))\r\n"), T.s("t1 NO failed\r\n"),
        T.c("t2 AUTHENTICATE PLAIN\r\n"), T.s("+ \r\n"), T.c("\(b64("\0kim\0two"))\r\n"), T.s("t2 OK done\r\n"),
    ]), expected: [Seen(.imap, "kim", "one", .failure), Seen(.imap, "kim", "two", .success)], stop: .completed),
    CredentialCase(name: "IMAP STARTTLS stops parsing", service: .imap, transcript: T([
        T.s("* OK ready\r\n"), T.c("s STARTTLS\r\n"), T.s("s OK Begin TLS\r\n"), T.c("\u{16}\u{3}\u{1}\r\n"),
    ]), expected: [], stop: .encrypted),

    // SMTP
    CredentialCase(name: "SMTP AUTH PLAIN inline 535, AUTH LOGIN 235", service: .smtp, transcript: T([
        T.s("220 mail.example.org ESMTP Postfix\r\n"), T.c("EHLO client\r\n"),
        T.s("250-mail.example.org\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"),
        T.c("AUTH PLAIN \(b64("\0leo\0bad"))\r\n"), T.s("535 5.7.8 Error: authentication failed\r\n"),
        T.c("AUTH LOGIN\r\n"), T.s("334 VXNlcm5hbWU6\r\n"), T.c("\(b64("leo"))\r\n"), T.s("334 UGFzc3dvcmQ6\r\n"),
        T.c("\(b64("good pw"))\r\n"), T.s("235 2.7.0 Authentication successful\r\n"),
    ]), expected: [Seen(.smtp, "leo", "bad", .failure), Seen(.smtp, "leo", "good pw", .success)], stop: .completed),
    CredentialCase(name: "SMTP AUTH PLAIN after 334, AUTH LOGIN with initial user, cancel", service: .smtp,
                   transcript: T([
        T.s("220 mx ESMTP\r\n"), T.c("EHLO c\r\n"), T.s("250 ok\r\n"),
        T.c("AUTH PLAIN\r\n"), T.s("334 \r\n"), T.c("*\r\n"), T.s("501 cancelled\r\n"),
        T.c("AUTH PLAIN\r\n"), T.s("334 \r\n"), T.c("\(b64("\0mia\0x"))\r\n"), T.s("535 no\r\n"),
        T.c("AUTH LOGIN \(b64("mia"))\r\n"), T.s("334 UGFzc3dvcmQ6\r\n"), T.c("\(b64("y"))\r\n"), T.s("454 temp\r\n"),
    ]), expected: [Seen(.smtp, "mia", "x", .failure), Seen(.smtp, "mia", "y", .unknown)]),
    CredentialCase(name: "SMTP STARTTLS stops parsing", service: .smtp, transcript: T([
        T.s("220 mx ESMTP\r\n"), T.c("EHLO c\r\n"), T.s("250 STARTTLS\r\n"), T.c("STARTTLS\r\n"),
        T.s("220 2.0.0 Ready to start TLS\r\n"), T.c("AUTH PLAIN \(b64("\0x\0y"))\r\n"),
    ]), expected: [], stop: .encrypted),
]

@Suite("CredentialSession")
struct CredentialSessionTests {
    @Test("every protocol's transcript yields its credentials, whatever the chunking", arguments: cases)
    func transcripts(_ testCase: CredentialCase) {
        for chunking in CredentialHarness.allChunkings() {
            let (events, stop) = CredentialHarness.run(testCase.transcript, service: testCase.service, chunking: chunking)
            #expect(events.map(Seen.init) == testCase.expected, "\(testCase.name), \(chunking)")
            if let expectedStop = testCase.stop {
                #expect(stop == expectedStop, "\(testCase.name), \(chunking)")
            } else {
                #expect(stop == nil, "\(testCase.name), \(chunking)")
            }
        }
    }

    // Telnet without option negotiation has no signature to sniff.
    @Test("sniffing recognises each protocol on an unmapped port", arguments: cases.filter {
        ($0.stop == nil || $0.stop == .completed) && !$0.name.contains("line mode")
    })
    func sniffing(_ testCase: CredentialCase) {
        let (events, _) = CredentialHarness.run(testCase.transcript, service: nil, chunking: .segments)
        #expect(events.map(Seen.init) == testCase.expected, "\(testCase.name)")
    }

    @Test("the port map chooses the protocol; unmapped ports get no session unless sniffing is on")
    func portMap() {
        #expect(CredentialSession(serverPort: 21)?.service == .ftp)
        #expect(CredentialSession(serverPort: 8080)?.service == .http)
        #expect(CredentialSession(serverPort: 587)?.service == .smtp)
        #expect(CredentialSession(serverPort: 2121) == nil)
        let custom = CredentialConfiguration(ports: [2121: .ftp])
        #expect(CredentialSession(serverPort: 2121, configuration: custom)?.service == .ftp)
        #expect(CredentialSession(serverPort: 21, configuration: custom) == nil)
        let sniffing = CredentialConfiguration(sniffsUnmappedPorts: true)
        let session = CredentialSession(serverPort: 4444, configuration: sniffing)
        #expect(session != nil && session?.service == nil)
    }

    @Test("events carry times: the verdict's, and the credential's own")
    func times() {
        var session = CredentialSession(service: .ftp)
        _ = session.feed(Array("220 hi\r\n".utf8)[...], direction: .toClient, time: Timestamp(nanoseconds: 1))
        _ = session.feed(Array("USER a\r\n".utf8), direction: .toServer, time: Timestamp(nanoseconds: 1))
        _ = session.feed(Array("PASS b\r\n".utf8), direction: .toServer, time: Timestamp(nanoseconds: 2))
        let events = session.feed(Array("331 x\r\n230 ok\r\n".utf8), direction: .toClient, time: Timestamp(nanoseconds: 3))
        #expect(events.count == 1)
        #expect(events.first?.credentialTime == Timestamp(nanoseconds: 2))
        #expect(events.first?.time == Timestamp(nanoseconds: 3))
        #expect(events.first?.serverReply == "230 ok")
        #expect(events.first?.mechanism == "USER/PASS")
    }

    @Test("the password never shows in descriptions, interpolation or dumps")
    func redaction() throws {
        let (events, _) = CredentialHarness.run(cases[0].transcript, service: .ftp)
        let event = try #require(events.first)
        var dumped = ""
        dump(event, to: &dumped)
        for text in [event.description, "\(event)", String(reflecting: event), "\(event.password)", dumped] {
            #expect(!text.contains("pass word"), "\(text)")
        }
        #expect(event.password.description == "<redacted, 9 chars>")
        #expect(event.password.revealed == "pass word")
    }
}
