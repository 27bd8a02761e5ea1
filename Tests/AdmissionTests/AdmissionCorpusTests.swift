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
@testable import AdmissionBench
import Testing

/// 1,000 generated domains (`DomainCorpusGenerator`, seeded): every clean one allowed, every one
/// with injected items denied with exactly the rules the generator says it injected.
@Suite("Admission generated corpus")
struct AdmissionCorpusTests {
    static let policy: AdmissionPolicy = {
        do { return try AdmissionPolicy.parse(DomainCorpusGenerator.policyYAML, file: "corpus-policy.yaml") } catch { fatalError("\(error)") }
    }()

    @Test(arguments: [UInt64(13), 2026])
    func everyGeneratedDomainIsJudgedAsItsGroundTruthSays(_ seed: UInt64) {
        var generator = DomainCorpusGenerator(seed: seed)
        var clean = 0
        var faulty = 0
        var rulesSeen: Set<String> = []
        var failures = 0
        for index in 0..<1000 {
            let sample = generator.next()
            let decision = AdmissionJudge.judge(domainXML: sample.xml, policy: Self.policy)
            let found = Set(decision.ruleIDs)
            if sample.injected.isEmpty {
                clean += 1
                if !decision.isAllowed {
                    failures += 1
                    if failures <= 5 { Issue.record("clean sample \(index) denied:\n\(decision.text)\n\(sample.xml)") }
                }
            } else {
                faulty += 1
                rulesSeen.formUnion(sample.injected)
                if found != sample.injected {
                    failures += 1
                    if failures <= 5 {
                        Issue.record("sample \(index): injected \(sample.injected.sorted()), judged \(found.sorted())\n\(decision.text)\n\(sample.xml)")
                    }
                }
                // Every violation points into the domain.
                #expect(decision.violations.allSatisfy { $0.xpath.hasPrefix("/domain") })
            }
        }
        #expect(failures == 0)
        #expect(clean > 300 && faulty > 500, "the generator's mix: \(clean) clean, \(faulty) faulty")
        #expect(rulesSeen.count == DomainCorpusGenerator.Fault.allCases.count, "every fault injected at least once")
    }

    @Test func theGeneratorIsDeterministic() {
        var a = DomainCorpusGenerator(seed: 7)
        var b = DomainCorpusGenerator(seed: 7)
        for _ in 0..<20 { #expect(a.next().xml == b.next().xml) }
    }

    /// The generator's own rule names are rules the judge knows (a typo there would make the
    /// corpus test unpassable rather than silently pass).
    @Test func theGeneratorNamesKnownRules() {
        let known = Set(AdmissionRule.all.map(\.id))
        for fault in DomainCorpusGenerator.Fault.allCases { #expect(known.contains(fault.rule), "\(fault.rule)") }
    }
}
