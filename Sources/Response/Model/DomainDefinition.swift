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

#if canImport(FoundationXML)
import FoundationXML
#endif
import Foundation
import HyperwardCore
import HyperwardHost

/// Edits of a domain's persistent definition (its inactive XML), as values: the state machines
/// compute the XML to define, the driver defines it.
public enum DomainDefinition {
    /// The domain XML with disk `target`'s source file set to `path` (format qcow2, any recorded
    /// backing chain dropped: libvirt reads it from the image, whose backing format is set).
    /// - Throws: `HyperwardError` (`.software`) when the XML does not read or has no such disk.
    public static func pointingDisk(_ target: String, to path: String, in xml: String) throws(HyperwardError) -> String {
        // The bounded reader first: it refuses what libvirt never writes (a DTD, entity tricks)
        // before the XML reaches the editing parser.
        do { _ = try DomainXML.fileDisks(ofDomain: xml) } catch {
            throw HyperwardError(.software, "the domain's XML does not read: \(error)")
        }
        let document: XMLDocument
        do { document = try XMLDocument(xmlString: xml) } catch {
            throw HyperwardError(.software, "the domain's XML does not parse: \(error)")
        }
        let disks = (try? document.nodes(forXPath: "/domain/devices/disk")) ?? []
        guard let disk = disks.compactMap({ $0 as? XMLElement }).first(where: {
            $0.elements(forName: "target").first?.attribute(forName: "dev")?.stringValue == target
        }) else { throw HyperwardError(.software, "the domain has no disk \(target)") }
        guard let source = disk.elements(forName: "source").first else { throw HyperwardError(.software, "disk \(target) has no source") }
        source.attribute(forName: "file")?.stringValue = path
        for element in disk.elements(forName: "driver") { element.attribute(forName: "type")?.stringValue = "qcow2" }
        for element in disk.elements(forName: "backingStore") { disk.removeChild(at: element.index) }
        return document.xmlString
    }
}
