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

@Suite("Side-channel checks")
struct SideChannelChecksTests {
    static let vulnDir = "/sys/devices/system/cpu/vulnerabilities"

    @Test func reportsEveryVulnerabilityFileGenerically() {
        let host = FixtureHost()
        host.write("\(Self.vulnDir)/meltdown", "Not affected\n")
            .write("\(Self.vulnDir)/spec_store_bypass", "Vulnerable\n")
            .write("\(Self.vulnDir)/spectre_v2", "Mitigation: Retpolines; STIBP: disabled; RSB filling\n")
            .write("\(Self.vulnDir)/some_future_flaw", "Unknown: no microcode\n")
            .write("\(Self.vulnDir)/mmio_stale_data", "Mitigation: Clear CPU buffers; SMT vulnerable\n")
            .write("\(Self.vulnDir)/odd", "Processor vulnerable in a new way\n")
        let findings = host.run(CPUVulnerabilitiesCheck())
        #expect(findings.count == 6)
        #expect(findings.first("cpu.vulnerability.meltdown")?.status == .pass)
        #expect(findings.first("cpu.vulnerability.spec_store_bypass")?.status == .fail)
        #expect(findings.first("cpu.vulnerability.spectre_v2")?.status == .pass)
        // A file no code knows about is still covered: Unknown warns.
        #expect(findings.first("cpu.vulnerability.some_future_flaw")?.status == .warn)
        #expect(findings.first("cpu.vulnerability.mmio_stale_data")?.status == .warn)
        #expect(findings.first("cpu.vulnerability.odd")?.status == .fail)  // "vulnerable" anywhere fails
        let failing = findings.first("cpu.vulnerability.spec_store_bypass")
        #expect(failing?.evidence.first?.path == "\(Self.vulnDir)/spec_store_bypass")
        #expect(failing?.evidence.first?.value == "Vulnerable")
        #expect(failing?.remediation.isEmpty == false)
    }

    /// Real strings from kernels' vulnerabilities files, with the verdict each must get.
    @Test(arguments: [
        ("Mitigation: PTE Inversion; VMX: vulnerable", Status.fail),
        ("Mitigation: PTE Inversion; VMX: conditional cache flushes, SMT vulnerable", .warn),
        ("Mitigation: PTE Inversion; VMX: flush not necessary, SMT disabled", .pass),
        ("Mitigation: Retpolines; IBPB: conditional; STIBP: disabled; RSB filling; PBRSB-eIBRS: Not affected; BHI: Vulnerable", .fail),
        ("Mitigation: Enhanced / Automatic IBRS; IBPB: conditional; RSB filling; PBRSB-eIBRS: SW sequence; BHI: BHI_DIS_S", .pass),
        ("KVM: Vulnerable", .fail),
        ("KVM: Mitigation: VMX disabled", .pass),
        ("KVM: Mitigation: Split huge pages", .pass),
        ("Vulnerable: Clear CPU buffers attempted, no microcode; SMT vulnerable", .fail),
        ("Mitigation: Clear CPU buffers; SMT Host state unknown", .warn),
        ("Unknown: Dependent on hypervisor status", .warn),
        ("Not affected", .pass),
    ])
    func classifiesRealKernelStrings(value: String, expected: Status) {
        let host = FixtureHost().write("\(Self.vulnDir)/x", value + "\n")
        #expect(host.run(CPUVulnerabilitiesCheck()).first("cpu.vulnerability.x")?.status == expected, "\(value)")
    }

    @Test func guestCrossingVulnerabilitiesAreCritical() {
        let host = FixtureHost().write("\(Self.vulnDir)/spec_rstack_overflow", "Vulnerable: Safe RET, no microcode")
            .write("\(Self.vulnDir)/spectre_v1", "Vulnerable: __user pointer sanitization and usercopy barriers only")
        let findings = host.run(CPUVulnerabilitiesCheck())
        #expect(findings.first("cpu.vulnerability.spec_rstack_overflow")?.severity == .critical)
        #expect(findings.first("cpu.vulnerability.spectre_v1")?.severity == .high)
    }

