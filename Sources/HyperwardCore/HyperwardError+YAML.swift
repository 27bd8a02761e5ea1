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

import Yams

extension HyperwardError {
    /// A YAML syntax error from Yams as a Hyperward error at `file:line:column`.
    public static func yaml(_ error: any Error, file: String, code: Code) -> HyperwardError {
        guard let yaml = error as? YamlError else {
            return HyperwardError(code, "not valid YAML: \(error)", location: .init(file: file))
        }
        switch yaml {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return HyperwardError(code, "not valid YAML: \(problem)", location: .init(file: file, line: mark.line, column: mark.column))
        case let .duplicatedKeysInMapping(duplicates, context):
            return HyperwardError(code, "duplicate key(s) \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in a mapping",
                                  location: .init(file: file, line: context.mark.line, column: context.mark.column))
        case let .reader(problem, _, _, _):
            return HyperwardError(code, "not valid YAML text: \(problem)", location: .init(file: file))
        default:
            let text = "\(yaml)".split(separator: "\n").first.map(String.init) ?? "YAML error"
            return HyperwardError(code, "not valid YAML: \(text)", location: .init(file: file))
        }
    }
}
