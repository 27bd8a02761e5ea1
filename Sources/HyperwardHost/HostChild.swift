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
///
/// `Foundation.Process` learns of the exit when the last copy of a socket the child inherits is
/// closed, and the child's own descendants inherit it too: while a descendant that outlived the
/// child runs (a shell's background job), `isRunning`, `status` and `wait` still see the child
/// running. `stop()` and `kill()` end the whole group, so they never wait for long. The child
/// also inherits the signal mask of the thread that starts it: from a thread that blocks
/// SIGTERM (a Dispatch worker does) only SIGKILL is sure to end it.
public final class HostChild: @unchecked Sendable {
    /// How a child ended: the status it exited with, or the signal that killed it.
    ///
    /// Kept apart (not folded into one number as `status` is) because a program may end
    /// itself with `128 + signal` after cleaning up: only this tells an exit from a kill.
    public enum Termination: Sendable, Hashable, CustomStringConvertible {
        /// The child called `exit` with this status.
        case exited(Int32)
        /// An uncaught signal with this number ended the child.
        case signaled(Int32)

        /// The status a shell would report: the exit status, or 128 + the signal's number.
        public var status: Int32 {
            switch self {
            case .exited(let status): status
            case .signaled(let signal): 128 + signal
            }
        }

        /// Whether the child exited (by itself, with any status) rather than being killed.
        public var isExit: Bool {
            if case .exited = self { return true }
            return false
        }

        public var description: String {
            switch self {
            case .exited(let status): "exited with \(status)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// `/dev/null`: given as `stdout` or `stderr`, the output is discarded.
    public static let nullDevice = URL(fileURLWithPath: "/dev/null")

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
    /// standard output and error sent to the given files (created 0600, truncated; the same URL
    /// for both sends them to one file, in the order they are written, as `2>&1` does;
    /// `nullDevice` discards) and standard input read from `stdinURL`, from `input`, or from
    /// `/dev/null`. `environment` is added to this process's (with the search path as PATH);
    /// `directory` is the working directory. The child is registered with `Cleanup`, so a
    /// stopped Hyperward command takes it along.
    /// - Parameter input: written to the child's standard input through a pipe from another
    ///   thread, which then closes it (the child reads end-of-file after it). A child that exits
    ///   without reading it makes the write fail quietly. Not together with `stdinURL`.
    /// - Throws: `HyperwardError` (`.commandFailed`) when the command is not found, a file cannot
    ///   be opened, or the child cannot be started.
    public init(_ argv: [String], stdout: URL, stderr: URL, stdin stdinURL: URL? = nil, input: Data? = nil,
                environment: [String: String] = [:], directory: String? = nil) throws(HyperwardError) {
        guard let command = argv.first else { throw HyperwardError(.commandFailed, "empty command line") }
        guard let executable = HostCommand.resolve(command) else { throw HyperwardError(.commandFailed, "cannot run \(command): not found") }
        guard stdinURL == nil || input == nil else {
            throw HyperwardError(.commandFailed, "standard input comes from a file or from data, not both")
        }
        // One descriptor (one file offset) for both streams when they share a file: two
        // descriptors would each write from offset 0 over the other's output.
        let sharedOutput = stdout.standardizedFileURL.path == stderr.standardizedFileURL.path
        let outFD = open(stdout.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        let errFD = sharedOutput ? outFD : open(stderr.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        // With `input` the child reads a pipe made below instead.
        let inFD = input == nil ? open(stdinURL?.path ?? "/dev/null", O_RDONLY | O_CLOEXEC) : nil
        let opened = Set([outFD, errFD] + (inFD.map { [$0] } ?? []))
        defer { for fd in opened where fd >= 0 { close(fd) } }
        guard !opened.contains(where: { $0 < 0 }) else {
            throw HyperwardError(.commandFailed, "cannot open the output files \(stdout.path), \(stderr.path)")
        }
        let out = FileHandle(fileDescriptor: outFD, closeOnDealloc: false)
        let err = FileHandle(fileDescriptor: errFD, closeOnDealloc: false)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        process.standardOutput = out
        process.standardError = err
        let inputPipe = input == nil ? nil : Pipe()
        if let inFD {
            process.standardInput = FileHandle(fileDescriptor: inFD, closeOnDealloc: false)
        } else {
            process.standardInput = inputPipe
        }
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
            box.set(HostChild.termination(of: finished))
        }
        do {
            try process.run()
        } catch {
            if let inputPipe { try? inputPipe.fileHandleForWriting.close() }
            throw HyperwardError(.commandFailed, "cannot start \(argv.joined(separator: " ")): \(error)")
        }
        self.pid = process.processIdentifier
        cleanupToken = Cleanup.track(child: -process.processIdentifier)
        if let inputPipe, let input {
            // From another thread, so input larger than the pipe cannot block the caller. A
            // child that exits without reading makes the write fail: its status tells the rest.
            HostCommand.writeInBackground(input, to: inputPipe.fileHandleForWriting)
        }
    }

    deinit { Cleanup.untrack(cleanupToken) }

    /// Whether the child has not exited yet.
    public var isRunning: Bool { statusBox.get() == nil }

    /// The exit status once the child exited (128 + the signal's number when a signal ended it).
    public var status: Int32? { statusBox.get()?.status }

    /// How the child ended, once it did.
    public var termination: Termination? { statusBox.get() }

    /// Waits for the child to exit; returns its status, or nil when `timeout` passed first.
    @discardableResult
    public func wait(timeout: Duration) -> Int32? {
        statusBox.wait(until: Date().addingTimeInterval(Double(timeout / .milliseconds(1)) / 1000))?.status
    }

    /// Waits for the child to exit, however long that takes; returns its status (128 + the
    /// signal's number when a signal ended it).
    @discardableResult
    public func wait() -> Int32 {
        statusBox.wait().status
    }

    /// Sends `signal` to the child alone, not to the rest of its group: what `kill PID` does.
    /// A child that already exited is left alone.
    public func signal(_ signal: Int32) {
        // Not after the exit was recorded: the pid may be reused by then. (Between the exit and
        // its being reaped the pid still names the zombie, where a signal does nothing.)
        guard isRunning else { return }
        _ = Glibc.kill(pid, signal)
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

    private static func termination(of process: Process) -> Termination {
        switch process.terminationReason {
        case .exit: .exited(process.terminationStatus)
        case .uncaughtSignal: .signaled(process.terminationStatus)
        @unknown default: .exited(process.terminationStatus)
        }
    }
}

/// How a child ended, set once from Foundation's termination thread and awaited elsewhere.
private final class StatusBox: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: HostChild.Termination?

    func set(_ status: HostChild.Termination) {
        condition.lock()
        value = status
        condition.broadcast()
        condition.unlock()
    }

    func get() -> HostChild.Termination? {
        condition.lock()
        defer { condition.unlock() }
        return value
    }

    func wait() -> HostChild.Termination {
        condition.lock()
        defer { condition.unlock() }
        // Not `wait(until: .distantFuture)`: Foundation traps converting that date to a timespec.
        while true {
            if let value { return value }
            condition.wait()
        }
    }

    func wait(until deadline: Date) -> HostChild.Termination? {
        condition.lock()
        defer { condition.unlock() }
        while value == nil {
            if !condition.wait(until: deadline) { break }
        }
        return value
    }
}

