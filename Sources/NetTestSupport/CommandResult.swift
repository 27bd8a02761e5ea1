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


/// What a finished command produced.
public struct CommandResult: Sendable, Equatable, CustomStringConvertible {
    /// The exit status, or the terminating signal number plus 128 when a signal ended it.
    public var status: Int32
    /// Everything the command wrote to standard output (bounded to 4 MiB).
    public var stdout: String
    /// Everything the command wrote to standard error (bounded to 4 MiB).
    public var stderr: String
    /// Whether the command outlived its timeout and was killed.
    public var timedOut: Bool

    /// Creates a result.
    public init(status: Int32, stdout: String, stderr: String, timedOut: Bool) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
    }

    /// Whether the command exited with status 0 before its timeout.
    public var succeeded: Bool { status == 0 && !timedOut }

    /// The status, the timeout flag, and both output streams, for test failure messages.
    public var description: String {
        "status \(status)\(timedOut ? " (timed out)" : ""), stdout: \(stdout.debugDescription), stderr: \(stderr.debugDescription)"
    }
}
