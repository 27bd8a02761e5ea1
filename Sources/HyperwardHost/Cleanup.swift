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
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What a process must undo if it is stopped half-way: temporary files it created and child
/// processes it started. On SIGTERM, SIGINT or SIGHUP (once `installSignalHandlers()` ran) the
/// children are killed and the files removed before the process ends with the signal's status.
///
/// SIGKILL cannot be caught: what must never outlive a killed process (secrets, half-written
/// outputs) is therefore kept out of named files altogether (`SafeFile`'s unnamed files,
/// `SecretMemoryFile`); the registry covers the short windows where a name is unavoidable, and
/// `sweepStale` removes such names left by processes that no longer exist.
public enum Cleanup {
    private struct State {
        var next = 0
        var paths: [Int: String] = [:]
        var children: [Int: pid_t] = [:]
        var actions: [Int: @Sendable () -> Void] = [:]
        var terminating = false
    }

    private static let state = Mutex(State())
    private static let sources = Mutex<[any DispatchSourceSignal]>([])

    /// Registers `path` for removal if the process is stopped; returns a token for `untrack`.
    public static func track(path: String) -> Int {
        state.withLock { s in
            s.next += 1
            s.paths[s.next] = path
            return s.next
        }
    }

    /// Registers a child process to be killed if this process is stopped.
    public static func track(child pid: pid_t) -> Int {
        state.withLock { s in
            s.next += 1
            s.children[s.next] = pid
            return s.next
        }
    }

    /// Registers an undo step (removing something made outside the file system, such as a
    /// libvirt secret) to run if the process is stopped.
    public static func track(action: @escaping @Sendable () -> Void) -> Int {
        state.withLock { s in
            s.next += 1
            s.actions[s.next] = action
            return s.next
        }
    }

    /// Forgets a registration.
    public static func untrack(_ token: Int) {
        state.withLock { s in
            s.paths[token] = nil
            s.children[token] = nil
            s.actions[token] = nil
        }
    }

    /// Runs `body` (typically the rename that turns a temporary name into the real one) and
    /// forgets `token` in one step, so a signal handler sees the path either before the rename
    /// (and removes it) or not at all.
    public static func settle<T>(_ token: Int, _ body: () throws -> T) rethrows -> T {
        try state.withLock { s in
            defer { s.paths[token] = nil }
            return try body()
        }
    }

    /// SIGPIPE ignored: a child or reader that went away is an EPIPE error to handle, not a
    /// silent death of the whole process.
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Stops the process cleanly on SIGTERM, SIGINT and SIGHUP: kills registered children,
    /// removes registered files, says so on standard error, then ends with the signal's status
    /// (128 + signal). Long-running services install their own handling instead.
    public static func installSignalHandlers(_ signals: [Int32] = [SIGTERM, SIGINT, SIGHUP]) {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { terminate(on: number) }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Kills the children, removes the files, and ends the process with `number`'s status.
    static func terminate(on number: Int32) -> Never {
        let (paths, children, actions) = state.withLock { s -> ([String], [pid_t], [@Sendable () -> Void]) in
            s.terminating = true
            let taken = (Array(s.paths.values), Array(s.children.values), s.actions.sorted { $0.key > $1.key }.map(\.value))
            s.paths = [:]
            s.children = [:]
            s.actions = [:]
            return taken
        }
        for pid in children { kill(pid, SIGKILL) }
        for path in paths { unlink(path) }
        for action in actions { action() }
        let name = number == SIGTERM ? "SIGTERM" : number == SIGINT ? "SIGINT" : number == SIGHUP ? "SIGHUP" : "signal \(number)"
        let removed = paths.isEmpty ? "" : "; removed \(paths.count) temporary file(s)"
        let message = "hyperward: stopped by \(name)\(removed)\n"
        _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        signal(number, SIG_DFL)
        kill(getpid(), number)
        // The signal may be blocked in every thread that could take it: end with its status anyway.
        usleep(500_000)
        _exit(128 + number)
    }

    /// Removes entries of `directory` named `prefix` + PID + anything whose process no longer
    /// exists (temporaries of a killed run). Returns the names removed.
    @discardableResult
    public static func sweepStale(in directory: String, prefix: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix) {
            let digits = name.dropFirst(prefix.count).prefix { $0.isNumber }
            guard let pid = pid_t(digits), pid > 0, pid != getpid(), !processExists(pid) else { continue }
            if unlink(directory + "/" + name) == 0 { removed.append(name) }
        }
        return removed
    }

    /// Whether a process with this id exists (EPERM: it exists, owned by someone else).
    public static func processExists(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
