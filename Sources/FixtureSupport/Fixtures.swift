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

/// The external test corpus: real data from outside the project, each folder with its ground
/// truth (real captures, NAB series, cryptsetup's LUKS images, dpkg orderings).
///
/// It is not committed, so a clone may not have it. A test that needs a folder declares it with
/// the ``Testing/Trait/needsFixtures(_:sourceLocation:)`` trait and reads it through
/// ``folder(_:sourceLocation:)`` or ``file(_:in:sourceLocation:)``. Without the folder the test
/// is skipped with one line naming it; with `HYPERWARD_REQUIRE_FIXTURES=1` (CI) it runs and fails.
/// Everything the project can make itself belongs in `Tests/` or is made at test time instead.
public enum Fixtures {
    /// The environment variable naming the corpus root (absolute, or relative to the package root).
    public static let rootVariable = "HYPERWARD_FIXTURES"

    /// The environment variable that turns a missing corpus into a failure (`1`).
    public static let requireVariable = "HYPERWARD_REQUIRE_FIXTURES"

    /// Where the corpus root is when ``rootVariable`` is unset, relative to the package root.
    public static let defaultRoot = "../shared/fixtures"

    /// The package root: the folder holding Package.swift, two levels above this file's folder.
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// How the corpus root is named in messages: the variable's value, or ``defaultRoot``.
    public static let rootDescription: String = {
        guard let value = ProcessInfo.processInfo.environment[rootVariable], !value.isEmpty else { return defaultRoot }
        return value.hasSuffix("/") && value.count > 1 ? String(value.dropLast()) : value
    }()

    /// The corpus root: ``rootVariable``, or ``defaultRoot`` beside the package root.
    public static let root: URL = {
        if rootDescription.hasPrefix("/") { return URL(fileURLWithPath: rootDescription).standardizedFileURL }
        return packageRoot.appendingPathComponent(rootDescription).standardizedFileURL
    }()

    /// Where the reference tools that score against the corpus are (`nab-score`): `tools` beside
    /// the corpus root, `../shared/tools` by default.
    public static var toolsRoot: URL { root.deletingLastPathComponent().appendingPathComponent("tools") }

    /// How the tools folder is named in messages: `../shared/tools`.
    public static var toolsDescription: String {
        let parent = (rootDescription as NSString).deletingLastPathComponent
        return (parent.isEmpty ? "." : parent) + "/tools"
    }

    /// Whether a missing corpus fails the tests that need it instead of skipping them.
    public static var isRequired: Bool { ProcessInfo.processInfo.environment[requireVariable] == "1" }

    /// How a corpus folder is named in messages: `../shared/fixtures/pcaps`.
    public static func describe(_ folder: String) -> String {
        rootDescription + "/" + folder
    }

    /// Whether a corpus folder is there.
    public static func isPresent(_ folder: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: root.appendingPathComponent(folder).path, isDirectory: &isDirectory)
            && isDirectory.boolValue
    }

    /// Whether a reference tool is there and executable.
    public static func isToolPresent(_ name: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: toolsRoot.appendingPathComponent(name).path)
    }

    /// The one line a test skipped for want of a corpus folder reports:
    /// `needs ../shared/fixtures/pcaps (set HYPERWARD_FIXTURES)`.
    public static func skipNote(_ folder: String) -> String {
        "needs \(describe(folder)) (set \(rootVariable))"
    }

    /// The URL of a corpus folder.
    ///
    /// - Throws: after recording an issue naming the folder, when it is absent. Only a test that
    ///   runs although the folder is absent gets here: one under `HYPERWARD_REQUIRE_FIXTURES=1`,
    ///   or one that lacks the `.needsFixtures` trait and so cannot be skipped.
    public static func folder(_ folder: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
        let isPresent = isPresent(folder)
        try #require(isPresent, Comment(rawValue: absenceNote(folder)), sourceLocation: sourceLocation)
        return root.appendingPathComponent(folder)
    }

    /// The URL of a file in a corpus folder.
    ///
    /// - Throws: after recording an issue, when the folder is absent (as ``folder(_:sourceLocation:)``)
    ///   or when the file is missing from it: an incomplete corpus fails, it is never skipped.
    public static func file(_ name: String, in folder: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
        let url = try self.folder(folder, sourceLocation: sourceLocation).appendingPathComponent(name)
        let isPresent = FileManager.default.fileExists(atPath: url.path)
        try #require(isPresent, "\(name) is missing from \(describe(folder))", sourceLocation: sourceLocation)
        return url
    }

    /// The path of a reference tool beside the corpus (`../shared/tools/nab-score`).
    ///
    /// - Throws: after recording an issue naming it, when it is absent (as ``folder(_:sourceLocation:)``).
    public static func tool(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
        let isPresent = isToolPresent(name)
        try #require(isPresent, Comment(rawValue: absenceNote(toolsDescription + "/" + name, trait: ".needsFixtureTool(\"\(name)\")")),
                     sourceLocation: sourceLocation)
        return toolsRoot.appendingPathComponent(name)
    }

    /// The one line a test skipped for want of a reference tool reports.
    public static func toolSkipNote(_ name: String) -> String {
        "needs \(toolsDescription)/\(name) (set \(rootVariable))"
    }

    static func absenceNote(_ folder: String) -> String {
        absenceNote(describe(folder), trait: ".needsFixtures(\"\(folder)\")")
    }

    static func absenceNote(_ described: String, trait: String) -> String {
        if isRequired {
            return "\(described) is absent and \(requireVariable)=1: put the corpus there or set \(rootVariable)"
        }
        return "\(described) is absent and the test has no \(trait) trait to skip it"
    }
}