    @Test func missingVulnerabilitiesDirectoryWarns() {
        let findings = FixtureHost().run(CPUVulnerabilitiesCheck())
        #expect(findings.count == 1)
        #expect(findings[0].id == "cpu.vulnerability.reporting")
        #expect(findings[0].status == .warn)
    }

    @Test func unreadableVulnerabilityFileIsAnErrorFindingNotACrash() {
        let host = FixtureHost().write("\(Self.vulnDir)/mds", "Not affected").write("\(Self.vulnDir)/l1tf", "Not affected")
        let fs = FailingFileSystem(base: host.fs, failing: ["\(Self.vulnDir)/mds": HyperwardError(.unreadable, "denied")])
        let findings = CPUVulnerabilitiesCheck().run(in: AuditContext(fs: fs))
        #expect(findings.first("cpu.vulnerability.mds")?.status == .error)
        #expect(findings.first("cpu.vulnerability.l1tf")?.status == .pass)
    }

    @Test func hostileVulnerabilityFilesAreBounded() {
        let host = FixtureHost()
            .write("\(Self.vulnDir)/garbage", bytes: (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) })
            .write("\(Self.vulnDir)/huge", String(repeating: "Vulnerable ", count: 20_000))
            .symlink("\(Self.vulnDir)/loop", to: "\(Self.vulnDir)/loop")
            .fifo("\(Self.vulnDir)/fifo")
        let findings = host.run(CPUVulnerabilitiesCheck())
        #expect(findings.count == 4)
        #expect(findings.first("cpu.vulnerability.huge")?.status == .error)  // over the 64 KiB bound
        #expect(findings.first("cpu.vulnerability.loop")?.status == .error)
        #expect(findings.first("cpu.vulnerability.fifo")?.status == .error)
        #expect(findings.first("cpu.vulnerability.garbage") != nil)
        for f in findings { #expect(f.evidence.allSatisfy { $0.value.utf8.count < 700 }) }
    }

    // MARK: command line

    @Test(arguments: [
        ("quiet", Status.pass),
        ("mitigations=auto", .pass),
        ("mitigations=auto,nosmt", .pass),
        ("mitigations=off", .fail),
        ("mitigations=auto,no_guest_host,no_guest_guest", .fail),
        ("mitigations=auto,no_cross_thread", .fail),
        ("mitigations=auto,no_user_kernel", .pass),
        ("rdinit=/init -- mitigations=off", .pass),  // after "--": init's argument, not the kernel's
    ])
    func globalMitigationsSwitch(cmdline: String, expected: Status) {
        let host = FixtureHost().write("/proc/cmdline", cmdline + "\n")
        let findings = host.run(CommandLineMitigationsCheck())
        #expect(findings.first("cmdline.mitigations")?.status == expected, "\(cmdline)")
    }

    @Test func thisMachinesCommandLineIsFlagged() {
        let host = FixtureHost().write("/proc/cmdline", "mitigations=auto,no_guest_host,no_guest_guest console=ttyS0 quiet reboot=k panic=1 nomodule random.trust_cpu=1 rdinit=/process_api -- --firecracker-init --addr 0.0.0.0:2024\n")
        let finding = host.run(CommandLineMitigationsCheck()).first("cmdline.mitigations")
        #expect(finding?.status == .fail)
        #expect(finding?.severity == .critical)
        #expect(finding?.detail.contains("no_guest_host") == true)
        #expect(finding?.detail.contains("no_guest_guest") == true)
    }

    @Test func perVulnerabilitySwitchesFailOnlyWhereTheCPUIsAffected() {
        let host = FixtureHost()
            .write("/proc/cmdline", "nopti spectre_v2=off kvm-intel.vmentry_l1d_flush=never l1tf=flush spectre_v2_user=auto")
            .write("\(Self.vulnDir)/meltdown", "Not affected")
            .write("\(Self.vulnDir)/spectre_v2", "Vulnerable")
            .write("\(Self.vulnDir)/l1tf", "Mitigation: PTE Inversion; VMX: vulnerable")
        let findings = host.run(CommandLineMitigationsCheck())
        #expect(findings.first("cmdline.nopti")?.status == .info)  // meltdown: not affected
        #expect(findings.first("cmdline.spectre_v2")?.status == .fail)
        #expect(findings.first("cmdline.kvm_intel.vmentry_l1d_flush")?.status == .fail)
        #expect(findings.first("cmdline.l1tf") == nil)  // flush is the default, not a weakening
        #expect(findings.first("cmdline.spectre_v2_user") == nil)
        #expect(findings.first("cmdline.switches") == nil)
    }

