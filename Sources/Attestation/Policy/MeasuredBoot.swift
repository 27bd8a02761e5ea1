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

/// What a boot log says about the boot, in one bank: the facts a measured-boot policy is written
/// about. Every fact keeps the index of the event it came from, so a deviation can name it.
public struct MeasuredBoot: Sendable {
    /// One measured item: the event it came from, its digest in the bank, and a label.
    public struct Item: Hashable, Sendable {
        /// The event's index in the log.
        public var event: Int
        /// The PCR it extended.
        public var pcr: UInt32
        /// Its digest in the bank, lowercase hex.
        public var digest: String
        /// What it is: a variable name, a file path, a command line.
        public var label: String
    }

    /// The bank the digests are in.
    public var bank: TPMAlgorithm
    /// Whether the SecureBoot variable (PCR 7) said enabled; nil when the log does not measure it.
    public var secureBoot: Bool?
    /// The event that measured SecureBoot.
    public var secureBootEvent: Int?
    /// Secure Boot configuration variables measured into PCR 7 (PK, KEK, db, dbx, …), by name.
    public var variables: [Item]
    /// The db entries that authorized loaded images (EV_EFI_VARIABLE_AUTHORITY, PCR 7).
    public var authorities: [Item]
    /// EFI applications loaded from the boot path (PCR 4): shim, GRUB, systemd-boot, a UKI, a
    /// kernel with an EFI stub. The digest is the image's Authenticode hash.
    public var bootApplications: [Item]
    /// Kernel command lines: GRUB's (PCR 8) and systemd-boot's (PCR 12).
    public var kernelCommandLines: [Item]
    /// Kernel images GRUB read (PCR 9: a path with `vmlinuz` or `bzImage`, or Red Hat's
    /// `grub_linuxefi Kernel`, labelled with the path of the `linux` command before it).
    public var kernels: [Item]
    /// Initial RAM disks GRUB read (PCR 9, a path with `initrd` or `initramfs`).
    public var initrds: [Item]
    /// Error separators: the firmware reports an error before handing over.
    public var errorSeparators: [Item]
    /// Events whose digest can be recomputed from their data and does not match it.
    public var inconsistentEvents: [(event: Int, pcr: UInt32, type: String, logged: String, computed: String)]
    /// Events with no digest in the bank.
    public var eventsWithoutDigest: [Int]
    /// The indices of the events that extended each PCR, in log order.
    public var eventsByPCR: [UInt32: [Int]]

    /// The Secure Boot variables' GUID (EFI_GLOBAL_VARIABLE).
    static let globalVariableGUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"

    /// Extracts the facts from `log` in `bank`.
    public init(log: TPMEventLog, bank: TPMAlgorithm) {
        self.bank = bank
        secureBoot = nil
        secureBootEvent = nil
        variables = []
        authorities = []
        bootApplications = []
        kernelCommandLines = []
        kernels = []
        initrds = []
        errorSeparators = []
        inconsistentEvents = []
        eventsWithoutDigest = []
        eventsByPCR = [:]
        var lastKernelPath: String?
        var lastInitrdPath: String?
        for event in log.events where event.type != .noAction {
            guard let digestBytes = event.digests.first(where: { $0.algorithm == bank })?.bytes else {
                eventsWithoutDigest.append(event.index)
                continue
            }
            eventsByPCR[event.pcr, default: []].append(event.index)
            // Hex only for the items kept: most events (GRUB's commands) are not.
            func item(_ label: String) -> Item { Item(event: event.index, pcr: event.pcr, digest: Hex.encode(digestBytes), label: label) }
            checkRecomputable(event, logged: digestBytes)
            switch (event.type, event.body) {
            case (.efiVariableDriverConfig, .efiVariable(let variable)) where event.pcr == 7:
                if variable.name == "SecureBoot", variable.vendorGUID == Self.globalVariableGUID {
                    secureBoot = variable.data.first.map { $0 == 1 } ?? false
                    secureBootEvent = event.index
                }
                variables.append(item(variable.name))
            case (.efiVariableAuthority, .efiVariable(let variable)) where event.pcr == 7:
                authorities.append(item(variable.name))
            case (.efiBootServicesApplication, .efiImageLoad(let image)) where event.pcr == 4:
                bootApplications.append(item(Self.imageLabel(image)))
            case (.ipl, _) where event.pcr == 8:
                // Upstream GRUB logs `kernel_cmdline: …`, Red Hat's `grub_kernel_cmdline …`; the
                // `linux`/`initrd` commands name the files its PCR 9 events then measure.
                // Decided on the bytes: a GRUB log has hundreds of these and few matter.
                guard let (kind, rest) = Self.grubLine(event.data) else { break }
                switch kind {
                case .commandLine: kernelCommandLines.append(item(rest))
                case .linux: lastKernelPath = rest.split(separator: " ").first.map(String.init)
                case .initrd: lastInitrdPath = rest.split(separator: " ").first.map(String.init)
                }
            case (.ipl, _) where event.pcr == 12:
                kernelCommandLines.append(item(Self.text(event).trimmingWhitespace()))
            case (.ipl, _) where event.pcr == 9:
                let path = Self.text(event)
                let name = path.split(separator: "/").last.map(String.init) ?? path
                if path == "grub_linuxefi Kernel" {
                    kernels.append(item(lastKernelPath ?? path))
                } else if path == "grub_linuxefi Initrd" {
                    initrds.append(item(lastInitrdPath ?? path))
                } else {
                    if name.contains("vmlinuz") || name.contains("bzImage") { kernels.append(item(path)) }
                    if name.contains("initrd") || name.contains("initramfs") { initrds.append(item(path)) }
                }
            case (.separator, .separator(_, let isError)) where isError:
                errorSeparators.append(item("PCR \(event.pcr) separator"))
            default:
                break
            }
        }
    }

