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

// The system's libcrypto (OpenSSL 3): the streaming format seals its chunks in place with it.
#include <openssl/evp.h>
#include <openssl/crypto.h>
