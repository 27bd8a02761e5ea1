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

/// A parsed libvirt configuration file (`qemu.conf`, `libvirtd.conf`, `virtproxyd.conf`,
/// `virtqemud.conf`): its settings with line numbers, and what was malformed.
///
/// The grammar is libvirt's own (`src/util/virconf.c`): statements `name = value` separated by
/// newlines or `;`, `#` comments, names of an ASCII letter followed by letters, digits and `_`,
/// values that are integers (optional sign, decimal digits), strings in `"…"`, `'…'` or
/// `"""…"""` (the only multi-line form), or lists `[ v, v, ]` that may span lines.
///
/// Strings have **no escape sequences**: libvirt copies the bytes between the quotes verbatim, so
/// `"a\"b"` is the string `a\` followed by junk. This parser does the same, so what it reads is
/// what the daemon reads. Like libvirt, the **first** occurrence of a name wins; later duplicates
/// are reported as diagnostics because most other formats let the last one win.
///
/// Where libvirt stops at the first error (and the daemon refuses to start), this parser records
/// a diagnostic and resynchronises at the next line, so one bad line doesn't hide the rest.
public struct LibvirtConfig: Sendable, Hashable {
    /// A setting's value.
    public enum Value: Sendable, Hashable, CustomStringConvertible {
        case integer(Int64)
        case string(String)
        case list([Value])

        /// The value written back in libvirt's syntax, e.g. `[ "mount" ]`.
        public var description: String {
            switch self {
            case .integer(let n): "\(n)"
            case .string(let s): "\"\(s)\""
            case .list(let items): items.isEmpty ? "[]" : "[ " + items.map(\.description).joined(separator: ", ") + " ]"
            }
        }
    }

    /// One `name = value` statement.
    public struct Entry: Sendable, Hashable {
        /// The setting's name.
        public var key: String
        /// The parsed value.
        public var value: Value
        /// The 1-based line the statement starts on.
        public var line: Int
    }

    /// A malformed line: where and what was wrong.
    public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
        /// The file, as a host path.
        public var file: String
        /// The 1-based line.
        public var line: Int
        /// What was wrong, e.g. `unterminated string`.
        public var message: String
        /// `file:line: message`.
        public var description: String { "\(file):\(line): \(message)" }
    }

    /// The result of looking a setting up with an expected type.
    public enum Lookup<T: Sendable & Hashable>: Sendable, Hashable {
        /// The file does not set it: the built-in default applies.
        case absent
        /// Set, with the right type.
        case value(T, line: Int)
        /// Set, but of a type libvirt rejects for this setting (the daemon would refuse the file).
        case invalid(Value, line: Int)

        /// The value, when set and valid.
        public var value: T? {
            if case .value(let v, _) = self { return v }
            return nil
        }
    }

    /// The host path the text came from.
    public var file: String
    /// Every well-formed statement, in file order (duplicates included).
    public var entries: [Entry]
    /// Every malformed line, in file order (bounded by `maxDiagnostics`).
    public var diagnostics: [Diagnostic]

    /// The largest file read: 1 MiB (libvirt's own limit is 10 MiB; real files are under 64 KiB).
    public static let maxFileSize = 1 << 20
    /// Lines longer than this are reported and skipped: 16 KiB.
    public static let maxLineLength = 16 * 1024
    /// At most this many diagnostics are kept; a last one says how many more were dropped.
    public static let maxDiagnostics = 100
    /// Lists nested deeper than this are rejected (libvirt recurses without a bound).
    public static let maxListDepth = 16

    /// Parses `bytes` as the contents of `file`. Never fails: problems become diagnostics.
    public init(parsing bytes: [UInt8], file: String) {
        var parser = LibvirtConfigParser(bytes: bytes, file: file)
        parser.parse()
        self.file = file
        self.entries = parser.entries
        self.diagnostics = parser.finishedDiagnostics()
    }

    /// Parses `text` as the contents of `file`.
    public init(parsing text: String, file: String) {
        self.init(parsing: Array(text.utf8), file: file)
    }

    /// Reads and parses `path` from `fs`, bounded by `maxFileSize`.
    /// - Throws: the file system's `HyperwardError` (`.notFound`, `.tooLarge`, `.notRegularFile`,
    ///   `.symlinkLoop`, `.unreadable`).
    public static func load(_ path: String, from fs: any HostFileSystem) throws(HyperwardError) -> LibvirtConfig {
        LibvirtConfig(parsing: try fs.readFile(path, limit: maxFileSize), file: path)
    }

    /// The statement that sets `key`: the first one, as libvirt's `virConfGetValue` takes it.
    public func entry(_ key: String) -> Entry? {
        entries.first { $0.key == key }
    }

    /// Whether the file sets `key` at all.
    public func contains(_ key: String) -> Bool { entry(key) != nil }

    /// `key` as libvirt reads a boolean: an unsigned integer 0 or 1.
    public func bool(_ key: String) -> Lookup<Bool> {
        guard let entry = entry(key) else { return .absent }
        if case .integer(let n) = entry.value, n == 0 || n == 1 { return .value(n == 1, line: entry.line) }
        return .invalid(entry.value, line: entry.line)
    }

    /// `key` as an integer.
    public func integer(_ key: String) -> Lookup<Int64> {
        guard let entry = entry(key) else { return .absent }
        if case .integer(let n) = entry.value { return .value(n, line: entry.line) }
        return .invalid(entry.value, line: entry.line)
    }

    /// `key` as a string.
    public func string(_ key: String) -> Lookup<String> {
        guard let entry = entry(key) else { return .absent }
        if case .string(let s) = entry.value { return .value(s, line: entry.line) }
        return .invalid(entry.value, line: entry.line)
    }

    /// `key` as a list of strings; with `acceptingString`, a lone string counts as a one-item list
    /// (libvirt's `compatString`, used for `security_driver`).
    public func stringList(_ key: String, acceptingString: Bool = false) -> Lookup<[String]> {
        guard let entry = entry(key) else { return .absent }
        switch entry.value {
        case .string(let s) where acceptingString:
            return .value([s], line: entry.line)
        case .list(let items):
            var strings: [String] = []
            for item in items {
                guard case .string(let s) = item else { return .invalid(entry.value, line: entry.line) }
                strings.append(s)
            }
            return .value(strings, line: entry.line)
        default:
            return .invalid(entry.value, line: entry.line)
        }
    }
}

