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

/// The host facts a disk key is bound to, and quick questions to libvirt about one domain.
public enum VirtHost {
    /// This host's identity: /etc/machine-id.
    public static func machineID() throws(HyperwardError) -> String {
        guard let text = try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8) else {
            throw HyperwardError(.hostFacts, "cannot read /etc/machine-id (the host's identity)")
        }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard id.count == 32, id.allSatisfy(\.isHexDigit) else { throw HyperwardError(.hostFacts, "/etc/machine-id is not a machine id") }
        return id
    }

    /// Sizes like 10G, 512M, 1048576 (bytes), as qemu-img takes them.
    public static func validSize(_ size: String) -> Bool {
        guard let last = size.last else { return false }
        let digits = "KMGT".contains(last.uppercased()) ? size.dropLast() : Substring(size)
        return !digits.isEmpty && digits.count <= 15 && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
            && (Int(digits) ?? 0) > 0
    }
}

extension HyperwardError.Code {
    /// A fact about this host (its machine id) cannot be read.
    public static let hostFacts = HyperwardError.Code("host-facts")
}
