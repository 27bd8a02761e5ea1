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

import FixtureSupport
import Foundation
import HyperwardHost
@testable import Sensor

/// One TCP connection's payload in order: which side sent which bytes.
struct Transcript: Sendable, CustomStringConvertible {
    var segments: [(direction: StreamDirection, bytes: [UInt8])] = []

    init(_ segments: [(direction: StreamDirection, bytes: [UInt8])] = []) { self.segments = segments }

    /// Client text.
    static func c(_ text: String) -> (direction: StreamDirection, bytes: [UInt8]) { (.toServer, Array(text.utf8)) }
    /// Server text.
    static func s(_ text: String) -> (direction: StreamDirection, bytes: [UInt8]) { (.toClient, Array(text.utf8)) }
    /// Client bytes.
    static func c(_ bytes: [UInt8]) -> (direction: StreamDirection, bytes: [UInt8]) { (.toServer, bytes) }
    /// Server bytes.
    static func s(_ bytes: [UInt8]) -> (direction: StreamDirection, bytes: [UInt8]) { (.toClient, bytes) }

    var description: String { "\(segments.count) segments, \(segments.reduce(0) { $0 + $1.bytes.count }) bytes" }
}

/// What a test compares: an event without its times (which depend on chunking).
struct Seen: Hashable, CustomStringConvertible {
    var kind: CredentialKind
    var user: String
    var password: String
    var outcome: LoginOutcome
    var isAnonymous = false

    init(_ kind: CredentialKind, _ user: String, _ password: String, _ outcome: LoginOutcome, anonymous: Bool = false) {
        self.kind = kind
        self.user = user
        self.password = password
        self.outcome = outcome
        self.isAnonymous = anonymous
    }

    init(_ event: CredentialEvent) {
        self.init(event.kind, event.user, event.password.revealed, event.outcome, anonymous: event.isAnonymous)
    }

    var description: String { "\(kind.rawValue) \(user):\(password) \(outcome.rawValue)\(isAnonymous ? " anon" : "")" }
}

/// How a transcript is cut into `feed` calls.
enum Chunking: Sendable, CustomStringConvertible {
    case segments
    case bytes
    case random(seed: UInt64)

    var description: String {
        switch self {
        case .segments: "segments"
        case .bytes: "byte-by-byte"
        case .random(let seed): "random(\(seed))"
        }
    }
}


enum CredentialHarness {
    /// Feeds a transcript with the given chunking and finishes the session.
    static func run(_ transcript: Transcript, service: CredentialService?, chunking: Chunking = .segments,
                    configuration: CredentialConfiguration = .default)
        -> (events: [CredentialEvent], stop: CredentialSession.StopReason?)
    {
        var session = CredentialSession(service: service, configuration: configuration)
        var events: [CredentialEvent] = []
        var clock: Int64 = 1_700_000_000_000_000_000
        var random: SplitMix? = nil
        if case .random(let seed) = chunking { random = SplitMix(seed: seed) }
        // Random chunking also merges consecutive segments of the same direction.
        var segments = transcript.segments
        if random != nil {
            var merged: [(direction: StreamDirection, bytes: [UInt8])] = []
            for segment in segments {
                if let last = merged.last, last.direction == segment.direction {
                    merged[merged.count - 1].bytes += segment.bytes
                } else {
                    merged.append(segment)
                }
            }
            segments = merged
        }
        for segment in segments {
            var start = 0
            while start < segment.bytes.count {
                let length: Int
                switch chunking {
                case .segments: length = segment.bytes.count
                case .bytes: length = 1
                case .random: length = Int.random(in: 1...max(1, min(17, segment.bytes.count)), using: &random!)
                }
                let end = min(segment.bytes.count, start + length)
                clock += 1_000_000
                events += session.feed(segment.bytes[start..<end], direction: segment.direction,
                                       time: Timestamp(nanoseconds: clock))
                start = end
            }
        }
        let stop = session.stopReason
        events += session.finish(time: Timestamp(nanoseconds: clock + 1))
        return (events, stop)
    }

    /// The events of a transcript under every chunking: segments, bytes, and `randomRuns` random ones.
    static func allChunkings(randomRuns: Int = 12) -> [Chunking] {
        [.segments, .bytes] + (0..<UInt64(randomRuns)).map { .random(seed: $0 &* 7919 &+ 17) }
    }

    static func base64(_ text: String) -> String { Base64.encode(Array(text.utf8)) }
}

/// The tshark oracle of the credential tests.
enum CredentialFixtures {
    struct ToolError: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ arguments: [String]) throws -> String {
        let result = HostCommand.run(arguments, outputLimit: .max)
        guard result.status == 0 else {
            throw ToolError(description: "\(arguments.joined(separator: " ")) exited \(result.status)")
        }
        return result.stdout
    }

    /// The payload of the first TCP connection to `serverPort` in a capture, as tshark reassembles it
    /// (`-z follow,tcp,raw`: one hex line per segment, server's lines indented with a tab).
    static func tsharkStream(_ file: URL, serverPort: UInt16) throws -> Transcript {
        let streams = try run(["tshark", "-r", file.path, "-Y", "tcp.port == \(serverPort)", "-T", "fields",
                               "-e", "tcp.stream"])
        guard let stream = streams.split(separator: "\n").first.map(String.init) else {
            throw ToolError(description: "no TCP stream to port \(serverPort) in \(file.lastPathComponent)")
        }
        let text = try run(["tshark", "-r", file.path, "-q", "-z", "follow,tcp,raw,\(stream)"])
        var transcript = Transcript()
        var node0IsClient = true
        var inData = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            if line.hasPrefix("Node 0:") {
                node0IsClient = !line.hasSuffix(":\(serverPort)")
                continue
            }
            if line.hasPrefix("Node 1:") { inData = true; continue }
            guard inData, !line.hasPrefix("====="), !line.isEmpty else { continue }
            let fromNode1 = line.hasPrefix("\t")
            let hex = line.trimmingCharacters(in: .whitespaces)
            var bytes: [UInt8] = []
            var index = hex.startIndex
            while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
                guard let byte = UInt8(hex[index..<next], radix: 16) else {
                    throw ToolError(description: "bad hex from tshark: \(line.prefix(40))")
                }
                bytes.append(byte)
                index = next
            }
            let fromClient = fromNode1 != node0IsClient
            transcript.segments.append((fromClient ? .toServer : .toClient, bytes))
        }
        return transcript
    }
}
