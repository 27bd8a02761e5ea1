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
import HyperwardHost

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lab's children are Hyperward's own long-running children (`HostChild`: own process
/// group, output to files), with Python told not to litter the tree with bytecode.
typealias Subprocess = HostChild

extension HostChild {
    /// Starts `argv` the lab's way.
    static func start(_ argv: [String], stdout: URL, stderr: URL, stdin: URL? = nil) throws -> HostChild {
        try HostChild(argv, stdout: stdout, stderr: stderr, stdin: stdin, environment: ["PYTHONDONTWRITEBYTECODE": "1"])
    }

    /// The absolute path of an executable named `name`, or nil when none is on the search path.
    static func which(_ name: String) -> String? { HostCommand.which(name) }
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
