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

import HyperwardCore
import Testing

@testable import NetworkPolicy

@Suite("net explain model")
struct PolicyModelTests {
    static let policy = """
        groups:
          web:
            ingress:
              - { proto: tcp, ports: [80, 443] }
              - { proto: tcp, ports: [22], from_group: admin }
              - { proto: udp, ports: ["5000-5010"], from: [10.0.0.0/8, "fd00::/8"] }
          admin:
            egress:
              - { proto: tcp, ports: [22] }
        vms:
          web1:
            groups: [web]
            interfaces: [{ device: v1, mac: "52:54:00:00:00:01", ipv4: [10.1.0.1], ipv6: ["fd00::1"] }]
          bastion:
            groups: [admin]
            interfaces: [{ device: v2, mac: "52:54:00:00:00:02", ipv4: [10.1.0.2] }]
        """

    func explain(_ from: String, _ to: String, _ proto: Rule.Proto, _ port: Int? = nil, vm: String? = nil) throws -> Explanation {
        let model = PolicyModel(policy: try NetworkPolicy.parse(Self.policy, file: "p.yaml"))
        return model.explain(PacketQuery(source: try IPNetwork(address: from), destination: try IPNetwork(address: to),
                                         proto: proto, port: port, sourceVM: vm))
    }

    @Test func namesTheDecidingRuleWithItsLocation() throws {
        let e = try explain("10.1.0.2", "10.1.0.1", .tcp, 22)
        #expect(e.verdict == .accept)
        #expect(e.stage == "ingress")
        #expect(e.rule == "web (p.yaml:5:9)")  // the rule's flow mapping opens at column 9
    }

    @Test func defaultDenyAndEgressAndSpoofing() throws {
        #expect(try explain("198.51.100.7", "10.1.0.1", .tcp, 22).verdict == .drop)          // not admin
        #expect(try explain("198.51.100.7", "10.1.0.1", .tcp, 443).verdict == .accept)       // from anywhere
        #expect(try explain("10.9.9.9", "10.1.0.1", .udp, 5005).verdict == .accept)          // CIDR
        #expect(try explain("fd00::9", "fd00::1", .udp, 5005).verdict == .accept)            // IPv6 CIDR
        #expect(try explain("192.0.2.1", "10.1.0.1", .udp, 5005).verdict == .drop)
        let egress = try explain("10.1.0.2", "10.1.0.1", .tcp, 80)                           // bastion may only ssh out
        #expect(egress.verdict == .drop && egress.stage == "egress")
        let spoof = try explain("10.1.0.1", "10.1.0.2", .tcp, 22, vm: "bastion")
        #expect(spoof.verdict == .drop && spoof.stage == "anti-spoofing")
        #expect(try explain("10.1.0.1", "203.0.113.1", .tcp, 25).stage == "not-filtered")
    }
}
