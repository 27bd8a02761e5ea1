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
#if canImport(FoundationXML)
import FoundationXML
#endif
import HyperwardCore
import Response
import Testing

@testable import HyperwardHost
@testable import HyperwardLibvirt

/// The real `DomainControl` against the system's libvirtd, on a defined domain that never starts
/// (the guest tests of the command line run the lifecycle, dump and snapshot calls on QEMU).
@Suite("LibvirtDomainControl")
struct LibvirtDomainControlTests {
    static var required: Bool { ProcessInfo.processInfo.environment["HYPERWARD_REQUIRE_LIBVIRT"] == "1" }
    static var usable: Bool { getuid() == 0 && (try? LibvirtConnection(readOnly: true)) != nil }

    @Test func theSnapshotDocumentIsTheOneVirshBuildsWithPathsEscaped() {
        let xml = LibvirtDomainControl.snapshotXML(name: "quarantine-20261129T090230",
                                                   overlays: [(target: "vda", file: "/images/a'b&<c>.hw-q.qcow2")])
        #expect(xml == "<domainsnapshot><name>quarantine-20261129T090230</name><disks><disk name='vda' snapshot='external'>"
                + "<source file='/images/a&apos;b&amp;&lt;c&gt;.hw-q.qcow2'/></disk></disks></domainsnapshot>")
        #expect(throws: Never.self) { try XMLDocument(xmlString: xml) }
    }

    @Test(.enabled(if: usable || required, "needs root and libvirtd"))
    func aDefinitionReadWithItsSecretsIsDefinedBackWithOnlyTheDiskChanged() throws {
        try #require(Self.usable, "libvirtd is not usable (HYPERWARD_REQUIRE_LIBVIRT=1)")
        let control = try LibvirtDomainControl()
        let name = "hw-response-define-\(UInt32.random(in: 0...UInt32.max))"
        let disk = "/var/lib/libvirt/images/\(name).qcow2"
        // VNC passwords are at most 8 characters.
        let secret = "s" + String(format: "%07x", UInt32.random(in: 0...0xfff_ffff))
        let xml = """
            <domain type='qemu'><name>\(name)</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type></os>
              <devices>
                <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='\(disk)'/><target dev='vda' bus='virtio'/></disk>
                <graphics type='vnc' port='-1' passwd='\(secret)'/>
              </devices>
            </domain>
            """
        try control.define(xml: xml)
        defer { _ = HostCommand.run(["/usr/bin/virsh", "-c", LibvirtConnection.systemURI, "undefine", "--", name]) }

        let status = try #require(try control.status(ofDomain: name))
        #expect(status.state == .shutOff && !status.isActive && status.uuid.count == 36)
        #expect(try control.status(ofDomain: name + "-none") == nil)
        let definition = try control.xml(ofDomain: name, inactive: true)
        #expect(definition.contains(secret), "the definition to edit keeps its secrets (VIR_DOMAIN_XML_SECURE)")
        #expect(try !control.xml(ofDomain: name, inactive: false).contains(secret), "a plain read does not carry them")

        let overlay = "/var/lib/libvirt/images/\(name).hw-golden.qcow2"
        try control.define(xml: DomainDefinition.pointingDisk("vda", to: overlay, in: definition))
        let redefined = try control.xml(ofDomain: name, inactive: true)
        #expect(try DomainFacts(xml: redefined).disks == [DomainFacts.Disk(target: "vda", source: overlay, format: "qcow2")])
        #expect(redefined.contains(secret), "redefining loses no secret")
        #expect(try control.activeDomainNames().contains(name) == false)

        // Changes a stopped domain cannot take are refused with libvirt's own words.
        #expect { try control.suspend(name) } throws: { error in
            (error as? HyperwardError)?.code == .software && "\(error)".hasPrefix("suspend failed: ") && "\(error)".contains("not running")
        }
        #expect { _ = try control.leaseAddresses(ofDomain: name) } throws: { ($0 as? HyperwardError)?.code == .libvirt }
        #expect { try control.destroy(name + "-none") } throws: { ($0 as? HyperwardError)?.code == .notFound }
    }
}
