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

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, whose per-call
// dispatch costs as much as hashing a 65-byte node; the low-level functions stay supported
// through 3.x and are what EVP's SHA-256 runs underneath.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
#include <string.h>
#include "CLedgerSupport.h"

void hyperward_sha256(const void *data, size_t count, void *digest) {
    SHA256_CTX context;
    SHA256_Init(&context);
    SHA256_Update(&context, data, count);
    SHA256_Final(digest, &context);
}

void hyperward_sha256_node(const void *left, const void *right, void *digest) {
    unsigned char buffer[65];
    buffer[0] = 1;
    memcpy(buffer + 1, left, 32);
    memcpy(buffer + 33, right, 32);
    hyperward_sha256(buffer, sizeof buffer, digest);
}
