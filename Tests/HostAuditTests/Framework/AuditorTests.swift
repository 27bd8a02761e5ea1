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

@Suite("Auditor, waivers and history")
struct AuditorTests {
    static let vulnDir = "/sys/devices/system/cpu/vulnerabilities"

    static func sampleHost() -> FixtureHost {
        FixtureHost()
            .write("/proc/cmdline", "mitigations=off")
            .write("\(vulnDir)/mds", "Vulnerable")
            .write("\(vulnDir)/l1tf", "Not affected")
            .write("/sys/kernel/mm/ksm/run", "1")
    }

    @Test func skipRemovesAFindingAndAWholePrefix() {
        let host = Self.sampleHost()
        let auditor = Auditor()
        let all = auditor.run(context: host.context(), toolVersion: "test")
        #expect(all.findings.first("cpu.vulnerability.mds") != nil)
        let skipped = auditor.run(context: host.context(), skip: ["cpu.vulnerability", "ksm.run"], toolVersion: "test")
        #expect(skipped.findings.allSatisfy { !$0.id.hasPrefix("cpu.vulnerability.") })
        #expect(skipped.findings.first("ksm.run") == nil)
        #expect(skipped.findings.first("cmdline.mitigations") != nil)
        #expect(skipped.skipped == ["cpu.vulnerability", "ksm.run"])
    }

    @Test func activeWaiverExcludesAFindingFromFailOnAndScore() throws {
        let host = Self.sampleHost()
        let waivers = try WaiverSet.parse("""
            waivers:
              - id: ksm.run
                reason: "KSM needed for density on this lab host"
                expires: 2027-01-31
              - id: cmdline.*
                reason: "benchmark box"
                expires: 2026-01-01
            """, file: "waivers.yaml")
        let now = ISO8601DateFormatter().date(from: "2026-11-29T00:00:00Z")!
        let report = Auditor().run(context: host.context(), waivers: waivers, now: now, toolVersion: "test")
        let ksm = report.findings.first("ksm.run")
        #expect(ksm?.status == .fail)
        #expect(ksm?.waiver?.isExpired == false)
        #expect(!report.failures(atLeast: .low).contains { $0.id == "ksm.run" })
        // The expired waiver says so and no longer hides the failure.
        let cmd = report.findings.first("cmdline.mitigations")
        #expect(cmd?.waiver?.isExpired == true)
        #expect(report.failures(atLeast: .critical).contains { $0.id == "cmdline.mitigations" })
    }

    @Test func anActiveWaiverWinsOverAnEarlierExpiredOne() throws {
        let set = try WaiverSet.parse("""
            waivers:
              - { id: ksm.run, reason: old, expires: 2020-01-01 }
              - { id: ksm.run, reason: renewed, expires: 2999-01-01 }
            """, file: "w.yaml")
        let finding = Finding(id: "ksm.run", title: "t", threat: .sideChannel, severity: .medium, status: .fail, detail: "")
        let applied = set.apply(to: [finding], today: "2026-11-29")
        #expect(applied[0].waiver?.reason == "renewed")
        #expect(applied[0].waiver?.isExpired == false)
    }

    @Test func waiverExpiresAfterItsLastDay() throws {
        let w = Waiver(id: "x", subject: nil, reason: "r", expires: "2026-11-29")
        #expect(w.isActive(on: "2026-11-29"))
        #expect(!w.isActive(on: "2026-11-30"))
    }

    @Test(arguments: [
        "waivers:\n  - id: x\n    expires: 2027-01-01\n",                 // no reason
        "waivers:\n  - id: x\n    reason: r\n    expires: soon\n",         // bad date
        "waivers:\n  - id: x\n    reason: \"\"\n    expires: 2027-01-01\n", // empty reason
        "waivers: [ {id: x, reason: r, expires: 2027-13-01} ]",             // month 13
        "waivers: [ {id: x, reason: r, expires: 2025-02-29} ]",             // not a leap year
        "\u{0}\u{1}binary",
        "waivers: {",
    ])
    func malformedWaiversAreRejectedClearly(text: String) {
        #expect(throws: HyperwardError.self) { try WaiverSet.parse(text, file: "w.yaml") }
        do { _ = try WaiverSet.parse(text, file: "w.yaml") } catch {
            #expect(error.description.hasPrefix("w.yaml"))
        }
    }

