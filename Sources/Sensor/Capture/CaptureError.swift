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


/// Why a capture file or a live capture could not be read further.
///
/// Reading stops at the first error; the frames delivered before it stay valid results, and
/// `framesRead` says how many there were. `offset` is the byte offset in the file of the record or
/// block that could not be read (0 for live captures and errors before the first byte).
public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An opaque error code: a struct of static values, so adding one breaks no `switch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name, e.g. `truncated`.
        public var name: String
        /// Creates a code.
        public init(_ name: String) { self.name = name }
        /// The code's name.
        public var description: String { name }

        /// The file ends inside a header, record or block.
        public static let truncated = Code("truncated")
        /// The bytes are not a pcap or pcapng file (unknown magic number).
        public static let notACapture = Code("not-a-capture")
        /// A header, record or block is inconsistent (bad block length, unknown interface, …).
        public static let malformed = Code("malformed")
        /// A frame or block is larger than the configured limit.
        public static let tooLarge = Code("too-large")
        /// The file uses a feature this reader does not support (a pcap major version other than 2).
        public static let unsupported = Code("unsupported")
        /// The operating system refused an operation (open, read, socket, bind, …).
        public static let system = Code("system")
    }

    /// What went wrong.
    public var code: Code
    /// What was wrong, where, and what to do.
    public var message: String
    /// The byte offset of the record or block that failed (0 when not applicable).
    public var offset: Int64
    /// How many frames were delivered before the error.
    public var framesRead: Int

    /// Creates an error.
    public init(_ code: Code, _ message: String, offset: Int64 = 0, framesRead: Int = 0) {
        self.code = code
        self.message = message
        self.offset = offset
        self.framesRead = framesRead
    }

    /// `message at byte offset N (after K frames)`.
    public var description: String {
        "\(message) at byte offset \(offset) (after \(framesRead) frames)"
    }
}
