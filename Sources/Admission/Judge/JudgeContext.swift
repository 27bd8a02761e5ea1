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
import HyperwardHost

/// One judgement in progress: the template, and the violations and notes found so far.
struct JudgeContext {
    let template: AdmissionTemplate
    /// False when the template is unknown: only the rules no template relaxes are applied.
    let checksTemplateRules: Bool
    var violations: [AdmissionViolation] = []
    var notes: [AdmissionViolation] = []

    init(template: AdmissionTemplate, checksTemplateRules: Bool = true) {
        self.template = template
        self.checksTemplateRules = checksTemplateRules
    }

    mutating func deny(_ rule: AdmissionRule, _ element: DomainXML.Element, _ message: String) {
        violations.append(AdmissionViolation(rule: rule, xpath: element.xpath, message: message))
    }

    mutating func deny(_ rule: AdmissionRule, xpath: String, _ message: String) {
        violations.append(AdmissionViolation(rule: rule, xpath: xpath, message: message))
    }

    /// libvirt's own directories for sockets it creates (channels, graphics sockets).
    static let libvirtSocketDirectories = ["/var/lib/libvirt/qemu", "/run/libvirt/qemu", "/var/run/libvirt/qemu"]
    /// Where character device logs may go.
    static let libvirtLogDirectories = ["/var/log/libvirt/qemu"]
    /// The distribution QEMU binaries an `<emulator>` may name.
    static let emulatorGlobs = ["/usr/bin/qemu-system-*", "/usr/libexec/qemu-kvm", "/usr/bin/qemu-kvm", "/usr/bin/kvm"]

    /// Checks a `<domain>` root element.
    mutating func checkDomain(_ domain: DomainXML.Element) {
        let allowedTypes = checksTemplateRules ? template.domainTypes : ["kvm"]
        if !allowedTypes.contains(domain[attribute: "type"] ?? "") {
            deny(.domainType, domain, "domain type '\(domain[attribute: "type"] ?? "")' is not \(allowedTypes.joined(separator: " or ")): "
                 + "QEMU's TCG emulator is not a security boundary, and other types are not QEMU/KVM")
        }
        checkQEMUNamespace(domain)
        for seclabel in domain.libvirtChildren(named: "seclabel") { checkDomainSeclabel(seclabel) }
        if let os = domain.libvirtChild("os") { checkOS(os) }
        checkCPU(domain.libvirtChild("cpu"), domain: domain)
        checkVCPU(domain.libvirtChild("vcpu"))
        checkMemory(domain)
        if let backing = domain.libvirtChild("memoryBacking") { checkMemoryBacking(backing) }
        if domain.libvirtChild("memoryBacking")?.libvirtChild("nosharepages") == nil {
            notes.append(AdmissionViolation(rule: .noteKSM, xpath: "/domain/memoryBacking",
                                            message: "no <nosharepages/>: where KSM runs, the guest's pages may be merged with other guests' (a timing side channel)"))
        }
        if let devices = domain.libvirtChild("devices") { checkDevices(devices) }
        if checksTemplateRules, template.vtpm == .required {
            let hasEmulated = domain.libvirtChild("devices")?.libvirtChildren(named: "tpm")
                .contains { $0.libvirtChild("backend")?[attribute: "type"] == "emulator" } ?? false
            if !hasEmulated {
                deny(.tpmMissing, xpath: "/domain/devices", "the template requires a vTPM: <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>")
            }
        }
    }

    // MARK: QEMU namespace

    /// Every element in libvirt's QEMU namespace, wherever it is, whatever its prefix; reported
    /// once (its children are not reported again).
    mutating func checkQEMUNamespace(_ element: DomainXML.Element) {
        for child in element.children {
            guard child.namespaceURI == AdmissionJudge.qemuNamespace else {
                checkQEMUNamespace(child)
                continue
            }
            switch child.localName {
            case "commandline":
                let args = child.children.filter { $0.localName == "arg" }.compactMap { $0[attribute: "value"] }
                deny(.qemuCommandline, child, "raw QEMU arguments bypass libvirt's device model and confinement" + (args.isEmpty ? "" : ": \(args.prefix(4).joined(separator: " "))"))
            case "override":
                deny(.qemuOverride, child, "raw QEMU device properties bypass libvirt's validation")
            case "capabilities":
                deny(.qemuCapabilities, child, "changing libvirt's view of QEMU's capabilities can turn off protections")
            default:
                deny(.qemuNamespace, child, "<\(child.qualifiedName)> in libvirt's QEMU namespace is not accepted")
            }
        }
    }

