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
import HyperwardCore
import HyperwardHost
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The libvirt QEMU hook: the script (run by a real `/bin/sh` against a stand-in binary that
/// prints its arguments, so quoting is proven by the shell, not by reading the text), installing
/// and removing it in a scratch hook directory, and libvirt's invocation.
@Suite("libvirt hook")
final class LibvirtHookTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.path + "/hw-hook-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    @discardableResult
    func write(_ path: String, _ text: String, mode: mode_t = 0o644) -> String {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        chmod(path, mode)
        return path
    }

    func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    /// A stand-in for `hyperward` that prints each argument on its own line between brackets,
    /// and the domain XML it got on standard input after `stdin:`.
    func fakeBinary(at path: String) -> String {
        write(path, "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\nprintf 'stdin:%s\\n' \"$(cat)\"\n", mode: 0o755)
    }

    /// Runs `script` with `/bin/sh` as libvirt runs the hook, returning what the stand-in printed.
    func runScript(_ script: String, arguments: [String], input: String = "<domain/>") -> HostCommand.Result {
        let path = write(directory + "/run-\(UUID().uuidString).sh", script, mode: 0o755)
        return HostCommand.run(["/bin/sh", path] + arguments, input: Data(input.utf8))
    }

    @Test func theScriptPassesHostilePathsAndLibvirtsArgumentsThroughUnchanged() throws {
        // Spaces, both quotes, $, backticks, a command substitution and a glob: each must reach
        // the binary as one literal argument.
        let binary = fakeBinary(at: directory + "/bin dir/it's \"hyper\" $HOME `id` ward*")
        let configuration = directory + "/conf $(touch \(directory)/pwned)/hyper'ward'.yaml"
        let state = directory + "/state; rm -rf x; 'q'"
        let script = LibvirtHook.script(binary: binary, configuration: configuration, stateDirectory: state)
        #expect(script.hasPrefix("#!/bin/sh\n" + LibvirtHook.marker))
        let result = runScript(script, arguments: ["my vm", "prepare", "begin", "-"], input: "<domain><name>my vm</name></domain>")
        #expect(result.status == 0, "\(result.stderr)")
        let expected = ["admit", "hook", "--config", configuration, "--state-dir", state, "--", "my vm", "prepare", "begin", "-"]
        #expect(result.stdout == expected.map { "[\($0)]\n" }.joined() + "stdin:<domain><name>my vm</name></domain>\n")
        #expect(!FileManager.default.fileExists(atPath: directory + "/pwned"), "nothing in a path was executed")
    }

    @Test func theScriptWithoutConfigurationOrStateRunsTheHookAlone() throws {
        let binary = fakeBinary(at: directory + "/hyperward")
        let script = LibvirtHook.script(binary: binary, configuration: nil, stateDirectory: nil)
        let result = runScript(script, arguments: ["vm1", "started", "begin", "-"])
        #expect(result.stdout.hasPrefix("[admit]\n[hook]\n[--]\n[vm1]\n[started]\n[begin]\n[-]\n"), "\(result.stdout)")
    }

    @Test func theScriptFailsClosedWhenTheBinaryIsMissing() throws {
        let script = LibvirtHook.script(binary: directory + "/no such hyperward", configuration: nil, stateDirectory: nil)
        let result = runScript(script, arguments: ["vm1", "prepare", "begin", "-"])
        #expect(result.status != 0, "a missing hyperward refuses the start")
    }

    @Test func theScriptPassesTheBinarysRefusalOn() throws {
        let binary = write(directory + "/refuser", "#!/bin/sh\necho 'not admitted' >&2\nexit 1\n", mode: 0o755)
        let result = runScript(LibvirtHook.script(binary: binary, configuration: nil, stateDirectory: nil), arguments: ["vm1", "prepare", "begin", "-"])
        #expect(result.status == 1 && result.stderr.contains("not admitted"))
    }

    @Test func installWritesAnExecutableHookAndCreatesTheDirectory() throws {
        let hooks = directory + "/hooks"
        let script = LibvirtHook.script(binary: "/usr/bin/hyperward", configuration: nil, stateDirectory: nil)
        let installed = try LibvirtHook.install(script: script, directory: hooks, replaceForeign: false)
        #expect(installed.path == hooks + "/qemu" && installed.movedAside == nil)
        #expect(read(installed.path) == script)
        var st = stat()
        #expect(stat(installed.path, &st) == 0)
        #expect(st.st_mode & 0o7777 == 0o755 && (st.st_mode & S_IFMT) == S_IFREG)
        #expect(LibvirtHook.isOurs(installed.path))
    }

    @Test func ourHookIsReplaced() throws {
        let hooks = directory + "/hooks"
        _ = try LibvirtHook.install(script: LibvirtHook.script(binary: "/old/hyperward", configuration: nil, stateDirectory: nil),
                                    directory: hooks, replaceForeign: false)
        let newer = LibvirtHook.script(binary: "/new/hyperward", configuration: "/etc/hw.yaml", stateDirectory: nil)
        let installed = try LibvirtHook.install(script: newer, directory: hooks, replaceForeign: false)
        #expect(read(installed.path) == newer && installed.movedAside == nil)
        #expect(!FileManager.default.fileExists(atPath: hooks + "/qemu.before-hyperward"))
    }

    @Test func aForeignHookIsRefusedUnlessReplaced() throws {
        let hooks = directory + "/hooks"
        let foreign = "#!/bin/sh\n# another program's hook\nexit 0\n"
        write(hooks + "/qemu", foreign, mode: 0o755)
        let script = LibvirtHook.script(binary: "/usr/bin/hyperward", configuration: nil, stateDirectory: nil)
        #expect(!LibvirtHook.isOurs(hooks + "/qemu"))
        do {
            _ = try LibvirtHook.install(script: script, directory: hooks, replaceForeign: false)
            Issue.record("a foreign hook was replaced")
        } catch {
            #expect(error.code == .cannotCreate && error.message.contains("--replace"), "\(error)")
        }
        #expect(read(hooks + "/qemu") == foreign, "the foreign hook is untouched")

        let installed = try LibvirtHook.install(script: script, directory: hooks, replaceForeign: true)
        #expect(installed.movedAside == hooks + "/qemu.before-hyperward")
        #expect(read(hooks + "/qemu.before-hyperward") == foreign)
        #expect(read(hooks + "/qemu") == script)
    }

    @Test func replacingNeverOverwritesAnEarlierMovedAsideHook() throws {
        let hooks = directory + "/hooks"
        write(hooks + "/qemu.before-hyperward", "#!/bin/sh\n# the first one\n", mode: 0o755)
        write(hooks + "/qemu", "#!/bin/sh\n# the second one\n", mode: 0o755)
        let script = LibvirtHook.script(binary: "/usr/bin/hyperward", configuration: nil, stateDirectory: nil)
        do {
            _ = try LibvirtHook.install(script: script, directory: hooks, replaceForeign: true)
            Issue.record("installed over a foreign hook while one was already moved aside")
        } catch {
            #expect(error.code == .cannotCreate && error.message.contains("qemu.before-hyperward"), "\(error)")
        }
        #expect(read(hooks + "/qemu.before-hyperward") == "#!/bin/sh\n# the first one\n")
        #expect(read(hooks + "/qemu") == "#!/bin/sh\n# the second one\n")
    }

    @Test func aForeignSymlinkIsNotFollowedOrReplaced() throws {
        let hooks = directory + "/hooks"
        let target = write(directory + "/elsewhere", "#!/bin/sh\nexit 0\n", mode: 0o755)
        try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
        #expect(symlink(target, hooks + "/qemu") == 0)
        let script = LibvirtHook.script(binary: "/usr/bin/hyperward", configuration: nil, stateDirectory: nil)
        #expect(throws: HyperwardError.self) { try LibvirtHook.install(script: script, directory: hooks, replaceForeign: false) }
        #expect(read(target) == "#!/bin/sh\nexit 0\n")
    }

    @Test func uninstallRemovesOnlyOurHook() throws {
        let hooks = directory + "/hooks"
        #expect(try LibvirtHook.uninstall(directory: hooks) == false, "no hook: nothing removed")
        let foreign = "#!/bin/sh\nexit 0\n"
        write(hooks + "/qemu", foreign, mode: 0o755)
        do {
            _ = try LibvirtHook.uninstall(directory: hooks)
            Issue.record("a foreign hook was removed")
        } catch {
            #expect(error.code == .refused, "\(error)")
        }
        #expect(read(hooks + "/qemu") == foreign)

        #expect(unlink(hooks + "/qemu") == 0)
        _ = try LibvirtHook.install(script: LibvirtHook.script(binary: "/usr/bin/hyperward", configuration: nil, stateDirectory: nil),
                                    directory: hooks, replaceForeign: false)
        #expect(try LibvirtHook.uninstall(directory: hooks) == true)
        #expect(!FileManager.default.fileExists(atPath: hooks + "/qemu"))
    }

    @Test(arguments: [[], ["vm1"], ["", "prepare", "begin", "-"], [""]])
    func anInvocationWithoutADomainAndOperationIsAUsageError(argv: [String]) throws {
        #expect(throws: HyperwardError.self) { try LibvirtHook.Invocation(arguments: argv) }
        do { _ = try LibvirtHook.Invocation(arguments: argv) } catch { #expect(error.code == .usage) }
    }

    @Test func anInvocationReadsLibvirtsFourArguments() throws {
        let full = try LibvirtHook.Invocation(arguments: ["vm 1", "prepare", "begin", "-"])
        #expect(full.domain == "vm 1" && full.operation == "prepare" && full.subOperation == "begin" && full.extra == "-")
        #expect(full.decidesStart)
        let short = try LibvirtHook.Invocation(arguments: ["vm1", "prepare"])
        #expect(short.subOperation == "-" && short.extra == "-" && !short.decidesStart)
        let migrate = try LibvirtHook.Invocation(arguments: ["vm1", "migrate", "begin", "-"])
        #expect(!migrate.decidesStart, "libvirt calls prepare begin for an incoming migration too")
    }

    @Test(arguments: [(["prepare", "begin"], true), (["prepare", "end"], false), (["start", "begin"], false),
                      (["started", "begin"], false), (["reconnect", "begin"], false), (["release", "end"], false),
                      (["Prepare", "begin"], false), (["prepare", "BEGIN"], false), (["restore", "begin"], false)])
    func onlyPrepareBeginDecidesAStart(call: [String], decides: Bool) throws {
        #expect(try LibvirtHook.Invocation(arguments: ["vm1"] + call + ["-"]).decidesStart == decides)
    }
}
