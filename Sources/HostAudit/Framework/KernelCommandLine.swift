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

/// A kernel command line split into parameters the way the kernel does: by spaces, with double
/// quotes grouping, and everything after a bare `--` handed to init (not kernel parameters).
public struct KernelCommandLine: Sendable, Hashable {
    /// One parameter: `name` or `name=value`.
    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var value: String?
        /// The parameter as written.
        public var text: String { value.map { "\(name)=\($0)" } ?? name }
    }

    /// The kernel's parameters, in order.
    public var parameters: [Parameter]

    /// Parses a command line.
    public init(_ text: String) {
        var words: [String] = []
        var current = ""
        var inQuotes = false
        var hasWord = false
        for ch in text {
            if ch == "\"" {
                inQuotes.toggle()
                hasWord = true
            } else if (ch == " " || ch == "\n" || ch == "\t") && !inQuotes {
                if hasWord { words.append(current) }
                current = ""
                hasWord = false
            } else {
                current.append(ch)
                hasWord = true
            }
        }
        if hasWord { words.append(current) }
        var parameters: [Parameter] = []
        for word in words {
            if word == "--" { break }
            if let eq = word.firstIndex(of: "=") {
                // The kernel treats '-' and '_' in parameter names alike.
                let name = String(word[..<eq]).replacingDashes()
                parameters.append(Parameter(name: name, value: String(word[word.index(after: eq)...])))
            } else {
                parameters.append(Parameter(name: word.replacingDashes(), value: nil))
            }
        }
        self.parameters = parameters
    }

    /// The last value given for `name` (the kernel lets a later one win), or `nil`.
    public func value(of name: String) -> String? {
        parameters.last(where: { $0.name == name.replacingDashes() })?.value
    }

    /// Whether `name` appears, with or without a value.
    public func contains(_ name: String) -> Bool {
        parameters.contains(where: { $0.name == name.replacingDashes() })
    }
}

extension String {
    fileprivate func replacingDashes() -> String {
        // Only the name part before any '.' module prefix separator keeps its dots.
        String(map { $0 == "-" ? "_" : $0 })
    }
}
