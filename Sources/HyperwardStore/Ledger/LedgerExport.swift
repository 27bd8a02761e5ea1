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


import CHostSupport
import Foundation
import HyperwardCore
import HyperwardHost
import Ledger

/// A ledger export: a directory holding `entries.jsonl` (each entry's canonical JSON, one per
/// line, in index order, up to the latest checkpoint), `checkpoint` (that signed note) and
/// `ledger.pub` (the verifier key), for verification away from the host.
public enum LedgerExport {
    public static let entriesFile = "entries.jsonl"
    public static let checkpointFile = "checkpoint"
    public static let keyFile = "ledger.pub"
    /// The longest entry line read back.
    public static let maximumLineLength = 16 << 20

    /// Writes an export of `store` to `output`, which must not exist: the directory is made
    /// under a temporary name beside it and renamed into place only when complete (exclusively:
    /// of two runs, one wins), so a killed run leaves no half-written export.
    /// - Returns: the checkpoint exported.
    /// - Throws: `FileCreationError` for the output, `HyperwardError` (`.notFound` when no
    ///   checkpoint was signed yet).
    @discardableResult
    public static func write(_ store: StateStore, to output: String, verifierKey: String) throws -> StoredCheckpoint {
        guard let checkpoint = try store.latestCheckpoint() else {
            throw HyperwardError(.notFound, "no signed checkpoint yet: run `hyperward ledger checkpoint` first")
        }
        let output = output.hasSuffix("/") && output.count > 1 ? String(output.dropLast()) : output
        let parent = SafeFile.parent(of: output)
        try SafeFile.checkDirectory(parent, for: output)
        var st = stat()
        if lstat(output, &st) == 0 { throw FileCreationError(.exists, "\(output) exists: not overwritten") }
        let name = output.split(separator: "/").last.map(String.init) ?? output
        let prefix = ".\(name).hyperward-"
        sweepStale(in: parent, prefix: prefix)
        let temporary = "\(parent)/\(prefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max)).partial"
        guard mkdir(temporary, 0o700) == 0 else {
            throw FileCreationError(.failed, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        let token = Cleanup.track(action: { try? FileManager.default.removeItem(atPath: temporary) })
        var placed = false
        defer {
            if !placed { try? FileManager.default.removeItem(atPath: temporary) }
            Cleanup.untrack(token)
        }
        try writeEntries(store, size: checkpoint.size, to: "\(temporary)/\(entriesFile)")
        try SafeFile.write(Array(checkpoint.note.utf8), to: "\(temporary)/\(checkpointFile)", mode: 0o600)
        try SafeFile.write(Array((verifierKey + "\n").utf8), to: "\(temporary)/\(keyFile)", mode: 0o600)
        guard hyperward_rename_noreplace(temporary, output) == 0 else {
            if errno == EEXIST || errno == ENOTEMPTY {
                throw FileCreationError(.exists, "\(output) exists: not overwritten (created meanwhile by another process)")
            }
            throw FileCreationError(.failed, "cannot rename the export into \(output): \(String(cString: strerror(errno)))")
        }
        placed = true
        return checkpoint
    }

    /// Export directories of runs that were killed (their process is gone).
    static func sweepStale(in directory: String, prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".partial") {
            let digits = name.dropFirst(prefix.count).prefix { $0.isNumber }
            guard let pid = pid_t(digits), pid > 0, pid != getpid(), !Cleanup.processExists(pid) else { continue }
            try? FileManager.default.removeItem(atPath: "\(directory)/\(name)")
        }
    }

    static func writeEntries(_ store: StateStore, size: UInt64, to path: String) throws {
        var failure: (any Error)?
        try SafeFile.create(path, mode: 0o600) { fd in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20)
            let written: UInt64 = try store.read { db in
                var count: UInt64 = 0
                try RawRows.forEachEventJSON(db, limit: Int64(size)) { _, json in
                    buffer.append(contentsOf: json)
                    buffer.append(0x0A)
                    count += 1
                    if buffer.count >= 1 << 20 {
                        try SafeFile.writeAll(fd, buffer, path: path)
                        buffer.removeAll(keepingCapacity: true)
                    }
                }
                return count
            }
            try SafeFile.writeAll(fd, buffer, path: path)
            if written != size { failure = HyperwardError(.corrupted, "the store has \(written) events, fewer than the checkpoint's \(size) (run `hyperward ledger verify`)") }
        }
        if let failure { throw failure }
    }

