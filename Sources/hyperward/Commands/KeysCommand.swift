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

import ArgumentParser
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardStore
import KeyManagement

/// `hyperward keys`: the host's key-management service (docs/keys.md).
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Key management: versioned keys, envelope encryption, rotation, encrypted streams.",
        discussion: """
            The root passphrase comes from --passphrase-file, --passphrase-fd or a terminal prompt \
            (never the command line); --key-file opens a keystore made with a key file. Payloads are \
            read from standard input, results written to standard output. Exit codes: 0 done; \
            64 usage or invalid argument; 65 invalid or unauthentic ciphertext; 66 no keystore; \
            67 unknown key or version; 68 version disabled by the key's minimums; 69 refused by policy; 70 storage error; \
            73 keystore already exists; 76 keystore corrupted or tampered; 77 wrong passphrase or key file.
            """,
        subcommands: [Init.self, Create.self, Rotate.self, List.self, Show.self, Config.self, Trim.self,
                      Encrypt.self, Decrypt.self, Rewrap.self, DataKey.self, RotateDue.self]
    )
}

/// How the keystore is opened.
struct KeyAccessOptions: ParsableArguments {
    @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("Read the root passphrase from FILE (one trailing newline ignored).", valueName: "FILE"))
    var passphraseFile: String?

    @Option(name: .customLong("passphrase-fd"), help: ArgumentHelp("Read the root passphrase from file descriptor N.", valueName: "N"))
    var passphraseFD: Int32?

    @Option(name: .customLong("key-file"), help: ArgumentHelp("Open the keystore with a key file (32 to 4096 bytes) instead of a passphrase.", valueName: "FILE"))
    var keyFile: String?

    func validate() throws {
        if [passphraseFile != nil, passphraseFD != nil, keyFile != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give at most one of --passphrase-file, --passphrase-fd and --key-file")
        }
    }

    /// The unlocker; prompts on the terminal when nothing was given (twice when `confirm`).
    func unlocker(confirm: Bool = false) throws -> Unlocker {
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
enum SecretInput {
    static func readFile(_ path: String, limit: Int, what: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HyperwardError(.notFound, "cannot open the \(what) \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, st.st_mode & 0o077 != 0 {
            Output.warn("the \(what) \(path) is readable by others (mode \(String(st.st_mode & 0o777, radix: 8))): chmod 600 it")
        }
        return try readDescriptor(fd, limit: limit)
    }

    static func readDescriptor(_ fd: Int32, limit: Int) throws -> [UInt8] {
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
    static func passphrase(_ bytes: [UInt8]) throws -> [UInt8] {
        let stripped = stripNewline(bytes)
        guard stripped.count <= 4096 else { throw HyperwardError(.usage, "the passphrase is longer than the limit of 4096 bytes") }
        return stripped
    }

    static func stripNewline(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        return bytes
    }

    /// Prompts on /dev/tty with echo off.
    static func prompt(_ text: String) throws -> [UInt8] {
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
    static func standardInput(limit: Int) throws -> [UInt8] {
        try readDescriptor(STDIN_FILENO, limit: limit)
    }
}

/// What every keys subcommand shares: the configuration, opening the keystore, events.
struct KeyCommandContext {
    let configuration: HyperwardConfiguration
    let directory: String

    init(global: GlobalOptions) throws {
        try self.init(configuration: try global.loadConfiguration())
    }

    init(configuration: HyperwardConfiguration) throws {
        self.configuration = configuration
        directory = configuration.stateDirectory
    }

    func open(_ access: KeyAccessOptions) throws -> Keystore {
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
    func record(_ kind: String, key: String?, version: Int?, outcome error: KeyError?, vm: String? = nil, message: String) {
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
    func perform(_ kind: String, key: String?, _ body: () throws -> (version: Int?, message: String)) throws {
        do {
            let (version, message) = try body()
            record(kind, key: key, version: version, outcome: nil, message: message)
        } catch let error as KeyError {
            record(kind, key: key, version: nil, outcome: error, message: "\(kind) failed: \(error.code.rawValue)")
            throw HyperwardError(exitStatus: error.exitCode, error.message)
        }
    }
}

extension KeyInfo {
    var summary: String {
        let versions = versions.map(\.version)
        return "\(name)  latest v\(latestVersion)  decrypt ≥ v\(minDecryptionVersion)  encrypt ≥ v\(max(minEncryptionVersion, minDecryptionVersion))  "
            + "stored v\(versions.first ?? 0)…v\(versions.last ?? 0)  rotate \(rotateAfterSeconds.map { "every \($0) s" } ?? "manually")  created \(created)"
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

extension KeysCommand {
    /// `KEY=VALUE` arguments as a context (a bad one is a usage error).
    static func context(_ arguments: [String]) throws -> EncryptionContext {
        do throws(KeyError) {
            return try EncryptionContext(arguments: arguments)
        } catch {
            throw HyperwardError(exitStatus: error.exitCode, error.message)
        }
    }

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "init", abstract: "Create the keystore in the state directory.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(name: .customLong("scrypt-log-n"), help: "scrypt cost: log2 of N (10 to 22; default 15). Below 15 weakens the passphrase's protection.")
        var logN: Int = KDFParameters.default.logN

        func run() async throws {
            try await reportingErrors {
                let context = try KeyCommandContext(global: global)
                if logN < KDFParameters.default.logN {
                    Output.warn("scrypt cost 2^\(logN) is below the default 2^\(KDFParameters.default.logN): a stolen keystore is cheaper to brute-force")
                }
                let kdf = KDFParameters(logN: logN, r: KDFParameters.default.r, p: KDFParameters.default.p)
                let unlocker = try access.unlocker(confirm: true)
                try StateChange.locked(context.directory, "keys init") {
                  try context.perform("key.init", key: nil) {
                    let store = try Keystore.initialize(directory: context.directory, unlocker: unlocker, kdf: kdf)
                    Output.write("keystore created at \(store.path)\n")
                    return (nil, "keystore created (\(access.keyFile == nil ? "passphrase, scrypt N=2^\(logN)" : "key file"))")
                  }
                }
                return ExitStatus.completed
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a key (version 1).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Argument(help: "The key's name.") var name: String
        @Option(name: .customLong("rotate-after"), help: ArgumentHelp("Rotate automatically once the latest version is this many seconds old (the agent).", valueName: "SECONDS"))
        var rotateAfter: Int?

        func run() async throws {
            try await runKeyOperation(changes: true, "key.create", key: name, global: global, access: access) { store, context in
                let info = try store.create(name, rotateAfterSeconds: rotateAfter)
                Output.write(info.summary + "\n")
                return (1, "created key \(name)")
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rotate", abstract: "Add a version and make it the latest.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Argument(help: "The key's name.") var name: String
        @Option(help: ArgumentHelp("Then keep only the newest N versions decryptable (advances the minimum decryption version; never back).", valueName: "N"))
        var keep: Int?

        func run() async throws {
            try await runKeyOperation(changes: true, "key.rotate", key: name, global: global, access: access) { store, context in
                let info = try store.rotate(name, keep: keep)
                Output.write(info.summary + "\n")
                return (info.latestVersion, "rotated key \(name) to version \(info.latestVersion)")
            }
        }
    }

    struct RotateDue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rotate-due", abstract: "Rotate every key whose rotation period has passed.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions

        func run() async throws {
            try await reportingErrors {
                let context = try KeyCommandContext(global: global)
                let store = try context.open(access)
                let lock = try StateChange.acquire(context.directory, "keys rotate-due")
                defer { withExtendedLifetime(lock) {} }
                var due: [KeyInfo] = []
                try context.perform("key.rotate-due", key: nil) {
                    due = try store.rotationDue()
                    return (nil, "\(due.count) key(s) due for rotation")
                }
                for key in due {
                    try context.perform("key.rotate", key: key.name) {
                        let info = try store.rotate(key.name)
                        Output.write(info.summary + "\n")
                        return (info.latestVersion, "rotated key \(key.name) to version \(info.latestVersion) (period \(key.rotateAfterSeconds ?? 0) s)")
                    }
                }
                return ExitStatus.completed
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the keys (metadata only).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "text or json (one object per line).") var format: EventsCommand.Format = .text

        func run() async throws {
            try await runKeyOperation("key.list", key: nil, global: global, access: access) { store, context in
                let keys = try store.list()
                Output.write(keys.map { format == .json ? $0.json : $0.summary }.joined(separator: "\n") + (keys.isEmpty ? "" : "\n"))
                return (nil, "listed \(keys.count) key(s)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one key's metadata as JSON (never its material).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Argument(help: "The key's name.") var name: String

        func run() async throws {
            try await runKeyOperation("key.show", key: name, global: global, access: access) { store, context in
                let info = try store.info(name)
                Output.write(info.json + "\n")
                return (info.latestVersion, "showed key \(name)")
            }
        }
    }

    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "config", abstract: "Set a key's minimum versions or rotation period.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Argument(help: "The key's name.") var name: String
        @Option(name: .customLong("min-decryption-version"), help: "Refuse to decrypt below this version (only moves forward).")
        var minDecryption: Int?
        @Option(name: .customLong("min-encryption-version"), help: "Refuse to encrypt or rewrap to versions below this (0: no minimum).")
        var minEncryption: Int?
        @Option(name: .customLong("rotate-after"), help: ArgumentHelp("Rotation period in seconds (0: off).", valueName: "SECONDS"))
        var rotateAfter: Int?

        func validate() throws {
            if minDecryption == nil && minEncryption == nil && rotateAfter == nil {
                throw ValidationError("give --min-decryption-version, --min-encryption-version or --rotate-after")
            }
        }

        func run() async throws {
            try await runKeyOperation(changes: true, "key.config", key: name, global: global, access: access) { store, context in
                let info = try store.configure(name, minDecryptionVersion: minDecryption, minEncryptionVersion: minEncryption,
                                               rotateAfterSeconds: rotateAfter)
                Output.write(info.summary + "\n")
                return (info.latestVersion, "configured key \(name): decrypt ≥ v\(info.minDecryptionVersion), encrypt ≥ v\(info.minEncryptionVersion)")
            }
        }
    }

    struct Trim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "trim", abstract: "Delete the versions below the minimum decryption version.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Argument(help: "The key's name.") var name: String

        func run() async throws {
            try await runKeyOperation(changes: true, "key.trim", key: name, global: global, access: access) { store, context in
                let (info, removed) = try store.trim(name)
                Output.write(info.summary + "\n")
                return (info.minDecryptionVersion, "trimmed key \(name): deleted \(removed.isEmpty ? "nothing" : removed.map { "v\($0)" }.joined(separator: ", "))")
            }
        }
    }

    /// Payload options shared by encrypt and decrypt.
    struct PayloadOptions: ParsableArguments {
        @Option(name: .customLong("context"), help: ArgumentHelp("Bind KEY=VALUE as associated data (repeatable; decryption must give the same).", valueName: "KEY=VALUE"))
        var context: [String] = []
        @Flag(help: "The streaming format (any size, binary) instead of one small payload.")
        var stream = false
        @Option(name: .customLong("in"), help: ArgumentHelp("Read from FILE instead of standard input (--stream).", valueName: "FILE"))
        var input: String?
        @Option(name: .customLong("out"), help: ArgumentHelp("Write to FILE (0600, appears only when complete) instead of standard output (--stream).", valueName: "FILE"))
        var output: String?

        func validate() throws {
            if !stream && (input != nil || output != nil) { throw ValidationError("--in and --out go with --stream") }
        }

        func encryptionContext() throws -> EncryptionContext { try KeysCommand.context(context) }

        /// Runs a stream transform between the chosen input and output (standard input and
        /// output by default); an output file appears only when `body` succeeds.
        func withStreams(_ body: (inout FileDescriptorStream, inout FileDescriptorStream) throws -> Void) throws {
            try StreamFiles.transform(input: input, output: output, body)
        }

        /// The streaming branch of encrypt and decrypt: runs `transform` and describes it.
        func stream(_ verb: String, key: String,
                    _ transform: (inout FileDescriptorStream, inout FileDescriptorStream) throws -> (version: Int, bytes: Int)) throws -> (Int?, String) {
            var result: (version: Int, bytes: Int) = (0, 0)
            try withStreams { source, sink in result = try transform(&source, &sink) }
            return (result.version, "\(verb) a stream of \(result.bytes) bytes with key \(key) v\(result.version)")
        }
    }

    struct Encrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "encrypt", abstract: "Encrypt standard input with a key's latest version.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @OptionGroup var payload: PayloadOptions
        @Argument(help: "The key's name.") var name: String

        func run() async throws {
            try await runKeyOperation("key.encrypt", key: name, global: global, access: access) { store, context in
                let encryptionContext = try payload.encryptionContext()
                if payload.stream {
                    return try payload.stream("encrypted", key: name) { source, sink in
                        try StreamCipher.encrypt(keystore: store, name: name, context: encryptionContext, from: &source, to: &sink)
                    }
                }
                let plaintext = try SecretInput.standardInput(limit: Keystore.maxPayload)
                let ciphertext = try store.encrypt(name, plaintext, context: encryptionContext)
                Output.write(ciphertext.description + "\n")
                return (ciphertext.version, "encrypted \(plaintext.count) bytes with key \(name) v\(ciphertext.version)")
            }
        }
    }

    struct Decrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "decrypt", abstract: "Decrypt a ciphertext (or stream) from standard input.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @OptionGroup var payload: PayloadOptions
        @Argument(help: "The key's name.") var name: String

        func run() async throws {
            try await runKeyOperation("key.decrypt", key: name, global: global, access: access) { store, context in
                let encryptionContext = try payload.encryptionContext()
                if payload.stream {
                    return try payload.stream("decrypted", key: name) { source, sink in
                        try StreamCipher.decrypt(keystore: store, name: name, context: encryptionContext, from: &source, to: &sink)
                    }
                }
                let text = try SecretInput.standardInput(limit: Ciphertext.maxTextLength + 2)
                let ciphertext = try Ciphertext(parsing: String(decoding: text, as: UTF8.self))
                let plaintext = try store.decrypt(name, ciphertext, context: encryptionContext)
                Output.write(plaintext)
                return (ciphertext.version, "decrypted \(plaintext.count) bytes with key \(name) v\(ciphertext.version)")
            }
        }
    }

    struct Rewrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rewrap", abstract: "Re-encrypt a ciphertext under the latest (or a given) version; the plaintext never leaves the process.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Argument(help: "The key's name.") var name: String
        @Option(name: .customLong("to-version"), help: "The target version (default: the latest).") var toVersion: Int?
        @Option(name: .customLong("context"), help: ArgumentHelp("The ciphertext's context (repeatable).", valueName: "KEY=VALUE"))
        var context: [String] = []

        func run() async throws {
            try await runKeyOperation("key.rewrap", key: name, global: global, access: access) { store, _ in
                let encryptionContext = try KeysCommand.context(context)
                let text = try SecretInput.standardInput(limit: Ciphertext.maxTextLength + 2)
                let old = try Ciphertext(parsing: String(decoding: text, as: UTF8.self))
                let new = try store.rewrap(name, old, context: encryptionContext, toVersion: toVersion)
                Output.write(new.description + "\n")
                return (new.version, "rewrapped a ciphertext of key \(name) from v\(old.version) to v\(new.version)")
            }
        }
    }

    struct DataKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "datakey", abstract: "Make a fresh data key: JSON with its plaintext (base64) and ciphertext, or the ciphertext only.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Argument(help: "The key's name.") var name: String
        @Flag(name: .customLong("wrapped-only"), help: "Print only the ciphertext (the plaintext never leaves the process).")
        var wrappedOnly = false
        @Option(help: "Data key length in bytes: 16, 24, 32 or 64.") var bytes = 32
        @Option(name: .customLong("context"), help: ArgumentHelp("Bind KEY=VALUE (repeatable).", valueName: "KEY=VALUE"))
        var context: [String] = []

        func run() async throws {
            try await runKeyOperation("key.datakey", key: name, global: global, access: access) { store, _ in
                let encryptionContext = try KeysCommand.context(context)
                let (plaintext, ciphertext) = try store.dataKey(name, bytes: bytes, context: encryptionContext)
                if wrappedOnly {
                    Output.write(ciphertext.description + "\n")
                } else {
                    Output.write("{\"ciphertext\":\"\(ciphertext)\",\"key_version\":\(ciphertext.version),\"plaintext\":\"\(Data(plaintext).base64EncodedString())\"}\n")
                }
                return (ciphertext.version, "made a \(bytes)-byte data key with key \(name) v\(ciphertext.version)\(wrappedOnly ? " (wrapped only)" : "")")
            }
        }
    }
}

/// Files for streams: an input read from a path or standard input, an output written to a path
/// (0600, appearing only when complete, never over an existing file unless `replace`) or
/// standard output.
enum StreamFiles {
    static func transform(input: String?, output: String?, replace: Bool = false,
                          _ body: (inout FileDescriptorStream, inout FileDescriptorStream) throws -> Void) throws {
        var inputFD = STDIN_FILENO
        if let input {
            inputFD = try openInput(input, allowPipes: true)
        }
        defer { if input != nil { close(inputFD) } }
        guard let output else {
            var source = FileDescriptorStream(fd: inputFD)
            var sink = FileDescriptorStream(fd: STDOUT_FILENO)
            return try body(&source, &sink)
        }
        if let input, sameFile(input, output) {
            throw HyperwardError(.usage, "--out \(output) is the input file")
        }
        // The output is an unnamed file until it is complete: a run killed at any point (even
        // SIGKILL) leaves no partial file, no plaintext, behind.
        try SafeFile.create(output, mode: 0o600, replace: replace) { outputFD in
            var source = FileDescriptorStream(fd: inputFD)
            var sink = FileDescriptorStream(fd: outputFD)
            try body(&source, &sink)
        }
    }

    /// Opens a file to read without blocking on a FIFO's open (a disk image replaced by a FIFO
    /// must not hang the command): a regular file, or a pipe where `allowPipes`.
    static func openInput(_ path: String, allowPipes: Bool = false) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw HyperwardError(.notFound, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw HyperwardError(.notFound, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFBLK || (allowPipes && type == S_IFIFO) else {
            close(fd)
            let what = type == S_IFDIR ? "a directory" : type == S_IFIFO ? "a FIFO" : type == S_IFCHR ? "a character device" : type == S_IFSOCK ? "a socket" : "not a regular file"
            throw HyperwardError(.notFound, "\(path) is \(what), not a file")
        }
        // Reads block normally from here on.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// Whether two paths name the same existing file.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }
}

extension AsyncParsableCommand {
    /// The shape of every keystore command: load the configuration, open the keystore, run one
    /// recorded operation, exit 0 (errors map to their exit codes).
    /// `changes`: the operation changes state, and holds the state directory's change lock.
    func runKeyOperation(changes: Bool = false, _ kind: String, key: String?, global: GlobalOptions, access: KeyAccessOptions,
                         prepare: (KeyCommandContext) throws -> Void = { _ in },
                         _ body: (Keystore, KeyCommandContext) throws -> (version: Int?, message: String)) async throws {
        try await reportingErrors {
            let context = try KeyCommandContext(global: global)
            try prepare(context)
            let store = try context.open(access)
            let lock = changes ? try StateChange.acquire(context.directory, kind) : nil
            defer { withExtendedLifetime(lock) {} }
            try context.perform(kind, key: key) { try body(store, context) }
            return ExitStatus.completed
        }
    }
}
