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


import Attestation
import Crypto
import FixtureSupport
import Foundation
import HyperwardHost

/// Times parsing and replaying a ~1 MiB crypto-agile event log (release build), and rendering its
/// report as JSON and YAML: the median of `--runs` runs, against a baseline measured in the same run on the same bytes (one SHA-256 pass
/// over the log, the least any reader that hashes the data must do).
///
/// The log is a real one (`../shared/fixtures/eventlogs/tpm2-tools/event-gce-ubuntu-2104-log.bin`:
/// sha1, sha256 and sha384 banks, image loads, GPT, variables) with its events after the Spec ID
/// header repeated until the log reaches `--size` bytes; without the corpus, valid events are
/// synthesized instead. `--write FILE` also writes the log, for timing whole processes
/// (benchmarks/attest-log.sh).
///
///     swift build -c release --product AttestationBench && .build/release/AttestationBench [--runs 31] [--size 1048576] [--write big.bin]
///     .build/release/AttestationBench --verify [--runs 31]   (swtpm and tpm2-tools; see VerifyBench)
///     .build/release/AttestationBench --extend LOG --tcti TCTI   (a log's digests into a software TPM)
@main
enum AttestationBench {
    static func main() throws {
        var runs = 31, size = 1 << 20
        var write: String?
        var verify = false
        var extend: (file: String, tcti: String)?
        var hyperward = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hyperward").path
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let a = args.next() {
            switch a {
            case "--runs": runs = max(1, Int(args.next() ?? "") ?? runs)
            case "--size": size = max(1024, Int(args.next() ?? "") ?? size)
            case "--write": write = args.next()
            case "--verify": verify = true
            case "--extend": extend = (args.next() ?? "", "")
            case "--tcti": extend?.tcti = args.next() ?? ""
            case "--hyperward": hyperward = args.next() ?? hyperward
            default:
                FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8))
                exit(64)
            }
        }
        if let extend {
            // Replays a log's digests into a software TPM (benchmarks/attest-verify.sh).
            let log = TPMEventLog(parsing: [UInt8](try Data(contentsOf: URL(fileURLWithPath: extend.file))))
            try VerifyBench.extend(log, into: TPMTools(tcti: extend.tcti))
            return
        }
        let (bytes, origin) = makeLog(size: size)
        if let write { try Data(bytes).write(to: URL(fileURLWithPath: write)) }
        if verify {
            try VerifyBench.run(runs: runs, bigLog: bytes, hyperward: hyperward)
            return
        }

        let probe = TPMEventLog(parsing: bytes)
        guard probe.isComplete else {
            FileHandle.standardError.write(Data("the built log does not parse: \(probe.problem.map(String.init(describing:)) ?? "")\n".utf8))
            exit(70)
        }
        let parse = measure(runs) { TPMEventLog(parsing: bytes).events.count }
        let replay = measure(runs) { PCRReplay.replay(probe).banks.count }
        let both = measure(runs) { PCRReplay.replay(TPMEventLog(parsing: bytes)).banks.count }
        let baseline = measure(runs) { Int(SHA256.hash(data: bytes).withUnsafeBytes { $0[0] }) }
        let report = EventLogReport(log: probe, source: "big.bin")
        let json = measure(max(3, runs / 3)) { report.json().utf8.count }
        let yaml = measure(max(3, runs / 3)) { report.yaml().utf8.count }

        let mib = Double(bytes.count) / Double(1 << 20)
        print("AttestationBench: \(String(format: "%.2f", mib)) MiB crypto-agile log, \(probe.events.count) events, banks \(probe.banks.map(\.name).joined(separator: " ")) (\(origin)); median of \(runs) runs")
        print("  parse           \(ms(parse))")
        print("  replay          \(ms(replay))")
        print("  parse + replay  \(ms(both))   target < 20 ms: \(both < 0.020 ? "met" : "NOT met")")
        print("  render JSON     \(ms(json))   (hyperward attest log --format json)")
        print("  render YAML     \(ms(yaml))")
        print("  baseline: SHA-256 of the log bytes \(ms(baseline)); parse + replay = \(String(format: "%.1f", both / baseline))x baseline")
    }

    static func ms(_ seconds: Double) -> String { String(format: "%8.3f ms", seconds * 1000) }

    /// The median wall time of `runs` calls of `body`.
    static func measure(_ runs: Int, _ body: () -> Int) -> Double {
        var times: [Double] = []
        var check = 0
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            check &+= body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        if check == Int.min { print(check) } // keeps the work observable
        times.sort()
        return times[times.count / 2]
    }

    /// A crypto-agile log of at least `size` bytes: the fixture's events repeated, or synthesized ones.
    static func makeLog(size: Int) -> ([UInt8], String) {
        let fixture = Fixtures.root.appendingPathComponent("eventlogs/tpm2-tools/event-gce-ubuntu-2104-log.bin")
        if let data = try? Data(contentsOf: fixture) {
            let bytes = [UInt8](data)
            let log = TPMEventLog(parsing: bytes)
            if log.isComplete, log.events.count > 1 {
                let header = Array(bytes[..<log.events[1].offset])
                let body = Array(bytes[log.events[1].offset...])
                var out = header
                while out.count < size { out += body }
                return (out, "events of event-gce-ubuntu-2104-log.bin repeated")
            }
        }
        return (synthesize(size: size), "synthesized events; the corpus is absent")
    }

    /// A Spec ID header for sha1 and sha256, then separators, EFI actions and variables.
    static func synthesize(size: Int) -> [UInt8] {
        func le(_ value: UInt64, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        var spec: [UInt8] = Array("Spec ID Event03".utf8) + [0] + le(0, 4) + [0, 2, 0, 2] + le(2, 4)
        spec += le(0x04, 2) + le(20, 2) + le(0x0B, 2) + le(32, 2) + [0]
        var out: [UInt8] = le(0, 4) + le(3, 4) + [UInt8](repeating: 0, count: 20) + le(UInt64(spec.count), 4) + spec
        let variable: [UInt8] = [UInt8](repeating: 0x61, count: 16) + le(10, 8) + le(4, 8)
            + "SecureBoot".utf16.flatMap { le(UInt64($0), 2) } + [1, 0, 0, 0]
        let bodies: [(UInt32, UInt32, [UInt8])] = [
            (7, 0x8000_0001, variable), (4, 0x8000_0007, Array("Calling EFI Application from Boot Option".utf8)),
            (0, 4, [0, 0, 0, 0]),
        ]
        var i = 0
        while out.count < size {
            let (pcr, type, data) = bodies[i % bodies.count]
            out += le(UInt64(pcr), 4) + le(UInt64(type), 4) + le(2, 4)
            out += le(0x04, 2) + Array(Insecure.SHA1.hash(data: data)) + le(0x0B, 2) + Array(SHA256.hash(data: data))
            out += le(UInt64(data.count), 4) + data
            i += 1
        }
        return out
    }
}
