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

import Admission
import Foundation
import HyperwardCore
import HyperwardHost
import Testing

@testable import NetworkPolicy

/// A domain created from a template with `--security-group` joins those groups when (and only
/// when) the judge admits it under the current policy.
@Suite("Security groups of admitted domains")
struct AdmittedBindingsTests {
    static let policyText = """
        groups:
          web:
            ingress: [{ proto: tcp, ports: [80] }]
          db:
            ingress: [{ proto: tcp, ports: [5432], from_group: web }]
        templates:
          small:
            machine: [pc]
            domain_types: [qemu]
            cpu: { modes: [custom] }
            max_vcpus: 2
            max_memory_mib: 1024
            disks: { pools: [/var/lib/libvirt/images], formats: [qcow2], encryption: optional }
            networks: [default]
            security_groups: [web]
        tenants:
          acme: { templates: [small] }
        vms:
          listed:
            groups: [db]

        """

    struct Source: LibvirtXMLSource {
        var domains: [String: String]
        func domainXML(_ name: String) throws(HyperwardError) -> String {
            guard let xml = domains[name] else { throw HyperwardError(.notFound, "failed to get domain '\(name)'") }
            return xml
        }
        func networkXML(_ name: String) throws(HyperwardError) -> String { throw HyperwardError(.notFound, "no network \(name)") }
        func activeDomainNames() throws(HyperwardError) -> [String] { domains.keys.sorted() }
    }

    static func domain(_ name: String, groups: String?, extra: String = "", mac: String = "52:54:00:10:00:01") -> String {
        let attribute = groups.map { " security-groups='\($0)'" } ?? ""
        return """
            <domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>\(name)</name>
              <metadata><hw:admission xmlns:hw='https://hyperward.dev/xmlns/admission/1' template='small' tenant='acme'\(attribute)/></metadata>
              <memory unit='MiB'>512</memory><vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type></os>
              <devices>
                <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/\(name).qcow2'/><target dev='vda' bus='virtio'/></disk>
                <interface type='network'><mac address='\(mac)'/><source network='default'/><target dev='vnet-\(name.prefix(8))'/><model type='virtio'/></interface>
                <serial type='pty'/><console type='pty'/>
              </devices>\(extra)
            </domain>
            """
    }

    func bind(_ domains: [String: String]) throws -> (NetworkPolicy, [String]) {
        let network = try NetworkPolicy.parse(Self.policyText, file: "policy.yaml")
        let admission = try AdmissionPolicy.parse(Self.policyText, file: "policy.yaml")
        return network.addingAdmittedDomains(admission, source: Source(domains: domains))
    }

    @Test func anAdmittedDomainJoinsTheGroupsItsMetadataNames() throws {
        let (policy, notes) = try bind(["web1": Self.domain("web1", groups: "web")])
        #expect(notes.isEmpty, "\(notes)")
        #expect(policy.vms["web1"]?.groups == ["web"])
        // Its interfaces come from the domain, as for a VM the file lists without interfaces.
        let (resolved, _) = policy.resolvingLibvirt(Source(domains: ["web1": Self.domain("web1", groups: "web")]))
        #expect(resolved.vms["web1"]?.interfaces.map(\.device) == ["vnet-web1"])
    }

    @Test func aGroupTheTemplateDoesNotAllowBindsNothing() throws {
        let (policy, notes) = try bind(["rogue": Self.domain("rogue", groups: "web db")])
        #expect(policy.vms["rogue"] == nil, "forged metadata naming db must not make the VM a db member")
        #expect(notes.contains { $0.contains("rogue") && $0.contains("security_group.template") }, "\(notes)")
    }

    @Test func aDomainTheJudgeDeniesBindsNothing() throws {
        let extra = "<qemu:commandline><qemu:arg value='-s'/></qemu:commandline>"
        let (policy, notes) = try bind(["bad": Self.domain("bad", groups: "web", extra: extra)])
        #expect(policy.vms["bad"] == nil)
        #expect(notes.contains { $0.contains("qemu.commandline") }, "\(notes)")
    }

    @Test func theFileKeepsItsOwnBindingsAndMetadataWithoutGroupsBindsNothing() throws {
        let (policy, notes) = try bind(["listed": Self.domain("listed", groups: "web"), "plain": Self.domain("plain", groups: nil)])
        #expect(policy.vms["listed"]?.groups == ["db"], "the file's binding wins")
        #expect(policy.vms["plain"] == nil)
        #expect(notes.isEmpty)
    }
}