    // MARK: Security labels

    mutating func checkDomainSeclabel(_ seclabel: DomainXML.Element) {
        let model = seclabel[attribute: "model"].map { " (model \($0))" } ?? ""
        switch seclabel[attribute: "type"] {
        case "none":
            deny(.seclabelDisabled, seclabel, "confinement is off\(model): QEMU would run unconfined, a compromise of it owns the host")
        case "static":
            deny(.seclabelStatic, seclabel, "a static label\(model) is chosen by the domain, not generated: it may be unconfined or shared with other VMs")
        default:
            break
        }
        if seclabel[attribute: "relabel"] == "no" {
            deny(.seclabelNoRelabel, seclabel, "relabel='no'\(model): files keep their labels, so other VMs' images stay reachable")
        }
    }

    /// A `<seclabel>` inside a device: only `relabel='yes'` without a label is accepted.
    mutating func checkDeviceSeclabels(_ device: DomainXML.Element) {
        for element in device.descendantsAndSelf where element.localName == "seclabel" && element.isLibvirtElement {
            if element[attribute: "relabel"] == "no" {
                deny(.seclabelDevice, element, "relabel='no' on a device: its file keeps a label other VMs may share")
            } else if element.libvirtChild("label") != nil {
                deny(.seclabelDevice, element, "a device label chosen by the domain (\(element.libvirtChild("label")?.trimmedText ?? ""))")
            } else if element[attribute: "type"] == "none" {
                deny(.seclabelDevice, element, "confinement off for a device")
            }
        }
    }

    // MARK: OS, CPU, sizes

    mutating func checkOS(_ os: DomainXML.Element) {
        if checksTemplateRules {
            let machine = os.libvirtChild("type")?[attribute: "machine"]
            let isAllowed = machine.map { name in template.machines.contains { Glob.matches($0, name) } } ?? false
            if !isAllowed {
                deny(.machineType, os.libvirtChild("type") ?? os,
                     machine.map { "machine type '\($0)' is not allowed (allowed: \(template.machines.joined(separator: ", ")))" }
                        ?? "no machine type given; the template allows \(template.machines.joined(separator: ", "))")
            }
        }
        guard checksTemplateRules else { return }
        for name in ["kernel", "initrd", "dtb", "loader", "nvram"] {
            for element in os.libvirtChildren(named: name) {
                var paths: [String] = []
                if !element.trimmedText.isEmpty { paths.append(element.trimmedText) }
                if let template = element[attribute: "template"] { paths.append(template) }
                if let file = element.libvirtChild("source")?[attribute: "file"] { paths.append(file) }
                for path in paths where !HostPath.text(path, isInsideAnyOf: template.bootPaths) {
                    deny(.bootPath, element, "<\(name)> '\(path)' is outside the template's boot_paths (\(template.bootPaths.joined(separator: ", ")))")
                }
            }
        }
    }

    /// Features whose absence exposes speculative-execution side channels (QEMU's x86 CPU
    /// features that pass the host's mitigations to the guest).
    static let mitigationFeatures: Set<String> = [
        "spec-ctrl", "ssbd", "virt-ssbd", "amd-ssbd", "amd-no-ssb", "ibpb", "amd-stibp", "stibp", "md-clear", "arch-capabilities",
        "pcid", "ibrs", "ibrs-all", "rdctl-no", "mds-no", "taa-no", "pschange-mc-no", "fb-clear", "flush-l1d", "sbdr-ssdp-no",
        "psdp-no", "gds-no", "rfds-no",
    ]