    @Test func cleanCommandLinePassesSwitches() {
        let host = FixtureHost().write("/proc/cmdline", "root=/dev/sda1 ro quiet")
        #expect(host.run(CommandLineMitigationsCheck()).first("cmdline.switches")?.status == .pass)
    }

    @Test func missingCommandLineIsAnError() {
        let findings = FixtureHost().run(CommandLineMitigationsCheck())
        #expect(findings.count == 1)
        #expect(findings[0].status == .error)
    }

    // MARK: SMT

    @Test func smtOnWithUnmitigatedCrossThreadFlawFails() {
        let host = FixtureHost().write("/sys/devices/system/cpu/smt/control", "on").write("/sys/devices/system/cpu/smt/active", "1")
            .write("\(Self.vulnDir)/mds", "Vulnerable: Clear CPU buffers attempted, no microcode; SMT vulnerable")
        #expect(host.run(SMTCheck()).first?.status == .fail)
    }

    @Test func smtOnWithSMTVulnerableMitigationWarns() {
        let host = FixtureHost().write("/sys/devices/system/cpu/smt/control", "on").write("/sys/devices/system/cpu/smt/active", "1")
            .write("\(Self.vulnDir)/l1tf", "Mitigation: PTE Inversion; VMX: conditional cache flushes, SMT vulnerable")
        #expect(host.run(SMTCheck()).first?.status == .warn)
    }

    @Test(arguments: ["off", "forceoff", "notsupported"])
    func smtOffPasses(control: String) {
        let host = FixtureHost().write("/sys/devices/system/cpu/smt/control", control).write("/sys/devices/system/cpu/smt/active", "0")
            .write("\(Self.vulnDir)/mds", "Vulnerable")
        #expect(host.run(SMTCheck()).first?.status == .pass)
    }

    @Test func smtOnWithUnaffectedCPUPasses() {
        let host = FixtureHost().write("/sys/devices/system/cpu/smt/control", "on").write("/sys/devices/system/cpu/smt/active", "1")
            .write("\(Self.vulnDir)/mds", "Not affected").write("\(Self.vulnDir)/l1tf", "Not affected")
        #expect(host.run(SMTCheck()).first?.status == .pass)
    }

    @Test func noSMTControlIsNotApplicable() {
        #expect(FixtureHost().run(SMTCheck()).first?.status == .notApplicable)
    }

    // MARK: KVM parameters

    @Test func nxHugePagesOffFailsOnlyOnAffectedCPUs() {
        let affected = FixtureHost().write("/sys/module/kvm/parameters/nx_huge_pages", "N")
            .write("\(Self.vulnDir)/itlb_multihit", "KVM: Vulnerable")
        #expect(affected.run(KVMParameterCheck.nxHugePages).first?.status == .fail)
        let unaffected = FixtureHost().write("/sys/module/kvm/parameters/nx_huge_pages", "never")
            .write("\(Self.vulnDir)/itlb_multihit", "Not affected")
        #expect(unaffected.run(KVMParameterCheck.nxHugePages).first?.status == .pass)
        let on = FixtureHost().write("/sys/module/kvm/parameters/nx_huge_pages", "Y")
        #expect(on.run(KVMParameterCheck.nxHugePages).first?.status == .pass)
        #expect(FixtureHost().run(KVMParameterCheck.nxHugePages).first?.status == .notApplicable)
    }

    @Test func vmentryL1DFlushNeverFailsWithL1TF() {
        let bad = FixtureHost().write("/sys/module/kvm_intel/parameters/vmentry_l1d_flush", "never")
            .write("\(Self.vulnDir)/l1tf", "Mitigation: PTE Inversion; VMX: vulnerable")
        #expect(bad.run(KVMParameterCheck.vmentryL1DFlush).first?.status == .fail)
        let good = FixtureHost().write("/sys/module/kvm_intel/parameters/vmentry_l1d_flush", "cond")
        #expect(good.run(KVMParameterCheck.vmentryL1DFlush).first?.status == .pass)
    }

