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
    /// The string with every character that could corrupt a report or a terminal made visible as
    /// `\xNN` / `\u{NNNN}` text: C0 controls (except those in `kept`), DEL, C1 controls (a terminal
    /// reads U+009B as CSI), the noncharacters U+FFFE/U+FFFF (illegal in XML 1.0 §2.2), and the
    /// line and paragraph separators, the bidirectional overrides and isolates that can make text display in a different order than it
    /// is stored (CVE-2021-42574, "Trojan Source").
    ///
    /// Evidence is read from hosts we are auditing, so it is hostile input: nothing a check read may
    /// reach an output byte-for-byte unless the format escapes it losslessly (JSON does).
    func escapingControlCharacters(keeping kept: Set<Unicode.Scalar> = []) -> String {
        var out = String.UnicodeScalarView()
        var changed = false
        for scalar in unicodeScalars {
            if kept.contains(scalar) || !String.mustEscape(scalar) {
                out.append(scalar)
                continue
            }
            changed = true
            let hex = String(scalar.value, radix: 16, uppercase: true)
            let text = scalar.value < 0x100
                ? "\\x" + (hex.count < 2 ? "0" + hex : hex)
                : "\\u{" + hex + "}"
            out.append(contentsOf: text.unicodeScalars)
        }
        return changed ? String(out) : self
    }

    static func mustEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0xFFFE, 0xFFFF: true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        // LINE and PARAGRAPH SEPARATOR: line breaks to some readers, invisible to others.
        case 0x2028, 0x2029: true
        default: false
        }
    }

    /// The string cut to at most `count` characters, ending in `…` when it was cut.
    func truncated(to count: Int) -> String {
        guard count > 0 else { return "" }
        if self.count <= count { return self }
        return String(prefix(count - 1)) + "…"
    }
}
