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

import KeyManagement

/// The key service's reader of untrusted files: LUKS headers of disk images.
extension FuzzTarget {
    /// Parses the input as the start of a LUKS image; a header that parses must hold what the
    /// reader promises, and when its costs are small the keyslots are opened (and must refuse a
    /// wrong passphrase without trapping on the areas the input points at).
    static func luks(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.luks
        guard let header = try? LUKSHeader(bytes) else { return }
        if header.payloadOffset <= 0 || ![512, 4096].contains(header.sectorSize) || ![32, 64].contains(header.keyBytes) {
            throw f.fail("a header with payload \(header.payloadOffset), sector \(header.sectorSize), key \(header.keyBytes)")
        }
        if header.keyslots.contains(where: { $0.stripes < 1 || $0.stripes > 8192 || $0.iterations < 1 || $0.areaOffset < 0 }) {
            throw f.fail("a keyslot out of range")
        }
        let cheap = header.digestIterations <= 64 && header.keyslots.allSatisfy { $0.iterations <= 64 && $0.stripes <= 64 }
        guard cheap else { return }
        let read: (Int, Int) throws(KeyError) -> [UInt8] = { offset, count in
            guard offset >= 0, count >= 0, offset <= bytes.count else { return [] }
            return Array(bytes[offset..<min(bytes.count, offset + count)])
        }
        _ = try? header.volumeKey(passphrase: Array("fuzz".utf8), read: read)
    }
}
