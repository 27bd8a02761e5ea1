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

/// `HostChild` against real children (`sh`, `sleep`, `cat`): how they ended, signals to the child
/// alone or to its group, waiting, shared output files, and input through a pipe.
@Suite("Host child process")
final class HostChildTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hw-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func start(_ script: String, input: Data? = nil) throws -> HostChild {
        try HostChild(["/bin/sh", "-c", script], stdout: file("out"), stderr: file("err"), input: input)
    }

    /// Whether `pid` names a live process (not gone, not a zombie nobody reaped yet).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    /// Polls for up to five seconds.
    static func eventually(_ condition: () -> Bool) -> Bool {
        for _ in 0..<250 where !condition() { usleep(20_000) }
        return condition()
    }

    @Test func anExitIsToldApartFromAKillWithTheSameShellStatus() throws {
        let exited = try start("exit 137")
        #expect(exited.wait() == 137)
        #expect(exited.termination == .exited(137) && exited.termination?.isExit == true)

        // SIGKILL: a child started from a test runner's thread may inherit SIGTERM blocked.
        let killed = try start("exec sleep 30")
        #expect(killed.isRunning && killed.termination == nil && killed.status == nil)
        killed.signal(SIGKILL)
        #expect(killed.wait() == 137)
        #expect(killed.termination == .signaled(SIGKILL) && killed.termination?.isExit == false)
        #expect(killed.status == 137 && !killed.isRunning)
        #expect(killed.termination?.description == "killed by signal \(SIGKILL)")
    }

    @Test func waitingWithATimeoutGivesUpAndWaitingWithoutOneDoesNot() throws {
        let child = try start("sleep 0.5; exit 7")
        #expect(child.wait(timeout: .milliseconds(50)) == nil)
        #expect(child.isRunning)
        #expect(child.wait() == 7)
        #expect(child.wait(timeout: .zero) == 7, "a child that exited answers at once")
    }

    @Test func aSignalToTheChildSparesTheRestOfItsGroupAndAGroupSignalDoesNot() throws {
        // The shell's background sleep is in the shell's process group.
        let child = try start("sleep 30 & echo $!; wait")
        #expect(Self.eventually { !child.readStdout().isEmpty })
        let sleeper = try #require(Int32(child.readStdout().trimmingCharacters(in: .whitespacesAndNewlines)))
        child.signal(SIGKILL)
        // Polled, not `wait()`: the sleep holds what tells Foundation of the shell's exit.
        #expect(Self.eventually { !Self.isAlive(child.pid) })
        #expect(Self.isAlive(sleeper), "the leader alone was signalled")
        child.signalGroup(SIGKILL)
        #expect(child.wait(timeout: .seconds(10)) == 128 + SIGKILL)
        #expect(Self.eventually { !Self.isAlive(sleeper) }, "the group signal reached the rest")
    }

    @Test func aSignalToAnExitedChildIsNothing() throws {
        let child = try start("exit 0")
        #expect(child.wait() == 0)
        child.signal(SIGKILL)
        #expect(child.termination == .exited(0))
    }

    @Test func oneFileForBothStreamsKeepsTheirOrder() throws {
        let log = file("log")
        let child = try HostChild(["/bin/sh", "-c", "echo one; echo two >&2; echo three; echo four >&2"], stdout: log, stderr: log)
        #expect(child.wait() == 0)
        #expect(child.readStdout() == "one\ntwo\nthree\nfour\n")
        #expect(child.readStderr() == child.readStdout())
    }

    @Test func theNullDeviceDiscardsOutput() throws {
        let child = try HostChild(["/bin/sh", "-c", "echo gone; echo gone >&2"], stdout: HostChild.nullDevice, stderr: HostChild.nullDevice)
        #expect(child.wait() == 0)
        #expect(FileManager.default.fileExists(atPath: "/dev/null"))
        #expect(child.readStdout().isEmpty)
    }

    @Test func inputReachesTheChildAndEndsWithEndOfFile() throws {
        let small = try HostChild(["cat"], stdout: file("small"), stderr: file("err"), input: Data("hello\n".utf8))
        #expect(small.wait() == 0)
        #expect(small.readStdout() == "hello\n")
        // Far more than a pipe holds: written from another thread while the child reads.
        let large = try start("wc -c", input: Data(count: 4 << 20))
        #expect(large.wait() == 0)
        #expect(large.readStdout().trimmingCharacters(in: .whitespaces) == "\(4 << 20)\n")
    }

    @Test func inputAChildNeverReadsIsNoCrash() throws {
        let child = try start("exit 3", input: Data(count: 4 << 20))
        #expect(child.wait() == 3)
    }

    @Test func inputFromAFileAndFromDataTogetherIsRefused() throws {
        let source = file("in")
        try Data("x".utf8).write(to: source)
        #expect(throws: HyperwardError.self) {
            _ = try HostChild(["cat"], stdout: file("out"), stderr: file("err"), stdin: source, input: Data("y".utf8))
        }
    }

    @Test func aMissingCommandIsAnErrorNamingIt() throws {
        #expect {
            _ = try HostChild(["hw-no-such-command"], stdout: file("out"), stderr: file("err"))
        } throws: { error in
            "\(error)".contains("hw-no-such-command")
        }
    }
}
