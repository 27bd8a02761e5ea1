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

extension DomainXML {
    /// One element of a parsed document: an immutable value holding its names, attributes, text
    /// and children, and where it is (`xpath`).
    public struct Element: Sendable, Hashable {
        /// The name without prefix: `commandline` for `<qemu:commandline>`.
        public var localName: String
        /// The namespace URI the element's prefix (or the default namespace) is bound to; nil for
        /// none, or when the prefix is not declared.
        public var namespaceURI: String?
        /// The name as written, prefix included.
        public var qualifiedName: String
        /// The attributes by their name as written (`type`, `xml:lang`). Namespace declarations
        /// (`xmlns`, `xmlns:p`) are not attributes.
        public var attributes: [String: String]
        /// The child elements, in document order.
        public var children: [Element]
        /// The element's own character data (CDATA included), its children's left out.
        public var text: String
        /// Where the element is: `/domain/devices/hostdev[2]`. Each step is the qualified name;
        /// `[n]`, the 1-based position among siblings of the same qualified name, is written when
        /// the element has such siblings.
        public var xpath: String

        /// Creates an element (parsed documents make them; tests may too).
        public init(localName: String, namespaceURI: String? = nil, qualifiedName: String? = nil,
                    attributes: [String: String] = [:], children: [Element] = [], text: String = "", xpath: String = "") {
            self.localName = localName
            self.namespaceURI = namespaceURI
            self.qualifiedName = qualifiedName ?? localName
            self.attributes = attributes
            self.children = children
            self.text = text
            self.xpath = xpath
        }

        /// The value of attribute `name`.
        public subscript(attribute name: String) -> String? { attributes[name] }

        /// The child elements with local name `name` and no namespace (libvirt's own elements).
        public func children(named name: String) -> [Element] {
            children.filter { $0.localName == name && $0.namespaceURI == nil }
        }

        /// The first child element with local name `name` and no namespace.
        public func child(_ name: String) -> Element? {
            children.first { $0.localName == name && $0.namespaceURI == nil }
        }

        /// The element and all its descendants, in document order.
        public var descendantsAndSelf: [Element] {
            var result: [Element] = []
            var stack: [Element] = [self]
            while let next = stack.popLast() {
                result.append(next)
                stack.append(contentsOf: next.children.reversed())
            }
            return result
        }

        /// `text` without leading and trailing white space.
        public var trimmedText: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// The most elements one document may hold (a domain has a few hundred).
    public static let maxElements = 50_000
    /// The deepest element nesting accepted (libvirt's deepest is about 8).
    public static let maxDepth = 64
    /// The most character data kept over the whole document.
    public static let maxTextBytes = 1 << 20

    /// Parses a document into its element tree, with namespace processing on, so an element is
    /// recognised by its namespace URI whatever prefix the document binds to it.
    ///
    /// Every safeguard of the other readers applies: the size bound (``maxBytes``), DTDs and
    /// data-less processing instructions refused before parsing, no external entities; and the
    /// tree itself is bounded (``maxElements``, ``maxDepth``, ``maxTextBytes``).
    /// - Returns: the root element.
    /// - Throws: `HyperwardError` `too-large` or `invalid-input`, with the reason and line.
    public static func tree(_ xml: String) throws(HyperwardError) -> Element {
        let data = Data(xml.utf8)
        guard data.count <= maxBytes else { throw HyperwardError(.tooLarge, "libvirt XML larger than \(maxBytes) bytes") }
        if let refused = refusedMarkup(data) { throw HyperwardError(.invalidInput, "malformed libvirt XML: \(refused)") }
        let builder = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.delegate = builder
        let ok = parser.parse()
        if let limit = builder.limitExceeded { throw HyperwardError(.tooLarge, "libvirt XML: \(limit)") }
        guard ok, builder.failure == nil, let root = builder.root else {
            let reason = (builder.failure ?? parser.parserError).map { "\($0.localizedDescription)" }
                ?? (builder.root == nil ? "the document ends before its root element is closed" : "parse error")
            throw HyperwardError(.invalidInput, "malformed libvirt XML at line \(parser.lineNumber): \(reason)")
        }
        return assigningPaths(root, parentPath: "", position: nil)
    }

    /// The element with `xpath` set for it and its descendants.
    static func assigningPaths(_ element: Element, parentPath: String, position: Int?) -> Element {
        var element = element
        element.xpath = parentPath + "/" + element.qualifiedName + (position.map { "[\($0)]" } ?? "")
        var counts: [String: Int] = [:]
        for child in element.children { counts[child.qualifiedName, default: 0] += 1 }
        var seen: [String: Int] = [:]
        element.children = element.children.map { child in
            let name = child.qualifiedName
            seen[name, default: 0] += 1
            let index = counts[name, default: 0] > 1 ? seen[name] : nil
            return assigningPaths(child, parentPath: element.xpath, position: index)
        }
        return element
    }

    /// Builds the tree from the parser's events, within the bounds.
    final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [Element] = []
        var root: Element?
        var failure: (any Error)?
        var limitExceeded: String?
        var elementCount = 0
        var textBytes = 0

        var isStopped: Bool { failure != nil || limitExceeded != nil }

        // Not `abortParsing()` on failure: called from a callback it crashes libxml2 (a NULL
        // read in xmlParseChunk) on Linux. Events after a failure or a limit are ignored instead.
        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) { failure = failure ?? parseError }
        func parser(_ parser: XMLParser, validationErrorOccurred validationError: any Error) { failure = failure ?? validationError }
        func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? { nil }

        func parser(_ parser: XMLParser, foundCharacters string: String) { appendText(string) }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            appendText(String(decoding: CDATABlock, as: UTF8.self))
        }

        func appendText(_ string: String) {
            guard !isStopped, !stack.isEmpty else { return }
            textBytes += string.utf8.count
            guard textBytes <= DomainXML.maxTextBytes else {
                limitExceeded = "more than \(DomainXML.maxTextBytes) bytes of text"
                return
            }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            guard !isStopped else { return }
            if root != nil {
                // libxml2 reports content after the root as an error; never a second root.
                failure = failure ?? HyperwardError(.invalidInput, "content after the root element")
                return
            }
            elementCount += 1
            guard elementCount <= DomainXML.maxElements else {
                limitExceeded = "more than \(DomainXML.maxElements) elements"
                return
            }
            guard stack.count < DomainXML.maxDepth else {
                limitExceeded = "elements nested deeper than \(DomainXML.maxDepth)"
                return
            }
            var attributes = attributes
            for key in attributes.keys where key == "xmlns" || key.hasPrefix("xmlns:") { attributes[key] = nil }
            let uri = namespaceURI.flatMap { $0.isEmpty ? nil : $0 }
            stack.append(Element(localName: name, namespaceURI: uri, qualifiedName: qualifiedName ?? name, attributes: attributes))
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard !isStopped, let element = stack.popLast() else { return }
            if stack.isEmpty {
                root = element
            } else {
                stack[stack.count - 1].children.append(element)
            }
        }
    }
}
