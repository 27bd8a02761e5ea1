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

/// The error type of every Hyperward module: an open set of codes plus a message that says what
/// was wrong, where, and what to do.
///
/// Modelled on swift-certificates' errors: `Code` is a struct of static values, so adding a code
/// breaks no `switch`.
public struct HyperwardError: Error, Sendable, CustomStringConvertible, Equatable {
    /// An opaque error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name, e.g. `invalid-input`.
        public var name: String
        /// The exit status of a command that ends with this error (`ExitStatus`).
        public var exitStatus: Int32
        /// Creates a code; engines define their own as static members.
        public init(_ name: String, exitStatus: Int32 = ExitStatus.software) {
            self.name = name
            self.exitStatus = exitStatus
        }
        public var description: String { name }

        /// Input (a file, a flag, a packet) is malformed.
        public static let invalidInput = Code("invalid-input", exitStatus: ExitStatus.invalidData)
        /// A file or directory could not be read.
        public static let unreadable = Code("unreadable", exitStatus: ExitStatus.noInput)
        /// A file does not exist.
        public static let notFound = Code("not-found", exitStatus: ExitStatus.noInput)
        /// Input exceeds a size or count limit.
        public static let tooLarge = Code("too-large", exitStatus: ExitStatus.invalidData)
        /// A path is of the wrong type (a FIFO or device where a file was expected).
        public static let notRegularFile = Code("not-regular-file", exitStatus: ExitStatus.noInput)
        /// A symbolic link chain loops or is too long.
        public static let symlinkLoop = Code("symlink-loop", exitStatus: ExitStatus.noInput)
        /// Configuration is invalid.
        public static let configuration = Code("configuration", exitStatus: ExitStatus.configuration)
        /// The state store failed.
        public static let storage = Code("storage")
        /// An external command failed.
        public static let commandFailed = Code("command-failed")
    }

    /// Where in an input file the problem is.
    public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var column: Int?
        /// Creates a location.
        public init(file: String, line: Int? = nil, column: Int? = nil) {
            self.file = file
            self.line = line
            self.column = column
        }
        public var description: String {
            var s = file
            if let line { s += ":\(line)" }
            if let column { s += ":\(column)" }
            return s
        }
    }

    public var code: Code
    public var message: String
    public var location: SourceLocation?

    /// Creates an error.
    public init(_ code: Code, _ message: String, location: SourceLocation? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }
}
