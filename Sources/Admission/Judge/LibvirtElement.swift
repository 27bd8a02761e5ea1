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

import HyperwardHost

extension DomainXML.Element {
    /// Whether this element may be read by libvirt as one of its own: any namespace but the QEMU
    /// namespace and Hyperward's metadata namespace. libvirt's parsers match many elements by
    /// name alone (`virXMLNodeGetSubelement` compares local names), so `<hostdev xmlns='urn:x'>`
    /// must not hide a host device from the judge.
    var isLibvirtElement: Bool {
        namespaceURI != AdmissionJudge.qemuNamespace && namespaceURI != AdmissionJudge.metadataNamespace
    }

    /// The children libvirt may read as `<name>`, whatever namespace they were written in.
    func libvirtChildren(named name: String) -> [DomainXML.Element] {
        children.filter { $0.localName == name && $0.isLibvirtElement }
    }

    /// The first child libvirt may read as `<name>`.
    func libvirtChild(_ name: String) -> DomainXML.Element? {
        children.first { $0.localName == name && $0.isLibvirtElement }
    }
}
