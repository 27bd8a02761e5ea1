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

// The system's libvirt: the monitor reads every domain's statistics in one call
// (virConnectGetAllDomainStats) over a read-only connection.
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