/// The byte-level parser behind `LibvirtConfig`, following `virconf.c` step by step.
struct LibvirtConfigParser {
    struct Failure: Error {
        var line: Int
        var message: String
        /// Whether the failure happened inside a list, so recovery must skip the list's remaining lines.
        var inList: Bool
    }

    let bytes: [UInt8]
    let file: String
    var pos = 0
    var line = 1
    /// Where the current physical line starts, for the line-length bound.
    var lineStart = 0
    var entries: [LibvirtConfig.Entry] = []
    var diagnostics: [LibvirtConfig.Diagnostic] = []
    var droppedDiagnostics = 0
    var firstLineOfKey: [String: Int] = [:]

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    var end: Int { bytes.count }
    var current: UInt8? { pos < end ? bytes[pos] : nil }

    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static func isEOL(_ c: UInt8) -> Bool { c == newline || c == carriageReturn }
    static func isBlank(_ c: UInt8) -> Bool { c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") }
    static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    mutating func advance() {
        guard pos < end else { return }
        if bytes[pos] == Self.newline {
            line += 1
            lineStart = pos + 1
        }
        pos += 1
    }

    mutating func skipBlanks() {
        while let c = current, Self.isBlank(c) { advance() }
    }

    mutating func skipBlanksAndEOL() {
        while let c = current, Self.isBlank(c) || Self.isEOL(c) { advance() }
    }

    /// Moves to the newline ending the current line (not past it).
    mutating func skipToEOL() {
        while let c = current, c != Self.newline { advance() }
    }

    mutating func diagnose(_ line: Int, _ message: String) {
        if diagnostics.count < LibvirtConfig.maxDiagnostics {
            diagnostics.append(.init(file: file, line: line, message: message))
        } else {
            droppedDiagnostics += 1
        }
    }

    func finishedDiagnostics() -> [LibvirtConfig.Diagnostic] {
        guard droppedDiagnostics > 0 else { return diagnostics }
        return diagnostics + [.init(file: file, line: line, message: "\(droppedDiagnostics) more problems not listed")]
    }

    /// A byte described for a message: printable ASCII quoted, anything else in hex.
    static func describe(_ c: UInt8?) -> String {
        guard let c else { return "end of file" }
        if c == newline || c == carriageReturn { return "end of line" }
        if c == 0 { return "a NUL byte" }
        if c >= 0x21 && c < 0x7f { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x" + String(c, radix: 16, uppercase: true)
    }

    mutating func parse() {
        reportNULs()
        // The start of the last line whose length was checked: measuring each line once keeps a
        // line of many `;`-separated statements linear.
        var checkedLineStart = -1
        while pos < end {
            skipBlanksAndEOL()
            guard let c = current else { break }
            // The line-length bound is checked where the first statement of a line starts.
            if lineStart != checkedLineStart {
                checkedLineStart = lineStart
                var lineEnd = pos
                while lineEnd < end && bytes[lineEnd] != Self.newline { lineEnd += 1 }
                if lineEnd - lineStart > LibvirtConfig.maxLineLength {
                    diagnose(line, "line is \(lineEnd - lineStart) bytes long (limit \(LibvirtConfig.maxLineLength)); skipped")
                    skipToEOL()
                    continue
                }
            }
            if c == UInt8(ascii: "#") {
                skipToEOL()
                continue
            }
            let statementStart = pos
            do {
                try parseStatement()
            } catch {
                diagnose(error.line, error.message)
                recover(inList: error.inList, statementStart: statementStart)
            }
        }
    }

    /// One diagnostic per line holding NUL bytes: libvirt's C strings would end there.
    mutating func reportNULs() {
        var lineNumber = 1
        var reportedLine = 0
        for byte in bytes {
            if byte == Self.newline { lineNumber += 1 }
            else if byte == 0 && reportedLine != lineNumber {
                diagnose(lineNumber, "contains a NUL byte")
                reportedLine = lineNumber
            }
        }
    }

    mutating func parseStatement() throws(Failure) {
        let statementLine = line
        let name = try parseName()
        skipBlanks()
        guard current == UInt8(ascii: "=") else {
            throw Failure(line: line, message: "expecting '=' after '\(name)', found \(Self.describe(current))", inList: false)
        }
        advance()
        skipBlanks()
        let value = try parseValue(depth: 0)
        skipBlanks()
        if current == UInt8(ascii: "#") { skipToEOL() }
        // The separator: end of file, end of line, or ';'.
        skipBlanks()
        if let c = current {
            if c == UInt8(ascii: ";") {
                advance()
            } else if !Self.isEOL(c) {
                throw Failure(
                    line: line, message: "expecting a new line or ';' after the value of '\(name)', found \(Self.describe(c))",
                    inList: false)
            }
        }
        if let first = firstLineOfKey[name] {
            diagnose(statementLine, "duplicate setting '\(name)' is ignored: libvirt uses the first one, on line \(first)")
        } else {
            firstLineOfKey[name] = statementLine
        }
        entries.append(.init(key: name, value: value, line: statementLine))
    }

    mutating func parseName() throws(Failure) -> String {
        skipBlanks()
        guard let c = current, Self.isAlpha(c) else {
            throw Failure(line: line, message: "expecting a setting name, found \(Self.describe(current))", inList: false)
        }
        let start = pos
        while let c = current, Self.isAlpha(c) || Self.isDigit(c) || c == UInt8(ascii: "_") { advance() }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    mutating func parseValue(depth: Int) throws(Failure) -> LibvirtConfig.Value {
        skipBlanks()
        let inList = depth > 0
        guard let c = current else {
            throw Failure(line: line, message: "expecting a value, found end of file", inList: inList)
        }
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return .string(try parseString(inList: inList))
        case UInt8(ascii: "["):
            return try parseList(depth: depth + 1)
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .integer(try parseInteger(inList: inList))
        default:
            let hint = inList && c == UInt8(ascii: "#") ? " (libvirt allows no comments inside a list)" : ""
            throw Failure(
                line: line, message: "expecting a value (a number, a \"string\" or a [ list ]), found \(Self.describe(c))\(hint)",
                inList: inList)
        }
    }

    mutating func parseInteger(inList: Bool) throws(Failure) -> Int64 {
        var negative = false
        if current == UInt8(ascii: "-") { negative = true; advance() }
        else if current == UInt8(ascii: "+") { advance() }
        guard let first = current, Self.isDigit(first) else {
            throw Failure(line: line, message: "unterminated number: expecting a digit, found \(Self.describe(current))", inList: inList)
        }
        var value: Int64 = 0
        var overflowed = false
        while let c = current, Self.isDigit(c) {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(c - UInt8(ascii: "0")))
            overflowed = overflowed || o1 || o2
            value = sum
            advance()
        }
        if overflowed {
            throw Failure(line: line, message: "number is out of the 64-bit range", inList: inList)
        }
        return negative ? -value : value
    }

    mutating func parseString(inList: Bool) throws(Failure) -> String {
        let quote = bytes[pos]
        let startLine = line
        let dq = UInt8(ascii: "\"")
        // virconf.c only takes `"""` as a triple quote when at least 7 bytes remain.
        if quote == dq && pos + 6 < end && bytes[pos + 1] == dq && bytes[pos + 2] == dq {
            let opening = (pos, line, lineStart)
            pos += 3
            let start = pos
            while pos + 2 < end && !(bytes[pos] == dq && bytes[pos + 1] == dq && bytes[pos + 2] == dq) { advance() }
            guard pos + 2 < end else {
                // Resume on the line after the opening quotes, not at the end of the file.
                (pos, line, lineStart) = opening
                skipToEOL()
                throw Failure(line: startLine, message: "unterminated \"\"\" string", inList: inList)
            }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            pos += 3
            return text
        }
        advance()
        let start = pos
        while let c = current, c != quote, !Self.isEOL(c) { advance() }
        guard current == quote else {
            throw Failure(
                line: startLine,
                message: "unterminated string: a \(quote == dq ? "\"" : "'")…\(quote == dq ? "\"" : "'") string must close on its own line",
                inList: inList)
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        advance()
        return text
    }

    mutating func parseList(depth: Int) throws(Failure) -> LibvirtConfig.Value {
        let startLine = line
        guard depth <= LibvirtConfig.maxListDepth else {
            throw Failure(line: line, message: "lists nested deeper than \(LibvirtConfig.maxListDepth) levels", inList: true)
        }
        advance()  // '['
        var items: [LibvirtConfig.Value] = []
        skipBlanksAndEOL()
        if let c = current, c != UInt8(ascii: "]") {
            items.append(try parseValue(depth: depth))
            skipBlanksAndEOL()
        }
        while let c = current, c != UInt8(ascii: "]") {
            try checkNotRunOn(from: startLine)
            guard c == UInt8(ascii: ",") else {
                let hint = c == UInt8(ascii: "#") ? " (libvirt allows no comments inside a list)" : ""
                throw Failure(line: line, message: "expecting ',' or ']' in the list, found \(Self.describe(c))\(hint)", inList: true)
            }
            advance()
            skipBlanksAndEOL()
            if current == UInt8(ascii: "]") { break }
            if current == nil {
                throw Failure(line: startLine, message: "list opened here is not closed with ']'", inList: true)
            }
            try checkNotRunOn(from: startLine)
            items.append(try parseValue(depth: depth))
            skipBlanksAndEOL()
        }
        guard current == UInt8(ascii: "]") else {
            throw Failure(line: startLine, message: "list opened here is not closed with ']'", inList: true)
        }
        advance()
        return .list(items)
    }

    /// Fails when a list opened on `startLine` has run into the next statement (its `]` is missing).
    func checkNotRunOn(from startLine: Int) throws(Failure) {
        if line > startLine && looksLikeStatement(at: pos) {
            throw Failure(line: startLine, message: "list opened here is not closed with ']' before the next setting", inList: true)
        }
    }

    /// Skips past a malformed statement: the rest of its line, and for a broken list the lines up
    /// to its `]` or up to the next line that starts a statement, whichever comes first.
    mutating func recover(inList: Bool, statementStart: Int) {
        if inList && lineStart > statementStart {
            // A list left open runs into the next statement: resume at that statement.
            var probe = lineStart
            while probe < end && Self.isBlank(bytes[probe]) { probe += 1 }
            if looksLikeStatement(at: probe) {
                pos = lineStart
                return
            }
        }
        skipToEOL()
        guard inList else { return }
        while pos < end {
            advance()  // past the newline
            var probe = pos
            while probe < end && Self.isBlank(bytes[probe]) { probe += 1 }
            if looksLikeStatement(at: probe) { return }
            var closes = false
            while let c = current, c != Self.newline {
                if c == UInt8(ascii: "]") { closes = true }
                advance()
            }
            if closes { return }
        }
    }

    /// Whether a `name =` statement starts at `index`.
    func looksLikeStatement(at index: Int) -> Bool {
        var i = index
        guard i < end, Self.isAlpha(bytes[i]) else { return false }
        while i < end && (Self.isAlpha(bytes[i]) || Self.isDigit(bytes[i]) || bytes[i] == UInt8(ascii: "_")) { i += 1 }
        while i < end && Self.isBlank(bytes[i]) { i += 1 }
        return i < end && bytes[i] == UInt8(ascii: "=")
    }
}
