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
import HyperwardCore
import HyperwardHost

#if canImport(Glibc)
import Glibc
#endif

extension Series {
    /// Reads the series in chunks, checking its limits as it goes: reading stops at the first
    /// bad line, so an oversized file is refused without being read whole.
    public static func load(_ file: String) throws(HyperwardError) -> Series {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HyperwardError(.notFound, "cannot read \(file): \(OperatorFiles.reason(errno))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw HyperwardError(.notFound, "\(file) is a directory; give a CSV file")
        }
        var reader = SeriesReader()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { chunk.deallocate() }
        var readError: Int32 = 0
        do throws(MonitorError) {
            while true {
                let n = read(fd, chunk.baseAddress, chunk.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    readError = errno
                    break
                }
                if n == 0 { break }
                try reader.consume(UnsafeRawBufferPointer(rebasing: chunk[..<n]))
            }
            if readError == 0 { return try reader.finish() }
        } catch {
            throw HyperwardError(.invalidInput, "\(file): \(error)")
        }
        throw HyperwardError(.notFound, "cannot read \(file): \(OperatorFiles.reason(readError))")
    }
}
