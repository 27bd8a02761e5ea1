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
import Foundation
import HyperwardCore
import Testing

@testable import HostAudit

@Suite("LibvirtConfig")
struct LibvirtConfigTests {
    func parse(_ text: String) -> LibvirtConfig { LibvirtConfig(parsing: text, file: "/etc/libvirt/qemu.conf") }

    @Test func parsesIntegersStringsAndListsWithLineNumbers() {
        let config = parse("""
            # a comment
            user = "libvirt-qemu"

            seccomp_sandbox = 1
            max_processes = -5 # trailing comment
            namespaces = [ "mount" ]
            cgroup_device_acl = [
                "/dev/null", "/dev/full",
                "/dev/kvm",
            ]
            single = 'quoted'; other = +7
            """)
        #expect(config.diagnostics == [])
        #expect(config.entry("user")?.value == .string("libvirt-qemu"))
        #expect(config.entry("user")?.line == 2)
        #expect(config.integer("seccomp_sandbox").value == 1)
        #expect(config.integer("max_processes").value == -5)
        #expect(config.stringList("namespaces").value == ["mount"])
        #expect(config.stringList("cgroup_device_acl").value == ["/dev/null", "/dev/full", "/dev/kvm"])
        #expect(config.entry("cgroup_device_acl")?.line == 7)
        #expect(config.string("single").value == "quoted")
        #expect(config.integer("other").value == 7)
        #expect(config.entry("other")?.line == 11)
    }

    @Test func readsTripleQuotedStringsAcrossLines() {
        let config = parse("text = \"\"\"one\ntwo\"\"\"\nafter = 2\n")
        #expect(config.diagnostics == [])
        #expect(config.string("text").value == "one\ntwo")
        #expect(config.entry("after")?.line == 3)
    }

