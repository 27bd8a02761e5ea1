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

/// The one exit-code table of every `hyperward` command (sysexits-style where one exists),
/// documented in docs/exit-codes.md and in `hyperward --help`. An error ends a command with its
/// code's `exitStatus`.
public enum ExitStatus {
    public static let completed: Int32 = 0
    /// A `--fail-on` threshold matched, drift was found, an incident opened.
    public static let thresholdMatched: Int32 = 1
    /// A check could not run.
    public static let checkError: Int32 = 3
    public static let usage: Int32 = 64
    public static let invalidData: Int32 = 65
    public static let noInput: Int32 = 66
    public static let unknownKey: Int32 = 67
    public static let versionDisabled: Int32 = 68
    public static let refused: Int32 = 69
    public static let software: Int32 = 70
    public static let cannotCreate: Int32 = 73
    public static let ioError: Int32 = 74
    public static let busy: Int32 = 75
    public static let corrupted: Int32 = 76
    public static let wrongSecret: Int32 = 77
    public static let configuration: Int32 = 78
}

extension HyperwardError.Code {
    /// A bad flag, value or name (64).
    public static let usage = HyperwardError.Code("usage", exitStatus: ExitStatus.usage)
    /// An unknown key, key version, VM or recorded disk (67).
    public static let unknownItem = HyperwardError.Code("unknown", exitStatus: ExitStatus.unknownKey)
    /// Refused by policy, or a service (libvirt) that cannot be reached (69).
    public static let refused = HyperwardError.Code("refused", exitStatus: ExitStatus.refused)
    /// An internal error, or a system step that failed (70).
    public static let software = HyperwardError.Code("software", exitStatus: ExitStatus.software)
    /// An output that exists, is the input, or cannot be made (73).
    public static let cannotCreate = HyperwardError.Code("cannot-create", exitStatus: ExitStatus.cannotCreate)
    /// Writing an output failed (74).
    public static let ioError = HyperwardError.Code("io-error", exitStatus: ExitStatus.ioError)
    /// The state directory is busy: another agent, or another command's change (75).
    public static let busy = HyperwardError.Code("busy", exitStatus: ExitStatus.busy)
    /// Stored data that fails its checks (76).
    public static let corrupted = HyperwardError.Code("corrupted", exitStatus: ExitStatus.corrupted)
    /// A passphrase or key file that does not open the keystore (77).
    public static let wrongSecret = HyperwardError.Code("wrong-secret", exitStatus: ExitStatus.wrongSecret)
}

extension HyperwardError.Code {
    /// The key version is below the key's minimums, or trimmed (68).
    public static let versionDisabled = HyperwardError.Code("version-disabled", exitStatus: ExitStatus.versionDisabled)

    /// The code a command ends with for exit status `status` (the engines' own error types
    /// carry exit statuses of the same table).
    public static func forExitStatus(_ status: Int32) -> HyperwardError.Code {
        switch status {
        case ExitStatus.usage: .usage
        case ExitStatus.invalidData: .invalidInput
        case ExitStatus.noInput: .notFound
        case ExitStatus.unknownKey: .unknownItem
        case ExitStatus.versionDisabled: .versionDisabled
        case ExitStatus.refused: .refused
        case ExitStatus.cannotCreate: .cannotCreate
        case ExitStatus.ioError: .ioError
        case ExitStatus.busy: .busy
        case ExitStatus.corrupted: .corrupted
        case ExitStatus.wrongSecret: .wrongSecret
        case ExitStatus.configuration: .configuration
        default: .software
        }
    }
}

extension HyperwardError {
    /// An error that ends a command with exit status `status`.
    public init(exitStatus status: Int32, _ message: String) {
        self.init(.forExitStatus(status), message)
    }
}
