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

import HyperwardHost
import Foundation
import KeyManagement

/// Benchmarks the key service (release build): wrap and unwrap operations per second (a 32-byte
/// data key encrypted and decrypted through a keystore on disk, each call checking the key's
/// records as the command line does), and streaming encryption throughput beside
/// `openssl speed -evp aes-256-gcm -bytes 16384` run in the same process.
///
/// Usage: `KeyBench [--operations 20000] [--stream-mib 1024] [--runs 3]`.
@main
struct KeyBench {
    struct Repeating: ByteSource {
        var remaining: Int
        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(KeyError) -> Int {
            let n = min(buffer.count, remaining)
            // The buffer keeps whatever it held: the cipher's speed does not depend on the bytes.
            remaining -= n
            return n
        }
    }

    struct Discard: ByteSink {
        var bytes = 0
        mutating func write(_ chunk: UnsafeRawBufferPointer) throws(KeyError) { bytes += chunk.count }
    }

    static func main() throws {
        var operations = 20_000, streamMiB = 1024, runs = 3
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let a = args.next() {
            switch a {
            case "--operations": operations = Int(args.next() ?? "") ?? operations
            case "--stream-mib": streamMiB = Int(args.next() ?? "") ?? streamMiB
            case "--runs": runs = Int(args.next() ?? "") ?? runs
            default: FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8)); exit(64)
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hw-keybench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Keystore.initialize(directory: directory, unlocker: .passphrase(Array("bench".utf8)))
        try store.create("bench")
        try store.rotate("bench")

        let key = [UInt8](repeating: 7, count: 32)
        var ciphertexts: [Ciphertext] = []
        ciphertexts.reserveCapacity(operations)
        let wrap = try time { for _ in 0..<operations { ciphertexts.append(try store.encrypt("bench", key)) } }
        let unwrap = try time { for c in ciphertexts { _ = try store.decrypt("bench", c) } }
        print(String(format: "wrap (encrypt a 32-byte data key): %.0f operations/s", Double(operations) / wrap))
        print(String(format: "unwrap (decrypt it): %.0f operations/s", Double(operations) / unwrap))

        let bytes = streamMiB << 20
        var streamTimes: [Double] = []
        var opensslRates: [Double] = []
        for _ in 0..<runs {
            streamTimes.append(try time {
                var source = Repeating(remaining: bytes)
                var sink = Discard()
                try StreamCipher.encrypt(keystore: store, name: "bench", from: &source, to: &sink)
            })
            opensslRates.append(try opensslSpeed())
        }
        let streamRate = Double(bytes) / median(streamTimes)
        let opensslRate = median(opensslRates)
        print(String(format: "stream encryption (64 KiB chunks, %d MiB): %.0f MB/s", streamMiB, streamRate / 1e6))
        print(String(format: "openssl speed -evp aes-256-gcm (16 KiB blocks): %.0f MB/s -> ratio %.2f (target >= 0.8)",
                     opensslRate / 1e6, streamRate / opensslRate))
    }

    /// `openssl speed`'s AES-256-GCM rate on 16 KiB blocks, in bytes per second.
    static func opensslSpeed() throws -> Double {
        let text = HostCommand.run(["/usr/bin/openssl", "speed", "-evp", "aes-256-gcm", "-bytes", "16384", "-seconds", "2"]).stdout
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("AES-256-GCM") || $0.hasPrefix("aes-256-gcm") }),
              let field = line.split(separator: " ").last, field.hasSuffix("k"), let thousands = Double(field.dropLast()) else {
            throw BenchError("cannot read openssl speed's output: \(text.suffix(300))")
        }
        return thousands * 1000
    }

    static func time(_ body: () throws -> Void) throws -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