    @Test func keepsBackslashesVerbatimAsLibvirtDoes() {
        // virconf.c has no escape sequences: the string ends at the first quote.
        let config = parse(#"path = "C:\dir\""# + "\n")
        #expect(config.string("path").value == #"C:\dir\"#)
        #expect(config.diagnostics == [])
    }

    @Test func booleansAreOnlyZeroOrOne() {
        let config = parse("a = 1\nb = 0\nc = 2\nd = \"1\"\n")
        #expect(config.bool("a") == .value(true, line: 1))
        #expect(config.bool("b") == .value(false, line: 2))
        #expect(config.bool("c") == .invalid(.integer(2), line: 3))
        #expect(config.bool("d") == .invalid(.string("1"), line: 4))
        #expect(config.bool("missing") == .absent)
    }

    @Test func firstDuplicateWinsAndLaterOnesAreReported() {
        let config = parse("user = \"qemu\"\nuser = \"root\"\n")
        #expect(config.string("user").value == "qemu")
        #expect(config.diagnostics.map(\.line) == [2])
        #expect(config.diagnostics.first?.message.contains("duplicate") == true)
    }

    @Test func securityDriverAcceptsAStringAsAOneItemList() {
        let config = parse("security_driver = \"none\"\n")
        #expect(config.stringList("security_driver", acceptingString: true).value == ["none"])
        #expect(config.stringList("security_driver") == .invalid(.string("none"), line: 1))
    }

    @Test(arguments: [
        ("user = \"root\n", 1, "unterminated string"),
        ("user = root\n", 1, "expecting a value"),
        ("user \"root\"\n", 1, "expecting '='"),
        ("1user = 2\n", 1, "expecting a setting name"),
        ("a = 12abc\n", 1, "expecting a new line or ';'"),
        ("a = [ \"x\" \"y\" ]\n", 1, "expecting ',' or ']'"),
        ("a = [ \"x\",\n  # note\n \"y\" ]\n", 2, "no comments inside a list"),
        ("a = -\n", 1, "unterminated number"),
        ("a = 99999999999999999999\n", 1, "out of the 64-bit range"),
        ("a = \"\"\"never closed\nmore text\n", 1, "unterminated \"\"\" string"),
        ("a =\n", 1, "expecting a value"),
    ])
    func reportsMalformedLinesWithFileAndLine(text: String, line: Int, message: String) {
        let config = parse(text)
        #expect(config.diagnostics.count >= 1)
        let first = config.diagnostics.first
        #expect(first?.line == line)
        #expect(first?.message.contains(message) == true, "\(first?.description ?? "none")")
        #expect(first?.description.hasPrefix("/etc/libvirt/qemu.conf:\(line): ") == true)
    }

    @Test func unterminatedListRecoversAtTheNextSetting() {
        let config = parse("""
            namespaces = [ "mount",
            user = "root"
            group = "root"
            """)
        #expect(config.diagnostics.count == 1)
        #expect(config.diagnostics.first?.line == 1)
        #expect(config.diagnostics.first?.message.contains("not closed") == true)
        #expect(config.entry("namespaces") == nil)
        #expect(config.string("user").value == "root")
        #expect(config.string("group").value == "root")
    }

    @Test func unterminatedListAtEndOfFileIsOneDiagnostic() {
        let config = parse("before = 1\nacl = [\n  \"/dev/null\",\n  \"/dev/kvm\"\n")
        #expect(config.diagnostics.map(\.line) == [2])
        #expect(config.integer("before").value == 1)
    }

    @Test func badLineDoesNotHideTheRest() {
        let config = parse("a = ???\nb = 1\nc = \"x\ndone = 2\n")
        #expect(config.diagnostics.map(\.line) == [1, 3])
        #expect(config.integer("b").value == 1)
        #expect(config.integer("done").value == 2)
    }

    @Test func nulBytesAreReported() {
        var bytes = Array("user = \"qemu\"\n# co".utf8)
        bytes += [0, 0]
        bytes += Array("mment\nx = 1\n".utf8)
        let config = LibvirtConfig(parsing: bytes, file: "/etc/libvirt/qemu.conf")
        #expect(config.diagnostics.map(\.line) == [2])
        #expect(config.diagnostics.first?.message.contains("NUL") == true)
        #expect(config.integer("x").value == 1)
    }

    @Test func overlongLinesAreSkippedWithADiagnostic() {
        let long = "a = \"" + String(repeating: "x", count: LibvirtConfig.maxLineLength + 10) + "\"\n"
        let config = parse(long + "b = 1\n")
        #expect(config.entry("a") == nil)
        #expect(config.integer("b").value == 1)
        #expect(config.diagnostics.map(\.line) == [1])
    }

    /// Found with the fuzz target's large-input check (docs/fuzzing.md): every statement
    /// re-measured its whole line, so lines of many `;`-separated statements parsed in quadratic
    /// time. Each line is measured once now.
    @Test(.timeLimit(.minutes(1)))
    func manyStatementsOnOneLineAreAllRead() {
        let perLine = 1_000
        let lines = (0..<60).map { row in
            (0..<perLine).map { "k\(row)_\($0) = \($0);" }.joined() + "\n"
        }
        let text = lines.joined()
        #expect(text.utf8.count < LibvirtConfig.maxFileSize)
        let config = parse(text)
        #expect(config.diagnostics.isEmpty)
        #expect(config.entries.count == 60 * perLine)
        #expect(config.integer("k59_999").value == 999)
        #expect(config.entries.last?.line == 60)
    }

    @Test func deeplyNestedListsAreRejectedNotRecursedInto() {
        let depth = 1_000
        let text = "a = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\nb = 1\n"
        let config = parse(text)
        #expect(config.entry("a") == nil)
        #expect(config.diagnostics.first?.message.contains("nested") == true)
        #expect(config.integer("b").value == 1)
    }

    @Test func binaryGarbageGivesBoundedDiagnosticsAndNoCrash() {
        var generator = SeededGenerator(seed: 0x5eed)
        for _ in 0..<50 {
            let bytes = (0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let config = LibvirtConfig(parsing: bytes, file: "/x")
            #expect(config.diagnostics.count <= LibvirtConfig.maxDiagnostics + 1)
        }
        // A whole 1 MiB of newline-separated garbage still stops at the diagnostic bound.
        let lines = Array(repeating: Array("@@@\n".utf8), count: (1 << 20) / 4).flatMap { $0 }
        let config = LibvirtConfig(parsing: lines, file: "/x")
        #expect(config.diagnostics.count == LibvirtConfig.maxDiagnostics + 1)
        #expect(config.diagnostics.last?.message.contains("more problems") == true)
    }

    @Test func mutatedValidFilesNeverCrash() {
        let base = Array("""
            user = "libvirt-qemu"
            namespaces = [ "mount", "x" ]
            text = \"\"\"a
            b\"\"\"
            n = 42
            """.utf8)
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<2000 {
            var bytes = base
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let index = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[index] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.remove(at: index)
                default:
                    let specials = Array("\"[],#\n=;'".utf8)
                    bytes.insert(specials[Int(generator.next() % UInt64(specials.count))], at: index)
                }
                if bytes.isEmpty { break }
            }
            _ = LibvirtConfig(parsing: bytes, file: "/fuzz")
        }
    }

