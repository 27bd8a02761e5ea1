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
import HyperwardHost

/// Judges generated domain XMLs and prints the time per domain, against two baselines measured
/// in the same run on the same documents: building the element tree alone (`DomainXML.tree`),
/// and the existing event reader (`DomainXML.interfaces`).
///
///     swift build -c release --product AdmissionBench && .build/release/AdmissionBench [COUNT] [SEED]
@main
enum AdmissionBench {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        let count = arguments.first.flatMap(Int.init) ?? 1000
        let seed = arguments.dropFirst().first.flatMap(UInt64.init) ?? 13
        let policy = try AdmissionPolicy.parse(DomainCorpusGenerator.policyYAML, file: "bench-policy.yaml")
        var generator = DomainCorpusGenerator(seed: seed)
        let samples = (0..<count).map { _ in generator.next() }
        let bytes = samples.reduce(0) { $0 + $1.xml.utf8.count }

        func measure(_ body: (String) -> Int) -> (seconds: Double, check: Int) {
            var best = Double.infinity
            var check = 0
            for _ in 0..<5 {
                let start = DispatchTime.now().uptimeNanoseconds
                check = 0
                for sample in samples { check &+= body(sample.xml) }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return (best, check)
        }
        let judge = measure { AdmissionJudge.judge(domainXML: $0, policy: policy).violations.count }
        let tree = measure { ((try? DomainXML.tree($0))?.children.count) ?? 0 }
        let reader = measure { ((try? DomainXML.interfaces(ofDomain: $0))?.count) ?? 0 }
        let denied = samples.filter { !$0.injected.isEmpty }.count
        print("admission bench: \(count) domains (\(denied) with injected faults), \(bytes / count) bytes on average, best of 5 runs")
        for (name, result) in [("judge", judge), ("tree only", tree), ("interfaces reader", reader)] {
            let perDomain = result.seconds / Double(count) * 1e3
            let label = name.padding(toLength: 18, withPad: " ", startingAt: 0)
            print(label + String(format: " %8.1f ms total  %6.3f ms/domain  %5.2fx tree", result.seconds * 1e3, perDomain, result.seconds / tree.seconds))
        }
    }
}
