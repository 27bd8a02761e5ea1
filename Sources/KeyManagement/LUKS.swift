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
import Crypto
import CryptoExtras
import Foundation

/// A LUKS1 or LUKS2 header, read with bounds from untrusted bytes: enough to check a disk image
/// and open it with a passphrase (PBKDF2 keyslots, anti-forensic split, `aes-xts-plain64`), the
/// way cryptsetup does. Argon2 keyslots and other ciphers are reported as unsupported.
public struct LUKSHeader: Sendable, Hashable {
    public struct Keyslot: Sendable, Hashable {
        public var index: Int
        /// PBKDF2's hash (`sha256`, `sha1`, `sha512`).
        public var hash: String
        public var iterations: Int
        public var salt: [UInt8]
        /// Where the split key lies (bytes from the start of the image) and its stripes.
        public var areaOffset: Int
        public var stripes: Int
        public var afHash: String
        public var keyBytes: Int
    }

    public var version: Int
    public var uuid: String
    /// `aes-xts-plain64`.
    public var cipher: String
    public var keyBytes: Int
    /// The first byte of encrypted data.
    public var payloadOffset: Int
    /// Bytes per encrypted sector (512, or 4096 in LUKS2).
    public var sectorSize: Int
    /// How the volume key is checked: PBKDF2 over it with this hash, salt and iterations gives `digest`.
    public var digestHash: String
    public var digestSalt: [UInt8]
    public var digestIterations: Int
    public var digest: [UInt8]
    public var keyslots: [Keyslot]

    static let magic: [UInt8] = [0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE]
    /// The most header bytes parsed (LUKS2 metadata areas are at most 4 MiB).
    public static let maxHeaderBytes = 4 << 20

