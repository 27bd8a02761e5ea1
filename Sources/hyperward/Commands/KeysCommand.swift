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

import Admission
import ArgumentParser
import Foundation
import HyperwardAgent
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

    /// The keystore access these flags describe.
    var keyAccess: KeyAccess { KeyAccess(passphraseFile: passphraseFile, passphraseFD: passphraseFD, keyFile: keyFile) }
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
                let context = try KeyOperations(configuration: try global.loadConfiguration())
                if logN < KDFParameters.default.logN {
                    Output.warn("scrypt cost 2^\(logN) is below the default 2^\(KDFParameters.default.logN): a stolen keystore is cheaper to brute-force")
                }
                let kdf = KDFParameters(logN: logN, r: KDFParameters.default.r, p: KDFParameters.default.p)
                let unlocker = try access.keyAccess.unlocker(confirm: true)
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
                let context = try KeyOperations(configuration: try global.loadConfiguration())
                let store = try context.open(access.keyAccess)
                let lock = try StateChange.acquire(context.directory, "keys rotate-due")
                defer { withExtendedLifetime(lock) {} }
                for info in try context.rotateDue(store, by: "") { Output.write(info.summary + "\n") }
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

extension AsyncParsableCommand {
    /// The shape of every keystore command: load the configuration, open the keystore, run one
    /// recorded operation, exit 0 (errors map to their exit codes).
    /// `changes`: the operation changes state, and holds the state directory's change lock.
    func runKeyOperation(changes: Bool = false, _ kind: String, key: String?, global: GlobalOptions, access: KeyAccessOptions,
                         prepare: (KeyOperations) throws -> Void = { _ in },
                         _ body: (Keystore, KeyOperations) throws -> (version: Int?, message: String)) async throws {
        try await reportingErrors {
            let configuration = try global.loadConfiguration()
            // Changing keys is the admin's; using them (encrypt, decrypt, data keys, listing) an operator's.
            try GovernanceAccess.require(changes ? .admin : .operator, for: kind, configuration: configuration)
            let context = try KeyOperations(configuration: configuration)
            try prepare(context)
            let store = try context.open(access.keyAccess)
            let lock = changes ? try StateChange.acquire(context.directory, kind) : nil
            defer { withExtendedLifetime(lock) {} }
            try context.perform(kind, key: key) { try body(store, context) }
            return ExitStatus.completed
        }
    }
}
