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
import HyperwardStore
import KeyManagement

#if canImport(Glibc)
import Glibc
#endif

/// How the keystore is opened: a passphrase from a file or a descriptor, a key file, or (none
/// given) the terminal.
public struct KeyAccess: Sendable {
    public var passphraseFile: String?
    public var passphraseFD: Int32?
    public var keyFile: String?

    public init(passphraseFile: String? = nil, passphraseFD: Int32? = nil, keyFile: String? = nil) {
        self.passphraseFile = passphraseFile
        self.passphraseFD = passphraseFD
        self.keyFile = keyFile
    }

    /// The unlocker; prompts on the terminal when nothing was given (twice when `confirm`).
    public func unlocker(confirm: Bool = false) throws -> Unlocker {
        if let keyFile {
            let bytes = try SecretInput.readFile(keyFile, limit: 4096, what: "key file")
            return .keyFile(bytes)
        }
        if let passphraseFile {
            return .passphrase(try SecretInput.passphrase(try SecretInput.readFile(passphraseFile, limit: 4098, what: "passphrase file")))
        }
        if let passphraseFD {
            return .passphrase(try SecretInput.passphrase(try SecretInput.readDescriptor(passphraseFD, limit: 4098)))
        }
        let first = try SecretInput.prompt("Keystore passphrase: ")
        if confirm {
            let second = try SecretInput.prompt("Repeat the passphrase: ")
            guard first == second else { throw HyperwardError(.usage, "the passphrases differ") }
        }
        return .passphrase(first)
    }
}

/// Reading secrets: files, descriptors and the terminal without echo.
public enum SecretInput {
    public static func readFile(_ path: String, limit: Int, what: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HyperwardError(.notFound, "cannot open the \(what) \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, st.st_mode & 0o077 != 0 {
            Output.warn("the \(what) \(path) is readable by others (mode \(String(st.st_mode & 0o777, radix: 8))): chmod 600 it")
        }
        return try readDescriptor(fd, limit: limit)
    }

    public static func readDescriptor(_ fd: Int32, limit: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw HyperwardError(.notFound, "cannot read the secret: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes += buffer[0..<n]
            guard bytes.count <= limit else { throw HyperwardError(.usage, "the secret is longer than the limit of \(limit) bytes") }
        }
        for i in buffer.indices { buffer[i] = 0 }
        return bytes
    }

    /// A passphrase as read (one trailing newline allowed): at most 4,096 bytes.
    public static func passphrase(_ bytes: [UInt8]) throws -> [UInt8] {
        let stripped = stripNewline(bytes)
        guard stripped.count <= 4096 else { throw HyperwardError(.usage, "the passphrase is longer than the limit of 4096 bytes") }
        return stripped
    }

    public static func stripNewline(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        return bytes
    }

    /// Prompts on /dev/tty with echo off.
    public static func prompt(_ text: String) throws -> [UInt8] {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            throw HyperwardError(.usage, "no passphrase: give --passphrase-file, --passphrase-fd or --key-file (there is no terminal to ask on)")
        }
        defer { close(fd) }
        _ = text.withCString { write(fd, $0, strlen($0)) }
        var saved = termios()
        let isTerminal = tcgetattr(fd, &saved) == 0
        if isTerminal {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer {
            if isTerminal { tcsetattr(fd, TCSAFLUSH, &saved) }
            _ = write(fd, "\n", 1)
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != 0x0A {
            line.append(byte)
            if line.count > 4096 { throw HyperwardError(.usage, "the passphrase is longer than 4096 bytes") }
        }
        return stripNewline(line)
    }

    /// Standard input, at most `limit` bytes (more is an error).
    public static func standardInput(limit: Int) throws -> [UInt8] {
        try readDescriptor(STDIN_FILENO, limit: limit)
    }
}

/// What every keystore operation shares (the CLI's and the agent's): the configuration, opening
/// the keystore, events.
public struct KeyOperations: Sendable {
    public let configuration: HyperwardConfiguration
    public let directory: String

    public init(configuration: HyperwardConfiguration) throws {
        self.configuration = configuration
        directory = configuration.stateDirectory
    }

    public func open(_ access: KeyAccess) throws -> Keystore {
        do {
            return try Keystore.open(directory: directory, unlocker: try access.unlocker())
        } catch let error as KeyError {
            record("key.open", key: nil, version: nil, outcome: error, message: "keystore not opened: \(error.code.rawValue)")
            throw HyperwardError(exitStatus: error.exitCode, error.message)
        }
    }

    /// Records a key operation as an event (who, which key and version, the outcome, the VM a
    /// key was released to; never material). A store that cannot be written is a warning, not a
    /// failed operation.
    public func record(_ kind: String, key: String?, version: Int?, outcome error: KeyError?, vm: String? = nil, message: String) {
        var actor: [String: String] = ["uid": String(getuid()), "pid": String(getpid())]
        if let user = getpwuid(getuid()).flatMap({ String(validatingCString: $0.pointee.pw_name) }) { actor["user"] = user }
        let event = Event.keyOperation(kind, key: key, version: version, error: error, vm: vm, actor: actor, summary: message)
        do {
            try StateStore(stateDirectory: directory).append([event])
        } catch {
            Output.warn("the key operation could not be recorded as an event: \(error)")
        }
    }

    /// Runs one operation: records it, maps key errors to their exit codes.
    public func perform(_ kind: String, key: String?, _ body: () throws -> (version: Int?, message: String)) throws {
        do {
            let (version, message) = try body()
            record(kind, key: key, version: version, outcome: nil, message: message)
        } catch let error as KeyError {
            record(kind, key: key, version: nil, outcome: error, message: "\(kind) failed: \(error.code.rawValue)")
            throw HyperwardError(exitStatus: error.exitCode, error.message)
        }
    }

    /// Rotates every key whose rotation period has passed, each rotation recorded (`key.rotate`,
    /// after one `key.rotate-due` when `recordCheck`: the agent checks often and records only
    /// rotations); returns the keys as rotated. `by` is added to the events' messages
    /// (", by the agent"). The caller holds the state directory's change lock.
    public func rotateDue(_ store: Keystore, by: String, recordCheck: Bool = true, now: Date = Date()) throws -> [KeyInfo] {
        var due: [KeyInfo] = []
        if recordCheck {
            try perform("key.rotate-due", key: nil) {
                due = try store.rotationDue(now: now)
                return (nil, "\(due.count) key(s) due for rotation")
            }
        } else {
            due = try store.rotationDue(now: now)
        }
        var rotated: [KeyInfo] = []
        for key in due {
            try perform("key.rotate", key: key.name) {
                let info = try store.rotate(key.name)
                rotated.append(info)
                return (info.latestVersion, "rotated key \(key.name) to version \(info.latestVersion) (period \(key.rotateAfterSeconds ?? 0) s\(by))")
            }
        }
        return rotated
    }
}