    static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) << 8 | UInt16(b[at + 1]) }
    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(b[at + $1]) } }
    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(b[at + $1]) } }

    /// A NUL-terminated ASCII field.
    static func text(_ b: [UInt8], _ at: Int, _ length: Int) -> String {
        let field = b[at..<(at + length)]
        return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func parseV1(_ b: [UInt8]) throws(KeyError) -> LUKSHeader {
        let cipher = text(b, 8, 32) + "-" + text(b, 40, 32)
        let hash = text(b, 72, 32)
        let payload = Int(u32(b, 104))
        let keyBytes = Int(u32(b, 108))
        guard [32, 64].contains(keyBytes) else { throw KeyError(.invalidCiphertext, "LUKS1: key size \(keyBytes) bytes is not supported") }
        guard payload > 0, payload < (1 << 30) else { throw KeyError(.invalidCiphertext, "LUKS1: payload offset out of range") }
        var slots: [Keyslot] = []
        for index in 0..<8 {
            let base = 208 + index * 48
            guard u32(b, base) == 0x00AC_71F3 else { continue }
            let iterations = Int(u32(b, base + 4)), offset = Int(u32(b, base + 40)), stripes = Int(u32(b, base + 44))
            guard (1...100_000_000).contains(iterations), (1...8192).contains(stripes), offset > 0, offset < payload else {
                throw KeyError(.invalidCiphertext, "LUKS1: keyslot \(index) has out-of-range fields")
            }
            slots.append(Keyslot(index: index, hash: hash, iterations: iterations, salt: Array(b[(base + 8)..<(base + 40)]),
                                 areaOffset: offset * 512, stripes: stripes, afHash: hash, keyBytes: keyBytes))
        }
        let iterations = Int(u32(b, 164))
        guard (1...100_000_000).contains(iterations) else { throw KeyError(.invalidCiphertext, "LUKS1: digest iterations out of range") }
        return LUKSHeader(version: 1, uuid: text(b, 168, 40), cipher: cipher, keyBytes: keyBytes, payloadOffset: payload * 512, sectorSize: 512,
                          digestHash: hash, digestSalt: Array(b[132..<164]), digestIterations: iterations, digest: Array(b[112..<132]),
                          keyslots: slots)
    }

    static func parseV2(_ b: [UInt8]) throws(KeyError) -> LUKSHeader {
        guard b.count >= 4096 else { throw KeyError(.invalidCiphertext, "LUKS2: the binary header needs 4096 bytes") }
        let size = u64(b, 8)
        guard size >= 16384, size <= UInt64(maxHeaderBytes), Int(size) <= b.count else {
            throw KeyError(.invalidCiphertext, "LUKS2: header size \(size) out of range or beyond the bytes given")
        }
        let headerSize = Int(size)
        guard text(b, 72, 32) == "sha256" else { throw KeyError(.invalidCiphertext, "LUKS2: checksum algorithm \(text(b, 72, 32).debugDescription) is not supported") }
        var zeroed = Array(b[0..<headerSize])
        for i in 448..<(448 + 64) { zeroed[i] = 0 }
        guard Array(SHA256.hash(data: zeroed)) == Array(b[448..<(448 + 32)]) else {
            throw KeyError(.invalidCiphertext, "LUKS2: header checksum mismatch (damaged or altered header)")
        }
        let jsonBytes = b[4096..<headerSize].prefix { $0 != 0 }
        guard let object = try? JSONSerialization.jsonObject(with: Data(jsonBytes)) as? [String: Any] else {
            throw KeyError(.invalidCiphertext, "LUKS2: metadata is not a JSON object")
        }
        func dict(_ any: Any?) -> [String: Any] { any as? [String: Any] ?? [:] }
        func number(_ any: Any?) -> Int? {
            if let n = any as? Int { return n }
            if let s = any as? String { return Int(s) }
            return nil
        }
        func base64(_ any: Any?) -> [UInt8]? { (any as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init) }

        guard let (segmentKey, segment) = dict(object["segments"]).sorted(by: { $0.key < $1.key }).first.map({ ($0.key, dict($0.value)) }),
              segment["type"] as? String == "crypt", let cipher = segment["encryption"] as? String,
              let offset = number(segment["offset"]), offset > 0, let sectorSize = number(segment["sector_size"]), [512, 4096].contains(sectorSize) else {
            throw KeyError(.invalidCiphertext, "LUKS2: no usable crypt segment")
        }
        guard let digest = dict(object["digests"]).values.map(dict).first(where: { ($0["segments"] as? [String] ?? []).contains(segmentKey) }),
              digest["type"] as? String == "pbkdf2", let digestHash = digest["hash"] as? String,
              let digestIterations = number(digest["iterations"]), (1...100_000_000).contains(digestIterations),
              let digestSalt = base64(digest["salt"]), let digestValue = base64(digest["digest"]), !digestValue.isEmpty else {
            throw KeyError(.invalidCiphertext, "LUKS2: no PBKDF2 digest for the segment (argon2/other digests are not supported)")
        }
        var keyBytes = 0
        var slots: [Keyslot] = []
        for (key, value) in dict(object["keyslots"]).sorted(by: { $0.key < $1.key }) {
            let slot = dict(value), kdf = dict(slot["kdf"]), area = dict(slot["area"]), af = dict(slot["af"])
            guard let index = Int(key), let size = number(slot["key_size"]), [32, 64].contains(size) else { continue }
            keyBytes = size
            // Only PBKDF2 keyslots can be opened here; others are skipped (and reported if none is left).
            guard kdf["type"] as? String == "pbkdf2", let hash = kdf["hash"] as? String, let iterations = number(kdf["iterations"]),
                  (1...100_000_000).contains(iterations), let salt = base64(kdf["salt"]),
                  area["encryption"] as? String == "aes-xts-plain64", let areaOffset = number(area["offset"]), areaOffset >= 4096,
                  af["type"] as? String == "luks1", let stripes = number(af["stripes"]), (1...8192).contains(stripes),
                  let afHash = af["hash"] as? String else { continue }
            slots.append(Keyslot(index: index, hash: hash, iterations: iterations, salt: salt, areaOffset: areaOffset, stripes: stripes,
                                 afHash: afHash, keyBytes: size))
        }
        guard keyBytes > 0 else { throw KeyError(.invalidCiphertext, "LUKS2: no keyslot") }
        return LUKSHeader(version: 2, uuid: text(b, 168, 40), cipher: cipher, keyBytes: keyBytes, payloadOffset: offset, sectorSize: sectorSize,
                          digestHash: digestHash, digestSalt: digestSalt, digestIterations: digestIterations, digest: digestValue, keyslots: slots)
    }

    // MARK: Opening

    static func hashFunction(_ name: String) throws(KeyError) -> KDF.Insecure.PBKDF2.HashFunction {
        switch name {
        case "sha256": .sha256
        case "sha512": .sha512
        case "sha1": .insecureSHA1
        default: throw KeyError(.invalidCiphertext, "LUKS hash \(name.debugDescription) is not supported")
        }
    }

    static func pbkdf2(_ password: [UInt8], salt: [UInt8], hash: String, iterations: Int, bytes: Int) throws(KeyError) -> [UInt8] {
        let function = try hashFunction(hash)
        do {
            return try KDF.Insecure.PBKDF2.deriveKey(from: password, salt: salt, using: function, outputByteCount: bytes,
                                                     unsafeUncheckedRounds: iterations).withUnsafeBytes { Array($0) }
        } catch {
            throw KeyError(.storage, "PBKDF2 failed: \(error)")
        }
    }

    /// The anti-forensic merge (LUKS1 specification §2.4): hash-diffuse and XOR the stripes.
    static func afMerge(_ split: [UInt8], keyBytes: Int, stripes: Int, hash: String) throws(KeyError) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: keyBytes)
        for stripe in 0..<(stripes - 1) {
            for i in 0..<keyBytes { block[i] ^= split[stripe * keyBytes + i] }
            block = try diffuse(block, hash: hash)
        }
        let last = (stripes - 1) * keyBytes
        return (0..<keyBytes).map { block[$0] ^ split[last + $0] }
    }

    static func diffuse(_ block: [UInt8], hash: String) throws(KeyError) -> [UInt8] {
        func digest(_ data: [UInt8]) throws(KeyError) -> [UInt8] {
            switch hash {
            case "sha256": return Array(SHA256.hash(data: data))
            case "sha512": return Array(SHA512.hash(data: data))
            case "sha1": return Array(Insecure.SHA1.hash(data: data))
            default: throw KeyError(.invalidCiphertext, "LUKS hash \(hash.debugDescription) is not supported")
            }
        }
        let size = hash == "sha256" ? 32 : hash == "sha512" ? 64 : 20
        var out: [UInt8] = []
        var index: UInt32 = 0
        var position = 0
        while position < block.count {
            let chunk = Array(block[position..<min(position + size, block.count)])
            let prefix = [UInt8(index >> 24), UInt8(truncatingIfNeeded: index >> 16), UInt8(truncatingIfNeeded: index >> 8), UInt8(truncatingIfNeeded: index)]
            out += try digest(prefix + chunk).prefix(chunk.count)
            position += size
            index += 1
        }
        return out
    }

    /// Opens the volume key with a passphrase, reading keyslot areas through `read(offset, count)`.
    /// - Throws: `wrongPassphrase` when no keyslot opens; `invalidCiphertext` for what cannot be read.
    public func volumeKey(passphrase: [UInt8], read: (Int, Int) throws(KeyError) -> [UInt8]) throws(KeyError) -> [UInt8] {
        guard cipher == "aes-xts-plain64" else { throw KeyError(.invalidCiphertext, "cipher \(cipher.debugDescription) is not supported (aes-xts-plain64 only)") }
        guard !keyslots.isEmpty else { throw KeyError(.invalidCiphertext, "no PBKDF2 keyslot to open (argon2 keyslots are not supported)") }
        for slot in keyslots {
            let areaBytes = slot.keyBytes * slot.stripes
            let sectors = (areaBytes + 511) / 512
            let area = try read(slot.areaOffset, sectors * 512)
            guard area.count == sectors * 512 else { throw KeyError(.invalidCiphertext, "keyslot \(slot.index) area is truncated") }
            let derived = try LUKSHeader.pbkdf2(passphrase, salt: slot.salt, hash: slot.hash, iterations: slot.iterations, bytes: slot.keyBytes)
            let split = try XTS.decrypt(area, key: derived, sectorSize: 512, firstIV: 0, ivUnit: 512)
            let candidate = try LUKSHeader.afMerge(Array(split.prefix(areaBytes)), keyBytes: slot.keyBytes, stripes: slot.stripes, hash: slot.afHash)
            let check = try LUKSHeader.pbkdf2(candidate, salt: digestSalt, hash: digestHash, iterations: digestIterations, bytes: digest.count)
            if constantTimeEquals(check, digest) { return candidate }
        }
        throw KeyError(.wrongPassphrase, "the passphrase opens no keyslot of LUKS volume \(uuid)")
    }

    /// Decrypts whole sectors of the payload: `ciphertext` starts at payload sector `firstSector`.
    public func decryptPayload(_ ciphertext: [UInt8], volumeKey: [UInt8], firstSector: Int) throws(KeyError) -> [UInt8] {
        // plain64 IVs count 512-byte units even for 4096-byte sectors (no iv_large_sectors).
        try XTS.decrypt(ciphertext, key: volumeKey, sectorSize: sectorSize, firstIV: UInt64(firstSector * (sectorSize / 512)), ivUnit: 512)
    }
}

