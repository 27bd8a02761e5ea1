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

import Yams

/// The one way Hyperward reads its YAML files (configuration, network policy, inventory, monitor
/// policy, waivers): the text composed once with a size bound, and every problem an error at
/// `file:line:column` with the reader's error code. Each file's own parser walks the nodes with
/// these typed accessors, so an unknown key, a wrong type or a value out of range is always an
/// error that points at the place — never a silent default.
public struct YAMLReader: Sendable {
    /// The file named in errors.
    public var file: String
    /// The code of every error (each file kind has its own: `configuration`, `policy`, …).
    public var code: HyperwardError.Code
    /// Messages echo names and values from the file; when set they are escaped for the terminal.
    public var escapesMessages: Bool

    /// The largest YAML text read (16 MiB).
    public static let maxBytes = 16 << 20

    public init(file: String, code: HyperwardError.Code, escapesMessages: Bool = false) {
        self.file = file
        self.code = code
        self.escapesMessages = escapesMessages
    }

    /// The document's root node, or nil for an empty document.
    public func compose(_ text: String, limit: Int = YAMLReader.maxBytes) throws(HyperwardError) -> Node? {
        guard text.utf8.count <= limit else {
            throw HyperwardError(.tooLarge, "\(file) is larger than \(limit) bytes", location: .init(file: file))
        }
        do { return try Yams.compose(yaml: text) } catch {
            var wrapped = HyperwardError.yaml(error, file: file, code: code)
            if escapesMessages { wrapped.message = wrapped.message.terminalSafe }
            throw wrapped
        }
    }

    /// Where `node` is.
    public func location(_ node: Node) -> HyperwardError.SourceLocation {
        .init(file: file, line: node.mark?.line, column: node.mark?.column)
    }

    /// An error at `node`.
    public func fail(_ message: String, _ node: Node) -> HyperwardError {
        HyperwardError(code, escapesMessages ? message.terminalSafe : message, location: location(node))
    }

    /// The pairs of a mapping (`what` names it in errors), refusing non-string and duplicate
    /// keys and, with `known`, unknown ones (`unknown` words that error; by default
    /// "unknown key 'K' in WHAT (known: …)").
    public func entries(
        _ node: Node, what: String, known: Set<String>? = nil, unknown: ((String) -> String)? = nil
    ) throws(HyperwardError) -> [(key: String, keyNode: Node, value: Node)] {
        guard let mapping = node.mapping else { throw fail("\(what) must be a mapping", node) }
        var seen: Set<String> = []
        var result: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else { throw fail("\(what): keys must be strings", keyNode) }
            if !seen.insert(key).inserted { throw fail("duplicate \(what) key '\(key)'", keyNode) }
            if let known, !known.contains(key) {
                throw fail(unknown?(key) ?? "unknown key '\(key)' in \(what) (known: \(known.sorted().joined(separator: ", ")))", keyNode)
            }
            result.append((key, keyNode, value))
        }
        return result
    }

    /// A string scalar (not null).
    public func string(_ node: Node, what: String) throws(HyperwardError) -> String {
        guard node.null == nil, let text = node.scalar?.string else { throw fail("\(what) must be a string", node) }
        return text
    }

    /// A sequence's items; null is an empty list.
    public func list(_ node: Node, what: String) throws(HyperwardError) -> [Node] {
        if node.null != nil { return [] }
        guard let sequence = node.sequence else { throw fail("\(what) must be a list", node) }
        return Array(sequence)
    }

    /// A list of strings.
    public func strings(_ node: Node, what: String) throws(HyperwardError) -> [String] {
        guard let sequence = node.sequence else { throw fail("\(what) must be a list of strings", node) }
        var result: [String] = []
        for item in sequence { result.append(try string(item, what: what)) }
        return result
    }

    /// An integer within `range`.
    public func int(_ node: Node, what: String, in range: ClosedRange<Int>) throws(HyperwardError) -> Int {
        guard let value = node.int, range.contains(value) else {
            throw fail("\(what) must be an integer from \(range.lowerBound) to \(range.upperBound)", node)
        }
        return value
    }

    /// A number within `range`.
    public func number(_ node: Node, what: String, in range: ClosedRange<Double>) throws(HyperwardError) -> Double {
        guard let value = node.float ?? node.int.map(Double.init), range.contains(value) else {
            throw fail("\(what) must be a number from \(Self.text(range.lowerBound)) to \(Self.text(range.upperBound))", node)
        }
        return value
    }

    /// A number as written in messages: whole numbers without a fraction.
    static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// true or false.
    public func bool(_ node: Node, what: String) throws(HyperwardError) -> Bool {
        guard let value = node.bool else { throw fail("\(what) must be true or false", node) }
        return value
    }
}
