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

import Foundation
import HyperwardCore

extension Event {
    /// A key operation or a key release as an event (engine `keys`): which key and version, the
    /// outcome and who asked; never key material, plaintext or a passphrase.
    ///
    /// - Parameters:
    ///   - kind: `key.<operation>` (`key.create`, `key.encrypt`…), or `vm.start` /
    ///     `vm.start.refused` for a disk key released to a VM or refused.
    ///   - key: the key's name, the subject.
    ///   - error: the failure, `nil` for success (severity `info`; a failure is `medium`).
    ///   - vm: the VM a key was released to or refused for.
    ///   - actor: who asked (`uid`, `pid`, `user`), recorded in the body.
    public static func keyOperation(_ kind: String, key: String?, version: Int? = nil, error: KeyError? = nil,
                                    vm: String? = nil, actor: [String: String] = [:], summary: String) -> Event {
        var fields = actor
        fields["outcome"] = error == nil ? "ok" : "error"
        if let key { fields["key"] = key }
        if let version { fields["version"] = String(version) }
        if let error { fields["error"] = error.code.rawValue }
        if let vm { fields["vm"] = vm }
        let body = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
        return Event(time: Event.timestamp(), kind: kind, engine: .keys, subject: key, vm: vm,
                     severity: error == nil ? .info : .medium, summary: summary, body: body)
    }
}
