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

import Testing

extension Trait where Self == ConditionTrait {
    /// A condition that skips the test or suite when a corpus folder is absent, with one line
    /// naming it (`skipped: "needs ../shared/fixtures/pcaps (set HYPERWARD_FIXTURES)"`).
    ///
    /// A condition trait, not `Test.cancel()`: Swift Testing 6.3 reports a disabled test as
    /// skipped (also in `--xunit-output`), but a cancelled test case as passed. Under
    /// `HYPERWARD_REQUIRE_FIXTURES=1` the test always runs, and ``Fixtures/folder(_:sourceLocation:)``
    /// fails it when the folder is absent.
    ///
    /// - Parameter folder: the folder under the corpus root, such as `pcaps` or `nab`.
    /// - Returns: a trait for `@Test` or `@Suite`.
    public static func needsFixtures(_ folder: String, sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled(if: Fixtures.isRequired || Fixtures.isPresent(folder), Comment(rawValue: Fixtures.skipNote(folder)),
                 sourceLocation: sourceLocation)
    }
}

extension Trait where Self == ConditionTrait {
    /// A condition that skips the test or suite when a reference tool beside the corpus is absent
    /// (`skipped: "needs ../shared/tools/nab-score (set HYPERWARD_FIXTURES)"`); required, like the
    /// corpus, under `HYPERWARD_REQUIRE_FIXTURES=1`.
    ///
    /// - Parameter name: the tool's file name in the tools folder, such as `nab-score`.
    /// - Returns: a trait for `@Test` or `@Suite`.
    public static func needsFixtureTool(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled(if: Fixtures.isRequired || Fixtures.isToolPresent(name), Comment(rawValue: Fixtures.toolSkipNote(name)),
                 sourceLocation: sourceLocation)
    }
}
