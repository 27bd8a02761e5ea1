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
@_exported import Synchronization

/// Documented exit codes (sysexits-style where one exists).
enum ExitCodes {
    static let completed: Int32 = 0
    static let thresholdMatched: Int32 = 1
    static let checkError: Int32 = 3
    static let usage: Int32 = 64
    static let software: Int32 = 70
    static let configuration: Int32 = 78
}

/// An error that ends the command with a message on stderr and a documented exit code.
struct CLIError: Error, CustomStringConvertible {
    var exitCode: Int32
    var message: String
    var description: String { message }
}

extension AsyncParsableCommand {
    /// Runs `body`, turning `CLIError` into its message and exit code.
    func reportingErrors(_ body: () async throws -> Int32) async throws {
        do {
            let code = try await body()
            if code != 0 { throw ExitCode(code) }
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("hyperward: \(error.message)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}

/// Standard output, written in one piece.
enum Output {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
    static func warn(_ text: String) {
        FileHandle.standardError.write(Data("hyperward: warning: \(text)\n".utf8))
    }
    /// Whether stdout is a terminal that wants color (honours NO_COLOR).
    static var wantsColor: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }
}
