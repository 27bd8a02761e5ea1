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

#ifndef HYPERWARD_CLEDGERSUPPORT_H
#define HYPERWARD_CLEDGERSUPPORT_H

#include <stddef.h>

/// SHA-256 of `count` bytes at `data` into the 32 bytes at `digest`, with the system libcrypto's
/// low-level one-shot: its state lives on the stack (no allocation, no provider look-up) and it
/// uses the CPU's SHA extensions when present. The ledger hashes millions of leaves and nodes.
void hyperward_sha256(const void *data, size_t count, void *digest);

/// RFC 9162 §2.1.1 interior node: SHA-256(0x01 ‖ left ‖ right) of two 32-byte hashes.
void hyperward_sha256_node(const void *left, const void *right, void *digest);

#endif
