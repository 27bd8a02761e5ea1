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

@Suite("IPAddress")
struct IPAddressTests {
    @Test("IPv4 and IPv6 text round-trips in canonical form", arguments: [
        "0.0.0.0", "192.168.122.1", "255.255.255.255",
        "::", "::1", "fd00::11", "2001:db8::1:0:0:1", "2001:db8:0:1:1:1:1:1", "fe80::5054:ff:feaa:1",
    ])
    func roundTrip(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == text)
        #expect(IPAddress(bytes: address.bytes) == address)
    }

    @Test("non-canonical IPv6 prints per RFC 5952")
    func canonical() {
        #expect(IPAddress("2001:0DB8:0000:0000:0001:0000:0000:0001")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("::ffff:192.0.2.1")?.description == "::ffff:c000:201")
    }

    @Test("rejects what is not an address", arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01234.1.1.1", "1::2::3", "1:2:3:4:5:6:7:8:9", "g::1", ":::",
    ])
    func rejects(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("IPv4 differs from its IPv4-mapped IPv6 form")
    func familiesDiffer() {
        #expect(IPAddress("1.2.3.4") != IPAddress("::1.2.3.4"))
    }
}
