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
import HyperwardHost
import Testing

/// The internal CA against OpenSSL: `openssl verify` accepts its certificates and, with its CRL,
/// rejects revoked ones; a real TLS handshake with mutual authentication (`s_server`/`s_client`)
/// succeeds and fails where it must.
@Suite("hyperward cert", .serialized)
struct CertCLITests {
    static func shell(_ command: String) throws -> CLI.Result { try CLI.shell(command) }

    @Test("certificates verify with openssl, revoked ones fail, and mutual TLS works only for valid peers")
    func opensslOracle() throws {
        let lab = try KeysCLITests.Lab()
        let out = lab.scratch.path + "/pki"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        #expect(try lab.hyperward(["cert", "init-ca"]).status == 0)
        #expect(try lab.hyperward(["cert", "init-ca"]).status == 73, "one CA per keystore")
        #expect(try lab.hyperward(["cert", "issue", "--vm", "web1", "--kind", "server", "--ip", "127.0.0.1", "--dns", "web1.tenant", "--out-dir", out]).status == 0)
        #expect(try lab.hyperward(["cert", "issue", "--vm", "db1", "--kind", "client", "--out-dir", out]).status == 0)
        #expect(try lab.hyperward(["cert", "issue", "--vm", "mallory", "--kind", "client", "--out-dir", out]).status == 0)
        #expect(try lab.hyperward(["cert", "issue", "--vm", "x", "--ip", "999.1.1.1", "--out-dir", out]).status == 64)
        var st = stat()
        #expect(stat(out + "/web1-server.key.pem", &st) == 0 && st.st_mode & 0o777 == 0o600)

        let ca = out + "/ca.crt.pem"
        let verify = try Self.shell("openssl verify -CAfile \(ca) -purpose sslserver \(out)/web1-server.crt.pem && openssl verify -CAfile \(ca) -purpose sslclient \(out)/db1-client.crt.pem")
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(try Self.shell("openssl verify -CAfile \(ca) -purpose sslserver \(out)/db1-client.crt.pem").status != 0, "a client certificate is not a server's")
        let text = try Self.shell("openssl x509 -in \(out)/web1-server.crt.pem -noout -text").stdout
        #expect(text.contains("DNS:web1") && text.contains("DNS:web1.tenant") && text.contains("IP Address:127.0.0.1") && text.contains("TLS Web Server Authentication"))

        // Renewal before expiry: a one-hour certificate is issued again into its directory.
        #expect(try lab.hyperward(["cert", "issue", "--vm", "cache1", "--kind", "server", "--ip", "10.0.0.7", "--hours", "1", "--out-dir", out]).status == 0)
        let before = try String(contentsOfFile: out + "/cache1-server.crt.pem", encoding: .utf8)
        #expect(try lab.hyperward(["cert", "renew", "--within", "24"]).stdout.components(separatedBy: "renewed").count - 1 >= 1)
        let after = try String(contentsOfFile: out + "/cache1-server.crt.pem", encoding: .utf8)
        #expect(after != before, "the renewed certificate replaced the old one")
        let renewedText = try Self.shell("openssl verify -CAfile \(out)/ca.crt.pem \(out)/cache1-server.crt.pem && openssl x509 -in \(out)/cache1-server.crt.pem -noout -text")
        #expect(renewedText.status == 0 && renewedText.stdout.contains("IP Address:10.0.0.7"), "\(renewedText.stdout.prefix(300))")
        #expect(try lab.hyperward(["cert", "list", "--vm", "web1", "--due-within", "24"]).stdout.isEmpty, "a week-long certificate is not due")

        #expect(try lab.hyperward(["cert", "revoke", "--vm", "mallory"]).status == 0)
        let crl = out + "/crl.pem"
        #expect(try lab.hyperward(["cert", "crl", "--out", crl]).status == 0)
        let crlText = try Self.shell("openssl crl -in \(crl) -noout -text -CAfile \(ca)")
        #expect(crlText.stdout.contains("Revoked Certificates") && crlText.stderr.contains("verify OK"), "\(crlText.stdout) \(crlText.stderr)")
        let revoked = try Self.shell("openssl verify -crl_check -CRLfile \(crl) -CAfile \(ca) \(out)/mallory-client.crt.pem")
        #expect(revoked.status != 0 && (revoked.stdout + revoked.stderr).contains("certificate revoked"))
        #expect(try Self.shell("openssl verify -crl_check -CRLfile \(crl) -CAfile \(ca) \(out)/db1-client.crt.pem").status == 0)

        // Mutual TLS: the server requires a client certificate and checks the CRL.
        let port = Int.random(in: 20_000...40_000)
        let server = try HostChild(["/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:\(port)", "-cert", "\(out)/web1-server.crt.pem",
                                    "-key", "\(out)/web1-server.key.pem", "-CAfile", ca, "-Verify", "1", "-verify_return_error",
                                    "-crl_check", "-CRL", crl, "-naccept", "10", "-www"],
                                   stdout: HostChild.nullDevice, stderr: HostChild.nullDevice)
        defer { server.signal(SIGKILL); server.wait() }
        var listening = false
        for _ in 0..<50 where !listening {
            listening = (try? Self.shell("ss -ltn 'sport = :\(port)' | grep -q LISTEN").status) == 0
            if !listening { usleep(100_000) }
        }
        try #require(listening, "openssl s_server did not start")
        func connect(_ client: String, host: String = "web1") throws -> CLI.Result {
            try Self.shell("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 10 openssl s_client -connect 127.0.0.1:\(port) -CAfile \(ca) -cert \(out)/\(client)-client.crt.pem -key \(out)/\(client)-client.key.pem -verify_return_error -verify_hostname \(host) -brief -ign_eof 2>&1")
        }
        let good = try connect("db1")
        #expect(good.status == 0 && good.stdout.contains("Verification: OK") && good.stdout.contains("200 ok"), "\(good.stdout)")
        let badName = try connect("db1", host: "db2")
        #expect(badName.status != 0, "the server's certificate does not name db2: \(badName.stdout)")
        let revokedPeer = try connect("mallory")
        #expect(!revokedPeer.stdout.contains("200 ok"), "a revoked client is refused: \(revokedPeer.stdout)")
        #expect(revokedPeer.stdout.lowercased().contains("revoked"), "the server names the reason in its alert: \(revokedPeer.stdout)")
    }
}
