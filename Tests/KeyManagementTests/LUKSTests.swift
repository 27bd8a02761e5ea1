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

import FixtureSupport
import Foundation
import HyperwardHost
import Testing

@testable import KeyManagement

/// The LUKS reader against the corpus's `luks` images (made by cryptsetup 2.6.1 and qemu-img 7.2):
/// headers as cryptsetup dumps them, volume keys as `--dump-volume-key` shows them, and the
/// payload decrypted to the known pattern. Hostile headers are altered copies of images this
/// machine's cryptsetup formats at test time.
@Suite("LUKS reader")
struct LUKSTests {
    static func fixture(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        Array(try Data(contentsOf: try Fixtures.file(name, in: "luks", sourceLocation: sourceLocation)))
    }

    /// A LUKS1 (`luks1`) or LUKS2 (`luks2`, 4096-byte sectors) image formatted by cryptsetup with
    /// the passphrase `hunter2` and no payload written: a valid header, and nothing else matters.
    static func formatted(_ type: String) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hw-luks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = directory.appendingPathComponent("\(type).img")
        let key = directory.appendingPathComponent("passphrase")
        try Data("hunter2".utf8).write(to: key)
        // Sparse, and large enough for the header and its alignment (2 MiB for LUKS1).
        _ = FileManager.default.createFile(atPath: image.path, contents: nil)
        let handle = try FileHandle(forWritingTo: image)
        try handle.truncate(atOffset: 3 << 20)
        try handle.close()
        var arguments = ["cryptsetup", "luksFormat", "--batch-mode", "--type", type, "--cipher", "aes-xts-plain64",
                         "--key-size", "512", "--pbkdf-force-iterations", "1000", "--key-file", key.path]
        if type == "luks2" {
            arguments += ["--pbkdf", "pbkdf2", "--luks2-metadata-size", "16k", "--luks2-keyslots-size", "256k", "--sector-size", "4096"]
        }
        let result = HostCommand.run(arguments + [image.path])
        guard result.status == 0 else {
            throw KeyError(.storage, "cryptsetup luksFormat --type \(type) exited \(result.status) (apt-get install -y cryptsetup-bin)")
        }
        return Array(try Data(contentsOf: image))
    }

    /// The volume key cryptsetup printed (`MK dump:` lines of hex).
    static func dumpedKey(_ name: String) throws -> [UInt8] {
        let text = String(decoding: try fixture(name + ".luksDump-volume-key.txt"), as: UTF8.self)
        guard let start = text.range(of: "MK dump:") else { throw KeyError(.storage, "no MK dump in \(name)") }
        return text[start.upperBound...].split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt8($0, radix: 16) }
    }

    @Test("fixtures open with their passphrase to cryptsetup's volume key and the known plaintext", .needsFixtures("luks"),
          arguments: ["luks1-aes-xts-plain64.img", "luks2-aes-xts-plain64-4k.img"])
    func openFixture(name: String) throws {
        let image = try Self.fixture(name)
        let passphrase = Array(try Self.fixture("passphrase.txt"))
        let pattern = try Self.fixture("pattern-1MiB.raw")
        #expect(pattern.enumerated().allSatisfy { $0.element == UInt8(truncatingIfNeeded: 7 &* $0.offset &+ 3) })
        let header = try LUKSHeader(Array(image.prefix(LUKSHeader.maxHeaderBytes)))
        let dump = String(decoding: try Self.fixture(name + ".luksDump.txt"), as: UTF8.self)
        #expect(dump.contains(header.uuid) && header.cipher == "aes-xts-plain64" && header.keyBytes == 64)
        #expect(header.version == (name.hasPrefix("luks1") ? 1 : 2))
        #expect(header.payloadOffset == (name.hasPrefix("luks1") ? 4096 * 512 : 524_288))
        #expect(header.sectorSize == (name.hasPrefix("luks1") ? 512 : 4096))

        let key = try header.volumeKey(passphrase: passphrase) { offset, count in Array(image[offset..<min(offset + count, image.count)]) }
        #expect(key == (try Self.dumpedKey(name)))
        let payload = Array(image[header.payloadOffset..<min(image.count, header.payloadOffset + pattern.count)])
        let plain = try header.decryptPayload(payload, volumeKey: key, firstSector: 0)
        #expect(plain == Array(pattern.prefix(plain.count)) && plain.count >= 512 * 1024, "decrypted \(plain.count) bytes")
        // A later sector alone decrypts too (its IV is its own number).
        let sector = 37
        let one = try header.decryptPayload(Array(payload[(sector * header.sectorSize)..<((sector + 1) * header.sectorSize)]), volumeKey: key, firstSector: sector)
        #expect(one == Array(pattern[(sector * header.sectorSize)..<((sector + 1) * header.sectorSize)]))

        KeyLab.expectError(.wrongPassphrase) {
            _ = try header.volumeKey(passphrase: Array("hunter3".utf8)) { offset, count in Array(image[offset..<min(offset + count, image.count)]) }
        }
    }

    @Test("altered headers are refused with a reason, never trapping")
    func hostile() throws {
        let image = try Self.formatted("luks2")
        var header = Array(image.prefix(LUKSHeader.maxHeaderBytes))
        header[4200] ^= 1  // inside the JSON area: the checksum no longer matches
        KeyLab.expectError(.invalidCiphertext) { _ = try LUKSHeader(header) }
        KeyLab.expectError(.invalidCiphertext) { _ = try LUKSHeader(Array(image.prefix(100))) }
        KeyLab.expectError(.invalidCiphertext) { _ = try LUKSHeader(Array(image.prefix(5000))) }
        var version = Array(image.prefix(4096))
        version[7] = 9
        KeyLab.expectError(.invalidCiphertext) { _ = try LUKSHeader(version) }

        let v1 = try Self.formatted("luks1")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var bytes = Array(v1.prefix(1024))
            for _ in 0..<4 { bytes[Int.random(in: 6..<592, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            _ = try? LUKSHeader(bytes)
        }
        // A keyslot whose area lies past the image is a clear error, not a trap.
        var broken = try LUKSHeader(Array(v1.prefix(1024)))
        broken.keyslots[0].areaOffset = v1.count + 4096
        KeyLab.expectError(.invalidCiphertext) {
            _ = try broken.volumeKey(passphrase: Array("hunter2".utf8)) { offset, count in
                offset + count <= v1.count ? Array(v1[offset..<(offset + count)]) : Array(v1[min(offset, v1.count)...])
            }
        }
    }
}
