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

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    @Test("the chunk cipher reproduces the GCM specification's AES-256 test case 15")
    func gcmVector() throws {
        let key = Self.hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let nonce = Self.hex("cafebabefacedbaddecaf888")
        let plaintext = Self.hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
        let expected = Self.hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad")
            + Self.hex("b094dac5d93471bdec1a502270e3cc6c")
        var buffer = plaintext + [UInt8](repeating: 0, count: 16)
        #expect(try ChunkCipher(key: key, encrypting: true).seal(&buffer, count: plaintext.count, nonce: nonce))
        #expect(buffer == expected)
        #expect(try ChunkCipher(key: key, encrypting: false).open(&buffer, count: plaintext.count, nonce: nonce))
        #expect(Array(buffer.prefix(plaintext.count)) == plaintext)
    }

    @Test("chunks sealed in place open with swift-crypto, and the other way round")
    func crossImplementation() throws {
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 15, 16, 17, 4096, 65_536 + 3] {
            let key = SymmetricKey(size: .bits256)
            let keyBytes = key.withUnsafeBytes { Array($0) }
            let nonce = (0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let plaintext = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var buffer = plaintext + [UInt8](repeating: 0, count: 16)
            #expect(try ChunkCipher(key: keyBytes, encrypting: true).seal(&buffer, count: size, nonce: nonce))
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonce), ciphertext: buffer.prefix(size), tag: buffer.suffix(16))
            #expect(Array(try AES.GCM.open(box, using: key)) == plaintext)

            let sealed = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(data: nonce))
            var incoming = Array(sealed.ciphertext) + Array(sealed.tag)
            #expect(try ChunkCipher(key: keyBytes, encrypting: false).open(&incoming, count: size, nonce: nonce))
            #expect(Array(incoming.prefix(size)) == plaintext)
            incoming = Array(sealed.ciphertext) + Array(sealed.tag)
            incoming[incoming.count - 1] ^= 1
            #expect(!(try ChunkCipher(key: keyBytes, encrypting: false).open(&incoming, count: size, nonce: nonce)))
        }
    }

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
