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

/// The Spec ID event's algorithm table and version (TCG_EfiSpecIdEvent).
public struct SpecIDEvent: Hashable, Sendable {
    /// One row of the table: an algorithm and the size of its digests in this log.
    public struct AlgorithmSize: Hashable, Sendable {
        /// The bank.
        public var algorithm: TPMAlgorithm
        /// The size of its digests in every later event.
        public var digestSize: Int
    }
    /// 0 for a client platform, 1 for a server.
    public var platformClass: UInt32
    /// The spec version: major, minor and errata.
    public var major: UInt8
    public var minor: UInt8
    public var errata: UInt8
    /// The UINTN size in 32-bit words (1 or 2).
    public var uintnSize: UInt8
    /// The banks of the log and their digest sizes, in table order.
    public var algorithms: [AlgorithmSize]
    /// The vendor info, as far as the event holds it.
    public var vendorInfo: [UInt8]
    /// The vendor info size the event states; more than `vendorInfo.count` when it runs past the event.
    public var declaredVendorInfoSize: Int

    /// Whether the stated vendor info runs past the end of the event data.
    public var isVendorInfoTruncated: Bool { declaredVendorInfoSize > vendorInfo.count }

    /// The signature that opens a crypto-agile log's first event.
    public static let signature: [UInt8] = Array("Spec ID Event03".utf8) + [0]

    /// At most this many algorithms (the registry has far fewer hash algorithms).
    public static let maxAlgorithms = 16

    /// Decodes the event data, or nil when it is not a well-formed Spec ID event.
    static func decode(_ data: [UInt8]) -> SpecIDEvent? {
        var reader = ByteReader(data)
        guard reader.readBytes(16) == signature,
              let platformClass = reader.readUInt32(),
              let minor = reader.readUInt8(), let major = reader.readUInt8(), let errata = reader.readUInt8(),
              let uintnSize = reader.readUInt8(),
              let count = reader.readUInt32(), count >= 1, count <= maxAlgorithms
        else { return nil }
        var algorithms: [AlgorithmSize] = []
        for _ in 0..<count {
            guard let id = reader.readUInt16(), let size = reader.readUInt16(), size > 0 else { return nil }
            let algorithm = TPMAlgorithm(id: id)
            // A known algorithm with another size would make every later event misread.
            if let known = algorithm.knownDigestSize, known != Int(size) { return nil }
            if algorithms.contains(where: { $0.algorithm == algorithm }) { return nil }
            algorithms.append(AlgorithmSize(algorithm: algorithm, digestSize: Int(size)))
        }
        guard let vendorSize = reader.readUInt8() else { return nil }
        // The algorithm table is what later events depend on; vendor info that runs past the event
        // (tpm2-tools' specid-vendordata.bin fixture) is kept as far as the event goes and flagged.
        let vendorInfo = reader.readBytes(min(Int(vendorSize), reader.remaining)) ?? []
        return SpecIDEvent(platformClass: platformClass, major: major, minor: minor, errata: errata,
                           uintnSize: uintnSize, algorithms: algorithms, vendorInfo: vendorInfo,
                           declaredVendorInfoSize: Int(vendorSize))
    }
}
