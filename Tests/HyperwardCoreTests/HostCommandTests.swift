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
import HyperwardHost
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `HostCommand` against real programs: one-shot runs, and programs that put themselves in the
/// background (`startDaemon`), which must not be waited for past their foreground part.
@Suite("Host command")
final class HostCommandTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hw-command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Reads a pid the daemon's shell wrote, waiting up to five seconds for it.
    func daemonPID(_ name: String) -> Int32? {
        for _ in 0..<250 {
            if let text = try? String(contentsOfFile: path(name), encoding: .utf8), text.hasSuffix("\n"),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return pid
            }
            usleep(20_000)
        }
        return nil
    }

    @Test func runGivesStatusOutputAndTheKillOfATimeLimit() {
        let result = HostCommand.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 4"])
        #expect(result.status == 4 && result.stdout == "out\n" && result.stderr == "err\n" && !result.timedOut)
        let limited = HostCommand.run(["sleep", "30"], timeout: .milliseconds(100))
        #expect(limited.timedOut && limited.status == 128 + SIGKILL)
        let bounded = HostCommand.run(["/bin/sh", "-c", "head -c 100000 /dev/zero"], outputLimit: 10)
        #expect(bounded.status == 0 && bounded.stdout.utf8.count == 10)
        #expect(HostCommand.run(["hw-no-such-command"]).status == 127)
    }

    @Test func aDaemonIsWaitedForOnlyUntilItsForegroundPartExits() throws {
        // The background sleep keeps every descriptor it inherited for 30 s.
        let started = ContinuousClock.now
        let status = HostCommand.startDaemon(["/bin/sh", "-c", "sleep 30 & echo $! > \(path("pid")); exit 0"])
        #expect(status == 0)
        #expect(ContinuousClock.now - started < .seconds(20))
        let pid = try #require(daemonPID("pid"))
        defer { kill(pid, SIGKILL) }
        #expect(kill(pid, 0) == 0, "the daemon outlives the call")
    }

    @Test func aDaemonInheritsNoDescriptorAndNoBlockedSignal() throws {
        // A pipe whose write end this process leaves open across the spawn (no close-on-exec).
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let status = HostCommand.startDaemon(["/bin/sh", "-c", "sleep 30 & echo $! > \(path("pid"))"])
        close(fds[1])
        #expect(status == 0)
        let pid = try #require(daemonPID("pid"))
        defer { kill(pid, SIGKILL) }
        // With no writer left the read end is at end of file; a leaked one would make it wait.
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        var byte: UInt8 = 0
        #expect(read(fds[0], &byte, 1) == 0, "the daemon holds no copy of the pipe's write end")
        // sed, not a shell: dash sets its own mask (and blocks everything while it forks).
        #expect(HostCommand.startDaemon(["sed", "-n", "/^SigBlk/w \(path("signals"))", "/proc/self/status"]) == 0)
        let signals = try String(contentsOfFile: path("signals"), encoding: .utf8)
        #expect(signals.trimmingCharacters(in: .whitespacesAndNewlines) == "SigBlk:\t0000000000000000", "\(signals)")
    }

    @Test func aDaemonsForegroundStatusIsReported() {
        #expect(HostCommand.startDaemon(["/bin/sh", "-c", "exit 5"]) == 5)
        #expect(HostCommand.startDaemon(["/bin/sh", "-c", "kill -KILL $$"]) == 128 + SIGKILL)
        #expect(HostCommand.startDaemon(["hw-no-such-daemon"]) == 127)
        #expect(HostCommand.startDaemon([]) == 127)
    }
}