    @Test func mitigateSMTRSBOffWarnsOnlyOnAffectedAMDWithSMT() {
        let smtOn = { (h: FixtureHost) in
            h.write("/sys/devices/system/cpu/smt/control", "on").write("/sys/devices/system/cpu/smt/active", "1")
        }
        let zen2 = smtOn(FixtureHost().write("/sys/module/kvm/parameters/mitigate_smt_rsb", "N")
            .write("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 23\n\n"))
        #expect(zen2.run(KVMParameterCheck.mitigateSMTRSB).first?.status == .warn)
        let intel = smtOn(FixtureHost().write("/sys/module/kvm/parameters/mitigate_smt_rsb", "N")
            .write("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n\n"))
        #expect(intel.run(KVMParameterCheck.mitigateSMTRSB).first?.status == .pass)
        let zen4 = smtOn(FixtureHost().write("/sys/module/kvm/parameters/mitigate_smt_rsb", "N")
            .write("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n\n"))
        #expect(zen4.run(KVMParameterCheck.mitigateSMTRSB).first?.status == .pass)
        let on = FixtureHost().write("/sys/module/kvm/parameters/mitigate_smt_rsb", "Y")
        #expect(on.run(KVMParameterCheck.mitigateSMTRSB).first?.status == .pass)
        // The parameter lives in the generic kvm module, not kvm_amd.
        let wrongPlace = FixtureHost().write("/sys/module/kvm_amd/parameters/mitigate_smt_rsb", "N")
        #expect(wrongPlace.run(KVMParameterCheck.mitigateSMTRSB).first?.status == .notApplicable)
    }

    @Test func smtOnWithVMXVulnerableL1TFFails() {
        let host = FixtureHost().write("/sys/devices/system/cpu/smt/control", "on").write("/sys/devices/system/cpu/smt/active", "1")
            .write("\(Self.vulnDir)/l1tf", "Mitigation: PTE Inversion; VMX: vulnerable")
        #expect(host.run(SMTCheck()).first?.status == .fail)
    }

    @Test func onlyTheLastOccurrenceOfASwitchCounts() {
        let host = FixtureHost().write("/proc/cmdline", "spectre_v2=off spectre_v2=on l1tf=flush,nowarn")
            .write("\(Self.vulnDir)/spectre_v2", "Mitigation: Retpolines")
        let findings = host.run(CommandLineMitigationsCheck())
        #expect(findings.first("cmdline.spectre_v2") == nil)
        #expect(findings.first("cmdline.l1tf") == nil)  // flush,nowarn keeps the flush
        #expect(findings.first("cmdline.switches")?.status == .pass)
    }

    // MARK: KSM, microcode

    @Test(arguments: [("0", Status.pass), ("1", .fail), ("2", .pass), ("bogus\u{0}", .warn)])
    func ksm(value: String, expected: Status) {
        let host = FixtureHost().write("/sys/kernel/mm/ksm/run", value + "\n").write("/sys/kernel/mm/ksm/pages_shared", "12")
        #expect(host.run(KSMCheck()).first?.status == expected)
    }

    @Test func ksmAbsentIsNotApplicable() {
        #expect(FixtureHost().run(KSMCheck()).first?.status == .notApplicable)
    }

    @Test func oldMicrocodeFailsAndRevisionIsReported() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmicrocode\t: 0xf0\nflags\t\t: fpu vmx\n\nprocessor\t: 1\n"
        let old = FixtureHost().write("/proc/cpuinfo", cpuinfo).write("\(Self.vulnDir)/old_microcode", "Vulnerable")
        #expect(old.run(MicrocodeCheck()).first?.status == .fail)
        let current = FixtureHost().write("/proc/cpuinfo", cpuinfo).write("\(Self.vulnDir)/old_microcode", "Not affected")
        let finding = current.run(MicrocodeCheck()).first
        #expect(finding?.status == .info)
        #expect(finding?.detail.contains("0xf0") == true)
    }
}
