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

import COpenSSLCrypto

/// AES-256-GCM over one stream's chunks, in place, with the system's libcrypto: one cipher
/// context per stream, its key expanded once, a new nonce per chunk. (The small-payload API
/// seals with swift-crypto; for gigabytes its copies into fresh buffers cost more than the
/// cipher itself.)
final class ChunkCipher {
    private let context: OpaquePointer
    private let encrypting: Bool

    /// - Throws: `storage` when libcrypto cannot set up the cipher.
    init(key: [UInt8], encrypting: Bool) throws(KeyError) {
        guard key.count == 32, let context = EVP_CIPHER_CTX_new() else {
            throw KeyError(.storage, "cannot set up AES-256-GCM")
        }
        self.context = context
        self.encrypting = encrypting
        let ok = key.withUnsafeBufferPointer { key in
            encrypting ? EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key.baseAddress, nil)
                       : EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key.baseAddress, nil)
        }
        guard ok == 1 else { throw KeyError(.storage, "cannot set up AES-256-GCM") }
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// Encrypts `count` bytes at `buffer` in place and stores the 16-byte tag right after them.
    func seal(_ buffer: UnsafeMutableRawPointer, count: Int, nonce: [UInt8]) -> Bool {
        precondition(encrypting && nonce.count == 12)
        let bytes = buffer.assumingMemoryBound(to: UInt8.self)
        var length: Int32 = 0
        guard nonce.withUnsafeBufferPointer({ EVP_EncryptInit_ex(context, nil, nil, nil, $0.baseAddress) }) == 1 else { return false }
        if count > 0 { guard EVP_EncryptUpdate(context, bytes, &length, bytes, Int32(count)) == 1 else { return false } }
        guard EVP_EncryptFinal_ex(context, bytes + count, &length) == 1 else { return false }
        return EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, 16, buffer + count) == 1
    }

    /// Decrypts `count` bytes at `buffer` in place, checking the 16-byte tag that follows them.
    /// On false the bytes are garbage and must not be used.
    func open(_ buffer: UnsafeMutableRawPointer, count: Int, nonce: [UInt8]) -> Bool {
        precondition(!encrypting && nonce.count == 12)
        let bytes = buffer.assumingMemoryBound(to: UInt8.self)
        var length: Int32 = 0
        guard nonce.withUnsafeBufferPointer({ EVP_DecryptInit_ex(context, nil, nil, nil, $0.baseAddress) }) == 1 else { return false }
        if count > 0 { guard EVP_DecryptUpdate(context, bytes, &length, bytes, Int32(count)) == 1 else { return false } }
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, 16, buffer + count) == 1 else { return false }
        var scratch = [UInt8](repeating: 0, count: 32)
        return scratch.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(context, $0.baseAddress, &length) } > 0
    }
}
