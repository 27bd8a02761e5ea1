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

/// Where a stream's bytes come from.
public protocol ByteSource {
    /// Reads up to `buffer.count` bytes; 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(KeyError) -> Int
}

/// Where a stream's bytes go.
public protocol ByteSink {
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(KeyError)
}

/// A file descriptor as a source or sink (`read(2)`/`write(2)`, retried on EINTR).
public struct FileDescriptorStream: ByteSource, ByteSink {
    public let fd: Int32
    public init(fd: Int32) { self.fd = fd }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(KeyError) -> Int {
        while true {
            let n = Foundation.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw KeyError(.storage, "read failed: \(String(cString: strerror(errno)))") }
        }
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(KeyError) {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw KeyError(.storage, "write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}

/// Bytes in memory as a source or sink (tests, small streams).
public struct MemoryStream: ByteSource, ByteSink {
    public var bytes: [UInt8]
    public var position = 0
    public init(_ bytes: [UInt8] = []) { self.bytes = bytes }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(KeyError) -> Int {
        let n = min(buffer.count, bytes.count - position)
        if n > 0 {
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
            position += n
        }
        return n
    }

    public mutating func write(_ chunk: UnsafeRawBufferPointer) throws(KeyError) {
        bytes.append(contentsOf: chunk)
    }
}

/// The streaming format for backups and snapshots of any size (docs/keys.md):
///
/// ```
/// "HWSTRM" 0x00 0x01 | u16 name length | name | u32 key version | u32 chunk size
///   | 7-byte nonce prefix | u16 wrapped length (60) | wrapped data key
/// then chunks: ciphertext (chunk size bytes, the last one shorter or equal) | 16-byte tag
/// ```
///
/// Each stream has its own random 256-bit data key, wrapped (AES-256-GCM) by the named key's
/// version with the header's fields and the context as associated data: a changed header fails
/// to unwrap. Chunk *i* is sealed with nonce `prefix ‖ i (u32, big-endian) ‖ last (0 or 1)`
/// (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár): a reordered, dropped or
/// swapped chunk fails its tag, and a stream cut at a chunk boundary fails because its last
/// remaining chunk was not sealed as the last. Integers are big-endian.
public enum StreamCipher {
    public static let magic: [UInt8] = Array("HWSTRM".utf8) + [0, 1]
    public static let defaultChunkSize = 64 * 1024
    public static let chunkSizes = 4096...(16 << 20)
    static let wrappedKeyLength = 60

    static func keyAAD(name: String, version: Int, chunkSize: Int, prefix: [UInt8], context: EncryptionContext) -> [UInt8] {
        Array("hyperward/stream/v1\u{0}\(name)\u{0}\(version)\u{0}\(chunkSize)\u{0}".utf8) + prefix + [0] + context.canonicalBytes
    }

    static func nonce(_ prefix: [UInt8], _ counter: UInt32, last: Bool) -> [UInt8] {
        prefix + [UInt8(counter >> 24), UInt8(truncatingIfNeeded: counter >> 16), UInt8(truncatingIfNeeded: counter >> 8),
                  UInt8(truncatingIfNeeded: counter), last ? 1 : 0]
    }

    /// Reads until `buffer` is full or the source ends; returns the count.
    static func fill(_ source: inout some ByteSource, _ buffer: UnsafeMutableRawBufferPointer) throws(KeyError) -> Int {
        var total = 0
        while total < buffer.count {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
            if n == 0 { break }
            total += n
        }
        return total
    }

    /// Encrypts `source` to `sink` under the latest version of `name`; returns the version and the
    /// plaintext byte count.
    @discardableResult
    public static func encrypt(keystore: Keystore, name: String, context: EncryptionContext = EncryptionContext(),
                               chunkSize: Int = defaultChunkSize, from source: inout some ByteSource,
                               to sink: inout some ByteSink) throws(KeyError) -> (version: Int, bytes: Int) {
        guard chunkSizes.contains(chunkSize) else { throw KeyError(.invalidArgument, "chunk size must be 4 KiB to 16 MiB") }
        let (versionKey, version) = try keystore.encryptionKey(name)
        let prefix = Keystore.randomBytes(7)
        let dataKey = SymmetricKey(size: .bits256)
        let wrapped = try Keystore.seal(dataKey.withUnsafeBytes { Array($0) }, key: versionKey,
                                        aad: keyAAD(name: name, version: version, chunkSize: chunkSize, prefix: prefix, context: context))
        var header = magic
        header += [UInt8(name.utf8.count >> 8), UInt8(name.utf8.count & 0xFF)] + Array(name.utf8)
        header += bigEndian32(UInt32(version)) + bigEndian32(UInt32(chunkSize)) + prefix
        header += [UInt8(wrapped.count >> 8), UInt8(wrapped.count & 0xFF)] + wrapped
        try write(header, count: header.count, to: &sink)

        let cipher = try ChunkCipher(key: dataKey.withUnsafeBytes { Array($0) }, encrypting: true)
        // Two buffers (a chunk and room for its tag): the chunk being sealed and the next one,
        // read ahead to learn whether the current chunk is the last.
        var current = [UInt8](repeating: 0, count: chunkSize + 16)
        var next = [UInt8](repeating: 0, count: chunkSize + 16)
        var currentCount = try fill(&current, count: chunkSize, from: &source)
        var counter: UInt32 = 0
        var total = 0
        while true {
            var nextCount = 0
            if currentCount == chunkSize {
                nextCount = try fill(&next, count: chunkSize, from: &source)
            }
            let last = nextCount == 0
            let count = currentCount
            let sealed = current.withUnsafeMutableBytes { cipher.seal($0.baseAddress!, count: count, nonce: nonce(prefix, counter, last: last)) }
            guard sealed else { throw KeyError(.storage, "encryption failed in libcrypto") }
            try write(current, count: count + 16, to: &sink)
            total += currentCount
            if last { break }
            guard counter < UInt32.max else { throw KeyError(.invalidArgument, "stream too long for its chunk size") }
            counter += 1
            swap(&current, &next)
            currentCount = nextCount
        }
        return (version, total)
    }

    /// The header fields of a stream (read and checked, without the keystore).
    public struct Header: Sendable, Hashable {
        public var name: String
        public var version: Int
        public var chunkSize: Int
        var prefix: [UInt8]
        var wrappedKey: [UInt8]
    }

    /// Reads and checks a header; `invalidCiphertext` for anything malformed.
    public static func readHeader(_ source: inout some ByteSource) throws(KeyError) -> Header {
        func take(_ count: Int, _ what: String) throws(KeyError) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            let n = try fill(&bytes, count: count, from: &source)
            guard n == count else { throw KeyError(.invalidCiphertext, "the stream ends inside its header (\(what))") }
            return bytes
        }
        guard try take(8, "magic") == magic else {
            throw KeyError(.invalidCiphertext, "not a Hyperward encrypted stream (bad magic or format version)")
        }
        let nameLength = try take(2, "name length").reduce(0) { $0 << 8 | Int($1) }
        guard (1...64).contains(nameLength) else { throw KeyError(.invalidCiphertext, "stream header: key name length \(nameLength) out of range") }
        guard let name = String(bytes: try take(nameLength, "key name"), encoding: .utf8), (try? Keystore.validate(name: name)) != nil else {
            throw KeyError(.invalidCiphertext, "stream header: invalid key name")
        }
        let version = Int(try take(4, "version").reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        let chunkSize = Int(try take(4, "chunk size").reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        guard version >= 1 else { throw KeyError(.invalidCiphertext, "stream header: key version 0") }
        guard chunkSizes.contains(chunkSize) else { throw KeyError(.invalidCiphertext, "stream header: chunk size \(chunkSize) out of range") }
        let prefix = try take(7, "nonce prefix")
        let wrappedLength = try take(2, "wrapped key length").reduce(0) { $0 << 8 | Int($1) }
        guard wrappedLength == wrappedKeyLength else { throw KeyError(.invalidCiphertext, "stream header: wrapped key of \(wrappedLength) bytes") }
        return Header(name: name, version: version, chunkSize: chunkSize, prefix: prefix, wrappedKey: try take(wrappedLength, "wrapped key"))
    }

    /// Decrypts a stream made by `encrypt` with key `name` (which the header must name).
    /// Plaintext is written chunk by chunk as each authenticates: on an error, what was written
    /// must be discarded (the command line writes to a temporary file and renames it on success).
    @discardableResult
    public static func decrypt(keystore: Keystore, name: String, context: EncryptionContext = EncryptionContext(),
                               from source: inout some ByteSource, to sink: inout some ByteSink) throws(KeyError) -> (version: Int, bytes: Int) {
        let header = try readHeader(&source)
        guard header.name == name else {
            throw KeyError(.invalidCiphertext, "the stream was encrypted with key \(header.name.debugDescription), not \(name.debugDescription)")
        }
        let versionKey = try keystore.decryptionKey(name, version: header.version)
        guard let keyBytes = try Keystore.open(header.wrappedKey, key: versionKey,
                                               aad: keyAAD(name: name, version: header.version, chunkSize: header.chunkSize,
                                                           prefix: header.prefix, context: context)), keyBytes.count == 32 else {
            throw KeyError(.invalidCiphertext, "the stream's key does not authenticate (header altered, or another context)")
        }
        let cipher = try ChunkCipher(key: keyBytes, encrypting: false)
        let block = header.chunkSize + 16
        var current = [UInt8](repeating: 0, count: block)
        var next = [UInt8](repeating: 0, count: block)
        var currentCount = try fill(&current, count: block, from: &source)
        var counter: UInt32 = 0
        var total = 0
        while true {
            guard currentCount >= 16 else {
                throw KeyError(.invalidCiphertext, counter == 0 ? "the stream has no chunks (truncated after its header)"
                                                               : "chunk \(counter) is shorter than its tag (truncated)")
            }
            var nextCount = 0
            if currentCount == block {
                nextCount = try fill(&next, count: block, from: &source)
            }
            let last = nextCount == 0
            let count = currentCount - 16
            // Decryption is in place: keep the final chunk to tell a cut stream from an altered one.
            let kept = last ? Array(current[0..<currentCount]) : []
            let opened = current.withUnsafeMutableBytes { cipher.open($0.baseAddress!, count: count, nonce: nonce(header.prefix, counter, last: last)) }
            guard opened else {
                var retry = kept
                let cut = last && retry.withUnsafeMutableBytes { cipher.open($0.baseAddress!, count: count, nonce: nonce(header.prefix, counter, last: false)) }
                let partial = last && currentCount < block
                throw KeyError(.invalidCiphertext, cut ? "the stream is truncated after chunk \(counter)"
                    : partial ? "chunk \(counter) fails authentication (the stream is cut inside it, or it was altered)"
                    : "chunk \(counter) fails authentication (altered, reordered, or from another stream)")
            }
            try write(current, count: count, to: &sink)
            total += count
            if last { break }
            guard counter < UInt32.max else { throw KeyError(.invalidCiphertext, "stream too long") }
            counter += 1
            swap(&current, &next)
            currentCount = nextCount
        }
        return (header.version, total)
    }

    /// Writes the first `count` bytes of an array to a sink.
    static func write(_ array: [UInt8], count: Int, to sink: inout some ByteSink) throws(KeyError) {
        var failure: KeyError?
        array.withUnsafeBytes { buffer in
            do throws(KeyError) { try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Fills the first `count` bytes of an array from a source as far as it goes; returns the count.
    static func fill(_ array: inout [UInt8], count limit: Int, from source: inout some ByteSource) throws(KeyError) -> Int {
        var failure: KeyError?
        var count = 0
        array.withUnsafeMutableBytes { buffer in
            do throws(KeyError) { count = try fill(&source, UnsafeMutableRawBufferPointer(rebasing: buffer[0..<limit])) } catch { failure = error }
        }
        if let failure { throw failure }
        return count
    }

    static func bigEndian32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}
