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
import Testing

@testable import HyperwardCore

@Suite("Rooted host file system")
struct RootedFileSystemTests {
    let root: String

    init() {
        root = FileManager.default.temporaryDirectory.path + "/hw-fs-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: root + "/etc/sub", withIntermediateDirectories: true)
    }

    func write(_ path: String, _ text: String) {
        _ = FileManager.default.createFile(atPath: root + path, contents: Data(text.utf8))
    }

    @Test func readsUnderTheRoot() throws {
        write("/etc/hostname", "fixture-host\n")
        let fs = RootedFileSystem(root: root + "/")
        #expect(try fs.readValue("/etc/hostname") == "fixture-host")
        #expect(fs.root == root)
    }

    @Test func absoluteSymlinksResolveInsideTheRootNeverOutside() throws {
        write("/etc/real", "inside")
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/link", withDestinationPath: "/etc/real")
        // A link to the real /etc/passwd must resolve to <root>/etc/passwd, which does not exist.
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/escape", withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/dotdot", withDestinationPath: "../../../../../../etc/passwd")
        let fs = RootedFileSystem(root: root)
        #expect(try fs.readText("/etc/link") == "inside")
        #expect(throws: HyperwardError.self) { try fs.readText("/etc/escape") }
        #expect(throws: HyperwardError.self) { try fs.readText("/etc/dotdot") }
        #expect(try fs.readLink("/etc/link") == "/etc/real")
        #expect(try fs.status("/etc/link", followingSymlinks: false).kind == .symlink)
        #expect(try fs.status("/etc/link", followingSymlinks: true).kind == .regular)
    }

    @Test func symlinkLoopsAreAnErrorNotAHang() throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/a", withDestinationPath: "/etc/b")
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/b", withDestinationPath: "/etc/a")
        let fs = RootedFileSystem(root: root)
        do {
            _ = try fs.readText("/etc/a")
            Issue.record("a symlink loop was read")
        } catch {
            #expect(error.code == .symlinkLoop)
        }
    }

    @Test func fifosAndDirectoriesAreNotReadAsFiles() throws {
        mkfifo(root + "/etc/fifo", 0o644)
        let fs = RootedFileSystem(root: root)
        do { _ = try fs.readText("/etc/fifo"); Issue.record("read a FIFO") } catch { #expect(error.code == .notRegularFile) }
        do { _ = try fs.readText("/etc/sub"); Issue.record("read a directory") } catch { #expect(error.code == .notRegularFile || error.code == .unreadable) }
    }

    @Test func readsAreBounded() throws {
        write("/etc/big", String(repeating: "x", count: 200_000))
        let fs = RootedFileSystem(root: root)
        do { _ = try fs.readFile("/etc/big", limit: 100_000); Issue.record("limit ignored") } catch { #expect(error.code == .tooLarge) }
        #expect(try fs.readFile("/etc/big", limit: 200_000).count == 200_000)
    }

    @Test func missingFilesAreNotFound() {
        let fs = RootedFileSystem(root: root)
        do { _ = try fs.readText("/nope/x"); Issue.record("read a missing file") } catch { #expect(error.code == .notFound) }
        #expect(!fs.exists("/nope"))
    }

    @Test(.enabled(if: getuid() != 0, "root reads files whatever their mode"))
    func unreadableFilesSayPermissionDenied() throws {
        write("/etc/secret", "x")
        chmod(root + "/etc/secret", 0)
        do { _ = try RootedFileSystem(root: root).readText("/etc/secret"); Issue.record("read a 000 file") } catch {
            #expect(error.code == .unreadable)
        }
    }

    @Test func listsDirectoriesSorted() throws {
        write("/etc/sub/b", "")
        write("/etc/sub/a", "")
        #expect(try RootedFileSystem(root: root).listDirectory("/etc/sub") == ["a", "b"])
    }

    @Test func readsTheRealProcThroughTheDefaultRoot() throws {
        // Oracle: Foundation's own read of the same pseudo-file.
        let expected = try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)
        #expect(try RootedFileSystem().readText("/proc/sys/kernel/osrelease") == expected)
        #expect(try RootedFileSystem().readLink("/proc/self").allSatisfy(\.isNumber))
    }
}

@Suite("Configuration")
struct ConfigurationTests {
    @Test func emptyAndMissingFilesGiveDefaults() throws {
        #expect(try HyperwardConfiguration.parse("", file: "c.yaml") == HyperwardConfiguration())
        let missing = try HyperwardConfiguration.load(path: "/nonexistent/hyperward.yaml", isExplicit: false)
        #expect(missing.stateDirectory == "/var/lib/hyperward")
        #expect(throws: HyperwardError.self) { try HyperwardConfiguration.load(path: "/nonexistent/hyperward.yaml", isExplicit: true) }
    }

    @Test func parsesEverySetting() throws {
        let c = try HyperwardConfiguration.parse("""
            state_directory: /srv/hw
            log_level: debug
            audit:
              interval_seconds: 600
              feeds: [/var/lib/feeds/debian.json, /var/lib/feeds/osv]
              skip: [ksm.run]
              waivers: /etc/hyperward/waivers.yaml
              all_packages: true
            """, file: "c.yaml")
        #expect(c.stateDirectory == "/srv/hw")
        #expect(c.logLevel == "debug")
        #expect(c.audit.intervalSeconds == 600)
        #expect(c.audit.feeds.count == 2)
        #expect(c.audit.skip == ["ksm.run"])
        #expect(c.audit.waivers == "/etc/hyperward/waivers.yaml")
        #expect(c.audit.allPackages)
    }

    @Test func unknownKeysAndBadValuesNameFileLineAndColumn() {
        let cases: [(String, String)] = [
            ("audit:\n  intervall_seconds: 5\n", "c.yaml:2:3"),
            ("log_level: loud\n", "c.yaml:1:12"),
            ("audit:\n  interval_seconds: -1\n", "c.yaml:2:21"),
            ("state_directory: relative/path\n", "c.yaml:1:18"),
            ("- a\n- b\n", "c.yaml:1:1"),
            ("audit: [\n", "c.yaml"),
        ]
        for (text, location) in cases {
            do {
                _ = try HyperwardConfiguration.parse(text, file: "c.yaml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.code == .configuration)
                #expect(error.description.hasPrefix(location), "\(error.description)")
            }
        }
    }
}
