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
import HyperwardHost
import Testing

/// `DomainXML.tree`: the element tree with namespaces, XPaths and every bound of the reader.
@Suite("DomainXML tree")
struct DomainXMLTreeTests {
    @Test func namespacesAreResolvedWhateverThePrefix() throws {
        for prefix in ["qemu", "q", "x-y", "QEMU"] {
            let xml = """
                <domain type='kvm' xmlns:\(prefix)='http://libvirt.org/schemas/domain/qemu/1.0'>
                  <name>a</name>
                  <\(prefix):commandline><\(prefix):arg value='-s'/></\(prefix):commandline>
                </domain>
                """
            let root = try DomainXML.tree(xml)
            let element = try #require(root.children.last)
            #expect(element.localName == "commandline")
            #expect(element.qualifiedName == "\(prefix):commandline")
            #expect(element.namespaceURI == "http://libvirt.org/schemas/domain/qemu/1.0")
            #expect(element.children.first?.attributes == ["value": "-s"])
            #expect(root.attributes == ["type": "kvm"], "namespace declarations are not attributes")
            #expect(root.namespaceURI == nil)
        }
    }

    @Test func defaultNamespaceAppliesToUnprefixedElements() throws {
        let root = try DomainXML.tree("<domain><commandline xmlns='http://libvirt.org/schemas/domain/qemu/1.0'><arg/></commandline></domain>")
        #expect(root.children[0].namespaceURI == "http://libvirt.org/schemas/domain/qemu/1.0")
        #expect(root.children[0].children[0].namespaceURI == "http://libvirt.org/schemas/domain/qemu/1.0")
        #expect(root.children[0].qualifiedName == "commandline")
    }

    @Test func xpathsCountSameNameSiblings() throws {
        let xml = "<domain><devices><disk/><hostdev/><disk/><hostdev><source/></hostdev><graphics/></devices></domain>"
        let devices = try #require(try DomainXML.tree(xml).child("devices"))
        #expect(devices.xpath == "/domain/devices")
        #expect(devices.children.map(\.xpath) == [
            "/domain/devices/disk[1]", "/domain/devices/hostdev[1]", "/domain/devices/disk[2]",
            "/domain/devices/hostdev[2]", "/domain/devices/graphics",
        ])
        #expect(devices.children[3].children[0].xpath == "/domain/devices/hostdev[2]/source")
    }

    @Test func textAndCDATAAreKeptPerElement() throws {
        let root = try DomainXML.tree("<domain><name> vm1 </name><description><![CDATA[<x>]]> &amp; more</description></domain>")
        #expect(root.child("name")?.text == " vm1 ")
        #expect(root.child("name")?.trimmedText == "vm1")
        #expect(root.child("description")?.text == "<x> & more")
    }

    @Test(arguments: [
        ("<domain><name>a</name>", "invalid-input"),
        ("", "invalid-input"),
        ("<domain></domain><second/>", "invalid-input"),
        ("<!DOCTYPE domain [<!ENTITY x 'y'>]><domain>&x;</domain>", "invalid-input"),
        ("<domain><?pi?></domain>", "invalid-input"),
        ("<domain><name>&undefined;</name></domain>", "invalid-input"),
        ("<domain a='1' a='2'/>", "invalid-input"),
        ("<p:domain/>", "invalid-input"),
    ])
    func malformedDocumentsAreRefused(_ xml: String, _ code: String) {
        #expect {
            _ = try DomainXML.tree(xml)
        } throws: { error in
            (error as? HyperwardError)?.code.name == code
        }
    }

    @Test func boundsAreEnforced() {
        let deep = String(repeating: "<a>", count: DomainXML.maxDepth + 1) + String(repeating: "</a>", count: DomainXML.maxDepth + 1)
        #expect(throws: HyperwardError.self) { _ = try DomainXML.tree(deep) }
        let atDepth = String(repeating: "<a>", count: DomainXML.maxDepth) + String(repeating: "</a>", count: DomainXML.maxDepth)
        #expect(throws: Never.self) { _ = try DomainXML.tree(atDepth) }
        let wide = "<domain>" + String(repeating: "<x/>", count: DomainXML.maxElements) + "</domain>"
        #expect { _ = try DomainXML.tree(wide) } throws: { ($0 as? HyperwardError)?.code == .tooLarge }
        let huge = "<domain><description>" + String(repeating: "a", count: DomainXML.maxBytes) + "</description></domain>"
        #expect { _ = try DomainXML.tree(huge) } throws: { ($0 as? HyperwardError)?.code == .tooLarge }
        let muchText = "<domain>" + String(repeating: "<d>" + String(repeating: "b", count: 4096) + "</d>", count: 300) + "</domain>"
        #expect { _ = try DomainXML.tree(muchText) } throws: { ($0 as? HyperwardError)?.code == .tooLarge }
    }

    @Test func externalEntitiesAreNeverRead() {
        let xxe = "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/hostname'>]><domain><name>&e;</name></domain>"
        #expect(throws: HyperwardError.self) { _ = try DomainXML.tree(xxe) }
    }
}
