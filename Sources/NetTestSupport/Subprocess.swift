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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started by the lab, in its own process group, with its output going to files.
///
/// Output goes to files, never pipes: a child that forks a daemon would keep a pipe's write end
/// open and a reader waiting for end-of-file would hang. `Foundation.Process` puts every child in a
/// process group of its own (its pid is the group id), so killing `-pid` also reaches anything it
/// forked (socat's per-connection children, a shell's background jobs).
final class Subprocess: @unchecked Sendable {
    /// The child's process id, which is also its process group id.
    let pid: Int32
    /// Where the child's standard output goes.
    let stdoutURL: URL
    /// Where the child's standard error goes.
    let stderrURL: URL

    private let process: Process
    private let statusBox: StatusBox

    /// Starts `argv` (argv[0] an absolute path) with standard output and error sent to the given
    /// files and standard input read from `stdinURL` or `/dev/null`.
    init(_ argv: [String], stdout: URL, stderr: URL, stdin stdinURL: URL? = nil) throws {
        guard let executable = argv.first else {
            throw HyperwardError(.invalidInput, "empty command line")
        }
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        guard let out = FileHandle(forWritingAtPath: stdout.path),
              let err = FileHandle(forWritingAtPath: stderr.path),
              let input = FileHandle(forReadingAtPath: stdinURL?.path ?? "/dev/null")
        else {
            throw HyperwardError(.commandFailed, "cannot open the output files \(stdout.path), \(stderr.path)")
        }
        defer {
            try? out.close()
            try? err.close()
            try? input.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = Subprocess.searchPath.joined(separator: ":")
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        process.environment = environment
        self.process = process
        self.stdoutURL = stdout
        self.stderrURL = stderr
        // The handler must not capture `self`; it only records the status.
        let box = StatusBox()
        self.statusBox = box
        process.terminationHandler = { finished in
            box.set(Subprocess.status(of: finished))
        }
        do {
            try process.run()
        } catch {
            throw HyperwardError(.commandFailed, "cannot start \(argv.joined(separator: " ")): \(error)")
        }
        self.pid = process.processIdentifier
    }

    /// Whether the child has not exited yet.
    var isRunning: Bool { statusBox.get() == nil }

    /// The exit status once the child exited.
    var status: Int32? { statusBox.get() }

    /// Waits for the child to exit; returns its status, or nil when `timeout` passed first.
    @discardableResult
    func wait(timeout: Duration) -> Int32? {
        statusBox.wait(until: Date().addingTimeInterval(timeout.timeInterval))
    }

    /// Sends `signal` to the child's whole process group.
    func signalGroup(_ signal: Int32) {
        // A group with no members left answers ESRCH, which is exactly "nothing to do".
        _ = sendSignal(-pid, signal)
    }

    /// Ends the whole process group: SIGTERM, then SIGKILL after `grace`; waits for the child.
    func stop(grace: Duration = .milliseconds(300)) {
        if isRunning {
            signalGroup(SIGTERM)
            if wait(timeout: grace) == nil {
                signalGroup(SIGKILL)
                wait(timeout: .seconds(5))
            }
        }
        // Children that outlived the leader (a forked server) are still in the group.
        signalGroup(SIGKILL)
    }

    /// Kills the whole process group at once and waits for the child.
    func kill() {
        signalGroup(SIGKILL)
        wait(timeout: .seconds(5))
    }

    /// The child's standard output so far.
    func readStdout() -> String { Subprocess.read(stdoutURL) }

    /// The child's standard error so far.
    func readStderr() -> String { Subprocess.read(stderrURL) }

    /// Reads at most 4 MiB of a file as UTF-8, replacing invalid bytes.
    static func read(_ url: URL, limit: Int = 4 << 20) -> String {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return "" }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: limit)) ?? nil
        return String(decoding: data ?? Data(), as: UTF8.self)
    }

    private static func status(of process: Process) -> Int32 {
        switch process.terminationReason {
        case .exit: return process.terminationStatus
        case .uncaughtSignal: return 128 + process.terminationStatus
        @unknown default: return process.terminationStatus
        }
    }

    /// The directories searched for commands: the caller's PATH plus the sbin directories, which a
    /// non-login root shell may lack.
    static let searchPath: [String] = {
        var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for dir in ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] where !dirs.contains(dir) {
            dirs.append(dir)
        }
        return dirs.filter { !$0.isEmpty }
    }()

    /// The absolute path of an executable named `name`, or nil when none is on the search path.
    static func which(_ name: String) -> String? {
        if name.contains("/") {
            return FileManager.default.isExecutableFile(atPath: name) ? name : nil
        }
        for dir in searchPath {
            let candidate = dir + "/" + name
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }
}

/// A child's exit status, set once from Foundation's termination thread and awaited elsewhere.
private final class StatusBox: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Int32?

    func set(_ status: Int32) {
        condition.lock()
        value = status
        condition.broadcast()
        condition.unlock()
    }

    func get() -> Int32? {
        condition.lock()
        defer { condition.unlock() }
        return value
    }

    func wait(until deadline: Date) -> Int32? {
        condition.lock()
        defer { condition.unlock() }
        while value == nil {
            if !condition.wait(until: deadline) { break }
        }
        return value
    }
}

/// `kill(2)`, under a name that does not clash with `Subprocess.kill()`.
func sendSignal(_ pid: Int32, _ signal: Int32) -> Int32 {
    kill(pid, signal)
}

extension Duration {
    /// The duration in seconds, as Foundation's `TimeInterval`.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
func poll(timeout: Duration, interval: Duration = .milliseconds(20), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout.timeInterval)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        Thread.sleep(forTimeInterval: interval.timeInterval)
    }
}
