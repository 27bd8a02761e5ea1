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
import Testing

@testable import HyperwardCore

/// The `admission:` section of the configuration: paths relative to the file, the boolean, the
/// defaults, and each mistake refused with its place in the file.
@Suite("Configuration: admission")
struct AdmissionConfigurationTests {
    func parse(_ text: String) throws(HyperwardError) -> HyperwardConfiguration {
        try HyperwardConfiguration.parse(text, file: "/etc/hyperward/hyperward.yaml")
    }

    /// The error `text` gives, or an issue when it parses.
    func failure(_ text: String) -> HyperwardError? {
        do {
            let parsed = try parse(text)
            Issue.record("parsed: \(parsed.admission)")
            return nil
        } catch {
            #expect(error.code == .configuration)
            return error
        }
    }

    @Test func withoutTheSectionThereIsNoPolicyAndTheDefaults() throws {
        let c = try parse("state_directory: /tmp/hw\n")
        #expect(c.admission.policy == nil)
        #expect(c.admission.breakGlassFile == "/etc/hyperward/break-glass.yaml")
        #expect(c.admission.breakGlassFile == HyperwardConfiguration.Admission.defaultBreakGlassFile)
        #expect(c.admission.undefineUnadmitted == false)
    }

    @Test func relativePathsAreRelativeToTheConfigurationFile() throws {
        let c = try parse("""
            admission:
              policy: policies/admission.yaml
              break_glass_file: ../run/glass.yaml
              undefine_unadmitted: true
            """)
        #expect(c.admission.policy == "/etc/hyperward/policies/admission.yaml")
        #expect(c.admission.breakGlassFile == "/etc/hyperward/../run/glass.yaml")
        #expect(c.admission.undefineUnadmitted == true)
    }

    @Test func absolutePathsAreKept() throws {
        let c = try parse("admission: { policy: /srv/p.yaml, break_glass_file: /run/bg.yaml, undefine_unadmitted: false }\n")
        #expect(c.admission.policy == "/srv/p.yaml" && c.admission.breakGlassFile == "/run/bg.yaml")
        #expect(c.admission.undefineUnadmitted == false)
    }

    @Test func loadingResolvesAgainstTheRealFilesDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/hw-admcfg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/hyperward.yaml"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("admission:\n  policy: policy.yaml\n".utf8)))
        let c = try HyperwardConfiguration.load(path: file, isExplicit: true)
        #expect(c.admission.policy == directory + "/policy.yaml")
    }

    @Test func anUnknownKeyIsRefusedWithFileLineAndColumn() throws {
        let error = try #require(failure("state_directory: /tmp/hw\nadmission:\n  policy: p.yaml\n  undefine_unadmited: true\n"))
        #expect(error.message.contains("admission.undefine_unadmited"), "\(error)")
        #expect(error.message.contains("undefine_unadmitted"), "the known keys are listed: \(error)")
        #expect("\(error)".hasPrefix("/etc/hyperward/hyperward.yaml:4:3: "), "\(error)")
    }

    @Test(arguments: [
        ("admission: true\n", "admission must be a mapping", 1, 12),
        ("admission: [policy.yaml]\n", "admission must be a mapping", 1, 12),
        ("admission:\n  undefine_unadmitted: sometimes\n", "undefine_unadmitted must be true or false", 2, 24),
        ("admission:\n  undefine_unadmitted: 1\n", "undefine_unadmitted must be true or false", 2, 24),
        ("admission:\n  policy: [a.yaml, b.yaml]\n", "admission.policy", 2, 11),
        ("admission:\n  policy: { file: a.yaml }\n", "admission.policy", 2, 11),
        ("admission:\n  break_glass_file: [x]\n", "admission.break_glass_file", 2, 21),
    ] as [(String, String, Int, Int)])
    func aWrongTypeIsRefusedWithItsPlace(text: String, message: String, line: Int, column: Int) throws {
        let error = try #require(failure(text))
        #expect(error.message.contains(message), "\(error)")
        #expect(error.location?.file == "/etc/hyperward/hyperward.yaml")
        #expect(error.location?.line == line && error.location?.column == column, "\(error)")
    }
}
