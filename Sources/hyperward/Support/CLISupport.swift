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

import ArgumentParser
import Foundation
import HyperwardCore
import HyperwardHost
@_exported import Synchronization

extension AsyncParsableCommand {
    /// Runs `body`, turning an error into its message on standard error and its exit status
    /// (`ExitStatus`, docs/exit-codes.md).
    func reportingErrors(_ body: () async throws -> Int32) async throws {
        do {
            let code = try await body()
            if code != 0 { throw ExitCode(code) }
        } catch let error as HyperwardError {
            Output.error(error.description)
            throw ExitCode(error.code.exitStatus)
        } catch let error as FileCreationError {
            Output.error(error.message)
            throw ExitCode(error.kind == .failed ? ExitStatus.ioError : ExitStatus.cannotCreate)
        } catch let error as StateLockError {
            Output.error(error.message)
            throw ExitCode(ExitStatus.busy)
        }
    }
}

extension HyperwardError {
    /// A file that could not be created, as the command's error.
    init(_ error: FileCreationError) {
        self.init(error.kind == .failed ? .ioError : .cannotCreate, error.message)
    }
}

/// The state directory's change lock, for the length of one command's change.
enum StateChange {
    /// How long a command waits for another's change to finish (HYPERWARD_LOCK_WAIT seconds,
    /// default 30).
    static var wait: Duration {
        let seconds = ProcessInfo.processInfo.environment["HYPERWARD_LOCK_WAIT"].flatMap(Int.init) ?? 30
        return .seconds(max(0, min(seconds, 3600)))
    }

    /// Takes `directory`'s change lock (exit 75 when it cannot be had in time); it is held until
    /// the returned lock is released.
    static func acquire(_ directory: String, _ what: String) throws -> StateLock {
        let lock: StateLock
        do { lock = try StateLock.acquire(directory, .changes, wait: wait, holder: "hyperward \(what)") } catch {
            throw HyperwardError(.busy, error.message)
        }
        removeLegacySecretFiles(directory)
        return lock
    }

    /// Earlier builds handed disk keys to qemu-img and virsh through files in the state
    /// directory's `tmp`, which a killed run left behind; nothing writes there any more, so any
    /// such file is a leftover holding a key: removed (and said) by the next change.
    static func removeLegacySecretFiles(_ directory: String) {
        let tmp = directory + "/tmp"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tmp) else { return }
        let secrets = names.filter { $0.hasPrefix("secret-") }
        for name in secrets { unlink(tmp + "/" + name) }
        if !secrets.isEmpty { Output.warn("removed \(secrets.count) secret file(s) left in \(tmp) by an interrupted run of an earlier version") }
        rmdir(tmp)
    }

    /// Runs `body` holding `directory`'s change lock.
    static func locked<T>(_ directory: String, _ what: String, _ body: () throws -> T) throws -> T {
        let lock = try acquire(directory, what)
        defer { withExtendedLifetime(lock) {} }
        return try body()
    }
}

/// Standard output and error, written with plain write(2): a closed standard output (a reader
/// that went away) ends the command with 74 and a message instead of a crash.
enum Output {
    static func write(_ text: String) {
        write(Array(text.utf8), to: STDOUT_FILENO)
    }
    static func write(_ bytes: [UInt8]) {
        write(bytes, to: STDOUT_FILENO)
    }
    static func warn(_ text: String) {
        write(Array("hyperward: warning: \(text)\n".utf8), to: STDERR_FILENO)
    }
    static func error(_ text: String) {
        write(Array("hyperward: \(text)\n".utf8), to: STDERR_FILENO)
    }
    static func note(_ text: String) {
        write(Array("hyperward: \(text)\n".utf8), to: STDERR_FILENO)
    }

    private static func write(_ bytes: [UInt8], to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                if fd == STDOUT_FILENO {
                    let reason = String(cString: strerror(errno))
                    write(Array("hyperward: standard output failed (\(reason)): the output is incomplete\n".utf8), to: STDERR_FILENO)
                    exit(ExitStatus.ioError)
                }
                return
            }
            offset += n
        }
    }
    /// Whether stdout is a terminal that wants color (honours NO_COLOR).
    static var wantsColor: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }
}
