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

import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a host command to completion: no shell, output read to the end on both pipes and bounded,
/// input written from another thread (a child that exits without reading it is no crash), the
/// child registered with `Cleanup` so a stopped command takes its children with it, and an
/// optional time limit after which the child is killed.
///
/// This and `HostChild` (a long-running child) are the only places Hyperward starts a process;
/// `startDaemon` starts one that puts itself in the background.
public enum HostCommand {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// The time limit ended the child.
        public var timedOut: Bool

        public init(status: Int32, stdout: String, stderr: String, timedOut: Bool = false) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
            self.timedOut = timedOut
        }

        /// Standard error, or standard output when the child said nothing there, trimmed: what
        /// a failing command said, for an error message.
        public var message: String {
            let text = stderr.isEmpty ? stdout : stderr
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Runs `argv` (argv[0] an absolute path, or a name found on `searchPath`).
    /// - Parameters:
    ///   - input: written to the child's standard input (otherwise it reads /dev/null).
    ///   - environment: added to (and overriding) this process's environment.
    ///   - directory: the child's working directory.
    ///   - timeout: the child is killed (SIGKILL) when it runs longer; `timedOut` says so.
    ///   - outputLimit: at most this many bytes of each stream are kept (the rest is drained).
    public static func run(
        _ argv: [String], input: Data? = nil, environment: [String: String] = [:], directory: String? = nil,
        timeout: Duration? = nil, outputLimit: Int = 1 << 20
    ) -> Result {
        guard let executable = argv.first.flatMap(resolve) else {
            return Result(status: 127, stdout: "", stderr: "cannot run \(argv.first ?? "an empty command"): not found")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inp
        do { try process.run() } catch {
            return Result(status: 127, stdout: "", stderr: "cannot run \(executable): \(error.localizedDescription)")
        }
        let token = Cleanup.track(child: process.processIdentifier)
        defer { Cleanup.untrack(token) }
        if let input {
            // From another thread, so a large input cannot deadlock against a full output pipe.
            // A child that exits without reading its input makes the write fail: its exit
            // status tells what went wrong, the unwritten rest does not matter.
            writeInBackground(input, to: inp.fileHandleForWriting)
        }
        let timedOut = Flag()
        var timer: (any DispatchSourceTimer)?
        if let timeout {
            let source = DispatchSource.makeTimerSource(queue: .global())
            let pid = process.processIdentifier
            source.schedule(deadline: .now() + .milliseconds(Int(timeout / .milliseconds(1))))
            source.setEventHandler {
                timedOut.set()
                kill(pid, SIGKILL)
            }
            source.resume()
            timer = source
        }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread {
            errBox.data = readBounded(err.fileHandleForReading, limit: outputLimit)
            group.leave()
        }
        let outData = readBounded(out.fileHandleForReading, limit: outputLimit)
        group.wait()
        process.waitUntilExit()
        timer?.cancel()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Result(status: status, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errBox.data, as: UTF8.self), timedOut: timedOut.isSet)
    }

    /// Runs `argv` with `input` text on its standard input.
    public static func run(_ argv: [String], input: String, timeout: Duration? = nil) -> Result {
        run(argv, input: Data(input.utf8), timeout: timeout)
    }

    /// Runs a program that puts itself in the background (`virtlogd -d`, `libvirtd -d`) and waits
    /// for its foreground part only. Standard input, output and error are `/dev/null`, no other
    /// descriptor of this process is passed on, and the child starts with no signal blocked and
    /// every signal's default action, as a service manager would start it.
    ///
    /// Not `run` and not `HostChild`: `run` reads its pipes to their end, and `Foundation.Process`
    /// learns of an exit through a socket its child inherits; a daemon keeps both open, so either
    /// would wait for as long as the daemon lives. Here the exit is learnt from `waitpid`.
    /// - Returns: the foreground part's exit status (128 + the signal's number when a signal ended
    ///   it), or 127 when the program could not be started.
    @discardableResult
    public static func startDaemon(_ argv: [String]) -> Int32 {
        guard let executable = argv.first.flatMap(resolve) else { return 127 }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        // What glibc's posix_spawn_file_actions_addclosefrom_np does (not imported into Swift):
        // every other descriptor open now is closed in the child.
        for fd in openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let arguments: [UnsafeMutablePointer<CChar>?] = ([executable] + argv.dropFirst()).map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, &actions, &attributes, arguments, environ) == 0 else { return 127 }
        let token = Cleanup.track(child: pid)
        defer { Cleanup.untrack(token) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return 127 }
        }
        // WIFSIGNALED / WTERMSIG / WEXITSTATUS are macros Swift does not import.
        let signal = status & 0x7f
        return signal != 0 && signal != 0x7f ? 128 + signal : (status >> 8) & 0xff
    }

    /// The descriptors this process has open (from /proc/self/fd).
    private static func openDescriptors() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { Int32($0) }
    }

    /// Writes `data` to a child's input pipe and closes it, on a thread of its own.
    ///
    /// That thread blocks SIGPIPE: a child that exits without reading makes the write fail with
    /// EPIPE instead of killing this whole process (a test runner, or any caller that did not
    /// ignore SIGPIPE). The signal a failed write raises is directed at the writing thread, so
    /// blocked there it stays pending there, and is taken before the thread ends.
    static func writeInBackground(_ data: Data, to handle: FileHandle) {
        Thread.detachNewThread {
            var brokenPipe = sigset_t()
            sigemptyset(&brokenPipe)
            sigaddset(&brokenPipe, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &brokenPipe, nil)
            try? handle.write(contentsOf: data)
            try? handle.close()
            var now = timespec(tv_sec: 0, tv_nsec: 0)
            while sigtimedwait(&brokenPipe, nil, &now) == SIGPIPE {}
        }
    }

    /// Reads to end of file, keeping the first `limit` bytes (the rest is drained, not kept, so
    /// the child never blocks on a full pipe).
    static func readBounded(_ handle: FileHandle, limit: Int) -> Data {
        var kept = Data()
        while let chunk = try? handle.read(upToCount: 65536), !chunk.isEmpty {
            if kept.count < limit { kept.append(chunk.prefix(limit - kept.count)) }
        }
        return kept
    }

    /// The directories searched for commands given by name: the caller's PATH plus the sbin
    /// directories, which a non-login root shell (or a service's minimal environment) may lack.
    public static let searchPath: [String] = {
        var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for dir in ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] where !dirs.contains(dir) {
            dirs.append(dir)
        }
        return dirs.filter { $0.hasPrefix("/") }
    }()

    /// The absolute path of the executable `name` (itself when it holds a slash and is
    /// executable), or nil.
    public static func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
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

    /// An absolute path is used as it is (a missing one fails at start with its own message).
    static func resolve(_ command: String) -> String? {
        command.hasPrefix("/") ? command : which(command)
    }

    private final class Box: @unchecked Sendable { var data = Data() }

    private final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }
}
