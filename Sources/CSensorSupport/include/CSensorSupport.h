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

#ifndef HYPERWARD_CSENSORSUPPORT_H
#define HYPERWARD_CSENSORSUPPORT_H

/// Asks the CPU to start loading the cache line holding `address` (a hint: never faults, even
/// for an address that is not mapped). The sensor uses it to overlap the flow table's cache
/// misses across a batch of packets instead of waiting for each in turn.
static inline void hyperward_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
