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

import HyperwardCore
import HyperwardStore

/// Where response steps go as events. The real default is the state store.
public protocol ResponseEventLog: Sendable {
    /// Appends events.
    func append(_ events: [Event]) throws(HyperwardError)
}

extension StateStore: ResponseEventLog {}
