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

/// Boot integrity checks (T3): UEFI Secure Boot, kernel lockdown, TPM, bootloader password.
public enum BootIntegrityChecks {
    /// The checks of this area.
    public static var all: [any Check] { [SecureBootCheck(), LockdownCheck(), TPMCheck(), AttestationStateCheck(), BootloaderPasswordCheck()] }
}

/// UEFI firmware, the SecureBoot and SetupMode variables.
public struct SecureBootCheck: Check {
    public init() {}

    /// The EFI global variable GUID (UEFI 2.10 §3.3).
    public static let globalVariableGUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"

    public static let uefi = CheckDescriptor(
        id: "boot.uefi",
        title: "Host boots with UEFI",
        threat: .hypervisorVulnerability,
        severity: .medium,
        reads: ["/sys/firmware/efi"],
        failsWhen: "`/sys/firmware/efi` is missing (warn: legacy BIOS boot, no Secure Boot possible).",
        rationale: "Secure Boot and a measured UEFI boot chain need UEFI firmware; a BIOS-booted hypervisor's kernel and bootloader can be replaced unnoticed.",
        remediation: "Reinstall or convert the host to UEFI boot (GPT, an EFI system partition, grub-efi-amd64-signed + shim-signed).",
        references: ["https://wiki.debian.org/SecureBoot"]
    )

    public static let secureBoot = CheckDescriptor(
        id: "boot.secureboot",
        title: "UEFI Secure Boot is enforcing",
        threat: .hypervisorVulnerability,
        severity: .high,
        reads: ["/sys/firmware/efi/efivars/SecureBoot-\(globalVariableGUID)", "/sys/firmware/efi/efivars/SetupMode-\(globalVariableGUID)"],
        failsWhen: "SecureBoot is 0 or absent (fail), SetupMode is 1 (fail: anyone can enroll keys), efivarfs is not mounted (warn), a variable is malformed or unreadable (error).",
        rationale: "Secure Boot makes the firmware refuse unsigned bootloaders and kernels, so a root compromise cannot persist as a boot-time rootkit below the hypervisor; it also enables kernel lockdown.",
        remediation: "Enable Secure Boot in the firmware setup with the platform keys enrolled (leave Setup Mode), using Debian's shim-signed and signed kernels.",
        references: ["https://uefi.org/specs/UEFI/2.10/03_Boot_Manager.html#globally-defined-variables", "https://wiki.debian.org/SecureBoot"]
    )

    public var descriptors: [CheckDescriptor] { [Self.uefi, Self.secureBoot] }

    /// Decodes a one-byte boolean efivar: 4 bytes of attributes, then the value.
    static func decodeBoolean(_ bytes: [UInt8]) -> UInt8? {
        guard bytes.count == 5 else { return nil }
        return bytes[4]
    }

    public func run(in context: AuditContext) -> [Finding] {
        let fs = context.fs
        guard fs.isDirectory("/sys/firmware/efi") else {
            return [
                Self.uefi.finding(.warn, "legacy BIOS boot (no /sys/firmware/efi)", evidence: [Evidence(path: "/sys/firmware/efi", value: "missing")]),
                Self.secureBoot.finding(.notApplicable, "Secure Boot needs UEFI", evidence: [Evidence(path: "/sys/firmware/efi", value: "missing")]),
            ]
        }
        var findings = [Self.uefi.finding(.pass, "UEFI firmware", evidence: [Evidence(path: "/sys/firmware/efi", value: "present")])]
        // An empty or missing efivars directory means efivarfs is not mounted (a container, a
        // minimal initramfs), not that the firmware lacks Secure Boot.
        let efivars = "/sys/firmware/efi/efivars"
        if ((try? fs.listDirectory(efivars)) ?? []).isEmpty {
            findings.append(Self.secureBoot.finding(
                .warn, "efivarfs is not mounted: the Secure Boot state cannot be read",
                evidence: [Evidence(path: efivars, value: "empty or missing")],
                remediation: "Mount efivarfs (`mount -t efivarfs efivarfs /sys/firmware/efi/efivars`) and re-run the audit."))
            return findings
        }
        let sbPath = "/sys/firmware/efi/efivars/SecureBoot-\(Self.globalVariableGUID)"
        let smPath = "/sys/firmware/efi/efivars/SetupMode-\(Self.globalVariableGUID)"
        func read(_ path: String) -> Result<UInt8?, HyperwardError> {
            do {
                let bytes = try fs.readFile(path, limit: 4096)
                guard let v = Self.decodeBoolean(bytes) else {
                    return .failure(HyperwardError(.invalidInput, "\(path): expected 5 bytes (attributes + value), got \(bytes.count)"))
                }
                return .success(v)
            } catch {
                return error.code == .notFound ? .success(nil) : .failure(error)
            }
        }
        let secureBoot: UInt8?
        switch read(sbPath) {
        case .failure(let e): findings.append(Self.secureBoot.error(e, path: sbPath)); return findings
        case .success(let v): secureBoot = v
        }
        var evidence = [Evidence(path: sbPath, value: secureBoot.map(String.init) ?? "missing")]
        var setupMode: UInt8?
        switch read(smPath) {
        case .success(let v): setupMode = v
        case .failure(let e): findings.append(Self.secureBoot.error(e, path: smPath)); return findings
        }
        if let setupMode { evidence.append(Evidence(path: smPath, value: String(setupMode))) }
        if setupMode == 1 {
            findings.append(Self.secureBoot.finding(.fail, "the firmware is in Setup Mode: Secure Boot keys can be enrolled by anyone with root", evidence: evidence))
        } else if secureBoot == 1 {
            findings.append(Self.secureBoot.finding(.pass, "Secure Boot enabled, User Mode", evidence: evidence))
        } else {
            findings.append(Self.secureBoot.finding(.fail, secureBoot == nil ? "no SecureBoot variable: firmware without Secure Boot" : "Secure Boot is disabled",
                                                    evidence: evidence))
        }
        return findings
    }
}

