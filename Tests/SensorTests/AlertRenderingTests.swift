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

    // MARK: The alert as an event

    static let inventory = SensorInventory(interfaces: [
        .init(vm: "web-1", device: "vnet3", mac: 0x02_00_00_00_00_01, ipv4: [IPAddress("172.23.0.3")!]),
        .init(vm: "db-1", device: "vnet4", mac: 0x02_00_00_00_00_02, ipv4: [IPAddress("172.23.0.2")!]),
    ])

    @Test("the JSON line keeps every alert key, in order, and adds the envelope last with no body")
    func jsonWithTheEnvelopeKeepsTheAlertKeys() throws {
        let alert = Self.alert()
        let event = alert.event(interface: "virbr0")
        let line = AlertRendering.json(alert, event: event)
        let plain = AlertRendering.json(alert)
        #expect(line.hasPrefix(String(plain.dropLast()) + ",\"event\":{"), "the stable keys come first, unchanged")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let envelope = try #require(object["event"] as? [String: Any])
        #expect(envelope["body"] is NSNull && envelope["id"] as? String == event.id && envelope["interface"] as? String == "virbr0")
        #expect(envelope["kind"] as? String == "alert.cleartext-credentials" && envelope["subject"] as? String == "cred/1")
        #expect(envelope["time"] as? String == object["time"] as? String && envelope["threat"] as? String == "T5")
    }

    @Test("an alert's event: its fields, addresses and counts as evidence, never the password")
    func eventCarriesTheAlert() throws {
        var alert = Self.alert()
        alert.evidence.append(("password", .string("hunter2")))
        let event = alert.event()
        #expect(event.engine == .sense && event.severity == .high && event.summary == alert.summary && event.interface == nil)
        #expect(event.body == AlertRendering.json(alert))
        #expect(event.evidence.first == EventEvidence(kind: "src", value: "172.23.0.3"))
        #expect(event.evidence.contains(EventEvidence(kind: "dst_port", value: "21")))
        #expect(event.evidence.contains(EventEvidence(kind: "ports", value: "[21,22]")))
        #expect(!event.evidence.contains { $0.kind == "password" || $0.value == "hunter2" })
    }

    @Test("the inventory names the VM: by the capture port, or by an unforgeable source; a forgeable one names nobody")
    func eventNamesTheVM() {
        var alert = Self.alert()
        #expect(alert.event(interface: "vnet4", inventory: Self.inventory).vm == "db-1")
        alert.sourceMayBeSpoofed = true
        #expect(alert.event(interface: "virbr0", inventory: Self.inventory).vm == nil)
        alert.sourceMayBeSpoofed = false
        #expect(alert.event(interface: "virbr0", inventory: Self.inventory).vm == "web-1")
        #expect(alert.event(interface: "virbr0").vm == nil)
    }
}