    /// Verifies an export: each line's leaf hash (SHA-256 of 0x00 and the line), the root over
    /// them against the export's checkpoint and those given, each signed by `verifier`.
    /// A failed check is the result's `failure`; throws when the export cannot be read.
    public static func verify(directory: String, verifier: NoteVerifier, checkpoints given: [SignedNote] = []) throws(HyperwardError) -> LedgerVerification {
        let own = try readNote("\(directory)/\(checkpointFile)")
        var result = LedgerVerification(entries: 0, root: MerkleTree.emptyRoot, checkpointsChecked: 0, signaturesChecked: true)
        var targets: [CheckpointTarget] = []
        for (label, note) in [("the export's checkpoint", own)] + given.enumerated().map({ ("given checkpoint \($0.offset + 1)", $0.element) }) {
            switch StateStore.target(label, note: note.serialized, verifier: verifier) {
            case .failure(let failure):
                result.failure = failure
                return result
            case .success(let target): targets.append(target)
            }
        }
        result.checkpointsChecked = targets.count
        let path = "\(directory)/\(entriesFile)"
        guard let handle = FileHandle(forReadingAtPath: path) else { throw HyperwardError(.notFound, "cannot read \(path)") }
        defer { try? handle.close() }
        var frontier = MerkleFrontier()
        var pending: [UInt8] = []
        var line: [UInt8] = [0]
        var lastMatched: UInt64 = 0
        let bySize = Dictionary(grouping: targets, by: \.size)
        let exportSize = targets[0].size
        func take(_ lineBytes: ArraySlice<UInt8>) -> LedgerFailure? {
            line.removeSubrange(1...)
            line.append(contentsOf: lineBytes)
            let leaf = line.withUnsafeBytes { SHA256Hashing.hash($0) }
            frontier.append(leaf)
            if let checks = bySize[frontier.size] {
                for check in checks where check.root != frontier.root {
                    return LedgerFailure(firstBadIndex: lastMatched, range: lastMatched..<frontier.size,
                                         message: "the root of the export's first \(frontier.size) lines is not the one \(check.label) signed: a line in \(lastMatched)…\(frontier.size - 1) was changed, removed, added or moved (verify the store to name it)")
                }
                lastMatched = frontier.size
            }
            return nil
        }
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch { throw HyperwardError(.unreadable, "cannot read \(path): \(error)") }
            if chunk.isEmpty { break }
            pending.append(contentsOf: chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                if let failure = take(pending[start..<newline]) {
                    result.failure = failure
                    result.entries = frontier.size
                    return result
                }
                start = newline + 1
            }
            pending.removeSubrange(..<start)
            guard pending.count <= maximumLineLength else {
                throw HyperwardError(.tooLarge, "\(path): line \(frontier.size + 1) is longer than \(maximumLineLength) bytes")
            }
        }
        result.entries = frontier.size
        result.root = frontier.root
        if !pending.isEmpty {
            result.failure = LedgerFailure(firstBadIndex: frontier.size, message: "\(path): the last line has no newline: the export is truncated")
        } else if frontier.size != exportSize {
            result.failure = LedgerFailure(firstBadIndex: min(frontier.size, exportSize),
                                           message: "the export has \(frontier.size) entries; its checkpoint signed \(exportSize)")
        } else if let beyond = targets.first(where: { $0.size > frontier.size }) {
            result.failure = LedgerFailure(firstBadIndex: frontier.size, message: "\(beyond.label) signed \(beyond.size) entries; the export has \(frontier.size)")
        }
        return result
    }

    /// Reads a signed note from a file (at most ``SignedNote/maximumLength`` bytes).
    public static func readNote(_ path: String) throws(HyperwardError) -> SignedNote {
        try SignedNote(parsing: try readText(path, limit: SignedNote.maximumLength))
    }

    /// A small text file, bounded.
    public static func readText(_ path: String, limit: Int) throws(HyperwardError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw HyperwardError(.notFound, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: limit + 1) ?? Data() } catch { throw HyperwardError(.unreadable, "cannot read \(path): \(error)") }
        guard data.count <= limit else { throw HyperwardError(.tooLarge, "\(path) is longer than \(limit) bytes") }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A witness's state in a file (`WitnessState`'s text), changed under an exclusive lock on
/// `FILE.lock` and replaced atomically (written whole beside it, then renamed over it).
public enum WitnessFile {
    /// Offers `note` to the witness whose state is at `path` (made on the first acceptance).
    /// - Parameter verifier: the key to hold; needed for the first checkpoint, and must be the
    ///   held one afterwards.
    /// - Returns: the decision (a refusal leaves the file as it was).
    public static func offer(_ note: SignedNote, proof: [MerkleHash], verifier: NoteVerifier?, statePath path: String) throws -> WitnessState.Decision {
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw HyperwardError(.cannotCreate, "cannot open the witness lock \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw HyperwardError(.busy, "cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }
        var previous: WitnessState?
        if FileManager.default.fileExists(atPath: path) {
            previous = try WitnessState(parsing: try LedgerExport.readText(path, limit: WitnessState.maximumLength))
        }
        guard let key = verifier ?? previous?.verifier else {
            throw HyperwardError(.usage, "the witness holds no key yet: give the log's verifier key (--key FILE) with its first checkpoint")
        }
        let decision = WitnessState.decide(note, proof: proof, verifier: key, previous: previous)
        if case .accepted(let state, _) = decision, state != previous {
            try SafeFile.write(Array(state.serialized.utf8), to: path, mode: 0o600, replace: true)
        }
        return decision
    }
}