/// Kernel lockdown (integrity or confidentiality mode).
public struct LockdownCheck: Check {
    public init() {}

    public static let descriptor = CheckDescriptor(
        id: "boot.lockdown",
        title: "Kernel lockdown protects the running kernel",
        threat: .hypervisorVulnerability,
        severity: .medium,
        reads: ["/sys/kernel/security/lockdown"],
        failsWhen: "lockdown is `[none]` (warn); the file is missing (notapplicable: no lockdown LSM or securityfs not mounted).",
        rationale: "Lockdown stops root from modifying the running kernel (/dev/mem, unsigned modules, kexec of unsigned images, MSR writes), so a compromised management plane cannot plant code beneath the hypervisor.",
        remediation: "Boot with Secure Boot (Debian enables integrity lockdown then) or `lockdown=integrity` on the command line.",
        references: ["https://man7.org/linux/man-pages/man7/kernel_lockdown.7.html"]
    )

    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.descriptor
        let path = "/sys/kernel/security/lockdown"
        let value: String
        do { value = try context.fs.readValue(path) } catch {
            if error.code == .notFound {
                return [d.finding(.notApplicable, "no lockdown LSM (or securityfs not mounted)", evidence: [Evidence(path: path, value: "missing")])]
            }
            return [d.error(error, path: path)]
        }
        // The active mode is bracketed: "none [integrity] confidentiality".
        guard let open = value.firstIndex(of: "["), let close = value.firstIndex(of: "]"), open < close else {
            return [d.finding(.error, "unrecognised lockdown state", evidence: [Evidence(path: path, value: value)])]
        }
        let mode = String(value[value.index(after: open)..<close])
        let evidence = [Evidence(path: path, value: value)]
        if mode == "none" { return [d.finding(.warn, "lockdown is off", evidence: evidence)] }
        return [d.finding(.pass, "lockdown mode \(mode)", evidence: evidence)]
    }
}

/// A TPM for measured boot and sealed keys.
/// The measured-boot attestation state. Hyperward's own verification (`hyperward attest
/// verify`) is on record in the state store, not on the audited file system: the audit runner
/// puts it in the context (`AuditContext.attestation`); without it the check is not applicable.
public struct AttestationStateCheck: Check {
    public init() {}

    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        guard let state = context.attestation else {
            return [Self.descriptor.finding(.notApplicable, "attestation is judged on the running host only (its state store)", evidence: [])]
        }
        return [Self.descriptor.finding(state.status, state.detail, evidence: state.evidence)]
    }

    public static let descriptor = CheckDescriptor(
        id: "boot.attestation",
        title: "The host's measured boot is verified with the TPM",
        threat: .hypervisorVulnerability,
        severity: .high,
        reads: ["the state store's latest attest.verified / attest.failed event"],
        failsWhen: "the latest verification failed, or none of this boot is younger than attestation.max_age (fail with attestation.required, warn without).",
        rationale: "Secure Boot stops unsigned code; measured boot proves what ran. Without a verified quote a host booted into a tampered firmware, boot loader or kernel looks like any other, and with attestation.required it gets no VM disk key.",
        remediation: "Make a policy on a known-good boot (`hyperward attest baseline`), set attestation.required: true, and let the agent re-attest (`hyperward attest verify` now).",
        references: ["docs/attestation.md"]
    )
}

public struct TPMCheck: Check {
    public init() {}

