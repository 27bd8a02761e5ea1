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
import Testing

@testable import HostAudit

@Suite("Hardware isolation checks")
struct HardwareIsolationChecksTests {
    static func cpuinfo(flags: String, vmxFlags: String? = nil) -> String {
        var s = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: \(flags)\n"
        if let vmxFlags { s += "vmx flags\t: \(vmxFlags)\n" }
        return s + "\nprocessor\t: 1\nflags\t\t: none\n"
    }

    @Test func vmxWithEPTPasses() {
        let host = FixtureHost().write("/proc/cpuinfo", Self.cpuinfo(flags: "fpu vmx ept lm"))
        let findings = host.run(VirtualizationExtensionsCheck())
        #expect(findings.first("hw.virtualization-extensions")?.status == .pass)
        #expect(findings.first("hw.second-level-paging")?.status == .pass)
        #expect(findings.first("hw.running-nested")?.detail.contains("bare metal") == true)
    }

    @Test func eptFromVMXFlagsLineCounts() {
        let host = FixtureHost().write("/proc/cpuinfo", Self.cpuinfo(flags: "fpu vmx", vmxFlags: "vnmi preemption_timer ept vpid"))
        #expect(host.run(VirtualizationExtensionsCheck()).first("hw.second-level-paging")?.status == .pass)
    }

    @Test func svmWithoutNPTWarns() {
        let host = FixtureHost().write("/proc/cpuinfo", Self.cpuinfo(flags: "fpu svm"))
        #expect(host.run(VirtualizationExtensionsCheck()).first("hw.second-level-paging")?.status == .warn)
    }

    @Test func noExtensionsWarnsAndHypervisorFlagIsInfo() {
        let host = FixtureHost().write("/proc/cpuinfo", Self.cpuinfo(flags: "fpu hypervisor"))
        let findings = host.run(VirtualizationExtensionsCheck())
        #expect(findings.first("hw.virtualization-extensions")?.status == .warn)
        #expect(findings.first("hw.second-level-paging")?.status == .notApplicable)
        let nested = findings.first("hw.running-nested")
        #expect(nested?.status == .info)
        #expect(nested?.detail.contains("nested") == true)
    }

    @Test func missingCPUInfoIsAnError() {
        #expect(FixtureHost().run(VirtualizationExtensionsCheck()).first?.status == .error)
    }

    @Test(arguments: [("Y", Status.warn), ("1", .warn), ("N", .pass), ("0", .pass)])
    func nestedVirtualization(value: String, expected: Status) {
        let host = FixtureHost().write("/sys/module/kvm_intel/parameters/nested", value)
        #expect(host.run(NestedVirtualizationCheck()).first?.status == expected)
    }

    @Test func nestedWithoutKVMModuleIsNotApplicable() {
        #expect(FixtureHost().run(NestedVirtualizationCheck()).first?.status == .notApplicable)
    }

    @Test func iommuActiveAndTranslatingPasses() {
        let host = FixtureHost().mkdir("/sys/class/iommu/dmar0")
            .write("/sys/kernel/iommu_groups/0/type", "DMA-FQ").write("/sys/kernel/iommu_groups/1/type", "DMA")
            .write("/proc/cmdline", "intel_iommu=on")
        let findings = host.run(IOMMUCheck())
        #expect(findings.first("iommu.present")?.status == .pass)
        #expect(findings.first("iommu.passthrough")?.status == .pass)
    }

    @Test func noIOMMUFails() {
        let findings = FixtureHost().write("/proc/cmdline", "quiet").run(IOMMUCheck())
        #expect(findings.first("iommu.present")?.status == .fail)
        #expect(findings.first("iommu.passthrough")?.status == .notApplicable)
    }

    @Test func iommuDisabledOnCommandLineFails() {
        let host = FixtureHost().mkdir("/sys/class/iommu/dmar0").write("/proc/cmdline", "intel_iommu=off")
        #expect(host.run(IOMMUCheck()).first("iommu.present")?.status == .fail)
    }

    @Test func identityGroupFailsAndPassthroughCommandLineWarns() {
        let identity = FixtureHost().mkdir("/sys/class/iommu/dmar0")
            .write("/sys/kernel/iommu_groups/0/type", "DMA-FQ").write("/sys/kernel/iommu_groups/7/type", "identity")
        let f = identity.run(IOMMUCheck()).first("iommu.passthrough")
        #expect(f?.status == .fail)
        #expect(f?.evidence.first?.path == "/sys/kernel/iommu_groups/7/type")
        let pt = FixtureHost().mkdir("/sys/class/iommu/dmar0").write("/sys/kernel/iommu_groups/0/type", "DMA-FQ")
            .write("/proc/cmdline", "iommu=pt")
        #expect(pt.run(IOMMUCheck()).first("iommu.passthrough")?.status == .warn)
    }

    @Test func kvmDeviceModes() throws {
        // A regular file stands in for the device node in a fixture: it must fail as "not a device".
        let fake = FixtureHost().write("/dev/kvm", "", mode: 0o660)
        #expect(fake.run(KVMDeviceCheck()).first?.status == .fail)
        #expect(FixtureHost().run(KVMDeviceCheck()).first?.status == .notApplicable)
    }

    @Test(.enabled(if: getuid() == 0, "mknod needs root"))
    func kvmDeviceNodeOwnershipAndMode() throws {
        for (mode, expected) in [(0o660, Status.pass), (0o666, .fail), (0o606, .fail)] {
            let host = FixtureHost().write("/etc/group", "root:x:0:\nkvm:x:104:\n").mkdir("/dev")
            #expect(mknod(host.physical("/dev/kvm"), S_IFCHR | 0o600, makedev(10, 232)) == 0)
            chown(host.physical("/dev/kvm"), 0, 104)
            chmod(host.physical("/dev/kvm"), mode_t(mode))
            let finding = host.run(KVMDeviceCheck()).first
            #expect(finding?.status == expected, "mode \(String(mode, radix: 8))")
            if expected == .pass { #expect(finding?.evidence.first?.value.contains("group=kvm") == true) }
        }
    }

    @Test func realDevKVMIsReadFromThisHost() throws {
        // Oracle: the real node's mode as stat(2) reports it.
        var st = stat()
        guard stat("/dev/kvm", &st) == 0 else { return }
        let finding = KVMDeviceCheck().run(in: AuditContext(fs: RootedFileSystem())).first
        let worldOpen = st.st_mode & 0o006 != 0
        if worldOpen { #expect(finding?.status == .fail) } else { #expect(finding?.status != .fail) }
        #expect(finding?.evidence.first?.value.contains(String(st.st_mode & 0o7777, radix: 8)) == true)
    }
}

/// `makedev` is a macro in glibc; Swift can't import it.
private func makedev(_ major: UInt32, _ minor: UInt32) -> dev_t {
    dev_t((major & 0xfff) << 8 | (minor & 0xff) | ((minor & ~0xff) << 12))
}
