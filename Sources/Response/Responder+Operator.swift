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

extension Responder {
    /// A responder for an operator's command on `vm`: the name checked (a libvirt domain name,
    /// never a path), the state store opened unless `dryRun`.
    /// - Throws: `HyperwardError` 64 for a name that cannot be a domain's, 70 when the store does
    ///   not open.
    public static func forOperator(vm: String, stateDirectory: String, dryRun: Bool, namespace: String?,
                                   say: @escaping (String) -> Void) throws -> Responder {
        guard !vm.isEmpty, vm.count <= 200, !vm.contains("/"), vm != ".", vm != "..", !vm.hasPrefix("-") else {
            throw HyperwardError(.usage, "not a domain name: \(vm.prefix(60).debugDescription)")
        }
        let store: StateStore?
        if dryRun { store = nil } else {
            do { store = try StateStore(stateDirectory: stateDirectory) } catch {
                throw HyperwardError(.software, "\(error)")
            }
        }
        return Responder(vm: vm, stateDirectory: stateDirectory, dryRun: dryRun, store: store, namespace: namespace, say: say)
    }
}
