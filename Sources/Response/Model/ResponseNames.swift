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

/// The names response gives what it makes: ids, overlays, dumps. Pure functions of their
/// inputs, so a resumed run computes the same names as the run it finishes.
public enum ResponseNames {
    /// An id from a time: `yyyyMMdd'T'HHmmss` in UTC (a quarantine's, a restore's).
    public static func id(at date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        return formatter.string(from: date)
    }

    /// Whether `text` is an id as `id(at:)` makes them.
    public static func isID(_ text: String) -> Bool {
        let characters = Array(text)
        return characters.count == 15 && characters[8] == "T"
            && characters.enumerated().allSatisfy { $0.offset == 8 || ("0"..."9").contains($0.element) }
    }

    /// Whether `text` is a restore's id: an id, or an id and `-N` when a restore earlier in the
    /// same second took the id's name.
    public static func isRestoreID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard isID(String(parts[0])) else { return false }
        guard parts.count == 2 else { return true }
        return (1...3).contains(parts[1].count) && parts[1].allSatisfy { ("0"..."9").contains($0) }
    }

    /// The overlay a snapshot or restore labelled `label` puts on `base`: beside the base
    /// (QEMU already reaches that directory; the state directory is 0700 and stays so), named
    /// `<stem>.hw-<label>.qcow2` with the stem of the original image.
    public static func overlay(base: String, label: String) -> String {
        let url = URL(fileURLWithPath: base)
        var stem = url.deletingPathExtension().lastPathComponent
        if let dot = stem.range(of: ".hw-") { stem = String(stem[..<dot.lowerBound]) }
        return url.deletingLastPathComponent().appendingPathComponent("\(stem).hw-\(label).qcow2").path
    }

    /// The memory dump of quarantine `id`, in the case directory.
    public static func memoryDump(directory: String, id: String) -> String { "\(directory)/memory-\(id).elf" }

    /// The snapshot a quarantine takes to freeze its disks.
    public static func quarantineSnapshot(id: String) -> String { "quarantine-\(id)" }

    /// The overlay label of restore `id`.
    public static func restoreLabel(id: String) -> String { "restored-\(id)" }

    /// Whether `name` is a valid snapshot name: letters, digits, `-`, `_` and `.`, at most 64,
    /// not starting with a dot (it becomes part of a file name; `respond snapshot --name` checks
    /// the same).
    public static func isSnapshotName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".")
            && name.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
    }
}
