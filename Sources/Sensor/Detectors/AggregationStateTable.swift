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

/// A key of a detector's per-packet state table: hashed by a cheap mix of its integers.
protocol AggregationKey: Hashable, Sendable {
    /// 64 well-mixed bits; the table adds its secret seed.
    func fastHash(seed: UInt64) -> UInt64
}

/// The per-source and per-destination state of the detectors, on the per-packet path.
///
/// An open-addressing index (linear probing, at most half full) of full hashes and entry numbers
/// over dense arrays of keys and values: a lookup is one cheap hash and a short scan of the
/// index (a key is compared only on a full-hash match), and a state is mutated in place where it
/// lies (a `Dictionary` of large values pays SipHash and, for a large value, an allocation per
/// mutation). The hash is seeded per table from the system's random source, so traffic cannot
/// be crafted to collide without knowing the seed (why Swift seeds its own hashing).
///
/// Memory is fixed at creation: ``capacity`` entries. When full, an insertion first removes one
/// entry: the least recently active of eight sampled at random (Redis's approximated LRU), so a
/// flood of new keys costs O(1) per key and never a rebuild. Removal shifts later index entries
/// of the cluster back (Knuth's algorithm R for linear probing); values never move. A removed
/// entry active within the caller's idle cutoff counts in ``evictions``; an idle one has expired.
/// An entry number stays valid until that entry is removed.
struct AggregationStateTable<Key: AggregationKey, Value: AggregationSlotValue>: Sendable {
    /// The index: full hashes (0 = empty) and entry numbers, by index position.
    private var hashes: [UInt64]
    private var positions: [Int32]
    /// Keys by entry number (nil when the entry is free).
    private(set) var keys: [Key?]
    /// Values by entry number (``AggregationSlotValue/vacant`` when free). Detectors mutate one in
    /// place with `values[entry].method()` on an entry number the table returned; only the table
    /// inserts and removes. (Not optional: mutating a large optional in an array copies it.)
    var values: [Value]
    /// Where each entry sits in the index, for removal.
    private var homes: [Int32]
    private var free: [Int32]
    private let mask: Int
    private let seed: UInt64
    private var sampler: UInt64
    /// The most entries held.
    let capacity: Int
    /// Entries held now.
    private(set) var count = 0
    /// Entries dropped because the table was full while they were still active.
    private(set) var evictions = 0

    init(capacity: Int) {
        self.capacity = max(1, min(capacity, 1 << 28))
        var size = 4
        while size < 2 * self.capacity { size <<= 1 }
        hashes = [UInt64](repeating: 0, count: size)
        positions = [Int32](repeating: -1, count: size)
        keys = []
        values = []
        homes = []
        free = []
        mask = size - 1
        var generator = SystemRandomNumberGenerator()
        seed = generator.next()
        sampler = generator.next() | 1
    }

    private func hash(_ key: Key) -> UInt64 { key.fastHash(seed: seed) | 1 }

    /// The entry number of `key`, if present.
    func find(_ key: Key) -> Int? {
        let full = hash(key)
        var index = Int(truncatingIfNeeded: full) & mask
        while hashes[index] != 0 {
            if hashes[index] == full {
                let entry = Int(positions[index])
                if keys[entry] == key { return entry }
            }
            index = (index &+ 1) & mask
        }
        return nil
    }

    /// The entry number of `key`, inserting `make()` first when absent (removing one entry
    /// when full).
    mutating func slot(for key: Key, now: Int64, idleBefore cutoff: Int64, make: () -> Value) -> Int {
        if let entry = find(key) { return entry }
        if count >= capacity { evictOne(idleBefore: cutoff) }
        let full = hash(key)
        var index = Int(truncatingIfNeeded: full) & mask
        while hashes[index] != 0 { index = (index &+ 1) & mask }
        let entry: Int
        if let reused = free.popLast() {
            entry = Int(reused)
            keys[entry] = key
            values[entry] = make()
            homes[entry] = Int32(index)
        } else {
            entry = keys.count
            keys.append(key)
            values.append(make())
            homes.append(Int32(index))
        }
        hashes[index] = full
        positions[index] = Int32(entry)
        count += 1
        return entry
    }

    /// Removes every entry idle since before `cutoff` (expiry, not eviction).
    mutating func removeIdle(before cutoff: Int64) {
        for entry in keys.indices where keys[entry] != nil && values[entry].lastActivity < cutoff {
            remove(entry: entry)
        }
    }

    private mutating func nextRandom() -> UInt64 {
        sampler ^= sampler << 13
        sampler ^= sampler >> 7
        sampler ^= sampler << 17
        return sampler
    }

    private mutating func evictOne(idleBefore cutoff: Int64) {
        guard !keys.isEmpty else { return }
        var victim = -1
        var oldest = Int64.max
        for _ in 0..<8 {
            var entry = Int(truncatingIfNeeded: nextRandom() >> 1) % keys.count
            while keys[entry] == nil { entry = (entry + 1) % keys.count }
            let activity = values[entry].lastActivity
            if victim < 0 || activity < oldest {
                oldest = activity
                victim = entry
            }
        }
        guard victim >= 0 else { return }
        if oldest >= cutoff { evictions += 1 }
        remove(entry: victim)
    }

    /// Removes an entry: frees its number and closes its index position, shifting back later
    /// positions of its cluster that may not stay past the hole (so every key stays reachable).
    private mutating func remove(entry: Int) {
        var hole = Int(homes[entry])
        var index = hole
        while true {
            index = (index &+ 1) & mask
            if hashes[index] == 0 { break }
            let home = Int(truncatingIfNeeded: hashes[index]) & mask
            if (index &- home) & mask >= (index &- hole) & mask {
                hashes[hole] = hashes[index]
                positions[hole] = positions[index]
                homes[Int(positions[hole])] = Int32(hole)
                hole = index
            }
        }
        hashes[hole] = 0
        positions[hole] = -1
        keys[entry] = nil
        values[entry] = .vacant
        free.append(Int32(entry))
        count -= 1
    }

    /// The value of an entry, if it is in use.
    func value(at entry: Int) -> Value? {
        guard entry >= 0 && entry < keys.count, keys[entry] != nil else { return nil }
        return values[entry]
    }
}

/// A value of an ``AggregationStateTable``: it knows its last activity and has a vacant form
/// for empty slots.
protocol AggregationSlotValue: AggregationEntry, Sendable {
    /// The value of an empty slot.
    static var vacant: Self { get }
}

/// Mixes 64 bits (the splitmix64 finalizer).
func mixBits(_ value: UInt64) -> UInt64 {
    var x = value
    x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
    x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
    return x ^ (x >> 31)
}

extension IPAddress: AggregationKey {
    func fastHash(seed: UInt64) -> UInt64 {
        // IPv4 (the common case) needs one mix; an IPv6 address two.
        isIPv6 ? mixBits(seed ^ high &* 0x9E37_79B9_7F4A_7C15 ^ mixBits(low ^ 0x5555_5555)) : mixBits(seed ^ low)
    }
}

extension UInt64: AggregationKey {
    func fastHash(seed: UInt64) -> UInt64 { mixBits(seed ^ self) }
}