    public static let descriptor = CheckDescriptor(
        id: "tpm.present",
        title: "A TPM 2.0 with resource manager and event log",
        threat: .hypervisorVulnerability,
        severity: .medium,
        reads: ["/sys/class/tpm/tpm0/tpm_version_major", "/dev/tpmrm0", "/sys/kernel/security/tpm0/binary_bios_measurements"],
        failsWhen: "no TPM (warn), a TPM 1.2 (warn: SHA-1 only), no `/dev/tpmrm0` or no measured-boot event log (warn).",
        rationale: "Measured boot records the firmware, bootloader and kernel in the TPM's PCRs; remote attestation and TPM-sealed disk keys depend on it.",
        remediation: "Enable the TPM (fTPM/PTT) in the firmware, load tpm_crb/tpm_tis, and boot with UEFI so the firmware writes the event log.",
        references: ["https://trustedcomputinggroup.org/resource/pc-client-specific-platform-firmware-profile-specification/"]
    )

    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.descriptor
        let fs = context.fs
        guard fs.exists("/sys/class/tpm/tpm0") else {
            return [d.finding(.warn, "no TPM: measured boot and TPM-sealed keys are unavailable",
                              evidence: [Evidence(path: "/sys/class/tpm/tpm0", value: "missing")])]
        }
        var evidence = [Evidence(path: "/sys/class/tpm/tpm0", value: "present")]
        let version = try? fs.readValue("/sys/class/tpm/tpm0/tpm_version_major")
        if let version { evidence.append(Evidence(path: "/sys/class/tpm/tpm0/tpm_version_major", value: version)) }
        let hasRM = fs.exists("/dev/tpmrm0")
        evidence.append(Evidence(path: "/dev/tpmrm0", value: hasRM ? "present" : "missing"))
        let logPath = "/sys/kernel/security/tpm0/binary_bios_measurements"
        let hasLog = fs.exists(logPath)
        evidence.append(Evidence(path: logPath, value: hasLog ? "present" : "missing"))
        if version == "1" {
            return [d.finding(.warn, "TPM 1.2: SHA-1 PCRs only, no resource manager", evidence: evidence)]
        }
        var missing: [String] = []
        if !hasRM { missing.append("/dev/tpmrm0") }
        if !hasLog { missing.append("the measured-boot event log") }
        if !missing.isEmpty {
            return [d.finding(.warn, "TPM \(version ?? "?") present but without \(missing.joined(separator: " and "))", evidence: evidence)]
        }
        return [d.finding(.pass, "TPM \(version ?? "2") with resource manager and event log", evidence: evidence)]
    }
}

/// A GRUB superuser password, so nobody at the console edits the kernel command line.
public struct BootloaderPasswordCheck: Check {
    public init() {}

    public static let descriptor = CheckDescriptor(
        id: "boot.bootloader-password",
        title: "Bootloader requires a password to edit entries",
        threat: .hypervisorVulnerability,
        severity: .low,
        reads: ["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", "/boot/efi/EFI/debian/grub.cfg"],
        failsWhen: "grub.cfg sets no `superusers` with a `password_pbkdf2` (warn); a plain-text `password` line (fail).",
        rationale: "Without it anyone at the console or on a serial/IPMI console can add `mitigations=off`, `init=/bin/sh` or drop `lockdown` at boot.",
        remediation: "Create a hash with `grub-mkpasswd-pbkdf2`, add `set superusers=\"root\"` and `password_pbkdf2 root <hash>` in /etc/grub.d/40_custom, run update-grub, and keep grub.cfg mode 0600.",
        references: ["https://www.gnu.org/software/grub/manual/grub/html_node/Authentication-and-authorisation.html"]
    )

    public var descriptors: [CheckDescriptor] { [Self.descriptor] }

    public func run(in context: AuditContext) -> [Finding] {
        let d = Self.descriptor
        for path in ["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", "/boot/efi/EFI/debian/grub.cfg"] {
            let text: String
            do { text = try context.fs.readText(path, limit: 8 << 20) } catch {
                if error.code == .notFound { continue }
                return [d.error(error, path: path)]
            }
            var superusers: Int?
            var pbkdf2: Int?
            var plain: Int?
            for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters()
                if line.hasPrefix("#") { continue }
                if line.hasPrefix("set superusers=") { superusers = superusers ?? index + 1 }
                if line.hasPrefix("password_pbkdf2 ") { pbkdf2 = pbkdf2 ?? index + 1 }
                if line.hasPrefix("password ") { plain = plain ?? index + 1 }
            }
            if let plain {
                // Never echo the line: it holds the password.
                return [d.finding(.fail, "grub.cfg holds a plain-text password", evidence: [Evidence(path: path, value: "password <redacted>", line: plain)],
                                  severity: .medium)]
            }
            if let superusers, let pbkdf2 {
                return [d.finding(.pass, "superusers with a PBKDF2 password", evidence: [
                    Evidence(path: path, value: "set superusers=…", line: superusers),
                    Evidence(path: path, value: "password_pbkdf2 … <hash>", line: pbkdf2),
                ])]
            }
            return [d.finding(.warn, "no GRUB superuser password", evidence: [Evidence(path: path, value: "no superusers/password_pbkdf2")])]
        }
        return [d.finding(.notApplicable, "no GRUB configuration found (another bootloader, or /boot not mounted)",
                          evidence: [Evidence(path: "/boot/grub/grub.cfg", value: "missing")])]
    }
}
