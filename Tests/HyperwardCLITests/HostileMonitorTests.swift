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
import Synchronization
import Testing

/// Misuse of `monitor`, `sense`, `audit`, `events` and the global options: never a crash, never a
/// silent acceptance, and every error names what was wrong (the path, the key, the line, the limits).
@Suite("hostile input to monitor, sense, audit and events (command line)", .serialized)
struct HostileMonitorTests {
    /// One misuse: the files it needs (relative to a scratch directory; `$S` in arguments and file
    /// contents is that directory), the arguments, the exit status and a fragment the error must contain.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var files: [String: String] = [:]
        var binaryFiles: [String: [UInt8]] = [:]
        var arguments: [String]
        var status: Int32
        var fragments: [String]
        /// Run in the scratch directory (for relative paths).
        var inScratch = false
        var testDescription: String { name }
    }

    static let series = "timestamp,value\n2014-02-14 14:30:00,1\n2014-02-14 14:35:00,2\n2014-02-14 14:40:00,3\n"

    /// A pcap header (little-endian, version 2.4) with link type `linkType` and one 20-byte frame.
    static func pcap(linkType: UInt32) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        let header = le32(0xA1B2_C3D4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(65535) + le32(linkType)
        let record = le32(1_700_000_000) + le32(0) + le32(20) + le32(20) + [UInt8](repeating: 0x45, count: 20)
        return header + record
    }

    static let cases: [Case] = [
        // 1. The output is never the input, nor an existing file.
        Case(name: "replay --out the input itself", files: ["f.csv": series],
             arguments: ["monitor", "replay", "$S/f.csv", "--out", "$S/f.csv"], status: 73, fragments: ["is the input"]),
        Case(name: "replay --out the input by another spelling", files: ["f.csv": series],
             arguments: ["monitor", "replay", "$S/f.csv", "--out", "$S/./f.csv"], status: 73, fragments: ["is the input"]),
        Case(name: "replay --out an existing file", files: ["f.csv": series, "old.csv": "keep me\n"],
             arguments: ["monitor", "replay", "$S/f.csv", "--out", "$S/old.csv"], status: 73, fragments: ["old.csv already exists"]),
        Case(name: "replay --out a directory", files: ["f.csv": series],
             arguments: ["monitor", "replay", "$S/f.csv", "--out", "$S"], status: 73, fragments: ["is a directory"]),
        Case(name: "replay --out in a missing directory", files: ["f.csv": series],
             arguments: ["monitor", "replay", "$S/f.csv", "--out", "$S/missing/out.csv"], status: 73,
             fragments: ["cannot create $S/missing/out.csv: the directory $S/missing does not exist"]),
        // 3. Time order.
        Case(name: "replay of unsorted timestamps", files: ["u.csv": "timestamp,value\n2014-02-14 14:35:00,1\n2014-02-14 14:30:00,2\n"],
             arguments: ["monitor", "replay", "$S/u.csv"], status: 65, fragments: ["line 3", "earlier than line 2"]),
        Case(name: "replay of a duplicate timestamp is replayed and warned about",
             files: ["d.csv": "timestamp,value\n2014-02-14 14:30:00,1\n2014-02-14 14:30:00,2\n2014-02-14 14:35:00,3\n"],
             arguments: ["monitor", "replay", "$S/d.csv"], status: 0, fragments: ["1 row(s) repeat the previous row's timestamp (first at line 3)"]),
        // 7. Timestamp errors say the accepted formats; overlong lines say the limit.
        Case(name: "replay of a bad timestamp", files: ["t.csv": "timestamp,value\n14/02/2014 14:30:00 PM,1\n"],
             arguments: ["monitor", "replay", "$S/t.csv"], status: 65, fragments: ["line 2", "YYYY-MM-DD HH:MM:SS"]),
        Case(name: "replay of an overlong line", files: ["l.csv": "timestamp,value\n2014-02-14 14:30:00," + String(repeating: "1", count: 2000) + "\n"],
             arguments: ["monitor", "replay", "$S/l.csv"], status: 65, fragments: ["line 2", "1024 bytes"]),
        // 4. An invalid sense.allow entry is a configuration error.
        Case(name: "config sense.allow with a bad CIDR", files: ["c.yaml": "sense:\n  prevent: true\n  allow: [10.0.0.0/8, 10.0.0.1/33]\n"],
             arguments: ["events", "--config", "$S/c.yaml", "--state-dir", "$S/state"], status: 78,
             fragments: ["c.yaml:3:", "sense.allow", "10.0.0.1/33"]),
        // 5. Relative paths resolve against the working directory.
        Case(name: "relative --config", files: ["c.yaml": "log_level: bogus\n"],
             arguments: ["events", "--config", "c.yaml", "--state-dir", "$S/state"], status: 78,
             fragments: ["c.yaml:1:", "log_level 'bogus'"], inScratch: true),
        Case(name: "relative monitor --policy", files: ["p.yaml": "interval_seconds: 10\nbogus: 1\n"],
             arguments: ["monitor", "--policy", "p.yaml", "--duration", "1"], status: 78,
             fragments: ["p.yaml:2:", "unknown setting 'bogus'"], inScratch: true),
        // 6. Silently accepted input.
        Case(name: "waivers file with an unknown key",
             files: ["w.yaml": "waiver:\n  - { id: ksm.run, reason: lab, expires: \"2999-01-01\" }\n", "host/proc/cmdline": "quiet\n"],
             arguments: ["audit", "--root", "$S/host", "--waivers", "$S/w.yaml", "--no-record"], status: 64,
             fragments: ["w.yaml:1:", "unknown key 'waiver'"]),
        Case(name: "waiver with an unknown key",
             files: ["w.yaml": "waivers:\n  - id: ksm.run\n    reason: lab\n    expire: \"2999-01-01\"\n", "host/proc/cmdline": "quiet\n"],
             arguments: ["audit", "--root", "$S/host", "--waivers", "$S/w.yaml", "--no-record"], status: 64,
             fragments: ["w.yaml:4:", "unknown key 'expire' in waiver #1"]),
        Case(name: "monitor policy with an invalid VM pattern", files: ["p.yaml": "vms: [\"web-*\", \"[a-\"]\n"],
             arguments: ["monitor", "--policy", "$S/p.yaml", "--duration", "1"], status: 78,
             fragments: ["p.yaml:1:", "vms", "never closed"]),
        Case(name: "configuration monitor section with an invalid VM pattern",
             files: ["c.yaml": "state_directory: $S/state\nmonitor:\n  vms: [\"[a-\"]\n"],
             arguments: ["monitor", "--config", "$S/c.yaml", "--duration", "1"], status: 78,
             fragments: ["c.yaml:3:", "never closed"]),
        Case(name: "--log-level bogus", arguments: ["events", "--log-level", "bogus", "--state-dir", "$S/state"], status: 64,
             fragments: ["--log-level 'bogus'", "trace, debug, info, notice, warning, error, critical"]),
        Case(name: "pcap with a link type the decoder does not read", binaryFiles: ["x.pcap": pcap(linkType: 147)],
             arguments: ["sense", "--pcap", "$S/x.pcap"], status: 65, fragments: ["LINKTYPE_147 (147) is not supported", "EN10MB (1)"]),
        Case(name: "events on a missing state directory", arguments: ["events", "--state-dir", "$S/state"], status: 66,
             fragments: ["$S/state does not exist"]),
        // 7. A directory where a file is expected: say so, with the path.
        Case(name: "--policy a directory", arguments: ["monitor", "--policy", "$S", "--duration", "1"], status: 78, fragments: ["$S is a directory"]),
        Case(name: "--config a directory", arguments: ["events", "--config", "$S", "--state-dir", "$S/state"], status: 78, fragments: ["$S is a directory"]),
        Case(name: "replay a directory", arguments: ["monitor", "replay", "$S"], status: 66, fragments: ["$S is a directory"]),
        Case(name: "sense --pcap a directory", arguments: ["sense", "--pcap", "$S"], status: 66, fragments: ["$S is a directory"]),
        Case(name: "audit --waivers a directory", files: ["host/proc/cmdline": "quiet\n"],
             arguments: ["audit", "--root", "$S/host", "--waivers", "$S", "--no-record"], status: 64, fragments: ["$S is a directory"]),
        Case(name: "audit --output in a missing directory", files: ["host/proc/cmdline": "quiet\n"],
             arguments: ["audit", "--root", "$S/host", "--no-record", "--output", "$S/missing/r.txt"], status: 73,
             fragments: ["cannot create $S/missing/r.txt: the directory $S/missing does not exist"]),
        // 7. Negative numbers get the option's own message, with or without `=`.
        Case(name: "--interval=-5", arguments: ["monitor", "--interval=-5"], status: 64, fragments: ["--interval must be a positive number"]),
        Case(name: "--interval -5", arguments: ["monitor", "--interval", "-5"], status: 64, fragments: ["--interval must be a positive number"]),
        Case(name: "--duration -5", arguments: ["monitor", "--duration", "-5"], status: 64, fragments: ["--duration must be a positive number"]),
        Case(name: "events --limit -5", arguments: ["events", "--limit", "-5"], status: 64, fragments: ["--limit must be a positive number"]),
        Case(name: "sense --duration -5", arguments: ["sense", "--interface", "lo", "--duration", "-5"], status: 64,
             fragments: ["--duration must be a positive number"]),
    ]

    @Test(arguments: cases)
    func misuseIsAClearError(_ c: Case) throws {
        let scratch = Scratch()
        let s = scratch.path
        for (name, text) in c.files { scratch.write(name, text.replacingOccurrences(of: "$S", with: s)) }
        for (name, bytes) in c.binaryFiles { _ = FileManager.default.createFile(atPath: s + "/" + name, contents: Data(bytes)) }
        let before = Self.snapshot(s)
        let r = try Self.run(c.arguments.map { $0.replacingOccurrences(of: "$S", with: s) }, in: c.inScratch ? s : nil)
        #expect(r.status == c.status, "\(c.name): \(r.stderr)")
        for fragment in c.fragments {
            let expected = fragment.replacingOccurrences(of: "$S", with: s)
            #expect(r.stderr.contains(expected), "\(c.name): expected '\(expected)' in: \(r.stderr)")
        }
        #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("Fatal error"), "\(r.stderr)")
        if c.status != 0 {
            // A refused command creates, changes and removes nothing.
            #expect(Self.snapshot(s) == before, "\(c.name) changed the scratch directory")
        }
    }

    @Test func replayToANewFileWritesItAndLeavesTheInputAlone() throws {
        let scratch = Scratch()
        let input = scratch.write("f.csv", Self.series)
        let r = try CLI.run(["monitor", "replay", input, "--out", scratch.path + "/out.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: input, encoding: .utf8) == Self.series)
        #expect(try String(contentsOfFile: scratch.path + "/out.csv", encoding: .utf8).hasPrefix("timestamp,value,anomaly_score,alert\n"))
    }

    @Test func relativePathsInAConfigurationAreRelativeToItsDirectory() throws {
        let scratch = Scratch()
        _ = scratch.weakHost()
        scratch.write("etc/hyperward.yaml", "audit:\n  waivers: waivers.yaml\n")
        scratch.write("etc/waivers.yaml", "waivers:\n  - { id: ksm.run, reason: lab, expires: \"2999-01-01\" }\n")
        let r = try Self.run(["audit", "--config", "etc/hyperward.yaml", "--root", "host", "--no-record", "--format", "json"], in: scratch.path)
        #expect(r.status != 64 && r.status != 78, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let ksm = (object?["findings"] as? [[String: Any]])?.first { $0["id"] as? String == "ksm.run" }
        #expect(ksm?["waiver"] != nil, "the waivers file next to the configuration applies")
    }

    @Test func replayStopsAtTheRowLimitWithoutReadingTheRest() throws {
        // 2,000,001 rows are refused as soon as the last is seen; a reader that loaded the file
        // first would read all of it. The FIFO's writer keeps writing: the reader must stop on its own.
        let scratch = Scratch()
        let fifo = scratch.path + "/rows.csv"
        #expect(mkfifo(fifo, 0o600) == 0)
        // Rows repeating one timestamp are accepted (and counted), so one block serves for all.
        let block = Data(String(repeating: "2014-02-14 14:30:00,1\n", count: 1_000).utf8)
        signal(SIGPIPE, SIG_IGN)  // The reader closes the pipe early: the writer sees EPIPE, not a signal.
        let written = Mutex(0)
        let finished = DispatchSemaphore(value: 0)
        let writer = Thread {
            defer { finished.signal() }
            guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
            handle.write(Data("timestamp,value\n".utf8))
            for _ in 0..<3_000 {
                do { try handle.write(contentsOf: block) } catch { break }
                written.withLock { $0 += 1 }
            }
            try? handle.close()
        }
        writer.start()
        let r = try CLI.run(["monitor", "replay", fifo])
        #expect(r.status == 65)
        #expect(r.stderr.contains("line 2000002: more than 2000000 rows"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        // The reader stopped at block 2,001 (plus what the pipe buffers): the rest was never read.
        #expect(finished.wait(timeout: .now() + 30) == .success)
        #expect(written.withLock { $0 } < 2_100, "the writer was able to write \(written.withLock { $0 }) of 3,000 blocks")
    }

    /// Every path under `directory` with its size and modification time.
    static func snapshot(_ directory: String) -> [String: String] {
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return result }
        while let name = walker.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            result[name] = "\(attributes?[.size] ?? 0) \(attributes?[.modificationDate] ?? "")"
        }
        return result
    }

    /// Runs the binary, in `directory` when given.
    static func run(_ arguments: [String], in directory: String?) throws -> CLI.Result {
        try CLI.run(arguments, in: directory)
    }
}
