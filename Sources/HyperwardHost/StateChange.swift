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

/// The state directory's change lock, for the length of one command's change.
public enum StateChange {
    /// How long a command waits for another's change to finish (HYPERWARD_LOCK_WAIT seconds,
    /// default 30).
    public static var wait: Duration {
        let seconds = ProcessInfo.processInfo.environment["HYPERWARD_LOCK_WAIT"].flatMap(Int.init) ?? 30
        return .seconds(max(0, min(seconds, 3600)))
    }

    /// Takes `directory`'s change lock (exit 75 when it cannot be had in time); it is held until
    /// the returned lock is released.
    public static func acquire(_ directory: String, _ what: String) throws -> StateLock {
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
    public static func removeLegacySecretFiles(_ directory: String) {
        let tmp = directory + "/tmp"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tmp) else { return }
        let secrets = names.filter { $0.hasPrefix("secret-") }
        for name in secrets { unlink(tmp + "/" + name) }
        if !secrets.isEmpty { Output.warn("removed \(secrets.count) secret file(s) left in \(tmp) by an interrupted run of an earlier version") }
        rmdir(tmp)
    }

    /// Runs `body` holding `directory`'s change lock.
    public static func locked<T>(_ directory: String, _ what: String, _ body: () throws -> T) throws -> T {
        let lock = try acquire(directory, what)
        defer { withExtendedLifetime(lock) {} }
        return try body()
    }
}
