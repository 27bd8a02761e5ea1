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

import HyperwardCore

/// Reads a `timestamp,value` series from bytes fed in chunks of any size, checking every limit as
/// it goes: the caller stops reading at the first error, so an oversized file is refused at row
/// ``Series/maxRows`` + 1 (or at its first overlong line), not after it was read whole.
///
/// Rows must be in time order. A row repeating the previous row's timestamp is accepted and
/// counted (``Series/duplicateTimestamps``): NAB's own data has such rows, and the detector sees
/// values in file order whatever their timestamps say.
public struct SeriesReader: Sendable {
    /// The most rows accepted.
    public let maxRows: Int
    private var series = Series()
    /// The bytes of a line not yet ended by a newline.
    private var pending: [UInt8] = []
    /// The number of the line being read (the header is line 1).
    private var line = 0
    private var sawHeader = false
    private var previous: (time: SeriesTimestamp, line: Int)?

    /// A reader accepting at most `maxRows` rows (at most ``Series/maxRows``).
    public init(maxRows: Int = Series.maxRows) {
        self.maxRows = min(max(maxRows, 0), Series.maxRows)
    }

    /// Rows accepted so far.
    public var rowCount: Int { series.values.count }

    /// Feeds the next bytes of the file.
    /// - Throws: `MonitorError` naming the line at the first problem; feed nothing after it.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer) throws(MonitorError) {
        var start = 0
        while start < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
            guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                try appendPending(rest)
                return
            }
            try appendPending(UnsafeRawBufferPointer(rebasing: rest[..<newline]))
            try endLine()
            start += newline + 1
        }
    }

    /// The series read, once the whole file has been fed.
    /// - Throws: `MonitorError` for a last line that is bad or a file without a header.
    public mutating func finish() throws(MonitorError) -> Series {
        if !pending.isEmpty { try endLine() }
        guard sawHeader else { throw MonitorError("the series must start with a `timestamp,value` header") }
        return series
    }

    private mutating func appendPending(_ bytes: UnsafeRawBufferPointer) throws(MonitorError) {
        guard pending.count + bytes.count <= Series.maxLineBytes else {
            throw MonitorError("line \(line + 1) is longer than the limit of \(Series.maxLineBytes) bytes")
        }
        pending.append(contentsOf: bytes)
    }

    private mutating func endLine() throws(MonitorError) {
        line += 1
        defer { pending.removeAll(keepingCapacity: true) }
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        let text = String(decoding: pending, as: UTF8.self)
        if text.allSatisfy({ $0 == " " || $0 == "\t" }) { return }  // Blank lines are skipped, but counted.
        let fields = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters() }
        guard sawHeader else {
            guard fields.prefix(2) == ["timestamp", "value"] else {
                throw MonitorError("the series must start with a `timestamp,value` header (line \(line) is not one)")
            }
            sawHeader = true
            return
        }
        guard series.values.count < maxRows else {
            throw MonitorError("line \(line): more than \(maxRows) rows, the limit for one series; split it")
        }
        guard fields.count >= 2, let value = Double(fields[1]), value.isFinite else {
            throw MonitorError("line \(line): expected `timestamp,value` with a finite number")
        }
        let timestamp = fields[0]
        guard let time = SeriesTimestamp(timestamp) else {
            throw MonitorError("line \(line): timestamp \(String(timestamp.prefix(40)).debugDescription) is not in an accepted format: \(Series.timestampFormats)")
        }
        if let previous {
            if time < previous.time {
                throw MonitorError("line \(line): timestamp \(timestamp) is earlier than line \(previous.line)'s; the series must be in time order")
            }
            if time == previous.time {
                series.duplicateTimestamps += 1
                if series.firstDuplicateLine == nil { series.firstDuplicateLine = line }
            }
        }
        previous = (time, line)
        series.timestamps.append(timestamp)
        series.values.append(value)
    }
}

/// A series timestamp as an instant: seconds since the epoch (UTC) and nanoseconds, for ordering.
/// Accepts `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 9 digits,
/// and an optional `Z` or `±HH:MM`/`±HHMM` offset (none: UTC, as NAB's timestamps are read).
struct SeriesTimestamp: Comparable, Sendable {
    var seconds: Int64
    var nanoseconds: Int64

    init?(_ text: String) {
        let b = Array(text.utf8)
        guard b.count >= 19, b.count <= 40 else { return nil }
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var n = 0
            for i in at..<(at + count) {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                n = n * 10 + Int(b[i] - 48)
            }
            return n
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), b[10] == UInt8(ascii: " ") || b[10] == UInt8(ascii: "T"),
              let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
              let second = digits(17, 2),
              (1...12).contains(month), hour < 24, minute < 60, second < 60
        else { return nil }
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthDays = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...monthDays).contains(day) else { return nil }
        var i = 19
        var nanos: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while i < b.count, b[i] >= 48 && b[i] <= 57 {
                guard count < 9 else { return nil }
                nanos = nanos * 10 + Int64(b[i] - 48)
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<9 { nanos *= 10 }
        }
        var offset = 0
        if i < b.count {
            if b[i] == UInt8(ascii: "Z") {
                i += 1
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                guard let h = digits(i + 1, 2), h < 24 else { return nil }
                var m: Int?
                if i + 3 < b.count, b[i + 3] == UInt8(ascii: ":") { m = digits(i + 4, 2); i += 6 } else { m = digits(i + 3, 2); i += 5 }
                guard let m, m < 60 else { return nil }
                offset = sign * (h * 3600 + m * 60)
            } else {
                return nil
            }
        }
        guard i == b.count else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm), then seconds.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = Int64(era * 146_097 + dayOfEra - 719_468)
        seconds = days * 86400 + Int64(hour * 3600 + minute * 60 + second - offset)
        nanoseconds = nanos
    }

    static func < (a: SeriesTimestamp, b: SeriesTimestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }
}
