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
@testable import Sensor

/// Real clients against a real server: curl logs in (Basic with a wrong and a right password,
/// then a form post) to a Python `http.server` that demands Basic auth, through a recording
/// relay that keeps every chunk each side sent, in order.
@Suite("Credential real clients")
struct CredentialRealClientTests {
    static let script = #"""
    import base64, json, socket, subprocess, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *args): pass
        def reply(self, status, body=b"ok"):
            self.send_response(status)
            if status == 401: self.send_header("WWW-Authenticate", 'Basic realm="lab"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def do_GET(self):
            expected = "Basic " + base64.b64encode(b"test:s3cr:et").decode()
            self.reply(200 if self.headers.get("Authorization") == expected else 401)
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.reply(401, b"bad login")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    relay = socket.socket(); relay.bind(("127.0.0.1", 0)); relay.listen(8)
    log, lock = [], threading.Lock()

    def pump(conn, src, dst, direction):
        while True:
            data = src.recv(65536)
            if not data: break
            with lock: log.append({"conn": conn, "dir": direction, "hex": data.hex()})
            dst.sendall(data)
        try: dst.shutdown(socket.SHUT_WR)
        except OSError: pass

    def accept():
        conn = 0
        while True:
            client, _ = relay.accept()
            upstream = socket.create_connection(server.server_address)
            for args in ((client, upstream, "c"), (upstream, client, "s")):
                threading.Thread(target=pump, args=(conn,) + args, daemon=True).start()
            conn += 1
    threading.Thread(target=accept, daemon=True).start()
    url = "http://127.0.0.1:%d" % relay.getsockname()[1]
    for command in (["curl", "-s", "-o", "/dev/null", "-u", "test:wrong", url + "/"],
                    ["curl", "-s", "-o", "/dev/null", "-u", "test:s3cr:et", url + "/"],
                    ["curl", "-s", "-o", "/dev/null", "-d", "username=alice&password=p%40ss", url + "/login"]):
        subprocess.run(command, check=True, timeout=20)
    import time; time.sleep(0.3)
    with lock: print(json.dumps(log))
    """#

    @Test("curl's Basic (401 then 200, colon in the password) and form post (401) are read correctly")
    func curlThroughRecordingRelay() throws {
        guard (try? CredentialFixtures.run(["curl", "--version"])) != nil else {
            Issue.record("curl is needed for this test (apt-get install -y curl)")
            return
        }
        let output = try CredentialFixtures.run(["/usr/bin/python3", "-c", Self.script])
        let records = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        var connections: [Int: Transcript] = [:]
        for record in records {
            let connection = try #require(record["conn"] as? Int)
            let hex = try #require(record["hex"] as? String)
            var bytes: [UInt8] = []
            var index = hex.startIndex
            while let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex), index < hex.endIndex {
                bytes.append(try #require(UInt8(hex[index..<next], radix: 16)))
                index = next
            }
            connections[connection, default: Transcript()].segments
                .append((record["dir"] as? String == "c" ? .toServer : .toClient, bytes))
        }
        #expect(connections.count == 3)
        let expected: [[Seen]] = [
            [Seen(.httpBasic, "test", "wrong", .failure)],
            [Seen(.httpBasic, "test", "s3cr:et", .success)],
            [Seen(.httpForm, "alice", "p@ss", .failure)],
        ]
        for (index, seen) in expected.enumerated() {
            let transcript = try #require(connections[index])
            for chunking in CredentialHarness.allChunkings(randomRuns: 3) {
                let (events, _) = CredentialHarness.run(transcript, service: .http, chunking: chunking)
                #expect(events.map(Seen.init) == seen, "connection \(index), \(chunking)")
            }
        }
    }
}
