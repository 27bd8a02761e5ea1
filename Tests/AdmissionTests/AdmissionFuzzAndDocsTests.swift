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

import Admission
import Foundation
import Testing

@testable import HyperwardFuzz

/// The `admission` fuzz target's seeds and regressions replayed through its property checks, and
/// docs/admission-rules.md kept complete.
@Suite("Admission fuzz corpus and docs")
struct AdmissionFuzzAndDocsTests {
    static let fuzz = Fixtures.packageRoot.appendingPathComponent("Fuzz")

    static func inputs(_ kind: String) -> [String] {
        Replay.files(at: fuzz.appendingPathComponent(kind).appendingPathComponent("admission").path)
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test func theFuzzPolicyParses() {
        #expect(FuzzTarget.admissionPolicy.templates.count == 2)
    }

    @Test func seedsAndRegressionsPassEveryPropertyCheck() throws {
        let files = Self.inputs("Corpus") + Self.inputs("Regressions")
        #expect(files.count >= 6)
        for file in files {
            let bytes = try #require(Replay.read(file), "cannot read \(file)")
            #expect(throws: Never.self, "\(file)") { try FuzzTarget.admission.run(bytes) }
        }
    }

    /// The seed that holds a bit of everything is denied under nearly every rule: the seeds reach
    /// every branch of the judge the fuzzer then mutates.
    @Test func theEveryRuleSeedBreaksMostRules() throws {
        let file = try #require(Self.inputs("Corpus").first { $0.hasSuffix("every-rule.xml") })
        let xml = try String(contentsOfFile: file, encoding: .utf8)
        let decision = AdmissionJudge.judge(domainXML: xml, policy: FuzzTarget.admissionPolicy)
        let broken = Set(decision.ruleIDs)
        let unbroken = Set(AdmissionRule.all.map(\.id)).subtracting(broken)
        #expect(broken.count >= 50, "\(unbroken.sorted())")
    }

    @Test func theRulesPageNamesEveryRule() throws {
        let page = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("docs/admission-rules.md"), encoding: .utf8)
        for rule in AdmissionRule.all {
            #expect(page.contains("| `\(rule.id)` |"), "docs/admission-rules.md has no row for \(rule.id)")
        }
    }
}
