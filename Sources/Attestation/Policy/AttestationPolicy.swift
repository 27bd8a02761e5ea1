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


/// A measured-boot policy: what a good boot of this host looks like (docs/attestation.md).
///
/// Every list is an allowlist of digests in ``bank``: a measured item whose digest is not listed
/// is a deviation. An absent list (nil) is not checked; an empty list allows nothing, so writing
/// `kernels: []` refuses every kernel. `hyperward attest baseline` writes one from a known-good
/// boot; the operator edits it (adds the digests of the next kernel before installing it).
public struct AttestationPolicy: Hashable, Sendable {
    /// An allowed digest and what it is (the label is a comment for people; only the digest counts).
    public struct Allowed: Hashable, Sendable {
        public var digest: String
        public var label: String?
        /// Creates an entry; the digest is lowercased.
        public init(digest: String, label: String? = nil) {
            self.digest = digest.lowercased()
            self.label = label
        }
    }

    /// What Secure Boot must be.
    public enum SecureBootRule: String, Hashable, Sendable, CaseIterable {
        /// The log must measure SecureBoot = 1.
        case required
        /// Not checked.
        case ignored
    }

    /// The bank the digests and PCR values are in, and the bank quoted.
    public var bank: TPMAlgorithm
    /// Secure Boot's required state.
    public var secureBoot: SecureBootRule
    /// Allowed digests per PCR 7 configuration variable (`PK`, `KEK`, `db`, `dbx`, …).
    public var variables: [String: [Allowed]]
    /// Allowed db entries that authorized images.
    public var authorities: [Allowed]?
    /// Allowed Authenticode digests of EFI applications (PCR 4).
    public var bootApplications: [Allowed]?
    /// Allowed kernel command lines, exactly.
    public var kernelCommandLines: [String]?
    /// Allowed kernel images (PCR 9).
    public var kernels: [Allowed]?
    /// Allowed initial RAM disks (PCR 9).
    public var initrds: [Allowed]?
    /// Exact PCR values the log must replay to (and so the TPM must hold).
    public var pcrs: [UInt32: String]
    /// The PCRs quoted besides those the log extends.
    public var quotePCRs: [UInt32]

    /// The PCRs quoted when the policy does not say: the firmware and boot-loader PCRs.
    public static let defaultQuotePCRs: [UInt32] = Array(0...9)

    /// Creates a policy.
    public init(bank: TPMAlgorithm = .sha256, secureBoot: SecureBootRule = .required, variables: [String: [Allowed]] = [:],
                authorities: [Allowed]? = nil, bootApplications: [Allowed]? = nil, kernelCommandLines: [String]? = nil,
                kernels: [Allowed]? = nil, initrds: [Allowed]? = nil, pcrs: [UInt32: String] = [:],
                quotePCRs: [UInt32] = AttestationPolicy.defaultQuotePCRs) {
        self.bank = bank
        self.secureBoot = secureBoot
        self.variables = variables
        self.authorities = authorities
        self.bootApplications = bootApplications
        self.kernelCommandLines = kernelCommandLines
        self.kernels = kernels
        self.initrds = initrds
        self.pcrs = pcrs
        self.quotePCRs = quotePCRs
    }
}
