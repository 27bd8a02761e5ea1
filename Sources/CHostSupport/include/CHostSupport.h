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

#ifndef HYPERWARD_CHOSTSUPPORT_H
#define HYPERWARD_CHOSTSUPPORT_H

/// Linux calls Swift's Glibc module does not import (they sit behind _GNU_SOURCE or are
/// function-like macros). Each returns what the system call returns (-1 and errno on failure).

/// An unnamed 0600 file in `directory` (O_TMPFILE): it vanishes with the last descriptor, so a
/// process killed at any point leaves nothing behind. Returns a read-write descriptor.
int hyperward_open_unnamed(const char *directory, unsigned int mode);

/// Gives the unnamed file behind `fd` the name `path`; fails with EEXIST when `path` exists
/// (never replaces anything).
int hyperward_link_unnamed(int fd, const char *path);

/// An anonymous memory file (memfd_create, close-on-exec): for secrets a child process reads by
/// path (`/proc/PID/fd/N`) without the secret ever touching a file system.
int hyperward_memfd(const char *name);

/// rename(2) that fails with EEXIST instead of replacing `to` (renameat2 RENAME_NOREPLACE).
int hyperward_rename_noreplace(const char *from, const char *to);

#endif
