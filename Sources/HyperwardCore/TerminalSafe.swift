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

extension String {
    /// The string with every character a terminal would act on, rather than show, written as a
    /// visible `\u{…}` escape: C0 and C1 controls (ESC starts colour and cursor sequences, BEL
    /// rings, CR and line ends forge extra message lines, DEL), the Unicode bidirectional controls
    /// (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C: "Trojan Source", CVE-2021-42574, lets
    /// text display in an order other than its logical one) and the line and paragraph separators.
    ///
    /// For anything taken from input (policy names, file contents, command output) that a message
    /// echoes to an operator's terminal or log. Printable text, non-ASCII letters included, is
    /// unchanged; so is a string that needs no escaping (no copy is made).
    public var terminalSafe: String {
        guard unicodeScalars.contains(where: String.needsEscaping) else { return self }
        var result = ""
        result.reserveCapacity(utf8.count + 8)
        for scalar in unicodeScalars {
            if String.needsEscaping(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Each line made `terminalSafe`, the line breaks kept: multi-line tool errors (nft's message,
    /// the offending line, a caret line) stay readable.
    public var terminalSafeLines: String {
        split(separator: "\n", omittingEmptySubsequences: false).map { String($0).terminalSafe }.joined(separator: "\n")
    }

    /// Whether `scalar` is one `terminalSafe` escapes.
    static func needsEscaping(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true                       // C0, DEL, C1
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true // bidi controls
        case 0x2028, 0x2029: return true                                  // line/paragraph separator
        default: return false
        }
    }
}