    @Test func historyRecordsChangesNewAndResolvedFindings() throws {
        let host = Self.sampleHost()
        let report = Auditor().run(context: host.context(), toolVersion: "test")
        let first = AuditHistory.events(for: report, previous: [:], time: "2026-11-29T00:00:00.000Z")
        #expect(first.first?.kind == "audit.run")
        // A first run records only problems as new.
        #expect(first.filter { $0.kind == "finding.new" }.allSatisfy { $0.summary.contains("fail") || $0.summary.contains("warn") || $0.summary.contains("error") })
        var previous: [String: Status] = [:]
        for f in report.findings { previous[f.key] = f.status }
        previous["ksm.run"] = .pass
        previous["gone.check"] = .fail
        let second = AuditHistory.events(for: report, previous: previous, time: "2026-11-29T01:00:00.000Z")
        #expect(second.contains { $0.kind == "finding.changed" && $0.subject == "ksm.run" && $0.summary.contains("pass → fail") })
        #expect(second.contains { $0.kind == "finding.resolved" && $0.subject == "gone.check" })
        #expect(second.filter { $0.kind == "finding.changed" }.count == 1)
        for e in second { #expect(e.body.map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil } ?? true) }
        // A finding's event carries its threat class and what it read.
        let ksm = try #require(report.findings.first { $0.key == "ksm.run" })
        let changed = try #require(second.first { $0.kind == "finding.changed" })
        #expect(changed.engine == .audit && changed.threat == ksm.threat && changed.severity == ksm.severity)
        #expect(changed.evidence.map(\.path) == ksm.evidence.map(\.path) && changed.evidence.allSatisfy { $0.kind == "read" })
        #expect(Set((first + second).map(\.id)).count == first.count + second.count, "every event has its own id")
    }

    @Test func scoreWeighsSeverityAndIgnoresInfoAndWaived() {
        func f(_ status: Status, _ severity: Severity, waived: Bool = false) -> Finding {
            Finding(id: UUID().uuidString, title: "t", threat: .sideChannel, severity: severity, status: status, detail: "",
                    waiver: waived ? WaiverNote(reason: "r", expires: "2099-01-01", isExpired: false) : nil)
        }
        #expect(AuditReport.score(of: [f(.pass, .high), f(.fail, .high)]) == 50)
        #expect(AuditReport.score(of: [f(.pass, .info), f(.fail, .critical)]) == 16)  // 1 of 6
        #expect(AuditReport.score(of: [f(.pass, .low), f(.fail, .critical, waived: true), f(.info, .high)]) == 100)
        #expect(AuditReport.score(of: [f(.info, .high), f(.notApplicable, .low)]) == nil)
    }

    @Test func everyDescriptorIsDocumentedAndIdsAreUnique() {
        let descriptors = Auditor().descriptors
        #expect(Set(descriptors.map(\.id)).count == descriptors.count)
        for d in descriptors {
            #expect(!d.title.isEmpty && !d.failsWhen.isEmpty && !d.rationale.isEmpty && !d.reads.isEmpty, "\(d.id)")
            #expect(d.severity == .info || !d.remediation.isEmpty, "\(d.id) needs a remediation")
        }
    }

    @Test func docsAuditMarkdownIsGeneratedFromTheCatalog() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/audit.md"), encoding: .utf8)
        let generated = CheckDocumentation.markdown(Auditor().descriptors)
        #expect(doc == generated, "docs/audit.md is stale: regenerate it with `hyperward audit --list-checks --format markdown > docs/audit.md`")
    }

    @Test func everyFindingOfAFullRunBelongsToADescriptor() {
        let host = Self.sampleHost()
        let auditor = Auditor()
        let report = auditor.run(context: host.context(), toolVersion: "test")
        for f in report.findings {
            #expect(auditor.descriptors.contains { $0.covers(f.id) }, "\(f.id) has no descriptor")
        }
    }
}

@Suite("Kernel command line")
struct KernelCommandLineTests {
    @Test func splitsLikeTheKernel() {
        let c = KernelCommandLine("BOOT_IMAGE=/vmlinuz root=UUID=x ro  quiet kvm-intel.nested=1 dyndbg=\"file a.c +p\" -- init arg")
        #expect(c.value(of: "root") == "UUID=x")
        #expect(c.contains("ro"))
        #expect(c.value(of: "kvm_intel.nested") == "1")  // dashes and underscores are equivalent
        #expect(c.value(of: "dyndbg") == "file a.c +p")
        #expect(!c.contains("init"))
    }

    @Test func laterValueWins() {
        #expect(KernelCommandLine("mitigations=off mitigations=auto").value(of: "mitigations") == "auto")
    }
}

@Suite("This host, audited for real")
struct RealHostAuditTests {
    @Test func everyVulnerabilitiesFileOfThisHostIsReported() throws {
        let dir = "/sys/devices/system/cpu/vulnerabilities"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        let report = Auditor().run(context: AuditContext(fs: RootedFileSystem()), toolVersion: "test")
        for name in names {
            // Oracle: the kernel's own file, read independently.
            let value = try String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let finding = report.findings.first("cpu.vulnerability.\(name)")
            #expect(finding != nil, "\(name) not reported")
            #expect(finding?.evidence.first?.value == value)
            if value.hasPrefix("Vulnerable") { #expect(finding?.status == .fail, "\(name): \(value)") }
            if value.hasPrefix("Not affected") { #expect(finding?.status == .pass, "\(name): \(value)") }
        }
    }

    @Test func thisHostsCommandLineIsJudgedFromTheRealFile() throws {
        let cmdline = try String(contentsOfFile: "/proc/cmdline", encoding: .utf8)
        let report = Auditor().run(context: AuditContext(fs: RootedFileSystem()), toolVersion: "test")
        let finding = report.findings.first("cmdline.mitigations")
        let kernelPart = cmdline.components(separatedBy: " -- ").first ?? cmdline
        let weakened = kernelPart.contains("mitigations=off") || kernelPart.contains("no_guest_host") || kernelPart.contains("no_guest_guest")
        if weakened {
            #expect(finding?.status == .fail)
        } else if !kernelPart.contains("mitigations=") {
            #expect(finding?.status == .pass)
        }
    }
}
