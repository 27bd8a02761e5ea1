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

#if canImport(Glibc)
import Glibc
#endif

/// Why a state-directory lock was not taken.
public struct StateLockError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The state directory's locks (flock on files in it; released by the kernel when the process
/// ends, however it ends):
/// - `lock`: every command that changes state (keystore, CA, disk keys, quarantine records)
///   holds it exclusively for the length of its change; a second one waits up to its timeout.
/// - `agent.lock`: held by the running agent for its whole life; a second agent on the same
///   state directory is refused at once.
/// - `tpm.lock`: held for one TPM quote.
/// - `fleet.lock`: held for one enrollment or push to the fleet server.
///
/// Each holder writes its pid and command into the file, so a waiter can say who holds it.
public final class StateLock: @unchecked Sendable {
    public enum Scope: String, Sendable {
        case changes = "lock"
        case agent = "agent.lock"
        /// A TPM session (key load, quote, flush): the agent's and a command's quotes one at a
        /// time, since without a resource manager one's flush would unload the other's key.
        case tpm = "tpm.lock"
        /// The fleet link: enrollment and pushes one at a time, so a push's cursor never goes back.
        case fleet = "fleet.lock"
    }

    private let fd: Int32
    public let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Takes `scope`'s lock in `directory` (created 0700 when missing), waiting up to `wait`
    /// (zero: not at all).
    public static func acquire(_ directory: String, _ scope: Scope, wait: Duration, holder: String) throws(StateLockError) -> StateLock {
        try ensureDirectory(directory)
        let path = "\(directory)/\(scope.rawValue)"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw StateLockError(message: "cannot open the lock \(path): \(String(cString: strerror(errno)))")
        }
        let deadline = ContinuousClock.now + wait
        var delay: UInt32 = 5_000
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw StateLockError(message: "cannot lock \(path): \(reason)")
            }
            if ContinuousClock.now >= deadline {
                let who = currentHolder(fd)
                close(fd)
                let held = who.map { "held by \($0)" } ?? "held by another process"
                let waited = wait == .zero ? "" : " after waiting \(wait.components.seconds) s"
                throw StateLockError(message: "the state directory \(directory) is busy: \(path) is \(held)\(waited)")
            }
            usleep(delay)
            delay = min(delay * 2, 200_000)
        }
        let line = Array("pid \(getpid()) \(holder)\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = line.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        return StateLock(fd: fd, path: path)
    }

    /// What the holder wrote into the lock file (`pid N command`), if readable.
    static func currentHolder(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        let safe = text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }
        return safe.isEmpty ? nil : String(String.UnicodeScalarView(safe))
    }

    /// Creates the state directory 0700 when missing.
    public static func ensureDirectory(_ directory: String) throws(StateLockError) {
        do { try PrivateDirectory.ensure(directory) } catch {
            throw StateLockError(message: "the state directory: \(error.message)")
        }
    }
}
