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

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a line-oriented protocol parser wants next from one direction of the stream.
enum FramingDirective: Equatable {
    /// More CRLF- (or LF-) terminated lines.
    case lines
    /// Pass over this many raw bytes unread (a body or literal nobody needs), then lines again.
    case skip(Int)
    /// Gather exactly this many raw bytes and hand them over in one piece (a form body, a literal).
    case collect(Int)
    /// Stop parsing the whole session.
    case stop(CredentialSession.StopReason)
}

/// Limits of one session, from ``CredentialConfiguration``.
struct CredentialLimits: Sendable {
    var maxLineLength: Int
    var maxBufferedBytes: Int
}

/// A protocol parser fed whole lines (and collected blocks) by ``FramedStream``.
protocol LineProtocolParser: Sendable {
    /// One line without its terminator (LF, and a CR before it).
    mutating func line(_ line: UnsafeRawBufferPointer, direction: StreamDirection, time: Timestamp,
                       events: inout [CredentialEvent]) -> FramingDirective
    /// The bytes gathered after a `.collect` directive.
    mutating func block(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection, time: Timestamp,
                        events: inout [CredentialEvent]) -> FramingDirective
    /// The connection ended or parsing stopped: report what is still waiting for a verdict.
    mutating func finish(time: Timestamp, events: inout [CredentialEvent])
}

/// A protocol of client commands and numbered server replies (FTP, POP3, SMTP): lines to the
/// server are commands, lines to the client replies; a login still waiting for its verdict when
/// the connection ends is reported with outcome `unknown`.
protocol CommandReplyParser: LineProtocolParser {
    /// The login waiting for the server's verdict, if any.
    var pending: PendingCredential? { get set }
    /// One command line from the client.
    mutating func command(_ line: UnsafeRawBufferPointer, time: Timestamp, events: inout [CredentialEvent]) -> FramingDirective
    /// One reply line from the server.
    mutating func reply(_ line: UnsafeRawBufferPointer, time: Timestamp, events: inout [CredentialEvent]) -> FramingDirective
}

extension CommandReplyParser {
    mutating func line(_ line: UnsafeRawBufferPointer, direction: StreamDirection, time: Timestamp,
                       events: inout [CredentialEvent]) -> FramingDirective {
        switch direction {
        case .toServer: return command(line, time: time, events: &events)
        case .toClient: return reply(line, time: time, events: &events)
        }
    }

    mutating func block(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection, time: Timestamp,
                        events: inout [CredentialEvent]) -> FramingDirective { .lines }

    mutating func finish(time: Timestamp, events: inout [CredentialEvent]) {
        if let pending { events.append(pending.unknownEvent) }
        pending = nil
    }
}

/// Per-direction framing state: a partial line carried across chunks, or a skip/collect count.
struct DirectionFramer: Sendable {
    enum Mode: Sendable, Equatable {
        case lines
        case skip(Int)
        case collect(Int)
    }

    var pending: [UInt8] = []
    var mode: Mode = .lines
}

/// Splits both directions of an in-order TCP stream into lines (or counted blocks) for a parser.
///
/// A line longer than the limit, or a block larger than the buffer limit, stops the session:
/// the parser never sees a truncated line, and memory stays bounded by
/// `maxLineLength`/`maxBufferedBytes` per direction. Work is linear in the bytes fed (`memchr`
/// for line ends, each byte copied at most once into the carry-over buffer).
struct FramedStream<Parser: LineProtocolParser>: Sendable {
    var parser: Parser
    var limits: CredentialLimits
    var toServer = DirectionFramer()
    var toClient = DirectionFramer()

    init(parser: Parser, limits: CredentialLimits) {
        self.parser = parser
        self.limits = limits
    }

    /// Feeds one chunk; returns a stop reason when the session must stop.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection, time: Timestamp,
                       events: inout [CredentialEvent]) -> CredentialSession.StopReason? {
        // Move the framer out of `self` so the parser (also in `self`) can be called while the
        // framer's buffer is borrowed; moving an array is a reference move, not a copy.
        var framer: DirectionFramer
        switch direction {
        case .toServer: framer = toServer; toServer = DirectionFramer()
        case .toClient: framer = toClient; toClient = DirectionFramer()
        }
        defer {
            switch direction {
            case .toServer: toServer = framer
            case .toClient: toClient = framer
            }
        }
        var index = 0
        let total = bytes.count
        while index < total {
            var directive: FramingDirective? = nil
            switch framer.mode {
            case .skip(let remaining):
                let take = min(remaining, total - index)
                index += take
                framer.mode = remaining - take > 0 ? .skip(remaining - take) : .lines
            case .collect(let needed):
                let take = min(needed - framer.pending.count, total - index)
                framer.pending.append(contentsOf: bytes.slice(index, index + take))
                index += take
                if framer.pending.count >= needed {
                    directive = framer.pending.withUnsafeBytes {
                        parser.block($0, direction: direction, time: time, events: &events)
                    }
                    framer.pending.removeAll(keepingCapacity: true)
                    framer.mode = .lines
                }
            case .lines:
                let remaining = bytes.slice(index, total)
                guard let base = remaining.baseAddress,
                      let found = memchr(base, Int32(ASCII.lf), remaining.count) else {
                    guard framer.pending.count + (total - index) <= limits.maxLineLength else {
                        return .lineTooLong
                    }
                    framer.pending.append(contentsOf: remaining)
                    index = total
                    continue
                }
                let lineEnd = index + (UnsafeRawPointer(found) - base)
                if framer.pending.isEmpty {
                    guard lineEnd - index <= limits.maxLineLength else { return .lineTooLong }
                    directive = parser.line(Self.stripCR(bytes.slice(index, lineEnd)), direction: direction,
                                            time: time, events: &events)
                } else {
                    guard framer.pending.count + (lineEnd - index) <= limits.maxLineLength else {
                        return .lineTooLong
                    }
                    framer.pending.append(contentsOf: bytes.slice(index, lineEnd))
                    directive = framer.pending.withUnsafeBytes {
                        parser.line(Self.stripCR($0), direction: direction, time: time, events: &events)
                    }
                    framer.pending.removeAll(keepingCapacity: true)
                }
                index = lineEnd + 1
            }
            if let directive {
                switch directive {
                case .lines:
                    framer.mode = .lines
                case .skip(let count):
                    framer.mode = count > 0 ? .skip(count) : .lines
                case .collect(let count):
                    guard count <= limits.maxBufferedBytes else { return .bodyTooLarge }
                    if count <= 0 {
                        let next = parser.block(UnsafeRawBufferPointer(start: nil, count: 0), direction: direction,
                                                time: time, events: &events)
                        if case .stop(let reason) = next { return reason }
                        framer.mode = .lines
                    } else {
                        framer.pending.reserveCapacity(count)
                        framer.mode = .collect(count)
                    }
                case .stop(let reason):
                    return reason
                }
            }
        }
        return nil
    }

    @inline(__always) static func stripCR(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if let last = line.last, last == ASCII.cr { return line.slice(0, line.count - 1) }
        return line
    }
}
