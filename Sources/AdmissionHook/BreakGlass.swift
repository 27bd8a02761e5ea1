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

#if canImport(Glibc)
import Glibc
#endif

/// The break-glass file: while it is valid, a VM start that Hyperward cannot decide (no policy, an
/// unreadable configuration, a corrupt store) is allowed instead of refused, and recorded. It never
/// overrides a decision: a domain the judge denies stays denied.
///
/// ```yaml
/// until: 2026-12-08T06:00:00Z     # at most 24 hours ahead
/// reason: "store restored from backup (INC-4711)"
/// ```
/// The file must be a regular file owned by root (or by the user Hyperward runs as), not writable by
/// its group or others; `until` must be in the future and at most 24 hours ahead, so a forgotten
/// break-glass expires by itself.
public struct BreakGlass: Sendable, Hashable {
    /// The longest a break-glass may last.
    public static let maximumDuration: TimeInterval = 24 * 3600
    public var until: Date
    public var reason: String
    public var file: String

    /// The break-glass in `path`: nil when there is no such file; an error when it is there but
    /// not valid (expired, too long, loosely owned, malformed), which refuses like no break-glass.
    public static func load(_ path: String, now: Date = Date()) throws(HyperwardError) -> BreakGlass? {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return nil }
            throw HyperwardError(.configuration, "the break-glass file \(path): \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw HyperwardError(.configuration, "the break-glass file \(path) is not a regular file")
        }
        guard st.st_uid == 0 || st.st_uid == geteuid() else {
            throw HyperwardError(.configuration, "the break-glass file \(path) is owned by uid \(st.st_uid), not root: ignored")
        }
        guard st.st_mode & 0o022 == 0 else {
            throw HyperwardError(.configuration, "the break-glass file \(path) is writable by others (mode \(String(st.st_mode & 0o777, radix: 8))): ignored")
        }
        guard st.st_size <= 4096, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw HyperwardError(.configuration, "the break-glass file \(path) cannot be read or is larger than 4096 bytes")
        }
        let reader = YAMLReader(file: path, code: .configuration)
        guard let root = try reader.compose(text, limit: 4096) else {
            throw HyperwardError(.configuration, "the break-glass file \(path) is empty")
        }
        var until: Date?
        var reason: String?
        for (key, _, value) in try reader.entries(root, what: "break-glass", known: ["until", "reason"]) {
            let text = try reader.string(value, what: key)
            if key == "until" {
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime]
                let fractional = ISO8601DateFormatter()
                fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                guard let date = formatter.date(from: text) ?? fractional.date(from: text) else {
                    throw reader.fail("until must be a time such as 2026-12-08T06:00:00Z", value)
                }
                until = date
            } else {
                guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw reader.fail("reason must not be empty", value) }
                reason = text
            }
        }
        guard let until, let reason else {
            throw HyperwardError(.configuration, "the break-glass file \(path) needs both until and reason")
        }
        guard until > now else {
            throw HyperwardError(.configuration, "the break-glass in \(path) expired at \(Event.timestamp(until))")
        }
        guard until.timeIntervalSince(now) <= maximumDuration else {
            throw HyperwardError(.configuration, "the break-glass in \(path) lasts past 24 hours (until \(Event.timestamp(until))): refused")
        }
        return BreakGlass(until: until, reason: reason, file: path)
    }
}
