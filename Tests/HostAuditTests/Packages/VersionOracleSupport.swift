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
import FixtureSupport
import Foundation

/// The seeded generator of the version oracles, so a failing generated pair reproduces.
typealias SeededGenerator = SplitMix

extension SplitMix {
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &self) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }
}

/// Runs an oracle shell script and returns its standard output and exit status.
enum Oracle {
    struct Result {
        var output: String
        var error: String
        var status: Int32
        var seconds: Double
    }

    /// The path of `tool` on `PATH`, or `nil`.
    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") + ["/usr/bin", "/usr/sbin", "/bin"] {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `script` with bash, arguments after it as `$1…`.
    static func bash(_ script: String, arguments: [String] = []) throws -> Result {
        let start = Date()
        let result = HostCommand.run(["/bin/bash", "-c", script, "oracle"] + arguments, outputLimit: 256 << 20)
        return Result(output: result.stdout, error: result.stderr, status: result.status, seconds: Date().timeIntervalSince(start))
    }

    /// A temporary file holding `lines`.
    static func writeTemporary(_ lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hyperward-oracle-\(UUID().uuidString).txt").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