/// AES-XTS with plain64 IVs through libcrypto.
enum XTS {
    static func decrypt(_ data: [UInt8], key: [UInt8], sectorSize: Int, firstIV: UInt64, ivUnit: Int) throws(KeyError) -> [UInt8] {
        guard data.count % sectorSize == 0 else { throw KeyError(.invalidCiphertext, "data is not a whole number of \(sectorSize)-byte sectors") }
        let cipher: OpaquePointer? = switch key.count {
        case 32: EVP_aes_128_xts()
        case 64: EVP_aes_256_xts()
        default: nil
        }
        guard let cipher, let context = EVP_CIPHER_CTX_new() else { throw KeyError(.invalidCiphertext, "unsupported XTS key size \(key.count)") }
        defer { EVP_CIPHER_CTX_free(context) }
        guard key.withUnsafeBufferPointer({ EVP_DecryptInit_ex(context, cipher, nil, $0.baseAddress, nil) }) == 1 else {
            throw KeyError(.invalidCiphertext, "the XTS key is refused (both halves equal?)")
        }
        var output = data
        var iv = [UInt8](repeating: 0, count: 16)
        var ok = true
        output.withUnsafeMutableBufferPointer { buffer in
            var offset = 0
            var sectorIV = firstIV
            while offset < buffer.count && ok {
                for i in 0..<8 { iv[i] = UInt8(truncatingIfNeeded: sectorIV >> (8 * UInt64(i))) }
                var length: Int32 = 0
                let sector = buffer.baseAddress! + offset
                ok = iv.withUnsafeBufferPointer { EVP_DecryptInit_ex(context, nil, nil, nil, $0.baseAddress) } == 1
                    && EVP_DecryptUpdate(context, sector, &length, sector, Int32(sectorSize)) == 1
                offset += sectorSize
                sectorIV &+= UInt64(sectorSize / ivUnit)
            }
        }
        guard ok else { throw KeyError(.invalidCiphertext, "XTS decryption failed") }
        return output
    }
}

extension LUKSHeader {
    /// Parses a header from the first bytes of an image (at least 592 for LUKS1; the whole
    /// binary header and JSON area for LUKS2, `hdr_size` bytes).
    /// - Throws: `invalidCiphertext` naming what is malformed or unsupported.
    public init(_ bytes: [UInt8]) throws(KeyError) {
        guard bytes.count >= 592, Array(bytes[0..<6]) == LUKSHeader.magic else {
            throw KeyError(.invalidCiphertext, "not a LUKS header (bad magic)")
        }
        let version = Int(LUKSHeader.u16(bytes, 6))
        switch version {
        case 1: self = try LUKSHeader.parseV1(bytes)
        case 2: self = try LUKSHeader.parseV2(bytes)
        default: throw KeyError(.invalidCiphertext, "LUKS version \(version) is not supported")
        }
    }
}
