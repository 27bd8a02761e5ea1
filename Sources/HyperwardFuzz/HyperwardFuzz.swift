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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Two builds of one target (docs/fuzzing.md):
// - with `-D FUZZING` (scripts/fuzz.sh, sanitizers on) it is a libFuzzer target; libFuzzer owns
//   `main` and the target is chosen by the `FUZZ_TARGET` environment variable;
// - otherwise (the regular build) it is a small tool that replays files through a target:
//   `hyperward-fuzz TARGET FILE_OR_DIRECTORY...`, the way a crash is reproduced without libFuzzer.

#if FUZZING

/// The target chosen by `FUZZ_TARGET`, read once.
nonisolated(unsafe) private var selectedTarget: FuzzTarget?

/// libFuzzer's setup hook: picks the target.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    let name = getenv("FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        writeError("FUZZ_TARGET must be one of: \(known)")
        exit(2)
    }
    selectedTarget = target
    return 0
}

/// libFuzzer's per-input hook.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let target = selectedTarget else { return 0 }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try target.run(bytes)
    } catch {
        // A broken property is a finding: abort so libFuzzer saves the input as a crash.
        writeError("property failed: \(error)")
        abort()
    }
    return 0
}

#else

/// Replays files through a fuzz target without libFuzzer.
@main
enum HyperwardFuzz {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
            let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            writeError("usage: hyperward-fuzz \(known) FILE_OR_DIRECTORY...")
            exit(64)
        }
        var failures = 0
        var count = 0
        for path in arguments.dropFirst() {
            for file in Replay.files(at: path) {
                count += 1
                guard let bytes = Replay.read(file) else {
                    writeError("\(file): cannot read")
                    failures += 1
                    continue
                }
                do { try target.run(bytes) } catch {
                    writeError("\(file): \(error)")
                    failures += 1
                }
            }
        }
        print("\(target.rawValue): \(count - failures) passed, \(failures) failed")
        exit(failures == 0 ? 0 : 1)
    }
}

#endif
