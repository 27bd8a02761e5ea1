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
#endif

/// A long-running child process, in its own process group, with its output going to files.
///
/// Output goes to files, never pipes: a child that forks a daemon would keep a pipe's write end
/// open and a reader waiting for end-of-file would hang. `Foundation.Process` puts every child in a
/// process group of its own (its pid is the group id), so killing `-pid` also reaches anything it
/// forked (socat's per-connection children, a shell's background jobs).
public final class HostChild: @unchecked Sendable {
    /// The child's process id, which is also its process group id.
    public let pid: Int32
    /// Where the child's standard output goes.
    public let stdoutURL: URL
    /// Where the child's standard error goes.
    public let stderrURL: URL

    private let process: Process
    private let statusBox: StatusBox
    private var cleanupToken = 0

    /// Starts `argv` (argv[0] an absolute path, or a name found on `HostCommand.searchPath`) with
    /// standard output and error sent to the given files (created 0600, truncated) and standard
    /// input read from `stdinURL` or `/dev/null`. `environment` is added to this process's (with
    /// the search path as PATH); `directory` is the working directory. The child is registered
    /// with `Cleanup`, so a stopped Hyperward command takes it along.
    public init(_ argv: [String], stdout: URL, stderr: URL, stdin stdinURL: URL? = nil,
                environment: [String: String] = [:], directory: String? = nil) throws(HyperwardError) {
        guard let command = argv.first else { throw HyperwardError(.commandFailed, "empty command line") }
        guard let executable = HostCommand.resolve(command) else { throw HyperwardError(.commandFailed, "cannot run \(command): not found") }
        let outFD = open(stdout.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        let errFD = open(stderr.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        let inFD = open(stdinURL?.path ?? "/dev/null", O_RDONLY | O_CLOEXEC)
        guard outFD >= 0, errFD >= 0, inFD >= 0 else {
            for fd in [outFD, errFD, inFD] where fd >= 0 { close(fd) }
            throw HyperwardError(.commandFailed, "cannot open the output files \(stdout.path), \(stderr.path)")
        }
        let out = FileHandle(fileDescriptor: outFD, closeOnDealloc: false)
        let err = FileHandle(fileDescriptor: errFD, closeOnDealloc: false)
        let input = FileHandle(fileDescriptor: inFD, closeOnDealloc: false)
        defer {
            close(outFD)
            close(errFD)
            close(inFD)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        var inherited = ProcessInfo.processInfo.environment
        inherited["PATH"] = HostCommand.searchPath.joined(separator: ":")
        process.environment = inherited.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        self.process = process
        self.stdoutURL = stdout
        self.stderrURL = stderr
        // The handler must not capture `self`; it only records the status.
        let box = StatusBox()
        self.statusBox = box
        process.terminationHandler = { finished in
            box.set(HostChild.status(of: finished))
        }
        do {
            try process.run()
        } catch {
            throw HyperwardError(.commandFailed, "cannot start \(argv.joined(separator: " ")): \(error)")
        }
        self.pid = process.processIdentifier
        cleanupToken = Cleanup.track(child: -process.processIdentifier)
    }

    deinit { Cleanup.untrack(cleanupToken) }

    /// Whether the child has not exited yet.
    public var isRunning: Bool { statusBox.get() == nil }

    /// The exit status once the child exited.
    public var status: Int32? { statusBox.get() }

    /// Waits for the child to exit; returns its status, or nil when `timeout` passed first.
    @discardableResult
    public func wait(timeout: Duration) -> Int32? {
        statusBox.wait(until: Date().addingTimeInterval(Double(timeout / .milliseconds(1)) / 1000))
    }

    /// Sends `signal` to the child's whole process group.
    public func signalGroup(_ signal: Int32) {
        // A group with no members left answers ESRCH, which is exactly "nothing to do".
        _ = Glibc.kill(-pid, signal)
    }

    /// Ends the whole process group: SIGTERM, then SIGKILL after `grace`; waits for the child.
    public func stop(grace: Duration = .milliseconds(300)) {
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
    public func kill() {
        signalGroup(SIGKILL)
        wait(timeout: .seconds(5))
    }

    /// The child's standard output so far.
    public func readStdout() -> String { HostChild.read(stdoutURL) }

    /// The child's standard error so far.
    public func readStderr() -> String { HostChild.read(stderrURL) }

    /// Reads at most 4 MiB of a file as UTF-8, replacing invalid bytes.
    public static func read(_ url: URL, limit: Int = 4 << 20) -> String {
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

