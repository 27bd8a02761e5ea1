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

/// One digest of an event: the bank it is for and its bytes.
public struct TPMDigest: Hashable, Sendable {
    /// The bank.
    public var algorithm: TPMAlgorithm
    /// The digest.
    public var bytes: [UInt8]

    /// Creates a digest.
    public init(algorithm: TPMAlgorithm, bytes: [UInt8]) {
        self.algorithm = algorithm
        self.bytes = bytes
    }
}

/// One measured-boot event (TCG_PCR_EVENT or TCG_PCR_EVENT2).
public struct TPMEvent: Hashable, Sendable {
    /// The event's position in the log, from 0.
    public var index: Int
    /// Where the event starts in the log's bytes.
    public var offset: Int
    /// The PCR it extends.
    public var pcr: UInt32
    /// The event type.
    public var type: TPMEventType
    /// One digest per bank (one SHA-1 digest in a TPM 1.2 log).
    public var digests: [TPMDigest]
    /// The event data as logged.
    public var data: [UInt8]
    /// The data decoded where the layout is known.
    public var body: TPMEventBody
}
