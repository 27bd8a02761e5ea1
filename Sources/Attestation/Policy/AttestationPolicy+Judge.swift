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

extension AttestationPolicy {
    /// Judges a boot against this policy: every deviation, in log order within each check.
    /// - Parameters:
    ///   - boot: the facts of the log in ``bank``.
    ///   - replay: the log's replayed PCRs (for ``pcrs``).
    public func judge(_ boot: MeasuredBoot, replay: PCRReplay) -> [AttestationDeviation] {
        var out: [AttestationDeviation] = []
        for index in boot.eventsWithoutDigest.prefix(8) {
            out.append(.init(check: "log.bank", event: index, message: "the event has no \(bank) digest, so the \(bank) quote cannot vouch for it"))
        }
        for bad in boot.inconsistentEvents {
            out.append(.init(check: "log.digest", pcr: bad.pcr, event: bad.event, expected: bad.computed, seen: bad.logged,
                             message: "the \(bad.type) event's data does not hash to its logged digest: the log was altered"))
        }
        for separator in boot.errorSeparators {
            out.append(.init(check: "log.error-separator", pcr: separator.pcr, event: separator.event,
                             message: "the firmware logged an error separator: it reports a failure before the OS loader ran"))
        }
        if secureBoot == .required, boot.secureBoot != true {
            out.append(.init(check: "policy.secure-boot", pcr: 7, event: boot.secureBootEvent, expected: "enabled",
                             seen: boot.secureBoot == nil ? "not measured" : "disabled",
                             message: boot.secureBoot == nil ? "the log does not measure the SecureBoot variable" : "Secure Boot is disabled"))
        }
        for (name, allowed) in variables.sorted(by: { $0.key < $1.key }) {
            let measured = boot.variables.filter { $0.label == name }
            if measured.isEmpty {
                out.append(.init(check: "policy.variable", pcr: 7, expected: "\(name) measured", seen: "absent",
                                 message: "the policy lists \(name) but the log does not measure it"))
            }
            out += Self.unlisted(measured, allowed: allowed, check: "policy.variable", what: "\(name) (Secure Boot variable)")
        }
        if let authorities { out += Self.unlisted(boot.authorities, allowed: authorities, check: "policy.authority", what: "the image authority") }
        if let bootApplications {
            out += Self.unlisted(boot.bootApplications, allowed: bootApplications, check: "policy.boot-application", what: "the EFI application")
        }
        if let kernelCommandLines {
            for line in boot.kernelCommandLines where !kernelCommandLines.contains(line.label) {
                out.append(.init(check: "policy.cmdline", pcr: line.pcr, event: line.event, expected: "one of \(kernelCommandLines.count) allowed",
                                 seen: line.label.debugDescription, message: "the kernel command line is not allowed"))
            }
        }
        if let kernels { out += Self.unlisted(boot.kernels, allowed: kernels, check: "policy.kernel", what: "the kernel") }
        if let initrds { out += Self.unlisted(boot.initrds, allowed: initrds, check: "policy.initrd", what: "the initrd") }
        let values = replay.banks[bank] ?? [:]
        for (pcr, expected) in pcrs.sorted(by: { $0.key < $1.key }) {
            let size = bank.knownDigestSize ?? 32
            let seen = Hex.encode(values[pcr] ?? PCRReplay.resetValue(pcr: pcr, size: size))
            if seen != expected.lowercased() {
                out.append(.init(check: "policy.pcr", pcr: pcr, expected: expected.lowercased(), seen: seen,
                                 message: "the PCR's value differs from the baseline; \(boot.describeEvents(extending: pcr))"))
            }
        }
        return out
    }

    static func unlisted(_ items: [MeasuredBoot.Item], allowed: [Allowed], check: String, what: String) -> [AttestationDeviation] {
        let digests = Set(allowed.map(\.digest))
        return items.filter { !digests.contains($0.digest) }.map { item in
            AttestationDeviation(check: check, pcr: item.pcr, event: item.event, expected: "one of \(allowed.count) allowed digest(s)",
                                 seen: item.digest, message: "\(what) \(item.label.debugDescription) is not in the policy")
        }
    }

}
