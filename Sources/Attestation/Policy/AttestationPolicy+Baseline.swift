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
    /// The PCRs a baseline pins by value: firmware code and configuration (0–3), boot-manager
    /// configuration and GPT (5, 6) and the Secure Boot state (7). PCR 4, 8 and 9 change with
    /// every boot-loader, GRUB configuration or kernel update and are judged by their items instead.
    public static let baselinePCRs: [UInt32] = [0, 1, 2, 3, 5, 6, 7]

    /// A policy from a known-good boot, as commented YAML the operator can edit: Secure Boot
    /// required when it was on, the Secure Boot databases, the boot chain's Authenticode
    /// digests, the kernel command lines, kernels and initrds, and the firmware PCRs' values.
    /// - Parameters:
    ///   - boot: the facts of the known-good log.
    ///   - replay: its replayed PCRs.
    ///   - source: where the log came from, for the header comment.
    ///   - date: when, for the header comment.
    public static func baselineYAML(from boot: MeasuredBoot, replay: PCRReplay, source: String, date: String) -> String {
        var y = """
            # Hyperward measured-boot policy (docs/attestation.md), made by `hyperward attest baseline`
            # from \(oneLine(source)) on \(date).
            #
            # `hyperward attest verify` quotes the TPM, checks the quote against this host's event log, and
            # judges the log against this file. Every list is an allowlist of \(boot.bank.name) digests: an
            # item whose digest is not listed fails attestation, and then `vm start` releases no disk key
            # (with attestation.required). Before updating firmware, shim, GRUB, the kernel or dbx, add the
            # new digests here (or make a new baseline after a verified update); remove a section to stop
            # checking it. Labels are comments for people; only digests count.
            version: 1
            bank: \(boot.bank.name)

            """
        let secure = boot.secureBoot == true
        y += "\n# required: the log must measure SecureBoot = 1 (it measured \(boot.secureBoot.map { $0 ? "enabled" : "disabled" } ?? "nothing")).\n"
        y += "secure_boot: \(secure ? "required" : "ignored")\n"
        let byName = Dictionary(grouping: boot.variables.filter { ["PK", "KEK", "db", "dbx"].contains($0.label) }, by: \.label)
        if !byName.isEmpty {
            y += "\n# Secure Boot keys and databases (PCR 7): the digest of each measured variable. A dbx update\n"
            y += "# (revocations) changes its digest: add the new one before applying it.\n"
            y += "variables:\n"
            for name in ["PK", "KEK", "db", "dbx"] {
                guard let items = byName[name] else { continue }
                y += "  \(name):\n"
                for digest in unique(items.map(\.digest)) { y += "    - \(digest)\n" }
            }
        }
        if !boot.authorities.isEmpty {
            y += "\n# The db certificates (and shim's MOK/SBAT entries) that authorized loaded images (PCR 7).\n"
            y += "authorities:\n" + entries(boot.authorities)
        }
        if !boot.bootApplications.isEmpty {
            y += "\n# EFI applications loaded on the boot path (PCR 4), by Authenticode digest: shim, GRUB,\n"
            y += "# systemd-boot, a unified kernel image, a kernel with an EFI stub.\n"
            y += "boot_applications:\n" + entries(boot.bootApplications)
        }
        if !boot.kernelCommandLines.isEmpty {
            y += "\n# Kernel command lines (GRUB's kernel_cmdline in PCR 8, systemd-boot's in PCR 12), exactly.\n"
            y += "kernel_cmdlines:\n"
            for line in unique(boot.kernelCommandLines.map(\.label)) { y += "  - \(EventLogReport.yamlString(line))\n" }
        }
        if !boot.kernels.isEmpty {
            y += "\n# Kernel images read by GRUB (PCR 9).\n"
            y += "kernels:\n" + entries(boot.kernels)
        }
        if !boot.initrds.isEmpty {
            y += "\n# Initial RAM disks read by GRUB (PCR 9).\n"
            y += "initrds:\n" + entries(boot.initrds)
        }
        let values = replay.banks[boot.bank] ?? [:]
        let size = boot.bank.knownDigestSize ?? 32
        y += "\n# Exact PCR values: firmware code (0, 2), its configuration (1, 3), boot-manager configuration\n"
        y += "# and GPT (5, 6), Secure Boot state (7). A firmware update changes 0 and 2: remove them here or\n"
        y += "# make a new baseline after a verified update.\n"
        y += "pcrs:\n"
        for pcr in baselinePCRs {
            let value = values[pcr] ?? PCRReplay.resetValue(pcr: pcr, size: size)
            y += "  \(pcr): \(Hex.encode(value))\n"
        }
        let extended = Set(values.keys.filter { $0 < 16 && $0 != 10 })
        let quote = Array(Set(defaultQuotePCRs).union(extended)).sorted()
        y += "\n# The PCRs quoted (besides these, every PCR below 16 the log extends is quoted too).\n"
        y += "quote_pcrs: [\(quote.map(String.init).joined(separator: ", "))]\n"
        return y
    }

    static func entries(_ items: [MeasuredBoot.Item]) -> String {
        var seen: Set<String> = []
        var y = ""
        for item in items where seen.insert(item.digest).inserted {
            y += "  - digest: \(item.digest)\n    label: \(EventLogReport.yamlString(item.label))\n"
        }
        return y
    }

    static func unique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
