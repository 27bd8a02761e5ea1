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
import Testing

@testable import KeyManagement

@Suite("Streaming encryption")
struct StreamCipherTests {
    static let chunk = 4096

    static func encrypt(_ store: Keystore, _ plaintext: [UInt8], name: String = "backups", context: EncryptionContext = EncryptionContext()) throws -> [UInt8] {
        var source = MemoryStream(plaintext)
        var sink = MemoryStream()
        try StreamCipher.encrypt(keystore: store, name: name, context: context, chunkSize: chunk, from: &source, to: &sink)
        return sink.bytes
    }

    static func decrypt(_ store: Keystore, _ stream: [UInt8], name: String = "backups", context: EncryptionContext = EncryptionContext()) throws -> [UInt8] {
        var source = MemoryStream(stream)
        var sink = MemoryStream()
        try StreamCipher.decrypt(keystore: store, name: name, context: context, from: &source, to: &sink)
        return sink.bytes
    }

    static func headerLength(_ name: String = "backups") -> Int { 8 + 2 + name.utf8.count + 4 + 4 + 7 + 2 + 60 }

    @Test("round trips at and around chunk boundaries", arguments: [0, 1, 4095, 4096, 4097, 3 * 4096, 3 * 4096 + 17])
    func roundTrip(size: Int) throws {
        let store = try KeyLab.keystore()
        try store.create("backups")
        let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let stream = try Self.encrypt(store, plaintext)
        let chunks = max(1, (size + Self.chunk - 1) / Self.chunk + (size % Self.chunk == 0 && size > 0 ? 0 : 0))
        #expect(stream.count == Self.headerLength() + size + 16 * chunks)
        #expect(try Self.decrypt(store, stream) == plaintext)
    }

    @Test("truncation at any point, reordered or foreign chunks, and header edits are refused")
    func hostile() throws {
        let store = try KeyLab.keystore()
        try store.create("backups")
        try store.create("other")
        let plaintext = (0..<(3 * Self.chunk + 100)).map { UInt8(truncatingIfNeeded: $0) }
        let stream = try Self.encrypt(store, plaintext)
        let header = Self.headerLength()
        let block = Self.chunk + 16

        // Cut at every chunk boundary: named as truncation.
        for chunks in 0...3 {
            let cut = Array(stream.prefix(header + chunks * block))
            do {
                _ = try Self.decrypt(store, cut)
                Issue.record("a stream cut after \(chunks) chunks decrypted")
            } catch let error as KeyError {
                #expect(error.code == .invalidCiphertext)
                if chunks > 0 { #expect(error.message.contains("truncated"), "\(error)") }
            }
        }
        // Cut anywhere else, including inside the header.
        for length in stride(from: 0, to: stream.count, by: 97) {
            KeyLab.expectError(.invalidCiphertext) { _ = try Self.decrypt(store, Array(stream.prefix(length))) }
        }
        // Chunks 0 and 1 swapped.
        var swapped = stream
        swapped.replaceSubrange(header..<(header + block), with: stream[(header + block)..<(header + 2 * block)])
        swapped.replaceSubrange((header + block)..<(header + 2 * block), with: stream[header..<(header + block)])
        KeyLab.expectError(.invalidCiphertext) { _ = try Self.decrypt(store, swapped) }
        // A chunk from another stream of the same key and header shape.
        let second = try Self.encrypt(store, plaintext)
        var spliced = stream
        spliced.replaceSubrange((header + block)..<(header + 2 * block), with: second[(header + block)..<(header + 2 * block)])
        KeyLab.expectError(.invalidCiphertext) { _ = try Self.decrypt(store, spliced) }
        // A flipped bit anywhere.
        for index in stride(from: 0, to: stream.count, by: 53) {
            var flipped = stream
            flipped[index] ^= 0x10
            KeyLab.expectError(.invalidCiphertext) { _ = try Self.decrypt(store, flipped) }
        }
        // An extra byte at the end.
        KeyLab.expectError(.invalidCiphertext) { _ = try Self.decrypt(store, stream + [0]) }
        // Another context, another key name.
        KeyLab.expectError(.invalidCiphertext) { _ = try Self.decrypt(store, stream, context: try EncryptionContext(arguments: ["vm=x"])) }
        KeyLab.expectError(.invalidCiphertext) { _ = try Self.decrypt(store, stream, name: "other") }
        #expect(try Self.decrypt(store, stream) == plaintext)
    }

    @Test("a stream made before a rotation decrypts until its version is disabled")
    func rotation() throws {
        let store = try KeyLab.keystore()
        try store.create("backups")
        let plaintext = Array("snapshot".utf8)
        let old = try Self.encrypt(store, plaintext)
        try store.rotate("backups")
        let new = try Self.encrypt(store, plaintext)
        #expect(new[Self.headerLength() - 60 - 2 - 7 - 4 - 4 + 3] == 2, "the header names version 2")
        #expect(try Self.decrypt(store, old) == plaintext)
        try store.configure("backups", minDecryptionVersion: 2)
        KeyLab.expectError(.versionDisabled) { _ = try Self.decrypt(store, old) }
        #expect(try Self.decrypt(store, new) == plaintext)
    }

    @Test("random bytes never decrypt and never trap")
    func randomInput() throws {
        let store = try KeyLab.keystore()
        try store.create("backups")
        var generator = SystemRandomNumberGenerator()
        let valid = try Self.encrypt(store, Array("x".utf8))
        for round in 0..<500 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = valid
                for _ in 0..<3 { bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            } else {
                bytes = StreamCipher.magic + (0..<Int.random(in: 0..<300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            if bytes == valid { continue }
            do {
                _ = try Self.decrypt(store, bytes)
                Issue.record("altered bytes decrypted")
            } catch let error as KeyError {
                // A version field turned into one the key lacks is named as such.
                #expect([.invalidCiphertext, .unknownKey, .versionDisabled].contains(error.code), "\(error)")
            }
        }
    }
}