    @Test func loadRefusesFilesOverOneMebibyte() throws {
        let host = FixtureHost()
        host.write("/etc/libvirt/qemu.conf", bytes: Array(repeating: UInt8(ascii: "#"), count: 5 << 20))
        #expect(throws: HyperwardError.self) { try LibvirtConfig.load("/etc/libvirt/qemu.conf", from: host.fs) }
        do {
            _ = try LibvirtConfig.load("/etc/libvirt/qemu.conf", from: host.fs)
        } catch {
            #expect(error.code == .tooLarge)
        }
    }

    // MARK: The real files

    static let realFiles = ["/etc/libvirt/qemu.conf", "/etc/libvirt/libvirtd.conf"]
    static var hasRealFiles: Bool { realFiles.allSatisfy { FileManager.default.isReadableFile(atPath: $0) } }

    @Test(.enabled(if: hasRealFiles, "libvirt-daemon-system is not installed"))
    func parsesThisMachinesLibvirtFilesWithoutDiagnostics() throws {
        for path in Self.realFiles {
            let config = try LibvirtConfig.load(path, from: RootedFileSystem(root: "/"))
            #expect(config.diagnostics == [], "\(path)")
        }
    }

    /// The shipped files document every setting as a commented-out example; uncommented, they are
    /// a full configuration in libvirt's syntax, which Augeas's libvirt lenses parse independently.
    static func uncommentExamples(_ text: String) -> String {
        var out: [String] = []
        var inList = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var s = String(line)
            if inList {
                if s.hasPrefix("#") { s.removeFirst() }
                if s.contains("]") { inList = false }
            } else if s.range(of: #"^#[a-z_]+ *="#, options: .regularExpression) != nil {
                s.removeFirst()
                if s.contains("[") && !s.contains("]") { inList = true }
            }
            out.append(s)
        }
        return out.joined(separator: "\n")
    }

    static var hasAugtool: Bool {
        hasRealFiles && FileManager.default.isExecutableFile(atPath: "/usr/bin/augtool")
            && FileManager.default.fileExists(atPath: "/usr/share/augeas/lenses/libvirtd_qemu.aug")
    }

    @Test(.enabled(if: hasAugtool, "needs augeas-tools and libvirt's Augeas lenses"),
          arguments: [("qemu.conf", "Libvirtd_qemu"), ("libvirtd.conf", "Libvirtd")])
    func agreesWithAugeasOnEveryDocumentedExample(name: String, lens: String) throws {
        let host = FixtureHost()
        let original = try String(contentsOfFile: "/etc/libvirt/\(name)", encoding: .utf8)
        host.write("/etc/libvirt/\(name)", Self.uncommentExamples(original))
        let config = try LibvirtConfig.load("/etc/libvirt/\(name)", from: host.fs)
        #expect(config.diagnostics == [])
        #expect(config.entries.count > 20)

        let output = try runAugtool(root: host.root, lens: lens, file: "/etc/libvirt/\(name)")
        #expect(!output.contains("/error"), "Augeas failed to parse the file: \(output.prefix(500))")
        // Augeas prints `/files/etc/libvirt/F/key = "value"` and, for lists, `/key/N = "value"`.
        var expected: [String: [String]] = [:]
        var order: [String] = []
        let prefix = "/files/etc/libvirt/\(name)/"
        for line in output.split(separator: "\n") where line.hasPrefix(prefix) {
            let rest = line.dropFirst(prefix.count)
            guard !rest.hasPrefix("#"), let eq = rest.range(of: " = ") else { continue }
            let path = rest[..<eq.lowerBound].split(separator: "/")
            var value = String(rest[eq.upperBound...])
            if value.hasPrefix("\"") && value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            let key = String(path[0])
            if expected[key] == nil { order.append(key) }
            expected[key, default: []].append(value)
        }
        #expect(order == config.entries.map(\.key))
        for entry in config.entries {
            let ours: [String] = switch entry.value {
            case .integer(let n): ["\(n)"]
            case .string(let s): [s]
            case .list(let items): items.map { if case .string(let s) = $0 { s } else { $0.description } }
            }
            #expect(ours == (expected[entry.key] ?? []), "\(entry.key)")
        }
    }

    func runAugtool(root: String, lens: String, file: String) throws -> String {
        // augtool runs one command per line of its standard input.
        let result = HostCommand.run(["/usr/bin/augtool", "-r", root, "-L", "-A", "--transform", "\(lens) incl \(file)"],
                                     input: "print /files\(file)\nprint /augeas/files\(file)/error\n")
        return result.stdout + result.stderr
    }
}
