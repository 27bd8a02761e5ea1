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

/// Runs a host command (no shell): output read to the end on both pipes, bounded, the child
/// registered with `Cleanup` so a stopped command takes its children with it, and an optional
/// time limit after which the child is killed.
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
    }

    /// Runs `argv` (argv[0] an absolute path); keeps at most `outputLimit` bytes of each stream.
    public static func run(_ argv: [String], timeout: Duration? = nil, outputLimit: Int = 1 << 20) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            return Result(status: 127, stdout: "", stderr: "cannot run \(argv[0]): \(error.localizedDescription)", timedOut: false)
        }
        let token = Cleanup.track(child: process.processIdentifier)
        defer { Cleanup.untrack(token) }
        let timedOut = Flag()
        var timer: (any DispatchSourceTimer)?
        if let timeout {
            let source = DispatchSource.makeTimerSource(queue: .global())
            let pid = process.processIdentifier
            source.schedule(deadline: .now() + .nanoseconds(Int(timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)))
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

    /// Reads to end of file, keeping the first `limit` bytes (the rest is drained, not kept, so
    /// the child never blocks on a full pipe).
    static func readBounded(_ handle: FileHandle, limit: Int) -> Data {
        var kept = Data()
        while let chunk = try? handle.read(upToCount: 65536), !chunk.isEmpty {
            if kept.count < limit { kept.append(chunk.prefix(limit - kept.count)) }
        }
        return kept
    }

    private final class Box: @unchecked Sendable { var data = Data() }

    private final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }
}