    mutating func checkCPU(_ cpu: DomainXML.Element?, domain: DomainXML.Element) {
        if let cpu {
            for feature in cpu.libvirtChildren(named: "feature") {
                let name = feature[attribute: "name"] ?? ""
                let policy = feature[attribute: "policy"] ?? "require"
                if Self.mitigationFeatures.contains(name), policy == "disable" || policy == "forbid" {
                    deny(.cpuFeature, feature, "CPU feature '\(name)' \(policy)d: the guest loses a side-channel mitigation")
                }
            }
            for cell in cpu.libvirtChild("numa")?.libvirtChildren(named: "cell") ?? [] where cell[attribute: "memAccess"] == "shared" {
                deny(.memoryShared, cell, "a NUMA cell's memory shared (memAccess='shared'): host processes can read and write it")
            }
        }
        guard checksTemplateRules else { return }
        // libvirt's default mode is custom; no <cpu> at all is QEMU's default model.
        let mode = cpu?[attribute: "mode"] ?? "custom"
        if !template.cpuModes.contains(mode) {
            deny(.cpuMode, cpu ?? domain, "CPU mode '\(mode)'\(cpu == nil ? " (no <cpu>)" : "") is not allowed (allowed: \(template.cpuModes.joined(separator: ", ")))")
        } else if mode == "custom", !template.cpuModels.isEmpty {
            let model = cpu?.libvirtChild("model")?.trimmedText
            if !(model.map(template.cpuModels.contains) ?? false) {
                deny(.cpuModel, cpu?.libvirtChild("model") ?? cpu ?? domain,
                     "CPU model '\(model ?? "(default)")' is not allowed (allowed: \(template.cpuModels.joined(separator: ", ")))")
            }
        }
    }

    mutating func checkVCPU(_ vcpu: DomainXML.Element?) {
        guard let vcpu else { return }  // libvirt's default: one vCPU.
        let maximum = Self.count(vcpu.trimmedText)
        if maximum == nil { deny(.vcpuInvalid, vcpu, "<vcpu> '\(vcpu.trimmedText)' is not a number of vCPUs") }
        var current: Int?
        if let text = vcpu[attribute: "current"] {
            current = Self.count(text)
            if current == nil { deny(.vcpuInvalid, vcpu, "<vcpu current='\(text)'> is not a number of vCPUs") }
        }
        guard checksTemplateRules else { return }
        let largest = [maximum, current].compactMap { $0 }.max() ?? 0
        if largest > template.maxVCPUs {
            deny(.vcpuLimit, vcpu, "\(largest) vCPUs; the template allows at most \(template.maxVCPUs)")
        }
    }

    /// A decimal count (digits only, at most 9 of them).
    static func count(_ text: String) -> Int? {
        let digits = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    mutating func checkMemory(_ domain: DomainXML.Element) {
        let sizes = ["memory", "currentMemory", "maxMemory"].flatMap { domain.libvirtChildren(named: $0) }
        if domain.libvirtChild("memory") == nil {
            deny(.memoryInvalid, xpath: "/domain", "no <memory>: the template's limit cannot be checked")
        }
        let limit = UInt64(template.maxMemoryMiB) << 20
        for element in sizes {
            switch MemorySize.bytes(element.trimmedText, unit: element[attribute: "unit"]) {
            case .failure(let problem):
                deny(.memoryInvalid, element, "<\(element.localName)>: \(problem)")
            case .success(let bytes):
                if checksTemplateRules, bytes > limit {
                    deny(.memoryLimit, element, "<\(element.localName)> is \(MemorySize.describe(bytes)); the template allows at most \(template.maxMemoryMiB) MiB")
                }
            }
        }
    }

    mutating func checkMemoryBacking(_ backing: DomainXML.Element) {
        if let access = backing.libvirtChild("access"), access[attribute: "mode"] == "shared" {
            deny(.memoryShared, access, "guest memory shared: host processes (or other guests) can read and write it")
        }
        if let source = backing.libvirtChild("source"), source[attribute: "type"] == "file" {
            deny(.memorySource, source, "guest memory backed by a file on the host: it outlives the VM and is readable there")
        }
    }
}
