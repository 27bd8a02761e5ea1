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

/// One binary package that dpkg records as installed.
public struct InstalledPackage: Sendable, Hashable {
    /// The binary package name, e.g. `qemu-system-x86`.
    public var name: String
    /// The binary package's version.
    public var version: DebianVersion
    /// The architecture (`amd64`, `all`), empty if the stanza has none.
    public var architecture: String
    /// The source package it was built from (its own name when the stanza has no `Source:`).
    public var sourceName: String
    /// The source package's version: the one in `Source: src (version)`, else the binary's.
    public var sourceVersion: DebianVersion
    /// The 1-based line of the stanza's first line in the status file.
    public var line: Int

    /// Creates a package record.
    public init(
        name: String, version: DebianVersion, architecture: String = "", sourceName: String? = nil,
        sourceVersion: DebianVersion? = nil, line: Int = 0
    ) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.sourceName = sourceName ?? name
        self.sourceVersion = sourceVersion ?? version
        self.line = line
    }
}

/// The installed packages of dpkg's status database, `/var/lib/dpkg/status`.
///
/// The file is a sequence of RFC 822-style stanzas (deb822(5)) separated by blank lines; a line
/// starting with a space or tab continues the previous field. Only stanzas whose `Status:` state
/// (the third word) is `installed` count: that includes `hold ok installed` and
/// `deinstall ok installed`, whose files are still on disk, and excludes `config-files`,
/// `half-installed` and the rest. Malformed stanzas are counted and described, never fatal.
public struct DpkgStatus: Sendable {
    /// The status database's path on the host.
    public static let path = "/var/lib/dpkg/status"
    /// The most bytes read from the status file (real ones are a few MiB).
    public static let readLimit = 64 << 20
    /// How many malformed stanzas are described in `problems` (all are counted).
    public static let maxProblems = 20

    /// Installed packages, in file order.
    public var packages: [InstalledPackage]
    /// How many stanzas the file holds, installed or not.
    public var stanzaCount: Int
    /// How many stanzas could not be understood.
    public var malformedCount: Int
    /// The first `maxProblems` malformed stanzas: line and reason.
    public var problems: [(line: Int, reason: String)]

    /// Parses status-file bytes. Never fails: what cannot be understood is counted in
    /// `malformedCount`.
    public init(parsing bytes: [UInt8]) {
        packages = []
        stanzaCount = 0
        malformedCount = 0
        problems = []

        var fields: [String: String] = [:]
        var stanzaLine = 0
        var lastField: String?
        var stanzaProblem: String?
        var lineNumber = 0

        func finishStanza() {
            defer {
                fields = [:]
                lastField = nil
                stanzaProblem = nil
            }
            guard !fields.isEmpty || stanzaProblem != nil else { return }
            stanzaCount += 1
            if let problem = stanzaProblem { return malformed(problem) }
            guard let name = fields["package"], !name.isEmpty else { return malformed("no Package field") }
            guard let status = fields["status"] else { return malformed("\(name): no Status field") }
            let words = status.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count == 3 else { return malformed("\(name): Status '\(status)' is not three words") }
            guard words[2] == "installed" else { return }
            guard let versionText = fields["version"] else { return malformed("\(name): installed but no Version") }
            let version: DebianVersion
            do { version = try DebianVersion(versionText, allowingWarnings: true) } catch {
                return malformed("\(name): \(error.message)")
            }
            var sourceName = name
            var sourceVersion = version
            if let source = fields["source"], !source.isEmpty {
                // `Source: name` or `Source: name (version)` when the versions differ (binNMUs).
                if let open = source.firstIndex(of: "(") {
                    sourceName = source[..<open].trimmingCharacters()
                    guard let close = source.lastIndex(of: ")"), close > open else {
                        return malformed("\(name): Source '\(source)' has an unclosed '('")
                    }
                    let inner = source[source.index(after: open)..<close].trimmingCharacters()
                    do { sourceVersion = try DebianVersion(inner, allowingWarnings: true) } catch {
                        return malformed("\(name): Source version: \(error.message)")
                    }
                } else {
                    sourceName = source.trimmingWhitespace()
                }
                if sourceName.isEmpty || sourceName.contains(" ") {
                    return malformed("\(name): Source '\(source)' is not a package name")
                }
            }
            packages.append(InstalledPackage(
                name: name, version: version, architecture: fields["architecture"] ?? "",
                sourceName: sourceName, sourceVersion: sourceVersion, line: stanzaLine))
        }

        func malformed(_ reason: String) {
            malformedCount += 1
            if problems.count < DpkgStatus.maxProblems { problems.append((stanzaLine, reason)) }
        }

        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            while end < count && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            var line = bytes[start..<end]
            start = end + 1
            if line.last == 0x0D { line = line.dropLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                finishStanza()
                continue
            }
            if fields.isEmpty && lastField == nil && stanzaProblem == nil { stanzaLine = lineNumber }
            if stanzaProblem != nil { continue }
            if line.first == 0x20 || line.first == 0x09 {
                // A continuation: only multi-line fields (Description, Conffiles) have them, and
                // none of the fields read here is one, so keep just the first line's value.
                if lastField == nil { stanzaProblem = "line \(lineNumber): continuation line with no field" }
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
                stanzaProblem = "line \(lineNumber): not a 'Field: value' line"
                continue
            }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            if name.contains(where: { $0 == " " || $0 == "\t" }) {
                stanzaProblem = "line \(lineNumber): field name '\(name)' contains white space"
                continue
            }
            lastField = name
            switch name {
            case "package", "status", "version", "source", "architecture":
                if fields[name] != nil {
                    stanzaProblem = "line \(lineNumber): duplicate field '\(name)'"
                    continue
                }
                fields[name] = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingWhitespace()
            default:
                // Remember that the stanza has content without keeping the value.
                if fields.isEmpty { fields["#"] = "" }
            }
        }
        finishStanza()
    }

    /// Reads and parses the status file of the host behind `fs`.
    /// - Throws: the file system's error (`.notFound` on a host without dpkg, `.tooLarge` past
    ///   `readLimit`).
    public static func read(from fs: any HostFileSystem) throws(HyperwardError) -> DpkgStatus {
        DpkgStatus(parsing: try fs.readFile(path, limit: readLimit))
    }

    /// The installed packages grouped by the source package they are matched under, with
    /// `linux-signed-*` folded into `linux` (see `VirtualizationPackages.matchingSource(of:)`).
    public var packagesBySource: [String: [InstalledPackage]] {
        var groups: [String: [InstalledPackage]] = [:]
        for package in packages {
            let key = VirtualizationPackages.matchingSource(of: package).name
            groups[key, default: []].append(package)
        }
        return groups
    }
}
