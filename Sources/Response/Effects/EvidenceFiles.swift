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

import Crypto
import Foundation
import HyperwardCore

/// The files response keeps or leaves: existence, hashes, read-only bases, stale overlays. The
/// real default is ``LocalEvidenceFiles``.
public protocol EvidenceFiles: Sendable {
    /// Whether `path` exists (a symbolic link counts as itself, not its target).
    func exists(_ path: String) throws(HyperwardError) -> Bool
    /// The file's SHA-256 (64 lower-case hex digits) and size.
    func sha256(of path: String) throws(HyperwardError) -> (digest: String, bytes: Int64)
    /// Makes a frozen base image read-only (0440).
    func makeReadOnly(_ path: String) throws(HyperwardError)
    /// Removes a file (idempotent: a missing one is fine).
    func remove(_ path: String) throws(HyperwardError)
}

/// The local file system.
public struct LocalEvidenceFiles: EvidenceFiles {
    /// The local file system.
    public init() {}

    /// See ``EvidenceFiles/exists(_:)``.
    public func exists(_ path: String) throws(HyperwardError) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// See ``EvidenceFiles/sha256(of:)``; read in 1 MiB chunks.
    public func sha256(of path: String) throws(HyperwardError) -> (digest: String, bytes: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw HyperwardError(.notFound, "cannot read \(path) to hash it") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var total: Int64 = 0
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                hasher.update(data: chunk)
                total += Int64(chunk.count)
            }
        } catch {
            throw HyperwardError(.software, "cannot read \(path) to hash it: \(error.localizedDescription)")
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), total)
    }

    /// See ``EvidenceFiles/makeReadOnly(_:)``.
    public func makeReadOnly(_ path: String) throws(HyperwardError) {
        guard chmod(path, 0o440) == 0 else {
            throw HyperwardError(.software, "cannot make \(path) read-only: \(String(cString: strerror(errno)))")
        }
    }

    /// See ``EvidenceFiles/remove(_:)``.
    public func remove(_ path: String) throws(HyperwardError) {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw HyperwardError(.software, "cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }
}