    /// Checks the digests the data determines: separators and EFI actions (the hash of the data)
    /// and Secure Boot configuration variables (the hash of the UEFI_VARIABLE_DATA).
    private mutating func checkRecomputable(_ event: TPMEvent, logged: [UInt8]) {
        let recomputable: Bool
        switch event.type {
        case .separator, .efiAction: recomputable = true
        case .efiVariableDriverConfig: recomputable = event.pcr == 7
        default: recomputable = false
        }
        guard recomputable, let computed = PCRHash.digest(bank, event.data), computed != logged else { return }
        // Some firmware hashes only the variable's data for PCR 7 configuration variables.
        if event.type == .efiVariableDriverConfig, case .efiVariable(let variable) = event.body,
           PCRHash.digest(bank, variable.data) == logged { return }
        inconsistentEvents.append((event.index, event.pcr, event.type.name, Hex.encode(logged), Hex.encode(computed)))
    }

    /// "events 3, 9, 12 extend it" (at most 12 listed), or "no event in the log extends it".
    public func describeEvents(extending pcr: UInt32) -> String {
        guard let indices = eventsByPCR[pcr], !indices.isEmpty else { return "no event in the log extends it" }
        let listed = indices.prefix(12).map(String.init).joined(separator: ", ")
        return "event\(indices.count == 1 ? "" : "s") \(listed)\(indices.count > 12 ? " and \(indices.count - 12) more" : "") extend\(indices.count == 1 ? "s" : "") it"
    }

    /// An image's file path where its device path names one, else its location in memory.
    static func imageLabel(_ image: EFIImageLoad) -> String {
        if let path = image.filePath { return path }
        return "image loaded from memory (no file path), " + String(image.lengthInMemory) + " bytes at 0x" + String(image.locationInMemory, radix: 16)
    }

    enum GRUBLine { case commandLine, linux, initrd }

    static let grubPrefixes: [([UInt8], GRUBLine)] = ([
        ("kernel_cmdline: ", .commandLine), ("grub_kernel_cmdline ", .commandLine),
        ("grub_cmd: linux ", .linux), ("grub_cmd: linuxefi ", .linux), ("grub_cmd linux ", .linux), ("grub_cmd linuxefi ", .linux),
        ("grub_cmd: initrd ", .initrd), ("grub_cmd: initrdefi ", .initrd), ("grub_cmd initrd ", .initrd), ("grub_cmd initrdefi ", .initrd),
    ] as [(String, GRUBLine)]).map { (Array($0.0.utf8), $0.1) }

    /// A GRUB PCR 8 line that matters (a kernel command line, a `linux` or `initrd` command) and
    /// the text after its prefix, up to the first NUL.
    static func grubLine(_ data: [UInt8]) -> (GRUBLine, String)? {
        guard let first = data.first, first == UInt8(ascii: "k") || first == UInt8(ascii: "g") else { return nil }
        for (prefix, kind) in grubPrefixes where data.starts(with: prefix) {
            return (kind, String(decoding: data[prefix.count...].prefix { $0 != 0 }, as: UTF8.self))
        }
        return nil
    }

    /// An event's text as decoded (EV_IPL: UTF-16 for systemd-boot, 8-bit for GRUB).
    static func text(_ event: TPMEvent) -> String {
        if case .text(let text) = event.body { return text }
        return decodeText(event.data)
    }
}
