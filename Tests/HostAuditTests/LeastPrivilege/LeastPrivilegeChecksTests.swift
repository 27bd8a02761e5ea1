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

@Suite("LeastPrivilegeChecks")
struct LeastPrivilegeChecksTests {
    var descriptors: [CheckDescriptor] { LeastPrivilegeChecks.all.flatMap(\.descriptors) }

    @Test func idsAreUniqueAndDocumented() {
        let ids = descriptors.map(\.id)
        #expect(Set(ids).count == ids.count)
        for d in descriptors {
            #expect(!d.reads.isEmpty && !d.failsWhen.isEmpty && !d.rationale.isEmpty && !d.remediation.isEmpty, "\(d.id)")
            #expect(!d.references.isEmpty, "\(d.id)")
            #expect([ThreatClass.vmEscape, .hypervisorVulnerability, .maliciousVM].contains(d.threat), "\(d.id)")
        }
    }

    @Test func everyFindingBelongsToADescriptor() {
        // An empty host and this real host between them exercise the not-applicable and real paths.
        let contexts = [FixtureHost().context(), AuditContext(fs: RootedFileSystem(root: "/"))]
        for context in contexts {
            for check in LeastPrivilegeChecks.all {
                for finding in check.run(in: context) {
                    #expect(check.descriptors.contains { $0.covers(finding.id) }, "\(finding.id)")
                }
            }
        }
    }

    @Test func thisHostIsAuditedWithoutErrors() {
        let context = AuditContext(fs: RootedFileSystem(root: "/"))
        let findings = LeastPrivilegeChecks.all.flatMap { $0.run(in: context) }
        for finding in findings {
            #expect(finding.status != .error, "\(finding.key): \(finding.detail)")
        }
        #expect(Set(findings.map(\.id)).isSuperset(of: ["mac.enforcement", "libvirt.group-members", "perm.vm-images"]))
    }
}
