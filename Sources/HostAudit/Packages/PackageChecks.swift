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

/// Vulnerable virtualization packages: dpkg status matched against offline advisory feeds.
public enum PackageChecks {
    /// The checks of this area.
    public static var all: [any Check] { [] }
}
