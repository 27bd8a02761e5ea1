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
import HyperwardHost
import Testing

@testable import NetworkPolicy

struct FakeLibvirt: LibvirtXMLSource {
    var domains: [String: String]
    var networks: [String: String]
    func domainXML(_ name: String) throws(HyperwardError) -> String {
        guard let xml = domains[name] else { throw HyperwardError(.notFound, "failed to get domain '\(name)'") }
        return xml
    }
    func networkXML(_ name: String) throws(HyperwardError) -> String {
        guard let xml = networks[name] else { throw HyperwardError(.notFound, "no network \(name)") }
        return xml
    }
}

@Suite("libvirt inventory")
struct LibvirtInventoryTests {
    static let domain = """
        <domain type='qemu' id='5'>
          <name>web1</name>
          <devices>
            <interface type='network'>
              <mac address='52:54:00:77:00:01'/>
              <source network='default' portid='x' bridge='virbr0'/>
              <target dev='vnet0'/>
              <model type='virtio'/>
            </interface>
            <interface type='bridge'>
              <mac address='52:54:00:77:00:02'/>
              <source bridge='br-tenant'/>
              <target dev='vnet1'/>
            </interface>
            <serial type='file'><source path='/tmp/x'/><target port='0'/></serial>
          </devices>
        </domain>
        """
    static let network = """
        <network><name>default</name><bridge name='virbr0'/>
          <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp>
            <range start='192.168.122.2' end='192.168.122.254'/>
            <host mac='52:54:00:77:00:01' ip='192.168.122.77'/>
            <host mac='52:54:00:00:00:99' ip='192.168.122.99'/>
          </dhcp></ip></network>
        """

    @Test func readsInterfacesFromDomainXML() throws {
        let interfaces = try DomainXML.interfaces(ofDomain: Self.domain)
        #expect(interfaces.count == 2)
        #expect(interfaces[0] == DomainInterface(mac: "52:54:00:77:00:01", device: "vnet0", network: "default"))
        #expect(interfaces[1].device == "vnet1")
    }

    /// File disks: a disk's own source, target and declared format — not its backing store's,
    /// and not a CD-ROM or a block device.
    @Test func readsFileDisksFromDomainXML() throws {
        let xml = """
            <domain type='kvm'><name>d</name><devices>
              <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
                <source file='/var/lib/libvirt/images/top.qcow2'/>
                <backingStore type='file'><format type='raw'/><source file='/var/lib/libvirt/images/base.raw'/></backingStore>
                <target dev='vda' bus='virtio'/></disk>
              <disk type='file' device='disk'><source file='/srv/plain.img'/><target dev='vdb'/></disk>
              <disk type='file' device='cdrom'><source file='/srv/iso.iso'/><target dev='sda'/></disk>
              <disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vdc'/></disk>
            </devices></domain>
            """
        let disks = try DomainXML.fileDisks(ofDomain: xml)
        #expect(disks == [DomainDisk(target: "vda", source: "/var/lib/libvirt/images/top.qcow2", format: "qcow2"),
                          DomainDisk(target: "vdb", source: "/srv/plain.img", format: nil)])
        #expect(throws: HyperwardError.self) { try DomainXML.fileDisks(ofDomain: "<domain><devices><disk") }
    }

    @Test func fillsInterfacesAndDHCPAddressesNeverFromTraffic() throws {
        let policy = try NetworkPolicy.parse("groups:\n  g: {}\nvms:\n  web1: { groups: [g] }\n  gone: { groups: [g] }\n", file: "p.yaml")
        let (resolved, notes) = policy.resolvingLibvirt(FakeLibvirt(domains: ["web1": Self.domain], networks: ["default": Self.network]))
        let web1 = try #require(resolved.vms["web1"])
        #expect(web1.interfaces.map(\.device) == ["vnet0", "vnet1"])
        #expect(web1.interfaces[0].ipv4.map(\.addressText) == ["192.168.122.77"])
        #expect(web1.interfaces[1].ipv4.isEmpty)  // no DHCP entry for the bridge port: no address, nothing learned
        #expect(resolved.vms["gone"] == nil)
        #expect(notes.contains { $0.contains("gone") })
    }

    /// An interface given by MAC alone (no device) is the domain's: its tap comes from the XML,
    /// its addresses from the policy (plus any DHCP host entry); a MAC the domain lacks is a note.
    @Test func interfacesByMACKeepThePolicysAddresses() throws {
        let text = """
            groups:
              g: {}
            vms:
              web1:
                groups: [g]
                interfaces:
                  - { mac: "52:54:00:77:00:02", ipv4: [10.9.0.5], ipv6: ["fd00::5"] }
                  - { mac: "52:54:00:77:00:01", ipv4: [192.168.122.78] }
                  - { mac: "52:54:00:77:00:03", ipv4: [10.9.0.6] }
            """
        let policy = try NetworkPolicy.parse(text, file: "p.yaml")
        let (resolved, notes) = policy.resolvingLibvirt(FakeLibvirt(domains: ["web1": Self.domain], networks: ["default": Self.network]))
        let web1 = try #require(resolved.vms["web1"])
        #expect(web1.interfaces.map(\.device) == ["vnet0", "vnet1"])
        #expect(web1.interfaces[0].ipv4.map(\.addressText) == ["192.168.122.78", "192.168.122.77"])
        #expect(web1.interfaces[1].ipv4.map(\.addressText) == ["10.9.0.5"])
        #expect(web1.interfaces[1].ipv6.map(\.addressText) == ["fd00::5"])
        #expect(notes.contains { $0.contains("52:54:00:77:00:03") })
        // Unresolved (no libvirt), such interfaces filter nothing rather than an empty device.
        let ruleset = try RulesetCompiler.compile(policy)
        #expect(ruleset.devices.isEmpty)
        #expect(!ruleset.text.contains("\"\""))
    }

    @Test func malformedXMLIsAClearError() {
        for xml in ["<domain><devices><interface>", "\u{0}\u{1}"] {
            #expect(throws: HyperwardError.self) { try DomainXML.interfaces(ofDomain: xml) }
        }
    }

    /// Foundation's XMLParser crashes on a processing instruction without data, also one an
    /// entity expands to (found by the `libvirt-xml` fuzz target): refused before parsing.
    @Test(arguments: [
        "<domain><?x?></domain>", "<?iso10646uc?><domain/>", "<domain><!--<?x?>--></domain>",
        "<!DOCTYPE d [<!ENTITY e \"&#60;?x?&#62;\">]><domain>&e;</domain>", "<!doctype d><domain/>",
    ])
    func dataLessProcessingInstructionsAndDTDsAreRefused(_ xml: String) {
        #expect(throws: HyperwardError.self) { try DomainXML.interfaces(ofDomain: xml) }
        #expect(throws: HyperwardError.self) { try DomainXML.dhcpHosts(ofNetwork: xml) }
    }

    @Test func processingInstructionsWithDataAndTheXMLDeclarationAreRead() throws {
        let xml = "<?xml version='1.0'?>\n<domain><?app some data?><devices><interface><mac address='52:54:00:00:00:01'/>"
            + "<target dev='v'/></interface></devices></domain>"
        #expect(try DomainXML.interfaces(ofDomain: xml).map(\.device) == ["v"])
    }

    @Test func externalEntitiesAreNeverResolved() {
        let xml = "<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><domain><devices><interface><mac address='&e;'/><target dev='v'/></interface></devices></domain>"
        let result = try? DomainXML.interfaces(ofDomain: xml)
        #expect(!(result ?? []).contains { $0.mac.contains("root:") })
    }
}
