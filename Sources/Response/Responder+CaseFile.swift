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
import HyperwardHost

extension Responder {
    /// The largest case file read (a case is a few KB; its step lines grow slowly).
    static let maxCaseBytes = 8 << 20

    /// The case file.
    var caseFile: String { "\(caseDirectory)/case.json" }

    /// Runs `body` on the VM's case, holding the case's lock (the agent and an operator may act
    /// at once; a second one waits).
    func withLockedCase(uuid: String, _ body: (ResponseCase) throws -> Void) throws {
        for path in [stateDirectory, "\(stateDirectory)/response", caseDirectory] {
            do { try PrivateDirectory.ensure(path) } catch { throw HyperwardError(.software, error.message) }
        }
        let lock = open(caseDirectory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard lock >= 0 else { throw HyperwardError(.software, "cannot open \(caseDirectory)/lock: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw HyperwardError(.software, "cannot lock \(caseDirectory): \(String(cString: strerror(errno)))") }
        }
        try body(try loadCase(uuid: uuid))
    }

    /// The case on disk, checked (a new one when there is none).
    /// - Throws: `HyperwardError` (`.invalidInput`) naming the file, what is wrong and what to do.
    func loadCase(uuid: String) throws -> ResponseCase {
        let file = caseFile
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT { return ResponseCase(vm: vm, uuid: uuid) }
            if errno == ELOOP { throw HyperwardError(.invalidInput, "\(file) is a symbolic link, not a response case file; remove it") }
            throw HyperwardError(.invalidInput, "cannot read \(file): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw HyperwardError(.invalidInput, "\(file) is not a regular file; move it aside to start afresh")
        }
        guard st.st_size <= Self.maxCaseBytes else {
            throw HyperwardError(.invalidInput, "\(file) is larger than \(Self.maxCaseBytes) bytes: not a response case file; move it aside to start afresh")
        }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size) + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw HyperwardError(.invalidInput, "cannot read \(file): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            count += n
        }
        guard count <= Self.maxCaseBytes else {
            throw HyperwardError(.invalidInput, "\(file) grew past \(Self.maxCaseBytes) bytes while read; move it aside to start afresh")
        }
        let record: ResponseCase
        do {
            record = try JSONDecoder().decode(ResponseCase.self, from: Data(bytes[0..<count]))
        } catch let error as DecodingError {
            throw HyperwardError(.invalidInput, "\(file) is not a response case file (\(Self.describe(error))); move it aside to start afresh")
        } catch {
            throw HyperwardError(.invalidInput, "\(file) is not a response case file; move it aside to start afresh")
        }
        guard record.uuid.lowercased() == uuid.lowercased() else {
            throw HyperwardError(.invalidInput, "\(file) is for another domain named \(vm) (uuid \(record.uuid.prefix(64))); move it aside")
        }
        if let problem = record.problem(vm: vm) {
            throw HyperwardError(.invalidInput, "\(file): \(problem); move it aside to start afresh")
        }
        return record
    }

    /// Replaces the case file atomically (written 0600 under a temporary name, synced, renamed).
    func save(_ record: ResponseCase) throws {
        guard !dryRun else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try SafeFile.write(Array(try encoder.encode(record)), to: caseFile, mode: 0o600, replace: true)
        } catch let error as FileCreationError {
            throw HyperwardError(.software, "cannot write \(caseFile): \(error.message)")
        }
    }

    /// Where a case file does not decode, as `snapshots[0].sha256: …`.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "the top level" : text
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
