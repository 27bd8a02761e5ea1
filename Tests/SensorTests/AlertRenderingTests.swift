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
import HyperwardCore
import Testing

@testable import Sensor

@Suite("Alert rendering")
struct AlertRenderingTests {
    static let hostile = "bob\"\\\n\r\t\u{0}\u{1b}[31m\u{2028}é😀"

    static func alert(user: String = "bob") -> Alert {
        Alert(time: Timestamp(seconds: 1_764_374_400, nanoseconds: 123_456_789), detector: .cleartextCredentials,
              severity: .high, summary: "FTP login of \(user)", src: "172.23.0.3", dst: "172.23.0.2", dstPort: 21,
              protocolName: "ftp", user: user, outcome: "success", incident: "cred/1", occurrence: 2,
              evidence: [("packets", .int(7)), ("ratio", .double(0.5)), ("ports", .list([.int(21), .int(22)])),
                         ("nested", .object([("ok", .bool(true))]))])
    }

    @Test("one JSON object per line, parsed back by Foundation with every field intact")
    func jsonRoundTrips() throws {
        let line = AlertRendering.json(Self.alert(user: Self.hostile))
        #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{2028}"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["type"] as? String == "alert")
        #expect(object["time"] as? String == "2025-11-29T00:00:00.123456Z")
        #expect(object["detector"] as? String == "cleartext-credentials")
        #expect(object["threat"] as? String == "T5")
        #expect(object["dst_port"] as? Int == 21)
        #expect(object["user"] as? String == Self.hostile)
        #expect(object["occurrence"] as? Int == 2)
        let evidence = try #require(object["evidence"] as? [String: Any])
        #expect(evidence["packets"] as? Int == 7)
        #expect(evidence["ratio"] as? Double == 0.5)
        #expect((evidence["nested"] as? [String: Any])?["ok"] as? Bool == true)
    }

    @Test("text lines show control characters escaped")
    func textIsTerminalSafe() {
        let line = AlertRendering.text(Self.alert(user: "x\u{1b}[2Jy\nz"))
        #expect(!line.contains("\u{1b}") && !line.contains("\n"))
        #expect(line.contains("x\\x1b[2Jy\\x0az"))
        #expect(line.contains("HIGH cleartext-credentials T5"))
    }

    @Test("non-finite numbers become null, keeping the JSON valid")
    func nonFiniteNumbers() throws {
        let line = AlertRendering.render(.object([("a", .double(.nan)), ("b", .double(.infinity)), ("c", .double(2.25))]))
        #expect(line == "{\"a\":null,\"b\":null,\"c\":2.25}")
        _ = try JSONSerialization.jsonObject(with: Data(line.utf8))
    }
}
