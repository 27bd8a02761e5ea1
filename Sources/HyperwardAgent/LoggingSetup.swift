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

import Logging
import Synchronization

/// swift-log's one-time set-up for the command line and the agent: every logger writes to
/// standard error at `level`.
public enum LoggingSetup {
    private static let done = Mutex(false)
    public static func once(level: Logger.Level) {
        done.withLock { isDone in
            guard !isDone else { return }
            isDone = true
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
