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


/// A field value of an event log report: what the text, JSON and YAML renderings share, so the
/// three formats say the same thing.
enum ReportValue: Sendable {
    /// Text.
    case string(String)
    /// A count or size, written in decimal.
    case integer(UInt64)
    /// An address, LBA or flag word, written `0x…` (a string in JSON: it may pass 2^53).
    case address(UInt64)
    /// Bytes, written as lowercase hex.
    case bytes([UInt8])
    /// A flag.
    case boolean(Bool)
    /// A list.
    case list([ReportValue])
    /// Named fields in order; keys in tpm2-tools' spelling (`ImageLocationInMemory`), which
    /// JSON writes in snake case.
    case object([(String, ReportValue)])
}
