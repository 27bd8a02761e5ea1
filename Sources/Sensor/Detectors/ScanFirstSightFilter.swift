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

/// Remembers the first sighting of a key in a fixed, direct-mapped array, so that detectors give
/// full state only to keys seen twice.
///
/// A spoofed flood (`hping3 --rand-source`) shows every forged source once; giving each one a
/// table entry would churn every table at the flood's rate. Here a key's first sighting costs one
/// slot write and evicts nothing; the second sighting (a second port, a second host, a second
/// SYN) hands the caller the first one's payload to seed the full state. A slot can be
/// overwritten by another key before the second sighting (under a heavy flood, more often);
/// the key is then simply seen for the first time again. The slot is chosen by a seeded hash.
struct ScanFirstSightFilter<Key: AggregationKey, Payload: Sendable>: Sendable {
    private var tags: [UInt64]
    private var payloads: [Payload]
    private let mask: Int
    private let seed: UInt64

    /// A filter of `size` slots (rounded up to a power of two), each holding `empty` at first.
    init(size: Int, empty: Payload) {
        var slots = 1
        while slots < max(1, min(size, 1 << 26)) { slots <<= 1 }
        tags = [UInt64](repeating: 0, count: slots)
        payloads = [Payload](repeating: empty, count: slots)
        mask = slots - 1
        var generator = SystemRandomNumberGenerator()
        seed = generator.next()
    }

    /// A key's 64-bit tag (never 0, the empty slot) and its slot.
    private func locate(_ key: Key) -> (tag: UInt64, index: Int) {
        let tag = key.fastHash(seed: seed) | 1
        return (tag, Int(truncatingIfNeeded: tag >> 7) & mask)
    }

    /// The payload stored for `key`, if its slot still holds it.
    func lookup(_ key: Key) -> Payload? {
        let (tag, index) = locate(key)
        return tags[index] == tag ? payloads[index] : nil
    }

    /// Stores `payload` for `key`, replacing whatever the slot held.
    mutating func store(_ key: Key, _ payload: Payload) {
        let (tag, index) = locate(key)
        tags[index] = tag
        payloads[index] = payload
    }

    /// Updates the payload stored for `key`, if its slot still holds it.
    mutating func update(_ key: Key, _ body: (inout Payload) -> Void) {
        let (tag, index) = locate(key)
        if tags[index] == tag { body(&payloads[index]) }
    }

    /// Forgets `key` (once it has full state).
    mutating func remove(_ key: Key) {
        let (tag, index) = locate(key)
        if tags[index] == tag { tags[index] = 0 }
    }
}
